package storagetest

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"issuer/storage"
)

// The authorization code flow's part of the contract: users by ID, auth
// sessions, authorization codes and their redemption, offers by
// issuer_state, and what Sweep does with them.

// authCodeTests are the subtests of this part, run by Run.
var authCodeTests = []test{
	{"UserByID", testUserByID},
	{"AuthSessions", testAuthSessions},
	{"AuthSessionUpdateError", testAuthSessionUpdateError},
	{"AuthSessionExpiry", testAuthSessionExpiry},
	{"AuthCodes", testAuthCodes},
	{"RedeemAuthCodeOffer", testRedeemAuthCodeOffer},
	{"RedeemAuthCode", testRedeemAuthCode},
	{"RedeemAuthCodeConsumed", testRedeemAuthCodeConsumed},
	{"RedeemAuthCodeFailures", testRedeemAuthCodeFailures},
	{"RedeemAuthCodeExpiryBoundary", testRedeemAuthCodeExpiryBoundary},
	{"RedeemAuthCodeConcurrent", testRedeemAuthCodeConcurrent},
	{"OfferByIssuerState", testOfferByIssuerState},
	{"SweepAuth", testSweepAuth},
	{"SweepIssuerState", testSweepIssuerState},
	{"AuthContextCanceled", testAuthContextCanceled},
	{"AuthClosed", testAuthClosed},
}

// newAuthSession returns a pushed-request session that expires at
// now+ttl, with a fresh ID.
func newAuthSession(now time.Time, ttl time.Duration) storage.AuthSession {
	id := uuid.NewString()
	return storage.AuthSession{
		ID:        "par-" + id,
		Kind:      "par",
		ClientID:  "wallet",
		Request:   json.RawMessage(`{"client_id":"wallet","scope":"openid pid","state":"s-1"}`),
		CSRFHash:  hashOf("csrf-" + id),
		ExpiresAt: now.Add(ttl),
	}
}

// newAuthCode returns an unredeemed authorization code issued at now that
// expires at now+ttl, with a fresh ID and an explicit KeepUntil equal to
// its expiry.
func newAuthCode(now time.Time, ttl time.Duration) storage.AuthCode {
	id := uuid.NewString()
	return storage.AuthCode{
		ID:                   "code-" + id,
		ClientID:             "wallet",
		RedirectURI:          "https://wallet.example/cb",
		Scope:                "openid pid",
		AuthorizationDetails: json.RawMessage(`[{"type":"openid_credential","credential_configuration_id":"pid","credential_identifiers":["pid-1"]}]`),
		CodeChallenge:        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
		DPoPJKT:              "jkt-" + id,
		Nonce:                "nonce with spaces & ünïcode",
		Subject:              "user-" + id,
		AuthTime:             now.Add(-time.Minute),
		OfferID:              "offer-" + id,
		CreatedAt:            now,
		ExpiresAt:            now.Add(ttl),
		KeepUntil:            now.Add(ttl),
	}
}

// codeRedemption returns a redemption of c at now with a fresh replay key
// valid for a minute, issuing tokens.
func codeRedemption(c storage.AuthCode, now time.Time, tokens ...storage.Token) storage.Redemption {
	return storage.Redemption{
		CodeID:       c.ID,
		Now:          now,
		ReplayKey:    []byte("jti-" + uuid.NewString()),
		ReplayExpiry: now.Add(time.Minute),
		JKT:          "thumbprint-" + c.ID,
		Tokens:       tokens,
	}
}

// codeTokens returns an access token and a refresh token of the grant of
// c, issued at now, expiring after ttl and 2*ttl.
func codeTokens(c storage.AuthCode, now time.Time, ttl time.Duration) []storage.Token {
	at, rt := newToken(c.ID, now, ttl), newToken(c.ID, now, 2*ttl)
	rt.Kind, rt.ClientID, rt.JKT = "refresh_token", c.ClientID, c.DPoPJKT
	at.ClientID, at.JKT, at.Scope = c.ClientID, c.DPoPJKT, c.Scope
	return []storage.Token{at, rt}
}

// createAuthCode stores c or fails the test.
func createAuthCode(t *testing.T, s storage.Store, c storage.AuthCode) {
	t.Helper()
	if err := s.CreateAuthCode(t.Context(), c); err != nil {
		t.Fatalf("CreateAuthCode(%s): %v", c.ID, err)
	}
}

// getAuthCode returns the code by ID or fails the test.
func getAuthCode(t *testing.T, s storage.Store, id string) storage.AuthCode {
	t.Helper()
	c, err := s.GetAuthCode(t.Context(), id)
	if err != nil {
		t.Fatalf("GetAuthCode(%s): %v", id, err)
	}
	return c
}

// createAuthSession stores a or fails the test.
func createAuthSession(t *testing.T, s storage.Store, a storage.AuthSession) {
	t.Helper()
	if err := s.CreateAuthSession(t.Context(), a); err != nil {
		t.Fatalf("CreateAuthSession(%s): %v", a.ID, err)
	}
}

