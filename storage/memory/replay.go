package memory

import (
	"context"
	"errors"
	"fmt"
	"time"

	"issuer/storage"
)

// UseReplayKey records key until exp; ErrAlreadyExists if it is recorded
// and not expired at now.
func (s *Store) UseReplayKey(ctx context.Context, key []byte, exp, now time.Time) error {
	if len(key) == 0 {
		return errors.New("storage/memory: empty replay key")
	}
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if s.replayLive(key, now) {
		return fmt.Errorf("storage/memory: replay key: %w", storage.ErrAlreadyExists)
	}
	s.replay[string(key)] = exp
	return nil
}

// UseReplayKeys records every key, all or nothing (storage.Replay).
func (s *Store) UseReplayKeys(ctx context.Context, keys []storage.ReplayUse, now time.Time) error {
	if !storage.DistinctReplayKeys(keys) {
		return fmt.Errorf("storage/memory: replay keys: empty or repeated: %w", storage.ErrAlreadyExists)
	}
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	for _, k := range keys {
		if s.replayLive(k.Key, now) {
			return fmt.Errorf("storage/memory: replay key: %w", storage.ErrAlreadyExists)
		}
	}
	for _, k := range keys {
		s.replay[string(k.Key)] = k.Expiry
	}
	return nil
}

// replayLive reports whether key is recorded and not expired at now.
// Callers hold s.mu.
func (s *Store) replayLive(key []byte, now time.Time) bool {
	exp, ok := s.replay[string(key)]
	return ok && !now.After(exp)
}

// beginProofWrite starts a write that records a proof's replay key: it
// checks the request, copies the tokens, takes the lock and refuses a live
// replay key. On success the caller holds s.mu and must unlock it.
func (s *Store) beginProofWrite(ctx context.Context, what string, now time.Time, key []byte, exp time.Time, tokens []storage.Token) ([]storage.Token, error) {
	if err := storage.CheckWrite(now, key, exp); err != nil {
		return nil, fmt.Errorf("storage/memory: %s: %w", what, err)
	}
	out, err := normalizeTokens(tokens)
	if err != nil {
		return nil, err
	}
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	if len(key) > 0 && s.replayLive(key, now) {
		s.mu.Unlock()
		return nil, fmt.Errorf("storage/memory: %s: %w", what, storage.ErrAlreadyExists)
	}
	return out, nil
}
