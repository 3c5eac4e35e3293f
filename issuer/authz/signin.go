package authz

import (
	"context"
	"crypto/sha256"
	"errors"
	"issuer/issuer/limit"
	"issuer/issuer/oauth"
	"issuer/storage"
	"strings"
	"time"
)

// Sign-in throttling, so that the login page and the password grant are
// no password oracle (RFC 6749 §4.3.2, §10.10) and yet nobody can lock a
// user out by knowing the username: failures delay further attempts
// (1 s, doubling per failure up to a cap) instead of blocking them.
const (
	// pairFreeFailures are free per username and origin (the browser's
	// address on the login page, the client for the password grant).
	pairFreeFailures = 5
	// originFreeFailures are free per origin over all usernames
	// (credential stuffing from one address).
	originFreeFailures = 20
	// userFreeFailures are free per username over all origins (guessing
	// from many addresses); its delay is capped lower. An origin the user
	// signed in from before is exempt from this and the origin's delay.
	userFreeFailures = 100
	firstSignInDelay = time.Second
	maxSignInDelay   = 5 * time.Minute
	maxUserDelay     = time.Minute
	// signInMemory: failures are forgotten after this long without one.
	signInMemory = 15 * time.Minute
	// knownOriginTTL is how long a successful sign-in exempts its origin
	// from the per-username delay.
	knownOriginTTL = 30 * 24 * time.Hour
)

// signInLimits are the delays of failed sign-ins.
type signInLimits struct {
	pair, origin, user *limit.Backoff
	known              *limit.Seen // pairs that signed in successfully
}

func newSignInLimits() signInLimits {
	return signInLimits{
		pair:   limit.NewBackoff(pairFreeFailures, firstSignInDelay, maxSignInDelay, signInMemory),
		origin: limit.NewBackoff(originFreeFailures, firstSignInDelay, maxSignInDelay, signInMemory),
		user:   limit.NewBackoff(userFreeFailures, firstSignInDelay, maxUserDelay, signInMemory),
		known:  limit.NewSeen(knownOriginTTL),
	}
}

// signInKeys are the limiter keys of a sign-in: hashes, so that a long
// username posted to the login page costs no memory.
type signInKeys struct{ pair, origin, user string }

func newSignInKeys(username, origin string) signInKeys {
	h := func(parts ...string) string {
		sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
		return string(sum[:])
	}
	return signInKeys{pair: h("pair", username, origin), origin: h("origin", origin), user: h("user", username)}
}

// wait is how long a sign-in with keys must wait at now: the longest of
// its delays. Only the pair's own delay applies to a username and origin
// that signed in successfully before: guessing at the username from
// elsewhere, or at other usernames from the same origin (all the users
// behind one proxy share its address), cannot keep the user out.
func (l signInLimits) wait(k signInKeys, now time.Time) time.Duration {
	w := l.pair.Wait(k.pair, now)
	if !l.known.Has(k.pair, now) {
		w = max(w, l.origin.Wait(k.origin, now), l.user.Wait(k.user, now))
	}
	return w
}

// start starts a sign-in with keys at now. If it must wait, it returns
// how long (the longest of its delays that apply, see wait), and nothing
// is counted. Else it returns 0 and counts the attempt as a failed
// sign-in, which succeed takes back: counting before the password is
// checked means that concurrent guesses cannot all pass the delays before
// the first failure lands.
func (l signInLimits) start(k signInKeys, now time.Time) time.Duration {
	if w := l.wait(k, now); w > 0 {
		return w
	}
	if w := l.pair.Take(k.pair, now); w > 0 {
		return w
	}
	if l.known.Has(k.pair, now) {
		l.origin.Fail(k.origin, now)
		l.user.Fail(k.user, now)
		return 0
	}
	if w := l.origin.Take(k.origin, now); w > 0 {
		l.pair.Refund(k.pair)
		return w
	}
	if w := l.user.Take(k.user, now); w > 0 {
		l.pair.Refund(k.pair)
		l.origin.Refund(k.origin)
		return w
	}
	return 0
}

// fail counts a failed sign-in, whatever the delays.
func (l signInLimits) fail(k signInKeys, now time.Time) {
	l.pair.Fail(k.pair, now)
	l.origin.Fail(k.origin, now)
	l.user.Fail(k.user, now)
}

// succeed resets the pair's failures and remembers it. The origin's and
// the username's failures are kept: an attacker could sign in to an
// account of their own, and the user's success says nothing about the
// guesses from other origins.
//
// The sign-in must have been started with start, whose count of the
// attempt at the origin and the username it takes back.
func (l signInLimits) succeed(k signInKeys, now time.Time) {
	l.pair.Reset(k.pair)
	l.origin.Refund(k.origin)
	l.user.Refund(k.user)
	l.known.Add(k.pair, now)
}

// errSignInDelayed is the answer to a sign-in that must wait: the seconds
// in the description and in Retry-After.
func errSignInDelayed(wait time.Duration) *oauth.Error {
	secs := oauth.DelaySeconds(wait)
	unit := "seconds"
	if secs == 1 {
		unit = "second"
	}
	return oauth.ErrInvalidGrant("too many failed sign-ins; try again in %d %s", secs, unit).WithRetryAfter(wait)
}

// Check checks a username and password under the sign-in delays of
// the username and origin (signInLimits); an unknown user costs the same
// hash work as a wrong password, and both give the same answer. A sign-in
// that must wait is refused before any password is checked.
func (s *Users) Check(ctx context.Context, username, password, origin string, now time.Time) (storage.User, error) {
	keys := newSignInKeys(username, origin)
	if wait := s.signIns.start(keys, now); wait > 0 {
		return storage.User{}, errSignInDelayed(wait)
	}
	user, err := s.store.GetUser(ctx, username)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return storage.User{}, oauth.ErrServer(err)
	}
	hash := user.PasswordHash
	if hash == "" {
		hash = s.dummyHash() // computed on first use: argon2id takes 19 MiB
	}
	if !checkPassword(hash, password) || user.ID == "" {
		return storage.User{}, oauth.ErrInvalidGrant("the username or password is invalid")
	}
	s.signIns.succeed(keys, now)
	return user, nil
}