// readSession returns the live session at now through an update that
// changes nothing (the contract has no getter), or the error.
func readSession(t *testing.T, s storage.Store, id string, now time.Time) (storage.AuthSession, error) {
	t.Helper()
	return s.UpdateAuthSession(t.Context(), id, now, func(*storage.AuthSession) error { return nil })
}

// mustReadSession is readSession that fails the test on an error.
func mustReadSession(t *testing.T, s storage.Store, id string, now time.Time) storage.AuthSession {
	t.Helper()
	a, err := readSession(t, s, id, now)
	if err != nil {
		t.Fatalf("reading session %s at %v: %v", id, now, err)
	}
	return a
}

// checkNoToken fails the test unless no token with that ID is stored.
func checkNoToken(t *testing.T, s storage.Store, what, id string) {
	t.Helper()
	checkGone(t, what, func(ctx context.Context) error { _, err := s.GetToken(ctx, id); return err })
}

// checkReplayKeyFree fails the test unless key was never recorded (or
// expired): it records it, which a later check would see.
func checkReplayKeyFree(t *testing.T, s storage.Store, what string, key []byte, now time.Time) {
	t.Helper()
	checkErr(t, what, s.UseReplayKey(t.Context(), key, now.Add(time.Minute), now), nil)
}

// checkReplayKeyTaken fails the test unless key is recorded and live.
func checkReplayKeyTaken(t *testing.T, s storage.Store, what string, key []byte, now time.Time) {
	t.Helper()
	checkErr(t, what, s.UseReplayKey(t.Context(), key, now.Add(time.Minute), now), storage.ErrAlreadyExists)
}

// ---------------------------------------------------------------------------

func testUserByID(t *testing.T, s storage.Store) {
	ctx := t.Context()
	alice := storage.User{ID: "u-" + uuid.NewString(), Username: "alice", PasswordHash: "$argon2id$a", Claims: []byte(`{"given_name":"Alice"}`), CreatedAt: t0}
	bob := storage.User{ID: "u-" + uuid.NewString(), Username: "bob", PasswordHash: "$argon2id$b", CreatedAt: t0.Add(time.Second)}
	for _, u := range []storage.User{alice, bob} {
		checkErr(t, "CreateUser "+u.Username, s.CreateUser(ctx, u), nil)
	}
	for _, u := range []storage.User{alice, bob} {
		got, err := s.GetUserByID(ctx, u.ID)
		checkErr(t, "GetUserByID "+u.Username, err, nil)
		checkEqual(t, "user by ID", u, got)
	}
	checkGone(t, "GetUserByID(unknown)", func(ctx context.Context) error { _, err := s.GetUserByID(ctx, "u-unknown"); return err })
	checkGone(t, "GetUserByID(a username)", func(ctx context.Context) error { _, err := s.GetUserByID(ctx, alice.Username); return err })
	checkGone(t, "GetUserByID(empty)", func(ctx context.Context) error { _, err := s.GetUserByID(ctx, ""); return err })

	// A refused user (its username is taken) leaves no ID behind.
	imposter := storage.User{ID: "u-" + uuid.NewString(), Username: "alice", PasswordHash: "$argon2id$x", CreatedAt: t0}
	checkErr(t, "CreateUser with a taken username", s.CreateUser(ctx, imposter), storage.ErrAlreadyExists)
	checkGone(t, "GetUserByID of the refused user", func(ctx context.Context) error { _, err := s.GetUserByID(ctx, imposter.ID); return err })
	if got, err := s.GetUserByID(ctx, alice.ID); err != nil || got.PasswordHash != alice.PasswordHash {
		t.Errorf("alice after the refused user: %+v, %v; want unchanged", got, err)
	}

	checkErr(t, "DeleteUser alice", s.DeleteUser(ctx, alice.Username), nil)
	checkGone(t, "GetUserByID after DeleteUser", func(ctx context.Context) error { _, err := s.GetUserByID(ctx, alice.ID); return err })
	if got, err := s.GetUserByID(ctx, bob.ID); err != nil || got.Username != bob.Username {
		t.Errorf("bob after alice's deletion: %+v, %v; want bob", got, err)
	}
	// The username comes back with a new ID: the old ID stays unknown.
	again := storage.User{ID: "u-" + uuid.NewString(), Username: "alice", PasswordHash: "$argon2id$c", CreatedAt: t0.Add(time.Hour)}
	checkErr(t, "CreateUser alice again", s.CreateUser(ctx, again), nil)
	checkGone(t, "GetUserByID(old ID)", func(ctx context.Context) error { _, err := s.GetUserByID(ctx, alice.ID); return err })
	got, err := s.GetUserByID(ctx, again.ID)
	checkErr(t, "GetUserByID(new ID)", err, nil)
	checkEqual(t, "recreated user", again, got)
}

