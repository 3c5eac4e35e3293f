package memory_test

import (
	"testing"

	"issuer/storage"
	"issuer/storage/memory"
	"issuer/storage/storagetest"
)

func newStore(t *testing.T) storage.Store {
	s := memory.New()
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestStore(t *testing.T)            { storagetest.Run(t, newStore) }
func TestStoreConcurrency(t *testing.T) { storagetest.RunConcurrency(t, newStore) }
