package storagetest

import (
	"context"
	"testing"
	"time"

	"issuer/storage"
)

// redeemTests are the rules of Redeem. They run twice: with redemptions
// as built (no Offer), and through readFirst, as the token endpoint
// redeems (the offer read by GetOfferByCode just before).
var redeemTests = []test{
	{"RedeemSuccess", testRedeemSuccess},
	{"RedeemWithoutReplayKey", testRedeemWithoutReplayKey},
	{"RedeemConsumed", testRedeemConsumed},
	{"RedeemReplayKeyUsed", testRedeemReplayKeyUsed},
	{"RedeemReplayKeyAcrossCodes", testRedeemReplayKeyAcrossCodes},
	{"RedeemFailures", testRedeemFailures},
	{"RedeemExpiryBoundary", testRedeemExpiryBoundary},
	{"RedeemConsumedAfterExpiry", testRedeemConsumedAfterExpiry},
	{"RedeemKeepUntil", testRedeemKeepUntil},
}

// redeemAsReadTests are redemptions whose Offer is out of date: the
// store must not apply a plan made from it.
var redeemAsReadTests = []test{
	{"RedeemAsReadAfterTxCodeFailure", testRedeemAsReadAfterTxCodeFailure},
	{"RedeemAsReadConsumed", testRedeemAsReadConsumed},
	{"RedeemAsReadLocked", testRedeemAsReadLocked},
	{"RedeemAsReadOfAnotherCode", testRedeemAsReadOfAnotherCode},
}

// readFirst wraps newStore's stores in asRead.
func readFirst(newStore func(t *testing.T) storage.Store) func(t *testing.T) storage.Store {
	return func(t *testing.T) storage.Store { return asRead{newStore(t)} }
}

// asRead is a store whose Redeem carries the offer as GetOfferByCode
// reads it just before (storage.Redemption.Offer), as the token endpoint
// redeems.
type asRead struct{ storage.Store }

// Redeem reads the offer, then redeems with it.
func (s asRead) Redeem(ctx context.Context, r storage.Redemption) error {
	if r.Offer == nil {
		if o, err := s.GetOfferByCode(ctx, r.CodeHash); err == nil {
			r.Offer = &o
		}
	}
	return s.Store.Redeem(ctx, r)
}

// readOffer reads o by its code or fails the test.
func readOffer(t *testing.T, s storage.Store, o storage.Offer) storage.Offer {
	t.Helper()
	read, err := s.GetOfferByCode(t.Context(), o.CodeHash)
	if err != nil {
		t.Fatalf("GetOfferByCode(%s): %v", o.ID, err)
	}
	return read
}

// testRedeemAsReadAfterTxCodeFailure: a failed tx_code attempt lands
// between the read and the redemption; the redemption succeeds and the
// failure stays counted (a plan made from the read would write it back
// as 0).
func testRedeemAsReadAfterTxCodeFailure(t *testing.T, s storage.Store) {
	o := newOffer(t0, 5*time.Minute)
	createOffer(t, s, o)
	read := readOffer(t, s, o)
	if _, err := s.RecordTxCodeFailure(t.Context(), o.CodeHash, 5); err != nil {
		t.Fatal(err)
	}
	if again := readOffer(t, s, o); read.Revision != "" && again.Revision == read.Revision {
		t.Errorf("Revision %q unchanged by a write", again.Revision)
	}
	r := redemption(o, t0, newToken(o.ID, t0, time.Hour))
	r.Offer = &read
	redeemOK(t, s, r)
	got := getOffer(t, s, o.ID)
	if got.Failures != 1 || got.RedeemedAt.IsZero() {
		t.Errorf("offer Failures %d RedeemedAt %v; want 1 and redeemed", got.Failures, got.RedeemedAt)
	}
}

// testRedeemAsReadConsumed: two redemptions carry the same read of a
// fresh offer; the second is a replay of a redeemed code, whatever its
// read says: it fails, issues nothing and revokes the first's tokens.
func testRedeemAsReadConsumed(t *testing.T, s storage.Store) {
	o := newOffer(t0, 5*time.Minute)
	createOffer(t, s, o)
	read := readOffer(t, s, o)
	first := redemption(o, t0, newToken(o.ID, t0, time.Hour))
	first.Offer = &read
	redeemOK(t, s, first)
	second := redemption(o, t0, newToken(o.ID, t0, time.Hour))
	second.Offer = &read
	checkErr(t, "second Redeem", s.Redeem(t.Context(), second), storage.ErrConsumed)
	checkGone(t, "second redemption's token", func(ctx context.Context) error {
		_, err := s.GetToken(ctx, second.Tokens[0].ID)
		return err
	})
	if tok := getToken(t, s, first.Tokens[0].ID); !tok.Revoked {
		t.Error("the first redemption's token is not revoked")
	}
	if got := getOffer(t, s, o.ID); len(got.IssuedTokens) != 1 || got.IssuedTokens[0] != first.Tokens[0].ID {
		t.Errorf("IssuedTokens %v; want the first redemption's", got.IssuedTokens)
	}
}

// testRedeemAsReadLocked: the offer locks (too many tx_code failures)
// after the read; the redemption fails and records nothing.
func testRedeemAsReadLocked(t *testing.T, s storage.Store) {
	o := newOffer(t0, 5*time.Minute)
	createOffer(t, s, o)
	read := readOffer(t, s, o)
	if _, err := s.RecordTxCodeFailure(t.Context(), o.CodeHash, 1); err != nil {
		t.Fatal(err)
	}
	r := redemption(o, t0, newToken(o.ID, t0, time.Hour))
	r.Offer = &read
	checkErr(t, "Redeem of a locked offer", s.Redeem(t.Context(), r), storage.ErrLocked)
	checkGone(t, "token", func(ctx context.Context) error { _, err := s.GetToken(ctx, r.Tokens[0].ID); return err })
	checkErr(t, "replay key", s.UseReplayKey(t.Context(), r.ReplayKey, t0.Add(time.Minute), t0), nil)
}

// testRedeemAsReadOfAnotherCode: a redemption that carries the read of
// another offer redeems its own code, as if it carried none, and leaves
// the other offer as it was.
func testRedeemAsReadOfAnotherCode(t *testing.T, s storage.Store) {
	a, b := newOffer(t0, 5*time.Minute), newOffer(t0, 5*time.Minute)
	createOffer(t, s, a)
	createOffer(t, s, b)
	readA := readOffer(t, s, a)
	r := redemption(b, t0, newToken(b.ID, t0, time.Hour))
	r.Offer = &readA
	redeemOK(t, s, r)
	if got := getOffer(t, s, b.ID); len(got.IssuedTokens) != 1 || got.IssuedTokens[0] != r.Tokens[0].ID {
		t.Errorf("offer redeemed: IssuedTokens %v; want [%s]", got.IssuedTokens, r.Tokens[0].ID)
	}
	checkEqual(t, "the offer whose read was carried", a, getOffer(t, s, a.ID))
}