func testAuthSessions(t *testing.T, s storage.Store) {
	ctx := t.Context()
	a := newAuthSession(t0, 10*time.Minute)
	createAuthSession(t, s, a)
	dup := newAuthSession(t0, time.Hour)
	dup.ID, dup.ClientID = a.ID, "other"
	checkErr(t, "CreateAuthSession with a taken ID", s.CreateAuthSession(ctx, dup), storage.ErrAlreadyExists)
	checkEqual(t, "session after the refused duplicate", a, mustReadSession(t, s, a.ID, t0))

	now := t0.Add(time.Minute)
	got, err := s.UpdateAuthSession(ctx, a.ID, now, func(x *storage.AuthSession) error {
		checkEqual(t, "session given to update", a, *x)
		x.Subject, x.AuthTime, x.Used = "user-1", now, true
		return nil
	})
	checkErr(t, "UpdateAuthSession", err, nil)
	want := a
	want.Subject, want.AuthTime, want.Used = "user-1", now, true
	checkEqual(t, "UpdateAuthSession result", want, got)
	checkEqual(t, "stored session", want, mustReadSession(t, s, a.ID, now))

	// Another session is independent.
	b := newAuthSession(t0, time.Minute)
	b.Kind = "interaction"
	createAuthSession(t, s, b)
	checkEqual(t, "second session", b, mustReadSession(t, s, b.ID, t0))
	checkEqual(t, "first session", want, mustReadSession(t, s, a.ID, t0))

	called := false
	_, err = s.UpdateAuthSession(ctx, "par-unknown", t0, func(*storage.AuthSession) error { called = true; return nil })
	checkErr(t, "UpdateAuthSession(unknown)", err, storage.ErrNotFound)
	if called {
		t.Error("update called for an unknown session")
	}
}

func testAuthSessionUpdateError(t *testing.T, s storage.Store) {
	a := newAuthSession(t0, 10*time.Minute)
	createAuthSession(t, s, a)
	boom := errors.New("boom")
	_, err := s.UpdateAuthSession(t.Context(), a.ID, t0, func(x *storage.AuthSession) error {
		x.Subject, x.Used, x.ClientID = "mallory", true, "other"
		x.ExpiresAt = t0.Add(time.Hour)
		x.Request = json.RawMessage(`{"changed":true}`)
		return boom
	})
	checkErr(t, "UpdateAuthSession with a failing update", err, boom)
	checkEqual(t, "session after a failed update", a, mustReadSession(t, s, a.ID, t0))
	// Nor did the failed update extend the session.
	_, err = readSession(t, s, a.ID, a.ExpiresAt.Add(time.Second))
	checkErr(t, "session after its own expiry", err, storage.ErrNotFound)

	// A failing update of one session leaves a concurrent good one intact.
	b := newAuthSession(t0, 10*time.Minute)
	createAuthSession(t, s, b)
	var wg sync.WaitGroup
	wg.Go(func() {
		_, _ = s.UpdateAuthSession(t.Context(), a.ID, t0, func(x *storage.AuthSession) error { x.Used = true; return boom })
	})
	wg.Go(func() {
		_, err := s.UpdateAuthSession(t.Context(), b.ID, t0, func(x *storage.AuthSession) error { x.Used = true; return nil })
		checkErr(t, "concurrent good update", err, nil)
	})
	wg.Wait()
	if got := mustReadSession(t, s, a.ID, t0); got.Used {
		t.Error("failed update was stored")
	}
	if got := mustReadSession(t, s, b.ID, t0); !got.Used {
		t.Error("good update was lost")
	}
}

func testAuthSessionExpiry(t *testing.T, s storage.Store) {
	a := newAuthSession(t0, time.Minute)
	createAuthSession(t, s, a)
	checkEqual(t, "session at ExpiresAt", a, mustReadSession(t, s, a.ID, a.ExpiresAt))
	called := false
	_, err := s.UpdateAuthSession(t.Context(), a.ID, a.ExpiresAt.Add(time.Nanosecond), func(*storage.AuthSession) error { called = true; return nil })
	checkErr(t, "UpdateAuthSession 1ns after ExpiresAt", err, storage.ErrNotFound)
	if called {
		t.Error("update called for an expired session")
	}

	// An update may extend a live session.
	b := newAuthSession(t0, time.Minute)
	createAuthSession(t, s, b)
	later := b.ExpiresAt.Add(time.Hour)
	_, err = s.UpdateAuthSession(t.Context(), b.ID, t0, func(x *storage.AuthSession) error { x.ExpiresAt = later; return nil })
	checkErr(t, "extending update", err, nil)
	if got := mustReadSession(t, s, b.ID, later); !got.ExpiresAt.Equal(later) {
		t.Errorf("ExpiresAt = %v; want %v", got.ExpiresAt, later)
	}
	_, err = readSession(t, s, b.ID, later.Add(time.Nanosecond))
	checkErr(t, "extended session after its new expiry", err, storage.ErrNotFound)
}

