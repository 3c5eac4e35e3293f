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

// CheckRefreshUse validates a RefreshUse before any transaction: the
// checks of CheckWrite, and a rotating use needs its successor.
func CheckRefreshUse(u RefreshUse) error {
	if err := CheckWrite(u.Now, u.ReplayKey, u.ReplayExpiry); err != nil {
		return err
	}
	if u.Rotate && (u.Successor == nil || u.Successor.ID == "" || u.Successor.ID == u.TokenID) {
		return errors.New("storage: a rotating refresh needs a successor with its own ID")
	}
	return nil
}

// UseRefresh applies the rules of UseRefreshToken to rt, a token read
// inside the store's transaction: the errors of CheckRefresh (on
// ErrConsumed the caller revokes the grant), and ErrRotated for a rotating
// use whose successor is not the one rt was already rotated to. On nil, rt
// is updated (LastUsedAt; RotatedAt and SuccessorID at its first rotating
// use) for the caller to store, and first reports whether u.Successor is
// to be stored too: only the first rotating use stores a successor, so
// that retries inside the grace window, however many and however
// concurrent, never fork the family. Both stores use it.
func UseRefresh(rt *Token, u RefreshUse) (first bool, err error) {
	if err := CheckRefresh(*rt, u); err != nil {
		return false, err
	}
	first = u.Rotate && rt.RotatedAt.IsZero()
	switch {
	case first:
		rt.RotatedAt, rt.SuccessorID = u.Now, u.Successor.ID
	case u.Rotate && rt.SuccessorID != u.Successor.ID:
		return false, ErrRotated
	}
	rt.LastUsedAt = u.Now
	return first, nil
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
