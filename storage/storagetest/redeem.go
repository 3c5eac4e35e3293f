package storagetest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"issuer/storage"
)

func testRedeemSuccess(t *testing.T, s storage.Store) {
	o := newOffer(t0, 5*time.Minute)
	createOffer(t, s, o)
	now := t0.Add(time.Minute)
	tokens := []storage.Token{newToken(o.ID, now, time.Hour), newToken(o.ID, now, 2*time.Hour)}
	r := redemption(o, now, tokens...)
	redeemOK(t, s, r)

	want := o
	want.RedeemedAt, want.RedeemedBy = now, r.JKT
	want.IssuedTokens = []string{tokens[0].ID, tokens[1].ID}
	want.KeepUntil = tokens[1].ExpiresAt
	checkEqual(t, "redeemed offer", want, getOffer(t, s, o.ID))
	for _, tok := range tokens {
		checkEqual(t, "token", tok, getToken(t, s, tok.ID))
	}
	checkErr(t, "replay key after Redeem", s.UseReplayKey(t.Context(), r.ReplayKey, now.Add(time.Minute), now), storage.ErrAlreadyExists)
}

func testRedeemWithoutReplayKey(t *testing.T, s storage.Store) {
	o := newOffer(t0, time.Minute)
	createOffer(t, s, o)
	r := redemption(o, t0, newToken(o.ID, t0, time.Hour))
	r.ReplayKey, r.JKT = nil, ""
	redeemOK(t, s, r)
	if got := getOffer(t, s, o.ID); got.RedeemedBy != "" || !got.RedeemedAt.Equal(t0) {
		t.Errorf("RedeemedBy %q RedeemedAt %v, want empty and %v", got.RedeemedBy, got.RedeemedAt, t0)
	}
	r.Tokens = nil
	checkErr(t, "second Redeem", s.Redeem(t.Context(), r), storage.ErrConsumed)
}

func testRedeemConsumed(t *testing.T, s storage.Store) {
	o := newOffer(t0, 5*time.Minute)
	createOffer(t, s, o)
	first := redemption(o, t0, newToken(o.ID, t0, time.Hour), newToken(o.ID, t0, time.Hour))
	redeemOK(t, s, first)
	before := getOffer(t, s, o.ID)
	// A token refreshed from the redemption's (same grant, not in
	// IssuedTokens), and one of another grant.
	refreshed, stranger := newToken(o.ID, t0.Add(30*time.Second), time.Hour), newToken("another-grant", t0, time.Hour)
	if err := s.IssueTokens(t.Context(), storage.Issuance{Now: t0, Tokens: []storage.Token{refreshed, stranger}}); err != nil {
		t.Fatal(err)
	}

	now := t0.Add(time.Minute)
	second := redemption(o, now, newToken(o.ID, now, time.Hour))
	checkErr(t, "second Redeem", s.Redeem(t.Context(), second), storage.ErrConsumed)
	for _, tok := range append(first.Tokens, refreshed) {
		want := tok
		want.Revoked = true
		checkEqual(t, "token of the first redemption's grant", want, getToken(t, s, tok.ID))
	}
	checkEqual(t, "token of another grant", stranger, getToken(t, s, stranger.ID))
	checkGone(t, "second redemption's token", func(ctx context.Context) error {
		_, err := s.GetToken(ctx, second.Tokens[0].ID)
		return err
	})
	checkEqual(t, "offer after a replayed code", before, getOffer(t, s, o.ID))
	checkErr(t, "second redemption's replay key", s.UseReplayKey(t.Context(), second.ReplayKey, now, now), storage.ErrAlreadyExists)
	third := redemption(o, now)
	checkErr(t, "third Redeem", s.Redeem(t.Context(), third), storage.ErrConsumed)
}

func testRedeemReplayKeyUsed(t *testing.T, s storage.Store) {
	o := newOffer(t0, time.Minute)
	createOffer(t, s, o)
	r := redemption(o, t0, newToken(o.ID, t0, time.Hour))
	checkErr(t, "UseReplayKey", s.UseReplayKey(t.Context(), r.ReplayKey, t0.Add(time.Minute), t0), nil)
	checkErr(t, "Redeem with a used replay key", s.Redeem(t.Context(), r), storage.ErrAlreadyExists)
	checkEqual(t, "offer", o, getOffer(t, s, o.ID))
	checkGone(t, "token", func(ctx context.Context) error { _, err := s.GetToken(ctx, r.Tokens[0].ID); return err })
	r.ReplayKey = []byte("fresh")
	redeemOK(t, s, r)
}

