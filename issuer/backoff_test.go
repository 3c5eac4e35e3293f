package issuer

import (
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestBackoff: free failures cost nothing; then the wait doubles per
// failure from base up to max; it is forgotten after a quiet period and
// on reset.
func TestBackoff(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	b := newBackoff(3, time.Second, 10*time.Second, time.Minute)
	for range 2 {
		b.fail("k", now)
		if w := b.wait("k", now); w != 0 {
			t.Fatalf("wait after a free failure = %v; want 0", w)
		}
	}
	for _, want := range []time.Duration{1, 2, 4, 8, 10, 10} {
		b.fail("k", now)
		if w := b.wait("k", now); w != want*time.Second {
			t.Fatalf("wait = %v; want %v", w, want*time.Second)
		}
		if w := b.wait("other", now); w != 0 {
			t.Fatalf("another key waits %v", w)
		}
		now = now.Add(want * time.Second)
		if w := b.wait("k", now); w != 0 {
			t.Fatalf("wait at the end of the delay = %v; want 0", w)
		}
	}
	now = now.Add(time.Minute)
	b.fail("k", now)
	if w := b.wait("k", now); w != 0 {
		t.Errorf("wait after a quiet minute = %v; want the count restarted", w)
	}
	for range 3 {
		b.fail("k", now)
	}
	b.reset("k")
	if w := b.wait("k", now); w != 0 {
		t.Errorf("wait after reset = %v; want 0", w)
	}
}

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

// TestBackoffTake: take counts an attempt before it is checked, so that of
// many concurrent attempts only the free ones go on; refund takes a
// success's count back, and the wait with it.
func TestBackoffTake(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	b := newBackoff(5, time.Second, time.Minute, time.Hour)
	var wg sync.WaitGroup
	var passed atomic.Int32
	for range 32 {
		wg.Go(func() {
			if b.take("k", now) == 0 {
				passed.Add(1)
			}
		})
	}
	wg.Wait()
	if got := passed.Load(); got != 5 {
		t.Fatalf("%d of 32 concurrent attempts went on; want the 5 free ones", got)
	}
	if w := b.wait("k", now); w != time.Second {
		t.Fatalf("wait = %v; want 1s after the 5 counted attempts", w)
	}
	b.refund("k") // one of them succeeded
	if w := b.take("k", now); w != 0 {
		t.Fatalf("after a refund the key waits %v; want 0", w)
	}
	b.refund("other") // nothing to take back: no effect
	if w := b.wait("other", now); w != 0 {
		t.Fatalf("a refunded unknown key waits %v", w)
	}
}

// TestBackoffBounded: a flood of new keys keeps the map at limiterMaxKeys.
func TestBackoffBounded(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	b := newBackoff(5, time.Second, time.Minute, time.Hour)
	for i := range limiterMaxKeys + 1000 {
		b.fail(strconv.Itoa(i), now)
	}
	if n := len(b.entries); n > limiterMaxKeys {
		t.Fatalf("%d entries; want at most %d", n, limiterMaxKeys)
	}
}

// TestAddressKey: IPv4 (also IPv4-mapped IPv6) counts per address, IPv6
// per /64; what does not parse is kept as it is.
func TestAddressKey(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.1":            "192.0.2.1",
		"::ffff:192.0.2.1":     "192.0.2.1",
		"2001:db8:1:2::1":      "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff::9": "2001:db8:1:2::/64",
		"fe80::1%eth0":         "fe80::/64",
		"not an address":       "not an address",
	} {
		if got := addressKey(in); got != want {
			t.Errorf("addressKey(%q) = %q; want %q", in, got, want)
		}
	}
}
