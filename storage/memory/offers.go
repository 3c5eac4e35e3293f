package memory

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"issuer/storage"
)

// CreateOffer stores o; ErrAlreadyExists if o.ID or o.CodeHash is taken.
// A zero o.KeepUntil is set to o.ExpiresAt.
func (s *Store) CreateOffer(ctx context.Context, o storage.Offer) error {
	if o.ID == "" || len(o.CodeHash) == 0 {
		return errors.New("storage/memory: offer without ID or code hash")
	}
	if o.KeepUntil.IsZero() {
		o.KeepUntil = o.ExpiresAt
	}
	o, err := normalize(o)
	if err != nil {
		return err
	}
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	_, idTaken := s.offers[o.ID]
	_, codeTaken := s.offerCodes[string(o.CodeHash)]
	stateTaken := len(o.IssuerStateHash) > 0 && slices.ContainsFunc(slices.Collect(maps.Values(s.offers)), func(other storage.Offer) bool {
		return bytes.Equal(other.IssuerStateHash, o.IssuerStateHash)
	})
	if idTaken || codeTaken || stateTaken {
		return fmt.Errorf("storage/memory: create offer %q: %w", o.ID, storage.ErrAlreadyExists)
	}
	s.offers[o.ID] = o
	s.offerCodes[string(o.CodeHash)] = o.ID
	return nil
}

// GetOffer returns the offer by ID; ErrNotFound if there is none.
func (s *Store) GetOffer(ctx context.Context, id string) (storage.Offer, error) {
	if err := s.lock(ctx); err != nil {
		return storage.Offer{}, err
	}
	defer s.mu.Unlock()
	o, ok := s.offers[id]
	if !ok {
		return storage.Offer{}, fmt.Errorf("storage/memory: offer %q: %w", id, storage.ErrNotFound)
	}
	return copyOf(o), nil
}

// GetOfferByCode returns the offer by code hash; ErrNotFound if none.
func (s *Store) GetOfferByCode(ctx context.Context, codeHash []byte) (storage.Offer, error) {
	if err := s.lock(ctx); err != nil {
		return storage.Offer{}, err
	}
	defer s.mu.Unlock()
	o, err := s.offerByCode(codeHash)
	if err != nil {
		return storage.Offer{}, err
	}
	o = copyOf(o)
	o.OfferJSON = nil // as the bbolt store, which keeps it off the redemption path
	return o, nil
}

// GetOfferByIssuerState returns the offer by issuer_state hash.
func (s *Store) GetOfferByIssuerState(ctx context.Context, stateHash []byte) (storage.Offer, error) {
	if err := s.lock(ctx); err != nil {
		return storage.Offer{}, err
	}
	defer s.mu.Unlock()
	for _, o := range s.offers {
		if len(stateHash) > 0 && bytes.Equal(o.IssuerStateHash, stateHash) {
			return copyOf(o), nil
		}
	}
	return storage.Offer{}, fmt.Errorf("storage/memory: offer by issuer_state: %w", storage.ErrNotFound)
}

// offerByCode returns the stored offer of codeHash. Callers hold s.mu.
func (s *Store) offerByCode(codeHash []byte) (storage.Offer, error) {
	o, ok := s.offers[s.offerCodes[string(codeHash)]]
	if !ok {
		return storage.Offer{}, fmt.Errorf("storage/memory: offer by code: %w", storage.ErrNotFound)
	}
	return o, nil
}

// RecordTxCodeFailure counts one failed transaction-code attempt and locks
// the code once Failures reaches max. It returns the updated offer;
// ErrNotFound if there is none.
func (s *Store) RecordTxCodeFailure(ctx context.Context, codeHash []byte, max int) (storage.Offer, error) {
	if err := s.lock(ctx); err != nil {
		return storage.Offer{}, err
	}
	defer s.mu.Unlock()
	o, err := s.offerByCode(codeHash)
	if err != nil {
		return storage.Offer{}, err
	}
	o.Failures++
	if o.Failures >= max {
		o.Locked = true
	}
	s.offers[o.ID] = o
	o = copyOf(o)
	o.OfferJSON = nil
	return o, nil
}

// Redeem consumes a pre-authorized code, exactly as documented on
// storage.Store: replay key, then unknown, then the rules of
// storage.PlanRedeem (locked, consumed, expired). r.Now must be set (a
// zero RedeemedAt means "not redeemed").
func (s *Store) Redeem(ctx context.Context, r storage.Redemption) error {
	tokens, err := s.beginProofWrite(ctx, "redeem", r.Now, r.ReplayKey, r.ReplayExpiry, r.Tokens)
	if err != nil {
		return err
	}
	defer s.mu.Unlock()
	o, err := s.offerByCode(r.CodeHash)
	if err != nil {
		return err
	}
	p := storage.PlanRedeem(o.State(), r)
	if err := s.applyRedeem(p, r, tokens); err != nil {
		return fmt.Errorf("storage/memory: redeem: %w", err)
	}
	o.SetState(p.Code)
	s.offers[o.ID] = copyOf(o)
	return nil
}

// applyRedeem carries out what a redemption plan does beyond the code's
// own record: it records the replay key, revokes (ErrConsumed) or stores
// the tokens (nil). It returns p.Err; on nil the caller stores p.Code
// (and p.Offer). Callers hold s.mu.
func (s *Store) applyRedeem(p storage.RedeemPlan, r storage.Redemption, tokens []storage.Token) error {
	if !p.Write {
		return p.Err
	}
	if len(r.ReplayKey) > 0 {
		s.replay[string(r.ReplayKey)] = r.ReplayExpiry
	}
	if p.Revoke != nil {
		s.revoke(p.Revoke.Tokens)
		s.revokeGrant(p.Revoke.GrantID)
	}
	if p.Err != nil {
		return p.Err
	}
	for _, t := range tokens {
		s.tokens[t.ID] = t
	}
	return nil
}
