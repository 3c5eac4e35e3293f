package bolt_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"issuer/storage"
	"issuer/storage/bolt"
)

// openChecked opens a durable store at path and registers a cleanup that
// closes it and checks the file's consistency.
func openChecked(t testing.TB, path string) *bolt.Store {
	t.Helper()
	s, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		checkFile(t, path)
	})
	return s
}

// checkFile runs bbolt's consistency check on a closed database file.
func checkFile(t testing.TB, path string) {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Errorf("reopen for check: %v", err)
		return
	}
	defer db.Close()
	err = db.View(func(tx *bbolt.Tx) error {
		for err := range tx.Check() {
			t.Errorf("consistency: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
}

var t0 = time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)

func TestDurableAcrossReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "issuer.db")
	s, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	offer := storage.Offer{ID: "o1", CodeHash: []byte("code"), CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	r := storage.Redemption{CodeHash: offer.CodeHash, Now: t0, ReplayKey: []byte("proof-2"), ReplayExpiry: t0.Add(time.Hour),
		Tokens: []storage.Token{{ID: "t1", ExpiresAt: t0.Add(time.Hour)}}}
	for _, err := range []error{
		s.UseReplayKey(ctx, []byte("proof-1"), t0.Add(time.Hour), t0),
		s.CreateOffer(ctx, offer),
		s.Redeem(ctx, r),
		s.Close(),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}

	s = openChecked(t, path)
	for _, key := range []string{"proof-1", "proof-2"} {
		err := s.UseReplayKey(ctx, []byte(key), t0.Add(time.Hour), t0)
		if !errors.Is(err, storage.ErrAlreadyExists) {
			t.Errorf("replay key %s after reopen: %v, want ErrAlreadyExists", key, err)
		}
	}
	r.ReplayKey = []byte("proof-3")
	if err := s.Redeem(ctx, r); !errors.Is(err, storage.ErrConsumed) {
		t.Errorf("Redeem after reopen: %v, want ErrConsumed", err)
	}
	if tok, err := s.GetToken(ctx, "t1"); err != nil || !tok.Revoked {
		t.Errorf("token after reopen and replay: %+v, %v; want revoked", tok, err)
	}
}

func TestSecondOpenLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "issuer.db")
	openChecked(t, path)
	start := time.Now()
	s, err := bolt.Open(path, bolt.Options{})
	if err == nil {
		s.Close()
		t.Fatal("second Open succeeded")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("second Open failed after %v, want < 2s", d)
	}
	if !strings.Contains(err.Error(), "is locked by another process") || !strings.Contains(err.Error(), path) {
		t.Errorf("error %q does not say that %s is locked", err, path)
	}
}

// TestCloseDrains closes the store while writes are in flight: each write
// either fails with ErrClosed or is on disk after reopening; calls after
// Close fail with ErrClosed.
func TestCloseDrains(t *testing.T) {
	path := filepath.Join(t.TempDir(), "issuer.db")
	s, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	const writers = 200
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() { errs[i] = s.UseReplayKey(t.Context(), fmt.Appendf(nil, "k%d", i), t0.Add(time.Hour), t0) })
	}
	time.Sleep(time.Millisecond)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if err := s.UseReplayKey(t.Context(), []byte("late"), t0, t0); !errors.Is(err, storage.ErrClosed) {
		t.Errorf("UseReplayKey after Close: %v, want ErrClosed", err)
	}
	if _, err := s.GetToken(t.Context(), "x"); !errors.Is(err, storage.ErrClosed) {
		t.Errorf("GetToken after Close: %v, want ErrClosed", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}

	s = openChecked(t, path)
	for i, err := range errs {
		if err != nil && !errors.Is(err, storage.ErrClosed) {
			t.Errorf("write %d: %v", i, err)
		}
		again := s.UseReplayKey(t.Context(), fmt.Appendf(nil, "k%d", i), t0.Add(time.Hour), t0)
		if err == nil && !errors.Is(again, storage.ErrAlreadyExists) {
			t.Errorf("write %d returned nil but is lost after reopen (%v)", i, again)
		}
	}
}

// TestSweepLeavesNothing redeems an offer, sweeps after everything expired,
// and checks that no bucket still holds a key of the offer or its token.
func TestSweepLeavesNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sweep.db")
	s, err := bolt.Open(path, bolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	o := storage.Offer{ID: "offer-1", CodeHash: []byte("code-hash"), Subject: "s", ConfigurationIDs: []string{"c"},
		CredentialIdentifiers: []string{"i"}, CreatedAt: t0, ExpiresAt: t0.Add(time.Minute)}
	if err := s.CreateOffer(t.Context(), o); err != nil {
		t.Fatal(err)
	}
	tok := storage.Token{ID: "token-1", Kind: "access_token", Subject: "s", IssuedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	r := storage.Redemption{CodeHash: o.CodeHash, Now: t0, ReplayKey: []byte("replay"), ReplayExpiry: t0.Add(time.Minute), Tokens: []storage.Token{tok}}
	if err := s.Redeem(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Sweep(t.Context(), t0.Add(2*time.Hour)); err != nil || n != 3 {
		t.Fatalf("Sweep() = %d, %v; want 3 records (replay key, token, offer)", n, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.View(func(tx *bbolt.Tx) error {
		for _, name := range []string{"offers", "offer_state", "offer_codes", "offer_keep", "tokens", "token_exp", "replay"} {
			if k, _ := tx.Bucket([]byte(name)).Cursor().First(); k != nil {
				return fmt.Errorf("bucket %s still holds %q", name, k)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
