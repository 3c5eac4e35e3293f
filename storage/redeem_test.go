package storage_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"issuer/storage"
)

// TestPlanRedeemOrder checks the order of the redeem rules where two of
// them apply at once; the conformance suite checks each store carries the
// plans out.
func TestPlanRedeemOrder(t *testing.T) {
	now := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	live := storage.CodeState{ID: "g", ExpiresAt: now.Add(time.Minute), KeepUntil: now.Add(time.Minute)}
	redeemed := live
	redeemed.RedeemedAt, redeemed.IssuedTokens = now.Add(-time.Second), []string{"t1"}
	expired := live
	expired.ExpiresAt = now.Add(-time.Second)
	lockedRedeemed := redeemed
	lockedRedeemed.Locked = true
	redeemedExpired := redeemed
	redeemedExpired.ExpiresAt = now.Add(-time.Hour)
	r := storage.Redemption{Now: now, JKT: "k", OfferID: "o",
		Tokens: []storage.Token{{ID: "t2", ExpiresAt: now.Add(time.Hour)}}}

	tests := []struct {
		name      string
		code      storage.CodeState
		offer     *storage.CodeState
		auth      bool
		want      error
		wantWrite bool
	}{
		{"live", live, nil, false, nil, true},
		{"locked before consumed", lockedRedeemed, nil, false, storage.ErrLocked, false},
		{"consumed whatever its expiry", redeemedExpired, nil, false, storage.ErrConsumed, true},
		{"expired", expired, nil, false, storage.ErrExpired, false},
		{"offer ignored by Redeem", live, nil, false, nil, true},
		{"auth code, unknown offer", live, nil, true, storage.ErrOfferUsed, false},
		{"auth code, expired before offer", expired, nil, true, storage.ErrExpired, false},
		{"auth code, consumed before offer", redeemed, nil, true, storage.ErrConsumed, true},
		{"auth code, used offer", live, &redeemed, true, storage.ErrOfferUsed, false},
		{"auth code, live offer", live, &live, true, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := storage.PlanRedeem(tc.code, r)
			if tc.auth {
				p = storage.PlanRedeemAuthCode(tc.code, tc.offer, r)
			}
			if !errors.Is(p.Err, tc.want) || (p.Err == nil) != (tc.want == nil) || p.Write != tc.wantWrite {
				t.Fatalf("plan = %v, write %v; want %v, write %v", p.Err, p.Write, tc.want, tc.wantWrite)
			}
			switch {
			case errors.Is(p.Err, storage.ErrConsumed):
				if p.Revoke == nil || p.Revoke.GrantID != "g" || !slices.Equal(p.Revoke.Tokens, []string{"t1"}) {
					t.Fatalf("revoke = %+v, want grant g and t1", p.Revoke)
				}
			case p.Err == nil:
				c := p.Code
				if !c.RedeemedAt.Equal(now) || c.RedeemedBy != "k" || !slices.Equal(c.IssuedTokens, []string{"t2"}) || !c.KeepUntil.Equal(now.Add(time.Hour)) {
					t.Fatalf("code = %+v", c)
				}
				if (p.Offer != nil) != tc.auth || p.Offer != nil && (!p.Offer.RedeemedAt.Equal(now) || p.Offer.IssuedTokens != nil) {
					t.Fatalf("offer = %+v", p.Offer)
				}
			}
		})
	}
}
