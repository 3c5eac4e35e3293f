package bolt_test

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"issuer/storage"
	"issuer/storage/bolt"
)

// TestUserIDIndexBuiltOnOpen opens a database whose users were written
// before the user_ids index existed (simulated by deleting the bucket with
// bbolt after closing the store): Open must rebuild the index, so that
// GetUserByID finds every user.
func TestUserIDIndexBuiltOnOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "issuer.db")
	s, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	users := []storage.User{
		{ID: "u-1", Username: "alice", PasswordHash: "$argon2id$a", Claims: []byte(`{"given_name":"Alice"}`), CreatedAt: t0},
		{ID: "u-2", Username: "bob", PasswordHash: "$argon2id$b", CreatedAt: t0.Add(time.Second)},
		{ID: "u-3", Username: "carol", PasswordHash: "$argon2id$c", CreatedAt: t0.Add(2 * time.Second)},
	}
	for _, u := range users {
		if err := s.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bbolt.Tx) error { return tx.DeleteBucket([]byte("user_ids")) })
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatalf("deleting the user_ids bucket: %v", err)
	}

	s = openChecked(t, path)
	for _, u := range users {
		got, err := s.GetUserByID(ctx, u.ID)
		if err != nil {
			t.Errorf("GetUserByID(%s) after reopening an old database: %v; want %s", u.ID, err, u.Username)
			continue
		}
		if got.Username != u.Username || got.PasswordHash != u.PasswordHash || string(got.Claims) != string(u.Claims) || !got.CreatedAt.Equal(u.CreatedAt) {
			t.Errorf("GetUserByID(%s) = %+v; want %+v", u.ID, got, u)
		}
	}
	if _, err := s.GetUserByID(ctx, "u-unknown"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("GetUserByID(unknown) = %v; want ErrNotFound", err)
	}
	// The rebuilt index is maintained as before.
	if err := s.DeleteUser(ctx, "bob"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetUserByID(ctx, "u-2"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("GetUserByID(u-2) after DeleteUser = %v; want ErrNotFound", err)
	}
	dave := storage.User{ID: "u-4", Username: "dave", PasswordHash: "$argon2id$d", CreatedAt: t0}
	if err := s.CreateUser(ctx, dave); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetUserByID(ctx, dave.ID); err != nil || got.Username != dave.Username {
		t.Errorf("GetUserByID(u-4) = %+v, %v; want dave", got, err)
	}
}
