package postgres_test

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"issuer/storage/postgres"
	"issuer/storage/postgres/pgtest"
)

// TestRedeemAsReadRechecksAfterLockWait: a redemption carrying the offer
// as read waits on the offer's row, which a transaction holds; that
// transaction counts a failed tx_code attempt and commits. The redemption
// must find the row changed once it gets it and redeem the new version,
// the failure still counted. (A version checked before the wait, with an
// update after it, would write the stale read over the failure.)
func TestRedeemAsReadRechecksAfterLockWait(t *testing.T) {
	ctx := t.Context()
	dsn := pgtest.Schema(t, testDSN)
	s, err := postgres.Open(ctx, dsn, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	o := newOffer(t, s)
	read, err := s.GetOfferByCode(ctx, o.CodeHash)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close(ctx) })
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `SELECT 1 FROM offers WHERE id = $1 FOR UPDATE`, o.ID); err != nil {
		t.Fatal(err)
	}

	r := redemption(o)
	r.Offer = &read
	done := make(chan error, 1)
	go func() { done <- s.Redeem(ctx, r) }()
	waitForWaiter(t, tx)
	if _, err := tx.Exec(ctx, `UPDATE offers SET data = jsonb_set(data::jsonb, '{failures}', '1')::json WHERE id = $1`, o.ID); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Redeem = %v", err)
	}
	got, err := s.GetOffer(ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Failures != 1 || got.RedeemedAt.IsZero() || len(got.IssuedTokens) != 1 {
		t.Errorf("offer Failures %d RedeemedAt %v IssuedTokens %v; want the failure kept and redeemed once", got.Failures, got.RedeemedAt, got.IssuedTokens)
	}
}

// waitForWaiter waits until a transaction waits on a lock tx holds.
func waitForWaiter(t *testing.T, tx pgx.Tx) {
	t.Helper()
	for range 500 {
		var n int
		err := tx.QueryRow(t.Context(), `SELECT count(*) FROM pg_locks
			WHERE NOT granted AND locktype = 'transactionid' AND transactionid = pg_current_xact_id()::xid`).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("nothing waits on the row after 5 s")
}
