package storage

import (
	"time"
)

// Redemption asks the store to consume a code: a pre-authorized code
// (Redeem, by CodeHash) or an authorization code (RedeemAuthCode, by
// CodeID).
type Redemption struct {
	// CodeHash, for Redeem, is the SHA-256 of the pre-authorized code (the
	// offer's CodeHash).
	CodeHash []byte
	// CodeID, for RedeemAuthCode, is the authorization code's ID (a hash
	// of the code: AuthCode.ID).
	CodeID string
	Now    time.Time
	// ReplayKey, when set, is a DPoP proof's replay key. It is checked and
	// recorded in the same transaction as the code, until ReplayExpiry.
	ReplayKey    []byte
	ReplayExpiry time.Time
	// JKT is the thumbprint of the key that redeems the code ("" if none).
	JKT string
	// OfferID, for RedeemAuthCode, is the offer the code came from (its
	// issuer_state): it must still be usable, and is marked redeemed in
	// the same transaction.
	OfferID string
	// Tokens are the records of the tokens issued for this redemption.
	Tokens []Token
	// Offer, for Redeem, is the offer as the caller read it by CodeHash
	// (GetOfferByCode), or nil. A store may apply the plan PlanRedeem makes
	// of it if the offer is still at that Revision, and must otherwise read
	// the offer again: the result is as if Offer were nil.
	Offer *Offer
}

// CodeState is the part of a code's record that the rules of Redeem and
// RedeemAuthCode read and change: the state of an offer (its pre-authorized
// code) or of an authorization code, as read inside the store's
// transaction.
type CodeState struct {
	// ID is the offer's or the authorization code's ID: the GrantID of
	// the tokens its redemption issues and of those refreshed from them.
	ID        string
	ExpiresAt time.Time
	KeepUntil time.Time
	// Locked is set on an offer after too many failed transaction codes;
	// authorization codes never lock.
	Locked       bool
	RedeemedAt   time.Time
	RedeemedBy   string
	IssuedTokens []string
}

// Revocation is what the replay of a redeemed code revokes: the tokens its
// redemption issued, and every token of its grant.
type Revocation struct {
	GrantID string
	Tokens  []string
}

// RedeemPlan is what a redemption does, as PlanRedeem and
// PlanRedeemAuthCode decide it. The store carries it out in the
// transaction it read the states in.
type RedeemPlan struct {
	// Err is the result: nil (the code is redeemed), ErrLocked,
	// ErrExpired, ErrOfferUsed or ErrConsumed.
	Err error
	// Write is false when nothing changes. When true the store records the
	// redemption's replay key (if set), then carries out Revoke (on
	// ErrConsumed) or, on nil, stores the tokens, Code and Offer.
	Write bool
	// Revoke, on ErrConsumed, is what the store revokes.
	Revoke *Revocation
	// Code, on nil, is the code's new state: RedeemedAt, RedeemedBy,
	// IssuedTokens and KeepUntil changed.
	Code CodeState
	// Offer, on nil, is the new state of the offer an authorization code
	// came from (RedeemedAt and RedeemedBy changed, KeepUntil pushed out to
	// the code's, so that the grant's tokens still find the offer's
	// claims); nil if there is none.
	Offer *CodeState
}

// PlanRedeem applies the rules of Redeem to offer, the state of the offer
// whose code is r.CodeHash: locked (before or after its redemption) →
// ErrLocked; redeemed before, whatever its expiry → ErrConsumed, revoking
// what that redemption started; expired at r.Now → ErrExpired; else the
// offer is redeemed. r.OfferID is ignored. The checks that come before
// (a live replay key → ErrAlreadyExists, an unknown code → ErrNotFound)
// are the store's: both stores make them before they read the offer.
func PlanRedeem(offer CodeState, r Redemption) RedeemPlan {
	return planRedeem(offer, false, nil, r)
}

// PlanRedeemAuthCode applies the rules of RedeemAuthCode to code, the
// state of the authorization code r.CodeID, and to offer, the state of the
// offer r.OfferID (nil if there is none; unused when r.OfferID is empty):
// the rules of PlanRedeem, where an unredeemed, unexpired code whose offer
// is unknown, redeemed, locked or expired at r.Now fails with ErrOfferUsed.
func PlanRedeemAuthCode(code CodeState, offer *CodeState, r Redemption) RedeemPlan {
	return planRedeem(code, r.OfferID != "", offer, r)
}

// planRedeem is the redeem state machine, written once for both kinds of
// code.
func planRedeem(code CodeState, hasOffer bool, offer *CodeState, r Redemption) RedeemPlan {
	redeemed := !code.RedeemedAt.IsZero()
	switch {
	case code.Locked:
		return RedeemPlan{Err: ErrLocked}
	case redeemed:
		return RedeemPlan{Err: ErrConsumed, Write: true, Revoke: &Revocation{GrantID: code.ID, Tokens: code.IssuedTokens}}
	case r.Now.After(code.ExpiresAt):
		return RedeemPlan{Err: ErrExpired}
	case hasOffer && !offerUsable(offer, r.Now):
		return RedeemPlan{Err: ErrOfferUsed}
	}
	p := RedeemPlan{Write: true, Code: code}
	p.Code.RedeemedAt, p.Code.RedeemedBy, p.Code.IssuedTokens = r.Now, r.JKT, nil
	for _, t := range r.Tokens {
		p.Code.IssuedTokens = append(p.Code.IssuedTokens, t.ID)
		if t.ExpiresAt.After(p.Code.KeepUntil) {
			p.Code.KeepUntil = t.ExpiresAt
		}
	}
	if hasOffer {
		o := *offer
		o.RedeemedAt, o.RedeemedBy = r.Now, r.JKT
		// The grant's tokens find their claims in the offer: it stays as
		// long as they may.
		o.KeepUntil = later(o.KeepUntil, p.Code.KeepUntil)
		p.Offer = &o
	}
	return p
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// offerUsable reports whether an authorization code's offer may still be
// redeemed at now: it exists, is neither redeemed nor locked, and has not
// expired.
func offerUsable(o *CodeState, now time.Time) bool {
	return o != nil && o.RedeemedAt.IsZero() && !o.Locked && !now.After(o.ExpiresAt)
}

// State returns the offer's redemption state.
func (o Offer) State() CodeState {
	return CodeState{
		ID: o.ID, ExpiresAt: o.ExpiresAt, KeepUntil: o.KeepUntil, Locked: o.Locked,
		RedeemedAt: o.RedeemedAt, RedeemedBy: o.RedeemedBy, IssuedTokens: o.IssuedTokens,
	}
}

// SetState copies into o what a redemption changes: RedeemedAt,
// RedeemedBy, IssuedTokens and KeepUntil.
func (o *Offer) SetState(st CodeState) {
	o.RedeemedAt, o.RedeemedBy, o.IssuedTokens, o.KeepUntil = st.RedeemedAt, st.RedeemedBy, st.IssuedTokens, st.KeepUntil
}

// State returns the authorization code's redemption state.
func (c AuthCode) State() CodeState {
	return CodeState{
		ID: c.ID, ExpiresAt: c.ExpiresAt, KeepUntil: c.KeepUntil,
		RedeemedAt: c.RedeemedAt, RedeemedBy: c.RedeemedBy, IssuedTokens: c.IssuedTokens,
	}
}

// SetState copies into c what a redemption changes, as Offer.SetState.
func (c *AuthCode) SetState(st CodeState) {
	c.RedeemedAt, c.RedeemedBy, c.IssuedTokens, c.KeepUntil = st.RedeemedAt, st.RedeemedBy, st.IssuedTokens, st.KeepUntil
}
