package authz

import (
	"strconv"
	"testing"
	"time"
)

// TestSignInLimitsPerUsername: guesses at one username from many origins
// delay it for new origins, up to maxUserDelay, but not for an origin the
// user signed in from before; each origin's own budget is untouched.
func TestSignInLimitsPerUsername(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	l := newSignInLimits()
	home := newSignInKeys("alice", "address:192.0.2.1")
	l.succeed(home, now)
	for i := range userFreeFailures + 20 {
		l.fail(newSignInKeys("alice", "address:198.51.100."+strconv.Itoa(i)), now)
	}
	if w := l.wait(newSignInKeys("alice", "address:203.0.113.9"), now); w != maxUserDelay {
		t.Errorf("a new origin waits %v; want %v", w, maxUserDelay)
	}
	if w := l.wait(home, now); w != 0 {
		t.Errorf("the user's known origin waits %v; want 0", w)
	}
	if w := l.wait(newSignInKeys("bob", "address:203.0.113.9"), now); w != 0 {
		t.Errorf("another username waits %v; want 0", w)
	}
	if w := l.wait(newSignInKeys("alice", "address:203.0.113.9"), now.Add(maxUserDelay)); w != 0 {
		t.Errorf("after maxUserDelay a new origin waits %v; want 0", w)
	}
}

// TestSignInLimitsPerOrigin: guesses at many usernames from one origin
// (say, a proxy every user shares) delay that origin for new pairs, but
// not for a user who signed in from it before.
func TestSignInLimitsPerOrigin(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	l := newSignInLimits()
	const proxy = "address:192.0.2.7"
	regular := newSignInKeys("alice", proxy)
	l.succeed(regular, now)
	for i := range originFreeFailures {
		l.fail(newSignInKeys("user"+strconv.Itoa(i), proxy), now)
	}
	if w := l.wait(newSignInKeys("bob", proxy), now); w != firstSignInDelay {
		t.Errorf("a new user behind the origin waits %v; want %v", w, firstSignInDelay)
	}
	if w := l.wait(regular, now); w != 0 {
		t.Errorf("a user who signed in from the origin before waits %v; want 0", w)
	}
}
