// Package testclock is the settable clock that tests inject where the
// domain takes a clock (Config.Now and the parts' Now): safe for
// concurrent use, moved only by the test. Only tests import it.
package testclock

import (
	"sync"
	"time"
)

// Clock is a settable clock. Create it with [New].
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// New returns a clock that reads now until it is advanced.
func New(now time.Time) *Clock { return &Clock{now: now} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
