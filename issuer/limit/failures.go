package limit

import (
	"sync"
	"time"
)

// Failures counts failures per key in a fixed window: once a key has
// max failures, it is blocked until the window that started with its first
// failure ends. It lives in memory: a restart forgets it.
type Failures struct {
	mu      sync.Mutex
	max     int
	window  time.Duration
	entries map[string]*tally
}

type tally struct {
	n     int
	since time.Time
}

const limiterMaxKeys = 100_000

func NewFailures(max int, window time.Duration) *Failures {
	return &Failures{max: max, window: window, entries: map[string]*tally{}}
}

// Blocked reports whether key has used up its failures at now, and until when.
func (l *Failures) Blocked(key string, now time.Time) (bool, time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f, ok := l.entries[key]
	if !ok || now.Sub(f.since) >= l.window {
		return false, time.Time{}
	}
	return f.n >= l.max, f.since.Add(l.window)
}

// Fail counts a failure for key at now.
func (l *Failures) Fail(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f, ok := l.entries[key]
	if !ok || now.Sub(f.since) >= l.window {
		if len(l.entries) >= limiterMaxKeys {
			l.prune(now)
		}
		l.entries[key] = &tally{n: 1, since: now}
		return
	}
	f.n++
}

// Reset forgets key's failures (after a success).
func (l *Failures) Reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.entries, key)
}

// prune drops the entries whose window has ended. Callers hold l.mu.
func (l *Failures) prune(now time.Time) {
	for k, f := range l.entries {
		if now.Sub(f.since) >= l.window {
			delete(l.entries, k)
		}
	}
}
