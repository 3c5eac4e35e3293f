package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"issuer/storage"
	"issuer/storage/postgres"
	"issuer/storage/postgres/pgtest"
)

// TestDatabaseGoneAndBack cuts the connection to the database under an
// open store: operations fail with storage.ErrUnavailable within the
// operation timeout (no hang), and succeed again, on the same store, once
// the database is reachable again.
func TestDatabaseGoneAndBack(t *testing.T) {
	schema := pgtest.Schema(t, testDSN)
	r := pgtest.NewRelay(t, schema)
	s, err := postgres.Open(t.Context(), r.DSN(schema), postgres.Options{OpTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	o := newOffer(t, s)

	r.Down()
	start := time.Now()
	_, err = s.GetOfferByCode(t.Context(), o.CodeHash)
	if !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("GetOfferByCode with the database gone = %v; want ErrUnavailable", err)
	}
	err = s.Redeem(t.Context(), redemption(o))
	if !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("Redeem with the database gone = %v; want ErrUnavailable", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the failures took %s; want them within the operation timeout", d)
	}

	r.Up()
	if err := s.Redeem(t.Context(), redemption(o)); err != nil {
		t.Fatalf("Redeem with the database back = %v; want nil", err)
	}
	if err := s.Redeem(t.Context(), redemption(o)); !errors.Is(err, storage.ErrConsumed) {
		t.Errorf("second Redeem = %v; want ErrConsumed", err)
	}
}

// TestBackendsTerminated kills the store's server sessions
// (pg_terminate_backend, as a server restart or failover does): the next
// reads and writes reconnect and succeed without an error.
func TestBackendsTerminated(t *testing.T) {
	s := openStore(t)
	o := newOffer(t, s)
	for range 3 { // fill the pool with a few connections
		if _, err := s.GetOfferByCode(t.Context(), o.CodeHash); err != nil {
			t.Fatal(err)
		}
	}
	conn, err := pgx.Connect(t.Context(), testDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	err = conn.QueryRow(t.Context(), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND application_name = 'issuer' AND pid <> pg_backend_pid()`).Scan(&n)
	if err != nil || n == 0 {
		t.Fatalf("terminated %d sessions: %v; want some", n, err)
	}
	if _, err := s.GetOfferByCode(t.Context(), o.CodeHash); err != nil {
		t.Errorf("read after the sessions were terminated = %v; want nil (retried)", err)
	}
	if err := s.Redeem(t.Context(), redemption(o)); err != nil {
		t.Errorf("Redeem after the sessions were terminated = %v; want nil (retried)", err)
	}
}