func testAuthCodes(t *testing.T, s storage.Store) {
	ctx := t.Context()
	c := newAuthCode(t0, time.Minute)
	c.KeepUntil = time.Time{}
	createAuthCode(t, s, c)
	want := c
	want.KeepUntil = c.ExpiresAt
	checkEqual(t, "GetAuthCode (zero KeepUntil defaults to ExpiresAt)", want, getAuthCode(t, s, c.ID))

	dup := newAuthCode(t0, time.Hour)
	dup.ID = c.ID
	checkErr(t, "CreateAuthCode with a taken ID", s.CreateAuthCode(ctx, dup), storage.ErrAlreadyExists)
	checkEqual(t, "code after the refused duplicate", want, getAuthCode(t, s, c.ID))

	kept := newAuthCode(t0, time.Minute)
	kept.KeepUntil = t0.Add(time.Hour)
	createAuthCode(t, s, kept)
	checkEqual(t, "code with an explicit KeepUntil", kept, getAuthCode(t, s, kept.ID))

	checkGone(t, "GetAuthCode(unknown)", func(ctx context.Context) error { _, err := s.GetAuthCode(ctx, "code-unknown"); return err })
}

func testRedeemAuthCode(t *testing.T, s storage.Store) {
	c := newAuthCode(t0, time.Minute)
	createAuthCode(t, s, c)
	now := t0.Add(10 * time.Second)
	tokens := codeTokens(c, now, time.Hour)
	r := codeRedemption(c, now, tokens...)
	checkErr(t, "RedeemAuthCode", s.RedeemAuthCode(t.Context(), r), nil)

	want := c
	want.RedeemedAt, want.RedeemedBy = now, r.JKT
	want.IssuedTokens = []string{tokens[0].ID, tokens[1].ID}
	want.KeepUntil = tokens[1].ExpiresAt
	checkEqual(t, "redeemed code", want, getAuthCode(t, s, c.ID))
	for _, tok := range tokens {
		checkEqual(t, "issued token", tok, getToken(t, s, tok.ID))
	}
	checkReplayKeyTaken(t, s, "replay key after RedeemAuthCode", r.ReplayKey, now)

	// Without a replay key or a JKT (a Bearer redemption).
	b := newAuthCode(t0, time.Minute)
	createAuthCode(t, s, b)
	rb := codeRedemption(b, t0, newToken(b.ID, t0, time.Second))
	rb.ReplayKey, rb.JKT = nil, ""
	checkErr(t, "RedeemAuthCode without a replay key", s.RedeemAuthCode(t.Context(), rb), nil)
	got := getAuthCode(t, s, b.ID)
	if !got.RedeemedAt.Equal(t0) || got.RedeemedBy != "" || !slices.Equal(got.IssuedTokens, []string{rb.Tokens[0].ID}) {
		t.Errorf("code redeemed without a key: %+v", got)
	}
	if !got.KeepUntil.Equal(b.KeepUntil) {
		t.Errorf("KeepUntil %v, want unchanged %v (the token expires earlier)", got.KeepUntil, b.KeepUntil)
	}
}

func testRedeemAuthCodeConsumed(t *testing.T, s storage.Store) {
	c := newAuthCode(t0, time.Minute)
	createAuthCode(t, s, c)
	other := newAuthCode(t0, time.Minute)
	createAuthCode(t, s, other)
	first := codeRedemption(c, t0, codeTokens(c, t0, time.Hour)...)
	checkErr(t, "first RedeemAuthCode", s.RedeemAuthCode(t.Context(), first), nil)
	otherTokens := codeTokens(other, t0, time.Hour)
	checkErr(t, "other code's RedeemAuthCode", s.RedeemAuthCode(t.Context(), codeRedemption(other, t0, otherTokens...)), nil)
	before := getAuthCode(t, s, c.ID)
	// A token refreshed from the first redemption's: same grant, not in
	// IssuedTokens. The reuse revokes it in the same transaction.
	refreshed := newToken(c.ID, t0.Add(2*time.Second), time.Hour)
	if err := s.IssueTokens(t.Context(), storage.Issuance{Now: t0, Tokens: []storage.Token{refreshed}}); err != nil {
		t.Fatal(err)
	}

	now := t0.Add(5 * time.Second)
	second := codeRedemption(c, now, newToken(c.ID, now, time.Hour))
	checkErr(t, "second RedeemAuthCode", s.RedeemAuthCode(t.Context(), second), storage.ErrConsumed)
	for _, tok := range append(first.Tokens, refreshed) {
		want := tok
		want.Revoked = true
		checkEqual(t, "token of the first redemption's grant after the reuse", want, getToken(t, s, tok.ID))
	}
	for _, tok := range otherTokens {
		checkEqual(t, "other code's token", tok, getToken(t, s, tok.ID))
	}
	checkNoToken(t, s, "second redemption's token", second.Tokens[0].ID)
	checkEqual(t, "code after the reuse", before, getAuthCode(t, s, c.ID))
	checkReplayKeyTaken(t, s, "second redemption's replay key", second.ReplayKey, now)

	// Long after the code's expiry, a reuse is still a reuse.
	late := t0.Add(30 * time.Minute)
	third := codeRedemption(c, late, newToken(c.ID, late, time.Hour))
	checkErr(t, "RedeemAuthCode after expiry", s.RedeemAuthCode(t.Context(), third), storage.ErrConsumed)
	checkNoToken(t, s, "third redemption's token", third.Tokens[0].ID)
	checkEqual(t, "code after the late reuse", before, getAuthCode(t, s, c.ID))
}

