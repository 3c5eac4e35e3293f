package issuer

import (
	"sync"
	"time"
)

// failureLimiter counts failures per key in a fixed window: once a key has
// max failures, it is blocked until the window that started with its first
// failure ends. It lives in memory: a restart forgets it.
type failureLimiter struct {
	mu      sync.Mutex
	max     int
	window  time.Duration
	entries map[string]*failures
}

type failures struct {
	n     int
	since time.Time
}

const limiterMaxKeys = 100_000

func newFailureLimiter(max int, window time.Duration) *failureLimiter {
	return &failureLimiter{max: max, window: window, entries: map[string]*failures{}}
}

// blocked reports whether key has used up its failures at now, and until when.
func (l *failureLimiter) blocked(key string, now time.Time) (bool, time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f, ok := l.entries[key]
	if !ok || now.Sub(f.since) >= l.window {
		return false, time.Time{}
	}
	return f.n >= l.max, f.since.Add(l.window)
}

// fail counts a failure for key at now.
func (l *failureLimiter) fail(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f, ok := l.entries[key]
	if !ok || now.Sub(f.since) >= l.window {
		if len(l.entries) >= limiterMaxKeys {
			l.prune(now)
		}
		l.entries[key] = &failures{n: 1, since: now}
		return
	}
	f.n++
}

// reset forgets key's failures (after a success).
func (l *failureLimiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.entries, key)
}

// prune drops the entries whose window has ended. Callers hold l.mu.
func (l *failureLimiter) prune(now time.Time) {
	for k, f := range l.entries {
		if now.Sub(f.since) >= l.window {
			delete(l.entries, k)
		}
	}
}
