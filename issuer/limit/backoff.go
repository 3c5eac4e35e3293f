package limit

import (
	"net/netip"
	"sync"
	"time"
)

// AddressKey is the part of a peer address that the limits count per: the
// address for IPv4, its /64 for IPv6 (a host is given a whole /64, and
// counting per address would let it rotate through them).
func AddressKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap().WithZone("")
	if a.Is4() {
		return a.String()
	}
	p, err := a.Prefix(64)
	if err != nil {
		return a.String()
	}
	return p.String()
}

// Backoff slows down guessing without locking anyone out: a key's first
// free failures cost nothing; each further failure makes the key wait
// base, then twice as long after the next, up to max, counted from that
// failure. Attempts while a key waits are refused without being counted,
// so waiting never grows. A key with no failure for forget is forgotten,
// and a success may reset it. It lives in memory: a restart forgets it.
//
// An attempt is counted as a failure when it starts (Take), before the
// secret is checked, and taken back if it succeeds (Refund): so concurrent
// guesses cannot all pass the check before the first failure lands.
type Backoff struct {
	mu                sync.Mutex
	free              int
	base, max, forget time.Duration
	entries           map[string]*delay
	lastPrune         time.Time
}

type delay struct {
	n           int       // failures in a row
	last, until time.Time // the last failure; the end of the wait
}

func NewBackoff(free int, base, max, forget time.Duration) *Backoff {
	return &Backoff{free: free, base: base, max: max, forget: forget, entries: map[string]*delay{}}
}

// Wait returns how long key must still wait at now (0: it may try).
func (b *Backoff) Wait(key string, now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	d, ok := b.entries[key]
	if !ok || !now.Before(d.until) {
		return 0
	}
	return d.until.Sub(now)
}

// Take starts an attempt of key at now. If key must wait, it returns how
// long, and the attempt is refused and not counted; else it returns 0 and
// counts the attempt as a failure, which the caller takes back with Refund
// if the attempt succeeds.
func (b *Backoff) Take(key string, now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	if d, ok := b.entries[key]; ok && now.Before(d.until) {
		return d.until.Sub(now)
	}
	b.count(key, now)
	return 0
}

// Fail counts a failure of key at now, whether or not it waits.
func (b *Backoff) Fail(key string, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.count(key, now)
}

// count counts a failure of key at now and sets its wait. Callers hold
// b.mu.
func (b *Backoff) count(key string, now time.Time) {
	d, ok := b.entries[key]
	if !ok || b.stale(d, now) {
		b.makeRoom(now)
		d = &delay{}
		b.entries[key] = d
	}
	d.n++
	d.last = now
	if d.n >= b.free {
		d.until = now.Add(b.delayAfter(d.n - b.free))
	}
}

// Refund takes back the failure that Take counted for an attempt that
// succeeded; the wait it set goes with it unless other failures keep it.
func (b *Backoff) Refund(key string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	d, ok := b.entries[key]
	if !ok || d.n == 0 {
		return
	}
	d.n--
	switch {
	case d.n == 0:
		delete(b.entries, key)
	case d.n < b.free:
		d.until = time.Time{}
	}
}

// delayAfter is the wait after k failures beyond the free ones, minus one:
// base, 2·base, 4·base, … up to max.
func (b *Backoff) delayAfter(k int) time.Duration {
	d := b.base
	for range k {
		if d >= b.max/2 {
			return b.max
		}
		d *= 2
	}
	return min(d, b.max)
}

// Reset forgets key's failures (after a success).
func (b *Backoff) Reset(key string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.entries, key)
}

// stale reports whether d's failures are forgotten at now. Callers hold b.mu.
func (b *Backoff) stale(d *delay, now time.Time) bool {
	return !now.Before(d.until) && now.Sub(d.last) >= b.forget
}

// makeRoom keeps the map under limiterMaxKeys: when it is full it drops
// the forgotten entries (at most once a second: a scan costs O(n) under
// the lock), and if it is still full, an arbitrary entry, so that a flood
// of new keys costs bounded memory and time. Callers hold b.mu.
func (b *Backoff) makeRoom(now time.Time) {
	if len(b.entries) < limiterMaxKeys {
		return
	}
	if now.Sub(b.lastPrune) >= time.Second {
		b.lastPrune = now
		for k, d := range b.entries {
			if b.stale(d, now) {
				delete(b.entries, k)
			}
		}
	}
	for k := range b.entries {
		if len(b.entries) < limiterMaxKeys {
			break
		}
		delete(b.entries, k)
	}
}

// Seen remembers keys for a while (the pairs of username and address, or
// client, that signed in successfully), bounded like the limiters.
type Seen struct {
	mu   sync.Mutex
	ttl  time.Duration
	keys map[string]time.Time
}

func NewSeen(ttl time.Duration) *Seen { return &Seen{ttl: ttl, keys: map[string]time.Time{}} }

// Add remembers key from now.
func (s *Seen) Add(key string, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.keys) >= limiterMaxKeys {
		for k, t := range s.keys {
			if now.Sub(t) >= s.ttl {
				delete(s.keys, k)
			}
		}
	}
	if len(s.keys) < limiterMaxKeys {
		s.keys[key] = now
	}
}

// Has reports whether key was added less than ttl before now.
func (s *Seen) Has(key string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.keys[key]
	return ok && now.Sub(t) < s.ttl
}