// testRedeemAuthCodeFailures checks that an unknown or expired code, and a
// live replay key, change nothing.
func testRedeemAuthCodeFailures(t *testing.T, s storage.Store) {
	expired := newAuthCode(t0.Add(-time.Hour), time.Minute)
	live := newAuthCode(t0, time.Minute)
	for _, c := range []storage.AuthCode{expired, live} {
		createAuthCode(t, s, c)
	}
	tests := []struct {
		name string
		code storage.AuthCode
		id   string
		want error
	}{
		{"unknown", storage.AuthCode{ID: "code-unknown"}, "code-unknown", storage.ErrNotFound},
		{"expired", expired, expired.ID, storage.ErrExpired},
	}
	for _, tc := range tests {
		r := codeRedemption(tc.code, t0, codeTokens(tc.code, t0, time.Hour)...)
		checkErr(t, tc.name, s.RedeemAuthCode(t.Context(), r), tc.want)
		checkReplayKeyFree(t, s, tc.name+": replay key", r.ReplayKey, t0)
		for _, tok := range r.Tokens {
			checkNoToken(t, s, tc.name+": token", tok.ID)
		}
		if tc.code.ClientID != "" {
			checkEqual(t, tc.name+": code", tc.code, getAuthCode(t, s, tc.id))
		}
	}

	// A live replay key: ErrAlreadyExists, before anything else.
	r := codeRedemption(live, t0, codeTokens(live, t0, time.Hour)...)
	checkErr(t, "UseReplayKey", s.UseReplayKey(t.Context(), r.ReplayKey, t0.Add(time.Minute), t0), nil)
	checkErr(t, "RedeemAuthCode with a used replay key", s.RedeemAuthCode(t.Context(), r), storage.ErrAlreadyExists)
	checkEqual(t, "code after the refused replay key", live, getAuthCode(t, s, live.ID))
	for _, tok := range r.Tokens {
		checkNoToken(t, s, "token of the refused replay key", tok.ID)
	}
	unknown := codeRedemption(storage.AuthCode{ID: "code-unknown"}, t0)
	unknown.ReplayKey = r.ReplayKey
	checkErr(t, "unknown code with a used replay key", s.RedeemAuthCode(t.Context(), unknown), storage.ErrAlreadyExists)

	// Another code's redemption key is live too.
	r.ReplayKey = []byte("fresh-" + uuid.NewString())
	checkErr(t, "RedeemAuthCode with a fresh key", s.RedeemAuthCode(t.Context(), r), nil)
	next := newAuthCode(t0, time.Minute)
	createAuthCode(t, s, next)
	rn := codeRedemption(next, t0, newToken(next.ID, t0, time.Hour))
	rn.ReplayKey = r.ReplayKey
	checkErr(t, "RedeemAuthCode with another code's replay key", s.RedeemAuthCode(t.Context(), rn), storage.ErrAlreadyExists)
	checkEqual(t, "code after another code's key", next, getAuthCode(t, s, next.ID))

	// A replay key of a reused code is recorded; its reuse is refused as a
	// replay first (nothing is revoked twice, nothing changes).
	reuse := codeRedemption(live, t0)
	checkErr(t, "reuse", s.RedeemAuthCode(t.Context(), reuse), storage.ErrConsumed)
	checkErr(t, "reuse with the same key", s.RedeemAuthCode(t.Context(), reuse), storage.ErrAlreadyExists)
}

func testRedeemAuthCodeExpiryBoundary(t *testing.T, s storage.Store) {
	c := newAuthCode(t0, time.Minute)
	createAuthCode(t, s, c)
	r := codeRedemption(c, c.ExpiresAt.Add(time.Nanosecond))
	checkErr(t, "1ns after ExpiresAt", s.RedeemAuthCode(t.Context(), r), storage.ErrExpired)
	checkErr(t, "at ExpiresAt", s.RedeemAuthCode(t.Context(), codeRedemption(c, c.ExpiresAt)), nil)
}

