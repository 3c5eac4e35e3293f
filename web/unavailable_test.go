package web_test

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"

	"issuer/storage"
	"issuer/storage/memory"
)

// downStore is a store whose database can be taken away: while down, the
// calls of a redemption fail with storage.ErrUnavailable, as the
// PostgreSQL store's do when the database cannot be reached.
type downStore struct {
	storage.Store
	down atomic.Bool
}

func (s *downStore) fail(what string) error {
	if s.down.Load() {
		return fmt.Errorf("storage/test: %s: %w: connection refused", what, storage.ErrUnavailable)
	}
	return nil
}

func (s *downStore) GetOfferByCode(ctx context.Context, h []byte) (storage.Offer, error) {
	if err := s.fail("offer by code"); err != nil {
		return storage.Offer{}, err
	}
	return s.Store.GetOfferByCode(ctx, h)
}

func (s *downStore) Redeem(ctx context.Context, r storage.Redemption) error {
	if err := s.fail("redeem"); err != nil {
		return err
	}
	return s.Store.Redeem(ctx, r)
}

// TestDatabaseUnavailable: while the database cannot be reached, a token
// request is answered 503 temporarily_unavailable with Retry-After and
// no-store (never 500), and the code is untouched: once the database is
// back, the same code redeems.
func TestDatabaseUnavailable(t *testing.T) {
	store := &downStore{Store: memory.New()}
	ts := newTestServerOn(t, store)
	o := ts.offer(t, nil)
	store.down.Store(true)
	res := ts.redeemFresh(t, code(o), nil)
	if got := res.Header.Get("Retry-After"); got != "5" {
		t.Errorf("Retry-After = %q; want 5", got)
	}
	e := wantError(t, res, http.StatusServiceUnavailable, "temporarily_unavailable")
	wantSafeDescription(t, e.Description, "connection refused")
	store.down.Store(false)
	ts.wantRedeemable(t, code(o), nil)
}
