//go:build unix

package main

import (
	"context"
	"errors"
	"io/fs"
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
			wantDBRefused(t, db, before, tt.refused, err)
		})
	}
}

// newDB creates a database with a signing key in a new 0700 directory and
// returns its path and content.
func newDB(t *testing.T) (db string, content []byte) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	db = filepath.Join(dir, "issuer.db")
	if _, err := serveOnce(t, db, nil); err != nil {
		t.Fatal(err)
	}
	content, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	return db, content
}

// wantDBRefused asserts that err, of serving db, refuses it saying want
// and naming --allow-insecure-db, that db still has the content before
// (nil: that it still does not exist), and that the operator can allow it
// (flag, environment or config file): it is then used (or created) with a
// warning.
func wantDBRefused(t *testing.T, db string, before []byte, want string, err error) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "--allow-insecure-db") {
		t.Fatalf("serve = %v; want a refusal saying %q and naming --allow-insecure-db", err, want)
	}
	after, rerr := os.ReadFile(db)
	switch {
	case before == nil && !errors.Is(rerr, fs.ErrNotExist):
		t.Errorf("the refused database was created (%v)", rerr)
	case before != nil && string(after) != string(before):
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
		if err != nil || !strings.Contains(logs, "database permissions") || !strings.Contains(logs, want) {
			t.Errorf("allowed by the %s: serve = %v, logs %q; want a start with a warning", name, err, logs)
		}
		if before == nil { // the next start creates it again
			_ = os.Remove(db)
		}
	}
}

// otherUID is a uid that is neither root nor the test's.
const otherUID = 54321

// TestDatabaseOwner: a database file owned by another user, or in a
// directory owned by another user than this one or root, is refused: that
// user may read it, replace it, or open it to others. Changing owners
// needs root; as another user the test is skipped.
func TestDatabaseOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("chown to another uid needs root: the owner checks are not tested as uid", os.Geteuid())
	}
	t.Run("file", func(t *testing.T) {
		db, before := newDB(t)
		if err := os.Chown(db, otherUID, -1); err != nil {
			t.Fatal(err)
		}
		_, err := serveOnce(t, db, nil)
		wantDBRefused(t, db, before, "is owned by uid 54321, not by this user (uid 0), who may read or replace it: chown it", err)
	})
	t.Run("directory", func(t *testing.T) {
		db, before := newDB(t)
		if err := os.Chown(filepath.Dir(db), otherUID, -1); err != nil {
			t.Fatal(err)
		}
		_, err := serveOnce(t, db, nil)
		wantDBRefused(t, db, before, "is owned by uid 54321, neither this user (uid 0) nor root", err)
	})
}

// TestDatabaseSymlink: a database path that is a symbolic link is refused
// (the checks would be about the link's directory, not the file's): the
// operator gives the file's own path.
func TestDatabaseSymlink(t *testing.T) {
	db, before := newDB(t)
	link := filepath.Join(t.TempDir(), "link.db")
	if err := os.Symlink(db, link); err != nil {
		t.Fatal(err)
	}
	_, err := serveOnce(t, link, nil)
	wantDBRefused(t, link, before, "is a symbolic link: give the path of the file itself", err)
	if _, err := serveOnce(t, db, nil); err != nil {
		t.Fatalf("serving the link's target by its own path: %v", err)
	}
}

// TestNewDatabaseInSharedDirectory: a database that does not exist yet in
// a directory that group or others may write is refused, sticky bit or
// not: another user could create it first (and own it, or link it). An
// existing database of this user in a sticky directory is used (see
// TestDatabaseOpenToOthers).
func TestNewDatabaseInSharedDirectory(t *testing.T) {
	for _, mode := range []os.FileMode{0o777 | os.ModeSticky, 0o770, 0o777} {
		t.Run(mode.String(), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "shared")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(dir, mode); err != nil {
				t.Fatal(err)
			}
			db := filepath.Join(dir, "issuer.db")
			_, err := serveOnce(t, db, nil)
			wantDBRefused(t, db, nil, "does not exist yet and its directory", err)
		})
	}
}

// TestDatabaseSwappedAfterCheck: the file bbolt opens is checked again,
// from its own fstat before bbolt reads or writes it, so that a file
// swapped in or opened up between the path check and the open is refused
// too (TOCTOU).
func TestDatabaseSwappedAfterCheck(t *testing.T) {
	swaps := map[string]func(t *testing.T, db string){
		"opened to others": func(t *testing.T, db string) {
			if err := os.Chmod(db, 0o644); err != nil {
				t.Fatal(err)
			}
		},
		"replaced by a world-readable copy": func(t *testing.T, db string) {
			b, err := os.ReadFile(db)
			if err != nil {
				t.Fatal(err)
			}
			tmp := db + ".new"
			if err := os.WriteFile(tmp, b, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(tmp, 0o604); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(tmp, db); err != nil {
				t.Fatal(err)
			}
		},
	}
	for name, swap := range swaps {
		t.Run(name, func(t *testing.T) {
			db, before := newDB(t)
			afterDBCheck = func() { swap(t, db) }
			t.Cleanup(func() { afterDBCheck = nil })
			_, err := serveOnce(t, db, nil)
			afterDBCheck = nil
			wantDBRefused(t, db, before, "the database file opened at "+db+" (mode 06", err)
		})
	}
}
