package limit

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
	b := NewBackoff(3, time.Second, 10*time.Second, time.Minute)
	for range 2 {
		b.Fail("k", now)
		if w := b.Wait("k", now); w != 0 {
			t.Fatalf("wait after a free failure = %v; want 0", w)
		}
	}
	for _, want := range []time.Duration{1, 2, 4, 8, 10, 10} {
		b.Fail("k", now)
		if w := b.Wait("k", now); w != want*time.Second {
			t.Fatalf("wait = %v; want %v", w, want*time.Second)
		}
		if w := b.Wait("other", now); w != 0 {
			t.Fatalf("another key waits %v", w)
		}
		now = now.Add(want * time.Second)
		if w := b.Wait("k", now); w != 0 {
			t.Fatalf("wait at the end of the delay = %v; want 0", w)
		}
	}
	now = now.Add(time.Minute)
	b.Fail("k", now)
	if w := b.Wait("k", now); w != 0 {
		t.Errorf("wait after a quiet minute = %v; want the count restarted", w)
	}
	for range 3 {
		b.Fail("k", now)
	}
	b.Reset("k")
	if w := b.Wait("k", now); w != 0 {
		t.Errorf("wait after reset = %v; want 0", w)
	}
}

// TestSignInLimitsPerUsername: guesses at one username from many origins
// TestBackoffTake: take counts an attempt before it is checked, so that of
// many concurrent attempts only the free ones go on; refund takes a
// success's count back, and the wait with it.
func TestBackoffTake(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	b := NewBackoff(5, time.Second, time.Minute, time.Hour)
	var wg sync.WaitGroup
	var passed atomic.Int32
	for range 32 {
		wg.Go(func() {
			if b.Take("k", now) == 0 {
				passed.Add(1)
			}
		})
	}
	wg.Wait()
	if got := passed.Load(); got != 5 {
		t.Fatalf("%d of 32 concurrent attempts went on; want the 5 free ones", got)
	}
	if w := b.Wait("k", now); w != time.Second {
		t.Fatalf("wait = %v; want 1s after the 5 counted attempts", w)
	}
	b.Refund("k") // one of them succeeded
	if w := b.Take("k", now); w != 0 {
		t.Fatalf("after a refund the key waits %v; want 0", w)
	}
	b.Refund("other") // nothing to take back: no effect
	if w := b.Wait("other", now); w != 0 {
		t.Fatalf("a refunded unknown key waits %v", w)
	}
}

// TestBackoffBounded: a flood of new keys keeps the map at limiterMaxKeys.
func TestBackoffBounded(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	b := NewBackoff(5, time.Second, time.Minute, time.Hour)
	for i := range limiterMaxKeys + 1000 {
		b.Fail(strconv.Itoa(i), now)
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
		if got := AddressKey(in); got != want {
			t.Errorf("AddressKey(%q) = %q; want %q", in, got, want)
		}
	}
}
