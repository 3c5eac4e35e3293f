package storagetest

import (
	"context"
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

// rotating returns a rotating use of rt at now with a 30 s grace window
// and next as the successor.
func rotating(rt storage.Token, now time.Time, next storage.Token, tokens ...storage.Token) storage.RefreshUse {
	u := use(rt, now, tokens...)
	u.Rotate, u.Grace, u.Successor = true, 30*time.Second, &next
	return u
}

// newSuccessor returns a refresh token of rt's grant to rotate rt to.
func newSuccessor(rt storage.Token, iat time.Time) storage.Token {
	next := newToken(rt.GrantID, iat, 24*time.Hour)
	next.Kind = "refresh_token"
	return next
}

func testRefreshRotation(t *testing.T, s storage.Store) {
	rt := newRefresh(t, s, "fam")
	at := newToken("fam", t0, time.Hour)
	if err := s.IssueTokens(t.Context(), storage.Issuance{Now: t0, Tokens: []storage.Token{at}}); err != nil {
		t.Fatal(err)
	}
	next := newSuccessor(rt, t0.Add(time.Minute))
	checkErr(t, "first rotating use", s.UseRefreshToken(t.Context(), rotating(rt, t0.Add(time.Minute), next)), nil)
	if got := getToken(t, s, rt.ID); !got.RotatedAt.Equal(t0.Add(time.Minute)) || got.SuccessorID != next.ID {
		t.Errorf("rotated token: RotatedAt %v, SuccessorID %q; want %v, %q", got.RotatedAt, got.SuccessorID, t0.Add(time.Minute), next.ID)
	}
	// The successor is used once: a retry of its predecessor must not
	// store it again over that state.
	nextUse := use(next, t0.Add(time.Minute+10*time.Second))
	checkErr(t, "use of the successor", s.UseRefreshToken(t.Context(), nextUse), nil)
	retryAT := newToken("fam", t0.Add(time.Minute+30*time.Second), time.Hour)
	again := newSuccessor(rt, t0.Add(time.Minute+30*time.Second))
	again.ID = next.ID // what the service presents: the same successor
	checkErr(t, "retry within the grace window", s.UseRefreshToken(t.Context(), rotating(rt, t0.Add(time.Minute+30*time.Second), again, retryAT)), nil)
	if got := getToken(t, s, next.ID); !got.LastUsedAt.Equal(nextUse.Now) || !got.IssuedAt.Equal(next.IssuedAt) {
		t.Errorf("successor after a retry of its predecessor: %+v; want the record of the first rotation, used at %v", got, nextUse.Now)
	}
	if got := getToken(t, s, rt.ID); got.SuccessorID != next.ID || !got.RotatedAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("rotated token after a retry: RotatedAt %v, SuccessorID %q; want them unchanged", got.RotatedAt, got.SuccessorID)
	}
	getToken(t, s, retryAT.ID)
	other := newSuccessor(rt, t0.Add(time.Minute+20*time.Second))
	otherAT := newToken("fam", t0.Add(time.Minute+20*time.Second), time.Hour)
	checkErr(t, "retry with another successor", s.UseRefreshToken(t.Context(), rotating(rt, t0.Add(time.Minute+20*time.Second), other, otherAT)), storage.ErrRotated)
	for _, id := range []string{other.ID, otherAT.ID} {
		checkGone(t, "token of a refused retry", func(ctx context.Context) error { _, err := s.GetToken(ctx, id); return err })
	}
	checkErr(t, "reuse after the grace window", s.UseRefreshToken(t.Context(), rotating(rt, t0.Add(time.Minute+31*time.Second), again)), storage.ErrConsumed)
	for _, id := range []string{rt.ID, at.ID, next.ID, retryAT.ID} {
		if got, err := s.GetToken(t.Context(), id); err != nil || !got.Revoked {
			t.Errorf("token %s of the family after reuse: %+v, %v; want revoked", id, got, err)
		}
	}
}

// testRefreshRotationNeedsSuccessor: a rotating use without a successor is
// refused before anything is written.
func testRefreshRotationNeedsSuccessor(t *testing.T, s storage.Store) {
	rt := newRefresh(t, s, "g")
	u := use(rt, t0.Add(time.Minute))
	u.Rotate, u.Grace = true, 30*time.Second
	if err := s.UseRefreshToken(t.Context(), u); err == nil {
		t.Fatal("rotating use without a successor: nil error; want a refusal")
	}
	self := rotating(rt, t0.Add(time.Minute), rt)
	if err := s.UseRefreshToken(t.Context(), self); err == nil {
		t.Fatal("rotating use with the token as its own successor: nil error; want a refusal")
	}
	if got := getToken(t, s, rt.ID); !got.RotatedAt.IsZero() || !got.LastUsedAt.IsZero() {
		t.Errorf("token after refused uses: %+v; want it unused", got)
	}
}

// testRefreshConcurrent uses one refresh token from 32 goroutines without
// rotation: every use succeeds.
func testRefreshConcurrent(t *testing.T, s storage.Store) {
	rt := newRefresh(t, s, "conc")
	errs := raceN(32, func(i int) error {
		return s.UseRefreshToken(t.Context(), use(rt, t0.Add(time.Duration(i)*time.Millisecond), newToken("conc", t0, time.Hour)))
	})
	for _, err := range errs {
		checkErr(t, "concurrent use", err, nil)
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