func testRedeemReplayKeyAcrossCodes(t *testing.T, s storage.Store) {
	a, b := newOffer(t0, time.Minute), newOffer(t0, time.Minute)
	createOffer(t, s, a)
	createOffer(t, s, b)
	ra := redemption(a, t0)
	redeemOK(t, s, ra)
	rb := redemption(b, t0, newToken(b.ID, t0, time.Hour))
	rb.ReplayKey = ra.ReplayKey
	checkErr(t, "Redeem with another code's replay key", s.Redeem(t.Context(), rb), storage.ErrAlreadyExists)
	checkEqual(t, "second offer", b, getOffer(t, s, b.ID))
	rb.ReplayKey = []byte("other")
	redeemOK(t, s, rb)
}

// testRedeemFailures checks that unknown, locked and expired codes change
// nothing: the offer stays as it was and the replay key is not recorded.
func testRedeemFailures(t *testing.T, s storage.Store) {
	locked := newOffer(t0, time.Minute)
	locked.Locked, locked.Failures = true, 5
	expired := newOffer(t0.Add(-time.Hour), time.Minute)
	for _, o := range []storage.Offer{locked, expired} {
		createOffer(t, s, o)
	}
	tests := []struct {
		name  string
		offer storage.Offer
		code  []byte
		want  error
	}{
		{"unknown", storage.Offer{}, hashOf("unknown"), storage.ErrNotFound},
		{"locked", locked, locked.CodeHash, storage.ErrLocked},
		{"expired", expired, expired.CodeHash, storage.ErrExpired},
	}
	for _, tc := range tests {
		r := redemption(tc.offer, t0, newToken(tc.offer.ID, t0, time.Hour))
		r.CodeHash = tc.code
		checkErr(t, tc.name, s.Redeem(t.Context(), r), tc.want)
		checkErr(t, tc.name+": replay key", s.UseReplayKey(t.Context(), r.ReplayKey, t0, t0), nil)
		checkGone(t, tc.name+": token", func(ctx context.Context) error { _, err := s.GetToken(ctx, r.Tokens[0].ID); return err })
		if tc.offer.ID != "" {
			checkEqual(t, tc.name+": offer", tc.offer, getOffer(t, s, tc.offer.ID))
		}
	}
}

// testRedeemConsumedAfterExpiry replays a redeemed code after its expiry:
// the replay is still detected, and still revokes what the first
// redemption issued (RFC 6749 §4.1.2), since KeepUntil kept the record.
func testRedeemConsumedAfterExpiry(t *testing.T, s storage.Store) {
	o := newOffer(t0.Add(-time.Hour), time.Minute)
	createOffer(t, s, o)
	first := redemption(o, o.CreatedAt, newToken(o.ID, o.CreatedAt, 2*time.Hour))
	redeemOK(t, s, first)
	checkErr(t, "replay after expiry", s.Redeem(t.Context(), redemption(o, t0)), storage.ErrConsumed)
	tok, err := s.GetToken(t.Context(), first.Tokens[0].ID)
	if err != nil || !tok.Revoked {
		t.Fatalf("first token after the replay: %+v, %v; want revoked", tok, err)
	}
}

func testRedeemExpiryBoundary(t *testing.T, s storage.Store) {
	o := newOffer(t0, time.Minute)
	createOffer(t, s, o)
	checkErr(t, "1ns after ExpiresAt", s.Redeem(t.Context(), redemption(o, o.ExpiresAt.Add(time.Nanosecond))), storage.ErrExpired)
	redeemOK(t, s, redemption(o, o.ExpiresAt))
}

func testRedeemKeepUntil(t *testing.T, s storage.Store) {
	o := newOffer(t0, time.Hour)
	createOffer(t, s, o)
	short := newToken(o.ID, t0, time.Minute)
	redeemOK(t, s, redemption(o, t0, short))
	got := getOffer(t, s, o.ID)
	if !got.KeepUntil.Equal(o.KeepUntil) {
		t.Errorf("KeepUntil %v, want unchanged %v (token expires earlier)", got.KeepUntil, o.KeepUntil)
	}
	if !slices.Equal(got.IssuedTokens, []string{short.ID}) {
		t.Errorf("IssuedTokens %v, want [%s]", got.IssuedTokens, short.ID)
	}
}

