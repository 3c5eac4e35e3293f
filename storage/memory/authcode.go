package memory

import (
	"context"
	"fmt"
	"time"

	"issuer/storage"
)

// CreateAuthSession stores a; ErrAlreadyExists if a.ID is taken.
func (s *Store) CreateAuthSession(ctx context.Context, a storage.AuthSession) error {
	return insert(s, ctx, s.sessions, "auth session ID", a.ID, a)
}

// UpdateAuthSession applies update to a copy of a live session and stores
// it if update succeeds.
func (s *Store) UpdateAuthSession(ctx context.Context, id string, now time.Time, update func(*storage.AuthSession) error) (storage.AuthSession, error) {
	if err := s.lock(ctx); err != nil {
		return storage.AuthSession{}, err
	}
	defer s.mu.Unlock()
	a, ok := s.sessions[id]
	if !ok || now.After(a.ExpiresAt) {
		return storage.AuthSession{}, fmt.Errorf("storage/memory: auth session: %w", storage.ErrNotFound)
	}
	a = copyOf(a)
	if err := update(&a); err != nil {
		return storage.AuthSession{}, err
	}
	s.sessions[id] = copyOf(a)
	return copyOf(a), nil
}

// CreateAuthCode stores c; ErrAlreadyExists if c.ID is taken.
func (s *Store) CreateAuthCode(ctx context.Context, c storage.AuthCode) error {
	if c.KeepUntil.IsZero() {
		c.KeepUntil = c.ExpiresAt
	}
	return insert(s, ctx, s.authCodes, "authorization code ID", c.ID, c)
}

// GetAuthCode returns the code by ID; ErrNotFound if there is none.
func (s *Store) GetAuthCode(ctx context.Context, id string) (storage.AuthCode, error) {
	if err := s.lock(ctx); err != nil {
		return storage.AuthCode{}, err
	}
	defer s.mu.Unlock()
	c, ok := s.authCodes[id]
	if !ok {
		return storage.AuthCode{}, fmt.Errorf("storage/memory: authorization code: %w", storage.ErrNotFound)
	}
	return copyOf(c), nil
}

// RedeemAuthCode consumes an authorization code, as documented on
// storage.Store.
func (s *Store) RedeemAuthCode(ctx context.Context, r storage.Redemption) error {
	tokens, err := s.beginProofWrite(ctx, "redeem authorization code", r.Now, r.ReplayKey, r.ReplayExpiry, r.Tokens)
	if err != nil {
		return err
	}
	defer s.mu.Unlock()
	c, ok := s.authCodes[r.CodeID]
	if !ok {
		return fmt.Errorf("storage/memory: redeem authorization code: %w", storage.ErrNotFound)
	}
	var offer *storage.CodeState
	o, hasOffer := s.offers[r.OfferID]
	if hasOffer && r.OfferID != "" {
		st := o.State()
		offer = &st
	}
	p := storage.PlanRedeemAuthCode(c.State(), offer, r)
	if err := s.applyRedeem(p, r, tokens); err != nil {
		return fmt.Errorf("storage/memory: redeem authorization code: %w", err)
	}
	c.SetState(p.Code)
	s.authCodes[c.ID] = copyOf(c)
	if p.Offer != nil {
		o.SetState(*p.Offer)
		s.offers[o.ID] = o
	}
	return nil
}
