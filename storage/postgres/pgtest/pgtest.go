// Package pgtest gives tests a PostgreSQL database of their own on the
// test server: ISSUER_TEST_POSTGRES, by default the local server with
// trust authentication (DefaultDSN). Each test package creates a database
// with a random name and drops it at the end, so that runs never see each
// other's rows; each store of a package gets a schema of its own in it.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultDSN is the test server when ISSUER_TEST_POSTGRES is not set.
const DefaultDSN = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// ServerDSN returns the DSN of the test server.
func ServerDSN() string {
	if dsn := os.Getenv("ISSUER_TEST_POSTGRES"); dsn != "" {
		return dsn
	}
	return DefaultDSN
}

// randomName returns prefix and 16 random hex digits: a valid unquoted
// identifier.
func randomName(prefix string) string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// withDatabase returns dsn naming another database.
func withDatabase(dsn, db string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", fmt.Errorf("pgtest: ISSUER_TEST_POSTGRES must be a postgres:// URL")
	}
	u.Path = "/" + db
	return u.String(), nil
}

// WithParam returns dsn with the query parameter k set to v.
func WithParam(dsn, k, v string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn
	}
	q := u.Query()
	q.Set(k, v)
	u.RawQuery = q.Encode()
	return u.String()
}

// CreateDatabase creates a database with a random name on the test server
// and returns its DSN and a function that drops it (closing what is still
// connected to it).
func CreateDatabase(ctx context.Context) (dsn string, drop func() error, err error) {
	server := ServerDSN()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		return "", nil, fmt.Errorf("pgtest: no PostgreSQL at ISSUER_TEST_POSTGRES (default %s): %w; "+
			"start one (.ci/run installs and starts Debian's postgresql when none answers)", DefaultDSN, err)
	}
	defer conn.Close(context.Background())
	name := randomName("issuer_test_")
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", nil, fmt.Errorf("pgtest: create database: %w", err)
	}
	if dsn, err = withDatabase(server, name); err != nil {
		return "", nil, err
	}
	drop = func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, server)
		if err != nil {
			return err
		}
		defer conn.Close(context.Background())
		_, err = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		return err
	}
	return dsn, drop, nil
}

// Database creates a database for the test t and drops it when t ends.
func Database(t testing.TB) string {
	t.Helper()
	dsn, drop, err := CreateDatabase(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := drop(); err != nil {
			t.Errorf("pgtest: drop database: %v", err)
		}
	})
	return dsn
}

// Schema creates a schema with a random name in the database dsn and
// returns dsn with search_path set to it: a store opened on it sees only
// its own tables.
func Schema(t testing.TB, dsn string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	defer conn.Close(context.Background())
	name := randomName("s_")
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+name); err != nil {
		t.Fatalf("pgtest: create schema: %v", err)
	}
	return WithParam(dsn, "search_path", name)
}
