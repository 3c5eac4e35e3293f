package bolt_test

import (
	"path/filepath"
	"testing"

	"issuer/storage"
	"issuer/storage/storagetest"
)

func newStore(t *testing.T) storage.Store {
	return openChecked(t, filepath.Join(t.TempDir(), "issuer.db"))
}

func TestStore(t *testing.T)            { storagetest.Run(t, newStore) }
func TestStoreConcurrency(t *testing.T) { storagetest.RunConcurrency(t, newStore) }
