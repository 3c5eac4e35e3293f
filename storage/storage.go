// Package storage defines the records the token service keeps, the [Store]
// interface every storage engine implements, and the sentinel errors of that
// contract. It is a leaf package: it imports none of the project's other
// packages and no storage engine. Implementations live in sub-packages
// (storage/bolt, storage/memory, storage/postgres) and all pass the
// conformance suite in storage/storagetest.
package storage

import (
	"context"
	"errors"
	"time"
)

// Sentinel errors. Implementations wrap them with %w; callers compare with
// errors.Is.
var (
	// ErrNotFound: no record under that key (or the record has been swept).
	ErrNotFound = errors.New("storage: not found")
	// ErrAlreadyExists: a Create or a replay-key insert found the key taken.
	ErrAlreadyExists = errors.New("storage: already exists")
	// ErrConsumed: the pre-authorized code or authorization code was
	// redeemed before (the store has revoked the tokens of the grant that
	// earlier redemption started), the refresh token was rotated more than
	// its grace period ago (the store has revoked its grant), or the UMA
	// ticket was used before (nothing is revoked).
	ErrConsumed = errors.New("storage: code already consumed")
	// ErrExpired: the code, refresh token or UMA ticket is past its
	// expiry (or, for a refresh token, its idle timeout).
	ErrExpired = errors.New("storage: code expired")
	// ErrLocked: the pre-authorized code (its offer) was invalidated after too many
	// failed transaction-code attempts.
	ErrLocked = errors.New("storage: code locked")
	// ErrRevoked: the token was revoked.
	ErrRevoked = errors.New("storage: token revoked")
	// ErrOfferUsed: the offer an authorization code came from was redeemed,
	// is locked or has expired (RedeemAuthCode).
	ErrOfferUsed = errors.New("storage: offer already used or expired")
	// ErrRotated: UseRefreshToken was given another successor than the one
	// the token was already rotated to; nothing changed.
	ErrRotated = errors.New("storage: refresh token rotated to another successor")
	// ErrClosed: the store was closed.
	ErrClosed = errors.New("storage: closed")
	// ErrUnavailable: the database could not be reached or did not answer
	// in time (a networked engine: lost connection, server restarting,
	// timeout). Nothing is known to have changed; the request may be
	// tried again later.
	ErrUnavailable = errors.New("storage: database unavailable")
)

// Store is every operation the token service needs from its state: the
// union of the role interfaces, so that a part of the service can ask only
// for the roles it uses. All methods are safe for concurrent use. Each write
// is atomic and durable when it returns nil: a crash afterwards never undoes
// it.
type Store interface {
	Keys
	Clients
	WalletProviders
	Users
	AuthSessions
	AuthCodes
	Offers
	Replay
	Tokens
	UMA
	CredentialRecords
	Sweeper

	// Close releases the store. Calls after Close return ErrClosed.
	Close() error
}

// Sweeper deletes what has expired.
type Sweeper interface {
	// Sweep deletes what has expired at now: replay keys past their expiry,
	// tokens past ExpiresAt, offers and authorization codes past KeepUntil,
	// authorization sessions, UMA tickets and credential records past
	// ExpiresAt. It returns how many records it deleted.
	Sweep(ctx context.Context, now time.Time) (int, error)
}
