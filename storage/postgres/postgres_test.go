package postgres_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"issuer/storage"
	"issuer/storage/postgres"
	"issuer/storage/postgres/pgtest"
	"issuer/storage/storagetest"
)

// testDSN is this package's database on the test server (TestMain).
var testDSN string

func TestMain(m *testing.M) {
	dsn, drop, err := pgtest.CreateDatabase(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	testDSN = dsn
	code := m.Run()
	if err := drop(); err != nil {
		fmt.Fprintln(os.Stderr, "dropping the test database:", err)
	}
	os.Exit(code)
}

// openStore opens a store on a fresh schema of the test database.
func openStore(t testing.TB) *postgres.Store {
	t.Helper()
	// A small pool per store: the suite opens many stores at once.
	dsn := pgtest.WithParam(pgtest.Schema(t, testDSN), "pool_max_conns", "8")
	s, err := postgres.Open(context.Background(), dsn, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func newStore(t *testing.T) storage.Store { return openStore(t) }

func TestStore(t *testing.T)            { storagetest.Run(t, newStore) }
func TestStoreConcurrency(t *testing.T) { storagetest.RunConcurrency(t, newStore) }
