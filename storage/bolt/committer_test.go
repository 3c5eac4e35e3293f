package bolt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"issuer/storage"
)

// TestBatchAbort checks that a write failing with a non-business error or
// a panic, in the middle of a batch, loses only its own writes, to the
// buckets and to the in-memory replay keys.
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
		err := s.UseReplayKey(t.Context(), fmt.Appendf(nil, "r%d", i), t0.Add(time.Hour), t0)
		if recorded := errors.Is(err, storage.ErrAlreadyExists); recorded != (i%3 == 0) {
			t.Errorf("op %d: replay key recorded %v (%v)", i, recorded, err)
		}
	}
}

var t0 = time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)

// TestReplayKeysReloaded checks that Sweep removes swept replay keys from
// memory, and that Open rebuilds the replay keys from the file.
func TestReplayKeysReloaded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "issuer.db")
	s, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	for _, k := range []struct {
		key string
		exp time.Time
	}{{"old", t0}, {"new", t0.Add(time.Hour)}, {"again", t0}, {"again", t0.Add(2 * time.Hour)}} {
		if err := s.UseReplayKey(ctx, []byte(k.key), k.exp, t0.Add(time.Minute)); err != nil {
			t.Fatal(k.key, err)
		}
	}
	if n, err := s.Sweep(ctx, t0.Add(time.Minute)); n != 1 || err != nil {
		t.Fatalf("Sweep = %d, %v; want 1 (old)", n, err)
	}
	want := replaySet{"new": encTime(t0.Add(time.Hour)), "again": encTime(t0.Add(2 * time.Hour))}
	if !maps.Equal(s.c.replay, want) {
		t.Errorf("in memory after Sweep: %v, want %v", s.c.replay, want)
	}
	s.Close()
	if s, err = Open(path, Options{NoSync: true}); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !maps.Equal(s.c.replay, want) {
		t.Errorf("reloaded %v, want %v", s.c.replay, want)
	}
}

// encTime returns t as encoded in replay entries.
func encTime(t time.Time) uint64 { return binary.BigEndian.Uint64(appendTime(nil, t)) }

// writeOp writes key ki and replay key ri, then succeeds (i%3 == 0), fails with a plain
// error (i%3 == 1) or panics (i%3 == 2).
func writeOp(i int) func(tx *writeTx) error {
	return func(tx *writeTx) error {
		if err := tx.Bucket(bucketSecrets).Put(fmt.Appendf(nil, "k%d", i), []byte("v")); err != nil {
			return err
		}
		if err := tx.putReplay(fmt.Appendf(nil, "r%d", i), t0.Add(time.Hour)); err != nil {
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
