//go:build unix

package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// serveOnce runs `issuer serve` on db until it answers, then stops it; a
// server that refuses to start returns its error at once.
func serveOnce(t *testing.T, db string, env map[string]string, extra ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	stderr := &syncBuffer{}
	addr := freeAddr(t)
	args := append([]string{"serve", "--addr", addr, "--db", db}, extra...)
	done := make(chan error, 1)
	go func() { done <- run(ctx, args, func(k string) string { return env[k] }, &syncBuffer{}, stderr) }()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		select {
		case err := <-done:
			return stderr.String(), err
		default:
		}
		if res, err := http.Get("http://" + addr + "/jwks"); err == nil {
			res.Body.Close()
			cancel()
			return stderr.String(), <-done
		}
	}
	t.Fatal("the server neither started nor failed")
	return "", nil
}

// TestNewDatabaseFileIsPrivate checks that a new database file is created
// 0600 whatever the umask: it holds the private signing keys.
func TestNewDatabaseFileIsPrivate(t *testing.T) {
	db := filepath.Join(t.TempDir(), "issuer.db") // a 0700 directory
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	if _, err := serveOnce(t, db, nil); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(db)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("new database: %v %v; want mode 0600", info.Mode(), err)
	}
}

// TestDatabaseOpenToOthers checks that a database file other users may
// read, or whose directory they may write, is refused at start unless the
// operator allows it (flag, environment or config file), and then used
// with a warning.
func TestDatabaseOpenToOthers(t *testing.T) {
	tests := []struct {
		name              string
		fileMode, dirMode os.FileMode
		refused           string // "" when accepted without a warning
	}{
		{"private file", 0o600, 0o700, ""},
		{"world-readable file", 0o644, 0o700, "chmod 600"},
		{"group-readable file", 0o640, 0o750, "chmod 600"},
		{"world-writable directory", 0o600, 0o777, "chmod go-w"},
		{"world-writable sticky directory", 0o600, 0o777 | os.ModeSticky, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			db := filepath.Join(dir, "issuer.db")
			if _, err := serveOnce(t, db, nil); err != nil { // creates it, with a signing key
				t.Fatal(err)
			}
			before, err := os.ReadFile(db)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(db, tt.fileMode); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(dir, tt.dirMode); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = os.Chmod(dir, 0o700) })

			logs, err := serveOnce(t, db, nil)
			if tt.refused == "" {
				if err != nil || strings.Contains(logs, "database permissions") {
					t.Fatalf("serve = %v, logs %q; want it to start without a warning", err, logs)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.refused) || !strings.Contains(err.Error(), "--allow-insecure-db") {
				t.Fatalf("serve = %v; want a refusal saying %q and naming --allow-insecure-db", err, tt.refused)
			}
			if after, _ := os.ReadFile(db); string(after) != string(before) {
				t.Error("the refused database was changed")
			}
			cfg := filepath.Join(t.TempDir(), "issuer.yaml")
			if err := os.WriteFile(cfg, []byte("allow_insecure_db: true\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			for name, start := range map[string]func() (string, error){
				"flag":        func() (string, error) { return serveOnce(t, db, nil, "--allow-insecure-db") },
				"environment": func() (string, error) { return serveOnce(t, db, map[string]string{"ISSUER_ALLOW_INSECURE_DB": "1"}) },
				"config file": func() (string, error) { return serveOnce(t, db, nil, "--config", cfg) },
			} {
				logs, err := start()
				if err != nil || !strings.Contains(logs, "database permissions") || !strings.Contains(logs, tt.refused) {
					t.Errorf("allowed by the %s: serve = %v, logs %q; want a start with a warning", name, err, logs)
				}
			}
		})
	}
}