func testRedeemAuthCodeConcurrent(t *testing.T, s storage.Store) {
	const n = 32
	c := newAuthCode(t0, time.Minute)
	createAuthCode(t, s, c)
	rs := make([]storage.Redemption, n)
	for i := range rs {
		rs[i] = codeRedemption(c, t0, newToken(c.ID, t0, time.Hour))
	}
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = s.RedeemAuthCode(t.Context(), rs[i])
		})
	}
	close(start)
	wg.Wait()
	w := checkOneWinner(t, errs, storage.ErrConsumed)
	got := getAuthCode(t, s, c.ID)
	if !slices.Equal(got.IssuedTokens, []string{rs[w].Tokens[0].ID}) || got.RedeemedBy != rs[w].JKT {
		t.Errorf("IssuedTokens %v RedeemedBy %q; want the winner's [%s] and %q", got.IssuedTokens, got.RedeemedBy, rs[w].Tokens[0].ID, rs[w].JKT)
	}
	if tok := getToken(t, s, rs[w].Tokens[0].ID); !tok.Revoked {
		t.Error("winner's token not revoked after the reuses")
	}
	for i, r := range rs {
		if i != w {
			checkNoToken(t, s, "loser's token", r.Tokens[0].ID)
		}
	}
}

func testOfferByIssuerState(t *testing.T, s storage.Store) {
	ctx := t.Context()
	a := newOffer(t0, time.Minute)
	a.IssuerStateHash = hashOf("issuer-state-a")
	createOffer(t, s, a)
	plain, plain2 := newOffer(t0, time.Minute), newOffer(t0, time.Minute)
	createOffer(t, s, plain)
	createOffer(t, s, plain2) // two offers without issuer_state do not conflict

	got, err := s.GetOfferByIssuerState(ctx, a.IssuerStateHash)
	checkErr(t, "GetOfferByIssuerState", err, nil)
	checkEqual(t, "offer by issuer_state", a, got)
	for name, h := range map[string][]byte{
		"another hash": hashOf("issuer-state-b"), "the code hash": a.CodeHash, "nil": nil, "empty": {},
		"a prefix": a.IssuerStateHash[:16],
	} {
		checkGone(t, "GetOfferByIssuerState("+name+")", func(ctx context.Context) error { _, err := s.GetOfferByIssuerState(ctx, h); return err })
	}

	dup := newOffer(t0, time.Hour)
	dup.IssuerStateHash = a.IssuerStateHash
	checkErr(t, "CreateOffer with a taken issuer_state", s.CreateOffer(ctx, dup), storage.ErrAlreadyExists)
	checkGone(t, "offer refused for its issuer_state", func(ctx context.Context) error { _, err := s.GetOffer(ctx, dup.ID); return err })
	checkGone(t, "code of the offer refused for its issuer_state", func(ctx context.Context) error { _, err := s.GetOfferByCode(ctx, dup.CodeHash); return err })
	got, err = s.GetOfferByIssuerState(ctx, a.IssuerStateHash)
	checkErr(t, "GetOfferByIssuerState after the refused duplicate", err, nil)
	checkEqual(t, "offer by issuer_state after the refused duplicate", a, got)

	// An offer refused for its ID or code does not take its issuer_state.
	sameCode := newOffer(t0, time.Minute)
	sameCode.CodeHash, sameCode.IssuerStateHash = a.CodeHash, hashOf("issuer-state-c")
	checkErr(t, "CreateOffer with a taken code", s.CreateOffer(ctx, sameCode), storage.ErrAlreadyExists)
	checkGone(t, "issuer_state of the offer refused for its code", func(ctx context.Context) error {
		_, err := s.GetOfferByIssuerState(ctx, sameCode.IssuerStateHash)
		return err
	})
	c := newOffer(t0, time.Minute)
	c.IssuerStateHash = sameCode.IssuerStateHash
	createOffer(t, s, c)

	// The state follows the offer's redemption.
	redeemOK(t, s, redemption(a, t0, newToken(a.ID, t0, time.Hour)))
	got, err = s.GetOfferByIssuerState(ctx, a.IssuerStateHash)
	checkErr(t, "GetOfferByIssuerState after Redeem", err, nil)
	if got.RedeemedAt.IsZero() {
		t.Errorf("offer by issuer_state after Redeem: %+v; want it redeemed", got)
	}
}

