package postgres_test

import (
	"errors"
	"testing"
	"time"

	"issuer/storage"
	"issuer/storage/postgres"
	"issuer/storage/postgres/pgtest"
)

// TestRedemptionRoundTrips counts the round trips to the database of a
// redemption on a warm connection (its statements prepared). As the
// token endpoint redeems, two: GetOfferByCode, then redeem_seen with the
// offer as read. Without the offer, two for the redemption alone: BEGIN with the
// replay-key claim and the read FOR UPDATE, then the writes with COMMIT;
// a redemption refused by what it read sends ROLLBACK instead of the
// writes. An offer changed between the read and redeem_seen costs that
// failed statement, pgx's DEALLOCATE of it (pgx drops a statement that
// failed from its cache) and the two of the redemption without the offer.
// A refusal leaves the statements prepared: the redemption after it takes
// two round trips too.
func TestRedemptionRoundTrips(t *testing.T) {
	schema := pgtest.Schema(t, testDSN)
	relay := pgtest.NewRelay(t, schema)
	// One connection, so that every operation finds the statements
	// prepared.
	dsn := pgtest.WithParam(relay.DSN(schema), "pool_max_conns", "1")
	s, err := postgres.Open(t.Context(), dsn, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	warm := newOffer(t, s)
	if err := s.Redeem(t.Context(), redemption(warm)); err != nil {
		t.Fatal(err)
	}
	if err := s.Redeem(t.Context(), redemption(warm)); !errors.Is(err, storage.ErrConsumed) {
		t.Fatalf("the code redeemed again = %v; want ErrConsumed", err)
	}

	tests := []struct {
		name    string
		redeem  func(o storage.Offer) error
		wantErr error
		want    int64
	}{
		{"redeemed", func(o storage.Offer) error { return s.Redeem(t.Context(), redemption(o)) }, nil, 2},
		{"read, then redeemed", func(o storage.Offer) error { return s.Redeem(t.Context(), asRead(t, s, o)) }, nil, 2},
		{"read, then a replayed proof", func(o storage.Offer) error {
			r := asRead(t, s, o)
			if err := s.UseReplayKey(t.Context(), r.ReplayKey, r.ReplayExpiry, r.Now); err != nil {
				return err
			}
			return s.Redeem(t.Context(), r)
		}, storage.ErrAlreadyExists, 3},
		{"read, changed since (a tx_code failure), then read again under a lock", func(o storage.Offer) error {
			r := asRead(t, s, o)
			if _, err := s.RecordTxCodeFailure(t.Context(), o.CodeHash, 5); err != nil {
				return err
			}
			return s.Redeem(t.Context(), r)
		}, nil, 1 + 2 + 1 + 1 + 2},
		{"redeemed again: the grant revoked, the transaction kept", func(o storage.Offer) error {
			_ = s.Redeem(t.Context(), redemption(o))
			return s.Redeem(t.Context(), redemption(o))
		}, storage.ErrConsumed, 4},
		{"unknown code: rolled back", func(o storage.Offer) error {
			r := redemption(o)
			r.CodeHash = []byte("no such code")
			return s.Redeem(t.Context(), r)
		}, storage.ErrNotFound, 2},
		{"replayed proof: rolled back", func(o storage.Offer) error {
			r := redemption(o)
			if err := s.UseReplayKey(t.Context(), r.ReplayKey, r.ReplayExpiry, r.Now); err != nil {
				return err
			}
			return s.Redeem(t.Context(), r)
		}, storage.ErrAlreadyExists, 3},
		{"expired: rolled back", func(o storage.Offer) error {
			r := redemption(o)
			r.Now = o.ExpiresAt.Add(time.Second)
			r.ReplayExpiry = r.Now.Add(time.Minute)
			return s.Redeem(t.Context(), r)
		}, storage.ErrExpired, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The pool pings a connection idle for over a second before
			// handing it out: the fewest of three tries is the
			// redemption's own.
			got, next := int64(-1), int64(-1)
			for range 3 {
				o, o2 := newOffer(t, s), newOffer(t, s)
				before := relay.RoundTrips()
				if err := tt.redeem(o); !errors.Is(err, tt.wantErr) {
					t.Fatalf("redemption = %v; want %v", err, tt.wantErr)
				}
				between := relay.RoundTrips()
				if err := s.Redeem(t.Context(), redemption(o2)); err != nil {
					t.Fatalf("the next redemption = %v", err)
				}
				got, next = fewest(got, between-before), fewest(next, relay.RoundTrips()-between)
			}
			if got != tt.want {
				t.Errorf("%d round trips; want %d", got, tt.want)
			}
			if next != 2 {
				t.Errorf("the next redemption took %d round trips; want 2", next)
			}
		})
	}
}

// fewest returns the fewer of m and n, or n if m is unset (negative).
func fewest(m, n int64) int64 {
	if m < 0 || n < m {
		return n
	}
	return m
}

// asRead is redemption(o) with the offer as GetOfferByCode reads it (one
// round trip).
func asRead(t *testing.T, s *postgres.Store, o storage.Offer) storage.Redemption {
	t.Helper()
	read, err := s.GetOfferByCode(t.Context(), o.CodeHash)
	if err != nil {
		t.Fatal(err)
	}
	r := redemption(o)
	r.Offer = &read
	return r
}
