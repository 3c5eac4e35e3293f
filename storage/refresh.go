package storage

import (
	"errors"
	"time"
)

// CheckWrite validates the time and replay key of a write that records a
// proof (Redeem, IssueTokens, UseRefreshToken), before any transaction: a
// write needs a time (a zero RedeemedAt means "not redeemed"), and a replay
// key without a future expiry would silently disable replay protection.
// Both stores use it.
func CheckWrite(now time.Time, replayKey []byte, replayExpiry time.Time) error {
	switch {
	case now.IsZero():
		return errors.New("storage: write without a time")
	case len(replayKey) > 0 && !replayExpiry.After(now):
		return errors.New("storage: replay key without a future expiry")
	}
	return nil
}

// CheckRefresh applies the state rules of UseRefreshToken to rt, a token
// read inside the store's transaction: ErrNotFound for a token that is not
// a refresh token, ErrRevoked, ErrExpired, or ErrConsumed for a token
// rotated more than u.Grace ago (the caller then revokes the grant). Both
// stores use it, so that they cannot drift apart.
func CheckRefresh(rt Token, u RefreshUse) error {
	lastUse := rt.LastUsedAt
	if lastUse.IsZero() {
		lastUse = rt.IssuedAt
	}
	switch {
	case rt.Kind != "refresh_token":
		return ErrNotFound
	case rt.Revoked:
		return ErrRevoked
	case u.Now.After(rt.ExpiresAt), u.IdleTimeout > 0 && u.Now.After(lastUse.Add(u.IdleTimeout)):
		return ErrExpired
	case !rt.RotatedAt.IsZero() && u.Now.After(rt.RotatedAt.Add(u.Grace)):
		return ErrConsumed
	}
	return nil
}

// CheckTicket applies the state rules of UseUMATicket: ErrConsumed for a
// used ticket, ErrExpired past its expiry. Both stores use it.
func CheckTicket(t UMATicket, now time.Time) error {
	switch {
	case t.Used:
		return ErrConsumed
	case now.After(t.ExpiresAt):
		return ErrExpired
	}
	return nil
}