// testSweepAuth checks that Sweep deletes sessions past ExpiresAt and
// codes past KeepUntil, and nothing before.
func testSweepAuth(t *testing.T, s storage.Store) {
	ctx := t.Context()
	short := newAuthSession(t0, 5*time.Second)
	long := newAuthSession(t0, time.Hour)
	extended := newAuthSession(t0, 5*time.Second)
	for _, a := range []storage.AuthSession{short, long, extended} {
		createAuthSession(t, s, a)
	}
	_, err := s.UpdateAuthSession(ctx, extended.ID, t0, func(a *storage.AuthSession) error { a.ExpiresAt = t0.Add(time.Hour); return nil })
	checkErr(t, "extending a session", err, nil)

	unredeemed := newAuthCode(t0, time.Minute)
	unredeemed.KeepUntil = time.Time{} // defaults to ExpiresAt
	kept := newAuthCode(t0, time.Minute)
	kept.KeepUntil = t0.Add(10 * time.Minute)
	redeemed := newAuthCode(t0, time.Minute)
	for _, c := range []storage.AuthCode{unredeemed, kept, redeemed} {
		createAuthCode(t, s, c)
	}
	tok := newToken(redeemed.ID, t0, time.Hour)
	r := codeRedemption(redeemed, t0, tok)
	r.ReplayKey = nil // keep the counts to sessions, codes and tokens
	checkErr(t, "RedeemAuthCode", s.RedeemAuthCode(ctx, r), nil)

	sweep(t, s, t0, 0)
	sweep(t, s, t0.Add(5*time.Second), 0) // not past ExpiresAt yet
	sweep(t, s, t0.Add(2*time.Minute), 2) // short; unredeemed
	_, err = readSession(t, s, short.ID, t0)
	checkErr(t, "swept session", err, storage.ErrNotFound)
	checkGone(t, "swept code", func(ctx context.Context) error { _, err := s.GetAuthCode(ctx, unredeemed.ID); return err })
	checkErr(t, "redeeming a swept code", s.RedeemAuthCode(ctx, codeRedemption(unredeemed, t0)), storage.ErrNotFound)
	mustReadSession(t, s, long.ID, t0)
	mustReadSession(t, s, extended.ID, t0)
	getAuthCode(t, s, kept.ID)
	getAuthCode(t, s, redeemed.ID)

	sweep(t, s, t0.Add(11*time.Minute), 1) // kept
	checkGone(t, "swept kept code", func(ctx context.Context) error { _, err := s.GetAuthCode(ctx, kept.ID); return err })
	// The redeemed code lives as long as its token, so that a late reuse
	// still revokes it.
	late := t0.Add(30 * time.Minute)
	checkErr(t, "late reuse", s.RedeemAuthCode(ctx, codeRedemption(redeemed, late)), storage.ErrConsumed)
	if got := getToken(t, s, tok.ID); !got.Revoked {
		t.Error("token of the reused code not revoked")
	}

	// long, extended, the redeemed code, its token and the late reuse's
	// replay key.
	sweep(t, s, t0.Add(2*time.Hour), 5)
	for _, id := range []string{long.ID, extended.ID} {
		_, err := readSession(t, s, id, t0)
		checkErr(t, "swept session "+id, err, storage.ErrNotFound)
	}
	checkGone(t, "swept redeemed code", func(ctx context.Context) error { _, err := s.GetAuthCode(ctx, redeemed.ID); return err })
	sweep(t, s, t0.Add(2*time.Hour), 0)

	// Swept IDs may be used again.
	createAuthSession(t, s, short)
	createAuthCode(t, s, unredeemed)
}

// testSweepIssuerState checks that a swept offer's issuer_state is gone
// and free for a new offer.
func testSweepIssuerState(t *testing.T, s storage.Store) {
	o := newOffer(t0, time.Minute)
	o.IssuerStateHash = hashOf("issuer-state")
	createOffer(t, s, o)
	sweep(t, s, t0.Add(2*time.Minute), 1)
	checkGone(t, "issuer_state of a swept offer", func(ctx context.Context) error {
		_, err := s.GetOfferByIssuerState(ctx, o.IssuerStateHash)
		return err
	})
	n := newOffer(t0.Add(2*time.Minute), time.Minute)
	n.IssuerStateHash = o.IssuerStateHash
	createOffer(t, s, n)
	got, err := s.GetOfferByIssuerState(t.Context(), n.IssuerStateHash)
	checkErr(t, "GetOfferByIssuerState of the new offer", err, nil)
	checkEqual(t, "new offer by issuer_state", n, got)
}

func testAuthContextCanceled(t *testing.T, s storage.Store) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	a := newAuthSession(t0, time.Minute)
	c := newAuthCode(t0, time.Minute)
	checkErr(t, "CreateAuthSession", s.CreateAuthSession(ctx, a), context.Canceled)
	checkErr(t, "CreateAuthCode", s.CreateAuthCode(ctx, c), context.Canceled)
	_, err := readSession(t, s, a.ID, t0)
	checkErr(t, "session created with a canceled context", err, storage.ErrNotFound)
	checkGone(t, "code created with a canceled context", func(ctx context.Context) error { _, err := s.GetAuthCode(ctx, c.ID); return err })

	createAuthSession(t, s, a)
	createAuthCode(t, s, c)
	_, err = s.UpdateAuthSession(ctx, a.ID, t0, func(x *storage.AuthSession) error { x.Used = true; return nil })
	checkErr(t, "UpdateAuthSession", err, context.Canceled)
	if mustReadSession(t, s, a.ID, t0).Used {
		t.Error("update with a canceled context was stored")
	}
	r := codeRedemption(c, t0, newToken(c.ID, t0, time.Hour))
	checkErr(t, "RedeemAuthCode", s.RedeemAuthCode(ctx, r), context.Canceled)
	checkEqual(t, "code after a canceled redemption", c, getAuthCode(t, s, c.ID))
	_, err = s.GetAuthCode(ctx, c.ID)
	checkErr(t, "GetAuthCode", err, context.Canceled)
	_, err = s.GetUserByID(ctx, "u-1")
	checkErr(t, "GetUserByID", err, context.Canceled)
	_, err = s.GetOfferByIssuerState(ctx, hashOf("x"))
	checkErr(t, "GetOfferByIssuerState", err, context.Canceled)
	checkErr(t, "RedeemAuthCode after the canceled one", s.RedeemAuthCode(t.Context(), r), nil)
}

