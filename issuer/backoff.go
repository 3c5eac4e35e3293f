package issuer

import (
	"sync"
	"time"
)

// backoff slows down guessing without locking anyone out: a key's first
// free failures cost nothing; each further failure makes the key wait
// base, then twice as long after the next, up to max, counted from that
// failure. Attempts while a key waits are refused without being counted,
// so waiting never grows. A key with no failure for forget is forgotten,
// and a success may reset it. It lives in memory: a restart forgets it.
type backoff struct {
	mu                sync.Mutex
	free              int
	base, max, forget time.Duration
	entries           map[string]*delay
}

type delay struct {
	n           int       // failures in a row
	last, until time.Time // the last failure; the end of the wait
}

func newBackoff(free int, base, max, forget time.Duration) *backoff {
	return &backoff{free: free, base: base, max: max, forget: forget, entries: map[string]*delay{}}
}

// wait returns how long key must still wait at now (0: it may try).
func (b *backoff) wait(key string, now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	d, ok := b.entries[key]
	if !ok || !now.Before(d.until) {
		return 0
	}
	return d.until.Sub(now)
}

// fail counts a failure of key at now and sets its wait.
func (b *backoff) fail(key string, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	d, ok := b.entries[key]
	if !ok || b.stale(d, now) {
		if len(b.entries) >= limiterMaxKeys {
			b.prune(now)
		}
		d = &delay{}
		b.entries[key] = d
	}
	d.n++
	d.last = now
	if d.n >= b.free {
		d.until = now.Add(b.delayAfter(d.n - b.free))
	}
}

// delayAfter is the wait after k failures beyond the free ones, minus one:
// base, 2·base, 4·base, … up to max.
func (b *backoff) delayAfter(k int) time.Duration {
	d := b.base
	for range k {
		if d >= b.max/2 {
			return b.max
		}
		d *= 2
	}
	return min(d, b.max)
}

// reset forgets key's failures (after a success).
func (b *backoff) reset(key string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.entries, key)
}

// stale reports whether d's failures are forgotten at now. Callers hold b.mu.
func (b *backoff) stale(d *delay, now time.Time) bool {
	return !now.Before(d.until) && now.Sub(d.last) >= b.forget
}

// prune drops the forgotten entries. Callers hold b.mu.
func (b *backoff) prune(now time.Time) {
	for k, d := range b.entries {
		if b.stale(d, now) {
			delete(b.entries, k)
		}
	}
}

// seen remembers keys for a while (the pairs of username and address, or
// client, that signed in successfully), bounded like the limiters.
type seen struct {
	mu   sync.Mutex
	ttl  time.Duration
	keys map[string]time.Time
}

func newSeen(ttl time.Duration) *seen { return &seen{ttl: ttl, keys: map[string]time.Time{}} }

// add remembers key from now.
func (s *seen) add(key string, now time.Time) {
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

// has reports whether key was added less than ttl before now.
func (s *seen) has(key string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.keys[key]
	return ok && now.Sub(t) < s.ttl
}
