package memory

import (
	"context"
	"time"
)

// Sweep deletes the replay keys, tokens, offers, UMA tickets, auth
// sessions, authorization codes and credential records that have expired at now and returns how many it deleted.
func (s *Store) Sweep(ctx context.Context, now time.Time) (int, error) {
	if err := s.lock(ctx); err != nil {
		return 0, err
	}
	defer s.mu.Unlock()
	n := 0
	for k, exp := range s.replay {
		if exp.Before(now) {
			delete(s.replay, k)
			n++
		}
	}
	for id, t := range s.tokens {
		if t.ExpiresAt.Before(now) {
			delete(s.tokens, id)
			n++
		}
	}
	for id, o := range s.offers {
		if o.KeepUntil.Before(now) {
			delete(s.offers, id)
			if s.offerCodes[string(o.CodeHash)] == id {
				delete(s.offerCodes, string(o.CodeHash))
			}
			n++
		}
	}
	for id, t := range s.tickets {
		if t.ExpiresAt.Before(now) {
			delete(s.tickets, id)
			n++
		}
	}
	return n + s.sweepAuth(now) + s.sweepCredentialRecords(now), nil
}

// sweepAuth deletes expired sessions and codes. Callers hold s.mu.
func (s *Store) sweepAuth(now time.Time) int {
	n := 0
	for id, a := range s.sessions {
		if a.ExpiresAt.Before(now) {
			delete(s.sessions, id)
			n++
		}
	}
	for id, c := range s.authCodes {
		if c.KeepUntil.Before(now) {
			delete(s.authCodes, id)
			n++
		}
	}
	return n
}
