package bolt

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"go.etcd.io/bbolt"

	"issuer/storage"
)

// TestBatchAbort checks that a write failing with a non-business error or
// a panic, in the middle of a batch, loses only its own writes.
func TestBatchAbort(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "issuer.db"), Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const n = 300
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = s.update(t.Context(), writeOp(i)) })
	}
	wg.Wait()
	err = s.view(t.Context(), func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketSecrets)
		for i := range n {
			stored := b.Get(fmt.Appendf(nil, "k%d", i)) != nil
			if want := i%3 == 0; stored != want {
				t.Errorf("op %d (result %v): stored %v, want %v", i, errs[i], stored, want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, err := range errs {
		if (err == nil) != (i%3 == 0) {
			t.Errorf("op %d: %v", i, err)
		}
	}
}

// writeOp writes key ki, then succeeds (i%3 == 0), fails with a plain
// error (i%3 == 1) or panics (i%3 == 2).
func writeOp(i int) func(tx *writeTx) error {
	return func(tx *writeTx) error {
		if err := tx.Bucket(bucketSecrets).Put(fmt.Appendf(nil, "k%d", i), []byte("v")); err != nil {
			return err
		}
		switch i % 3 {
		case 1:
			return errors.New("bad input")
		case 2:
			panic("bug")
		}
		return nil
	}
}

// TestBusinessResultKeepsBatch checks that a sentinel result does not
// abort the other writes of the batch.
func TestBusinessResultKeepsBatch(t *testing.T) {
	for _, res := range []error{storage.ErrNotFound, storage.ErrConsumed, fmt.Errorf("wrapped: %w", storage.ErrLocked)} {
		if !isResult(res) {
			t.Errorf("isResult(%v) = false", res)
		}
	}
	if isResult(errors.New("disk on fire")) {
		t.Error("isResult(plain error) = true")
	}
}
