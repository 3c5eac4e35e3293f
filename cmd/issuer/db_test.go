package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"issuer/storage/postgres/pgtest"
)

func TestRedactDB(t *testing.T) {
	for in, want := range map[string]string{
		"issuer.db":                          "issuer.db",
		"/var/lib/issuer/pass:word.db":       "/var/lib/issuer/pass:word.db",
		"postgres://u:s3cret@db:5432/issuer": "postgres://u:xxxxx@db:5432/issuer",
		"postgresql://u@db/issuer?password=s3cret&sslmode=require": "postgresql://u@db/issuer?password=xxxxx&sslmode=require",
		"postgres://u@db/issuer":                                   "postgres://u@db/issuer",
	} {
		if got := redactDB(in); got != want {
			t.Errorf("redactDB(%q) = %q; want %q", in, got, want)
		}
		if strings.Contains(redactDB(in), "s3cret") {
			t.Errorf("redactDB(%q) keeps the password", in)
		}
	}
}

// countRows returns how many rows table has in the database dsn.
func countRows(t *testing.T, dsn, table string) int {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestServeOnPostgres starts the server with a postgres:// --db: the state
// lands in PostgreSQL (no file is made or checked), and the log names the
// database without its password.
func TestServeOnPostgres(t *testing.T) {
	dsn := pgtest.WithParam(pgtest.Database(t), "password", "s3cret") // trust auth ignores it
	dir := t.TempDir()
	c := startChild(t, dsn, freeAddr(t), "--log-level", "info")
	code := c.offer(t)
	if status, errCode, err := c.redeem(code, newProof(t, dir, c.base+"/token")); status != http.StatusOK {
		t.Fatalf("redemption = %d %s %v; want 200", status, errCode, err)
	}
	if n := countRows(t, dsn, "offers"); n != 1 {
		t.Errorf("%d offers in PostgreSQL; want 1", n)
	}
	if n := countRows(t, dsn, "signing_keys"); n != 1 {
		t.Errorf("%d signing keys in PostgreSQL; want 1", n)
	}
	c.kill9(t)
	if log := c.stderr.String(); strings.Contains(log, "s3cret") || !strings.Contains(log, "password=xxxxx") {
		t.Errorf("the log shows the password, or not the redacted URL:\n%s", log)
	}
}

// TestMigrateCommand runs `issuer migrate` twice on a new database, then
// on a file path.
func TestMigrateCommand(t *testing.T) {
	dsn := pgtest.Database(t)
	migrate := func(db string) (string, error) {
		var out bytes.Buffer
		err := run(t.Context(), []string{"migrate", "--db", db}, func(string) string { return "" }, &out, io.Discard)
		return out.String(), err
	}
	files, err := filepath.Glob("../../storage/postgres/migrations/*.sql")
	if err != nil || len(files) < 3 {
		t.Fatalf("migrations found: %v, %v; want the embedded ones", files, err)
	}
	out, err := migrate(dsn)
	if err != nil {
		t.Fatalf("first migrate: %v", err)
	}
	for _, f := range files {
		if name := filepath.Base(f); !strings.Contains(out, "applied "+name) {
			t.Errorf("first migrate = %q; want %s applied", out, name)
		}
	}
	if out, err := migrate(dsn); err != nil || !strings.Contains(out, "up to date") {
		t.Errorf("second migrate = %q, %v; want up to date", out, err)
	}
	if n := countRows(t, dsn, "schema_migrations"); n != len(files) {
		t.Errorf("schema_migrations has %d rows; want %d (one per migration)", n, len(files))
	}
	if _, err := migrate(filepath.Join(t.TempDir(), "x.db")); err == nil || !strings.Contains(err.Error(), "postgres://") {
		t.Errorf("migrate on a file = %v; want an error asking for a postgres:// URL", err)
	}
}