func testReplayKey(t *testing.T, s storage.Store) {
	ctx, key, exp := t.Context(), []byte("proof-1"), t0.Add(time.Minute)
	checkErr(t, "first use", s.UseReplayKey(ctx, key, exp, t0), nil)
	checkErr(t, "second use", s.UseReplayKey(ctx, key, exp, t0), storage.ErrAlreadyExists)
	checkErr(t, "use at expiry", s.UseReplayKey(ctx, key, exp.Add(time.Minute), exp), storage.ErrAlreadyExists)
	after := exp.Add(time.Nanosecond)
	checkErr(t, "use after expiry", s.UseReplayKey(ctx, key, after.Add(time.Minute), after), nil)
	checkErr(t, "use again", s.UseReplayKey(ctx, key, after.Add(time.Minute), after), storage.ErrAlreadyExists)
	checkErr(t, "other key", s.UseReplayKey(ctx, []byte("proof-2"), exp, t0), nil)
}

// testReplayKeys: UseReplayKeys records all its keys or none.
func testReplayKeys(t *testing.T, s storage.Store) {
	ctx, exp := t.Context(), t0.Add(time.Minute)
	use := func(keys ...string) []storage.ReplayUse {
		out := make([]storage.ReplayUse, len(keys))
		for i, k := range keys {
			out[i] = storage.ReplayUse{Key: []byte(k), Expiry: exp}
		}
		return out
	}
	checkErr(t, "a used key", s.UseReplayKey(ctx, []byte("b"), exp, t0), nil)
	checkErr(t, "a batch with a used key", s.UseReplayKeys(ctx, use("a", "b", "c"), t0), storage.ErrAlreadyExists)
	checkErr(t, "a batch with one key twice", s.UseReplayKeys(ctx, use("d", "d"), t0), storage.ErrAlreadyExists)
	// Nothing of the refused batches was recorded.
	checkErr(t, "the batch's other keys", s.UseReplayKeys(ctx, use("a", "c", "d"), t0), nil)
	for _, k := range []string{"a", "c", "d"} {
		checkErr(t, "key "+k+" again", s.UseReplayKey(ctx, []byte(k), exp, t0), storage.ErrAlreadyExists)
	}
	after := exp.Add(time.Nanosecond)
	checkErr(t, "the batch after expiry", s.UseReplayKeys(ctx, use("a", "b", "c"), after), nil)
}

// testRevokeTokens revokes one of two tokens (and an unknown ID, and the
// same token twice): only that token is revoked.
func testRevokeTokens(t *testing.T, s storage.Store) {
	o := newOffer(t0, time.Hour)
	createOffer(t, s, o)
	a, b := newToken(o.ID, t0, time.Hour), newToken(o.ID, t0, time.Hour)
	redeemOK(t, s, redemption(o, t0, a, b))
	for range 2 {
		if err := s.RevokeTokens(t.Context(), []string{a.ID, "unknown"}); err != nil {
			t.Fatalf("RevokeTokens: %v", err)
		}
	}
	if got, err := s.GetToken(t.Context(), a.ID); err != nil || !got.Revoked {
		t.Errorf("revoked token: %+v, %v; want Revoked", got, err)
	}
	if got, err := s.GetToken(t.Context(), b.ID); err != nil || got.Revoked {
		t.Errorf("other token: %+v, %v; want not revoked", got, err)
	}
}

// testIssueTokens stores a token with a replay key; a second issuance with
// the same live key stores nothing, and after the key expires it works.
func testIssueTokens(t *testing.T, s storage.Store) {
	a, b := newToken("", t0, time.Hour), newToken("", t0, time.Hour)
	r := storage.Issuance{Now: t0, ReplayKey: []byte("issue-key"), ReplayExpiry: t0.Add(time.Minute), Tokens: []storage.Token{a}}
	if err := s.IssueTokens(t.Context(), r); err != nil {
		t.Fatalf("IssueTokens: %v", err)
	}
	if got, err := s.GetToken(t.Context(), a.ID); err != nil || got.ID != a.ID {
		t.Fatalf("GetToken after IssueTokens: %+v, %v", got, err)
	}
	r.Tokens = []storage.Token{b}
	checkErr(t, "IssueTokens with a used replay key", s.IssueTokens(t.Context(), r), storage.ErrAlreadyExists)
	if _, err := s.GetToken(t.Context(), b.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("token of the refused issuance: %v; want ErrNotFound", err)
	}
	r.Now = t0.Add(2 * time.Minute)
	r.ReplayExpiry = r.Now.Add(time.Minute)
	if err := s.IssueTokens(t.Context(), r); err != nil {
		t.Fatalf("IssueTokens after the key expired: %v", err)
	}
}