func testAuthClosed(t *testing.T, s storage.Store) {
	checkErr(t, "Close", s.Close(), nil)
	ctx := t.Context()
	a := newAuthSession(t0, time.Minute)
	c := newAuthCode(t0, time.Minute)
	calls := []struct {
		name string
		call func() error
	}{
		{"GetUserByID", func() error { _, err := s.GetUserByID(ctx, "u-1"); return err }},
		{"CreateAuthSession", func() error { return s.CreateAuthSession(ctx, a) }},
		{"UpdateAuthSession", func() error {
			_, err := s.UpdateAuthSession(ctx, a.ID, t0, func(*storage.AuthSession) error { return nil })
			return err
		}},
		{"CreateAuthCode", func() error { return s.CreateAuthCode(ctx, c) }},
		{"GetAuthCode", func() error { _, err := s.GetAuthCode(ctx, c.ID); return err }},
		{"RedeemAuthCode", func() error { return s.RedeemAuthCode(ctx, codeRedemption(c, t0)) }},
		{"GetOfferByIssuerState", func() error { _, err := s.GetOfferByIssuerState(ctx, hashOf("x")); return err }},
	}
	for _, c := range calls {
		checkErr(t, c.name+" after Close", c.call(), storage.ErrClosed)
	}
}

// testRedeemAuthCodeOffer: a code of an offer (issuer_state) is redeemed
// only while the offer is usable, and marks it redeemed in the same
// transaction; otherwise ErrOfferUsed and nothing changes.
func testRedeemAuthCodeOffer(t *testing.T, s storage.Store) {
	o := newOffer(t0, time.Minute)
	createOffer(t, s, o)
	c := newAuthCode(t0, time.Minute)
	c.OfferID = o.ID
	createAuthCode(t, s, c)
	r := codeRedemption(c, t0, codeTokens(c, t0, time.Hour)...)
	r.OfferID = o.ID
	checkErr(t, "RedeemAuthCode of a usable offer", s.RedeemAuthCode(t.Context(), r), nil)
	if got := getOffer(t, s, o.ID); !got.RedeemedAt.Equal(t0) || len(got.IssuedTokens) != 0 {
		t.Errorf("offer after the code's redemption: RedeemedAt %v, IssuedTokens %v; want %v and none", got.RedeemedAt, got.IssuedTokens, t0)
	} else if !got.KeepUntil.Equal(t0.Add(2 * time.Hour)) {
		t.Errorf("offer KeepUntil %v after the code's redemption; want %v, the last expiry of the grant's tokens (their claims are the offer's)", got.KeepUntil, t0.Add(2*time.Hour))
	}
	// The sweep keeps it as long as the tokens.
	if _, err := s.Sweep(t.Context(), t0.Add(30*time.Minute)); err != nil {
		t.Fatal(err)
	}
	getOffer(t, s, o.ID)

	// A second code of the same offer: refused, and nothing changes.
	c2 := newAuthCode(t0, time.Minute)
	c2.OfferID = o.ID
	createAuthCode(t, s, c2)
	r2 := codeRedemption(c2, t0, codeTokens(c2, t0, time.Hour)...)
	r2.OfferID = o.ID
	checkErr(t, "RedeemAuthCode of a used offer", s.RedeemAuthCode(t.Context(), r2), storage.ErrOfferUsed)
	if got := getAuthCode(t, s, c2.ID); !got.RedeemedAt.IsZero() {
		t.Errorf("refused code was consumed: %+v", got)
	}
	checkGone(t, "token of the refused redemption", func(ctx context.Context) error { _, err := s.GetToken(ctx, r2.Tokens[0].ID); return err })

	// An expired offer and an unknown one.
	old := newOffer(t0, time.Second)
	createOffer(t, s, old)
	c3 := newAuthCode(t0, time.Minute)
	createAuthCode(t, s, c3)
	r3 := codeRedemption(c3, t0.Add(2*time.Second), codeTokens(c3, t0, time.Hour)...)
	r3.OfferID = old.ID
	checkErr(t, "RedeemAuthCode of an expired offer", s.RedeemAuthCode(t.Context(), r3), storage.ErrOfferUsed)
	r3.OfferID = "no-such-offer"
	checkErr(t, "RedeemAuthCode of an unknown offer", s.RedeemAuthCode(t.Context(), r3), storage.ErrOfferUsed)
}
