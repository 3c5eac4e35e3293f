package storagetest

import (
	"sync"
	"testing"
	"time"

	"issuer/storage"
)

// newRefresh stores a refresh token of grant g, issued at t0 for a day.
func newRefresh(t *testing.T, s storage.Store, g string) storage.Token {
	t.Helper()
	rt := newToken(g, t0, 24*time.Hour)
	rt.Kind = "refresh_token"
	if err := s.IssueTokens(t.Context(), storage.Issuance{Now: t0, Tokens: []storage.Token{rt}}); err != nil {
		t.Fatalf("IssueTokens: %v", err)
	}
	return rt
}

func use(rt storage.Token, now time.Time, tokens ...storage.Token) storage.RefreshUse {
	return storage.RefreshUse{TokenID: rt.ID, Now: now, ReplayKey: []byte(rt.ID + now.String()), ReplayExpiry: now.Add(time.Minute), Tokens: tokens}
}

func testRevokeGrant(t *testing.T, s storage.Store) {
	a, b, other := newRefresh(t, s, "g1"), newToken("g1", t0, time.Hour), newToken("g2", t0, time.Hour)
	if err := s.IssueTokens(t.Context(), storage.Issuance{Now: t0, Tokens: []storage.Token{b, other}}); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeGrant(t.Context(), "g1"); err != nil {
		t.Fatalf("RevokeGrant: %v", err)
	}
	for _, tc := range []struct {
		tok  storage.Token
		want bool
	}{{a, true}, {b, true}, {other, false}} {
		if got, err := s.GetToken(t.Context(), tc.tok.ID); err != nil || got.Revoked != tc.want {
			t.Errorf("token %s of grant %s: revoked %v, %v; want %v", tc.tok.ID, tc.tok.GrantID, got.Revoked, err, tc.want)
		}
	}
}

func testUseRefreshToken(t *testing.T, s storage.Store) {
	rt := newRefresh(t, s, "g")
	at := newToken("g", t0.Add(time.Minute), time.Hour)
	u := use(rt, t0.Add(time.Minute), at)
	if err := s.UseRefreshToken(t.Context(), u); err != nil {
		t.Fatalf("UseRefreshToken: %v", err)
	}
	if got, err := s.GetToken(t.Context(), rt.ID); err != nil || !got.LastUsedAt.Equal(u.Now) || !got.RotatedAt.IsZero() {
		t.Errorf("refresh token after use: %+v, %v; want LastUsedAt %v, not rotated", got, err, u.Now)
	}
	if _, err := s.GetToken(t.Context(), at.ID); err != nil {
		t.Errorf("issued token: %v", err)
	}
	checkErr(t, "same replay key", s.UseRefreshToken(t.Context(), u), storage.ErrAlreadyExists)
	checkErr(t, "unknown token", s.UseRefreshToken(t.Context(), use(storage.Token{ID: "unknown"}, t0)), storage.ErrNotFound)
	checkErr(t, "an access token", s.UseRefreshToken(t.Context(), use(at, t0.Add(2*time.Minute))), storage.ErrNotFound)
	checkErr(t, "after ExpiresAt", s.UseRefreshToken(t.Context(), use(rt, t0.Add(25*time.Hour))), storage.ErrExpired)
	idle := use(rt, t0.Add(3*time.Hour))
	idle.IdleTimeout = time.Hour
	checkErr(t, "idle too long", s.UseRefreshToken(t.Context(), idle), storage.ErrExpired)
	idle.Now = t0.Add(time.Minute + 59*time.Minute)
	checkErr(t, "idle within the timeout", s.UseRefreshToken(t.Context(), idle), nil)
	if err := s.RevokeTokens(t.Context(), []string{rt.ID}); err != nil {
		t.Fatal(err)
	}
	checkErr(t, "revoked", s.UseRefreshToken(t.Context(), use(rt, t0.Add(2*time.Hour))), storage.ErrRevoked)
}

func testRefreshRotation(t *testing.T, s storage.Store) {
	rt := newRefresh(t, s, "fam")
	at := newToken("fam", t0, time.Hour)
	if err := s.IssueTokens(t.Context(), storage.Issuance{Now: t0, Tokens: []storage.Token{at}}); err != nil {
		t.Fatal(err)
	}
	rotate := func(now time.Time) storage.RefreshUse {
		u := use(rt, now)
		u.Rotate, u.Grace = true, 30*time.Second
		return u
	}
	checkErr(t, "first rotating use", s.UseRefreshToken(t.Context(), rotate(t0.Add(time.Minute))), nil)
	if got, _ := s.GetToken(t.Context(), rt.ID); !got.RotatedAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("RotatedAt = %v; want %v", got.RotatedAt, t0.Add(time.Minute))
	}
	checkErr(t, "retry within the grace window", s.UseRefreshToken(t.Context(), rotate(t0.Add(time.Minute+30*time.Second))), nil)
	checkErr(t, "reuse after the grace window", s.UseRefreshToken(t.Context(), rotate(t0.Add(time.Minute+31*time.Second))), storage.ErrConsumed)
	for _, id := range []string{rt.ID, at.ID} {
		if got, err := s.GetToken(t.Context(), id); err != nil || !got.Revoked {
			t.Errorf("token %s of the family after reuse: %+v, %v; want revoked", id, got, err)
		}
	}
}

// testRefreshConcurrent uses one rotating refresh token from 32 goroutines
// inside the grace window: every use succeeds.
func testRefreshConcurrent(t *testing.T, s storage.Store) {
	rt := newRefresh(t, s, "conc")
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for i := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u := use(rt, t0.Add(time.Duration(i)*time.Millisecond), newToken("conc", t0, time.Hour))
			u.Rotate, u.Grace = true, 30*time.Second
			errs <- s.UseRefreshToken(t.Context(), u)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent use: %v; want nil", err)
		}
	}
}

func testUsers(t *testing.T, s storage.Store) {
	u := storage.User{ID: "u-1", Username: "alice", PasswordHash: "$argon2id$x", Claims: []byte(`{"given_name":"Alice"}`), CreatedAt: t0}
	if err := s.CreateUser(t.Context(), u); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	checkErr(t, "CreateUser twice", s.CreateUser(t.Context(), u), storage.ErrAlreadyExists)
	got, err := s.GetUser(t.Context(), "alice")
	if err != nil || got.ID != u.ID || got.PasswordHash != u.PasswordHash || string(got.Claims) != string(u.Claims) || !got.CreatedAt.Equal(t0) {
		t.Fatalf("GetUser = %+v, %v; want %+v", got, err, u)
	}
	_, err = s.GetUser(t.Context(), "bob")
	checkErr(t, "GetUser unknown", err, storage.ErrNotFound)
	checkErr(t, "DeleteUser", s.DeleteUser(t.Context(), "alice"), nil)
	checkErr(t, "DeleteUser twice", s.DeleteUser(t.Context(), "alice"), storage.ErrNotFound)
	_, err = s.GetUser(t.Context(), "alice")
	checkErr(t, "GetUser deleted", err, storage.ErrNotFound)
}
