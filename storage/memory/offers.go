package memory

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

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
	_, codeTaken := s.codes[string(o.CodeHash)]
	stateTaken := len(o.IssuerStateHash) > 0 && slices.ContainsFunc(slices.Collect(maps.Values(s.offers)), func(other storage.Offer) bool {
		return bytes.Equal(other.IssuerStateHash, o.IssuerStateHash)
	})
	if idTaken || codeTaken || stateTaken {
		return fmt.Errorf("storage/memory: create offer %q: %w", o.ID, storage.ErrAlreadyExists)
	}
	s.offers[o.ID] = o
	s.codes[string(o.CodeHash)] = o.ID
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
	o, ok := s.offers[s.codes[string(codeHash)]]
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

// normalizeTokens checks and copies the tokens of a redemption.
func normalizeTokens(tokens []storage.Token) ([]storage.Token, error) {
	out := make([]storage.Token, len(tokens))
	for i, t := range tokens {
		if t.ID == "" {
			return nil, errors.New("storage/memory: empty token ID")
		}
		var err error
		if out[i], err = normalize(t); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// IssueTokens stores tokens issued without a code, with the replay key.
func (s *Store) IssueTokens(ctx context.Context, r storage.Issuance) error {
	tokens, err := s.beginProofWrite(ctx, "issue tokens", r.Now, r.ReplayKey, r.ReplayExpiry, r.Tokens)
	if err != nil {
		return err
	}
	defer s.mu.Unlock()
	if len(r.ReplayKey) > 0 {
		s.replay[string(r.ReplayKey)] = r.ReplayExpiry
	}
	for _, t := range tokens {
		s.tokens[t.ID] = t
	}
	return nil
}

// RevokeGrant marks every token of the grant revoked.
func (s *Store) RevokeGrant(ctx context.Context, grantID string) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	s.revokeGrant(grantID)
	return nil
}

func (s *Store) revokeGrant(grantID string) {
	for id, t := range s.tokens {
		if t.GrantID == grantID {
			t.Revoked = true
			s.tokens[id] = t
		}
	}
}

// UseRefreshToken uses a refresh token as documented on storage.Store.
func (s *Store) UseRefreshToken(ctx context.Context, u storage.RefreshUse) error {
	if err := storage.CheckRefreshUse(u); err != nil {
		return fmt.Errorf("storage/memory: use refresh token: %w", err)
	}
	var next storage.Token
	if u.Rotate {
		var err error
		if next, err = normalize(*u.Successor); err != nil {
			return err
		}
	}
	tokens, err := s.beginProofWrite(ctx, "use refresh token", u.Now, u.ReplayKey, u.ReplayExpiry, u.Tokens)
	if err != nil {
		return err
	}
	defer s.mu.Unlock()
	rt, ok := s.tokens[u.TokenID]
	if !ok {
		return fmt.Errorf("storage/memory: use refresh token: %w", storage.ErrNotFound)
	}
	first, err := storage.UseRefresh(&rt, u)
	switch {
	case errors.Is(err, storage.ErrConsumed):
		s.revokeGrant(rt.GrantID)
	case err != nil:
		return fmt.Errorf("storage/memory: use refresh token: %w", err)
	default:
		s.tokens[rt.ID] = rt
		for _, t := range tokens {
			s.tokens[t.ID] = t
		}
		if first {
			s.tokens[next.ID] = next
		}
	}
	if len(u.ReplayKey) > 0 {
		s.replay[string(u.ReplayKey)] = u.ReplayExpiry
	}
	if err != nil {
		return fmt.Errorf("storage/memory: use refresh token: %w", err)
	}
	return nil
}

// RevokeTokens marks the tokens revoked; unknown IDs are skipped.
func (s *Store) RevokeTokens(ctx context.Context, ids []string) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	s.revoke(ids)
	return nil
}

// revoke marks the tokens revoked. Callers hold s.mu.
func (s *Store) revoke(ids []string) {
	for _, id := range ids {
		if t, ok := s.tokens[id]; ok {
			t.Revoked = true
			s.tokens[id] = t
		}
	}
}

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

// replayLive reports whether key is recorded and not expired at now.
// Callers hold s.mu.
func (s *Store) replayLive(key []byte, now time.Time) bool {
	exp, ok := s.replay[string(key)]
	return ok && !now.After(exp)
}

// GetToken returns a token record; ErrNotFound if none.
func (s *Store) GetToken(ctx context.Context, id string) (storage.Token, error) {
	if err := s.lock(ctx); err != nil {
		return storage.Token{}, err
	}
	defer s.mu.Unlock()
	t, ok := s.tokens[id]
	if !ok {
		return storage.Token{}, fmt.Errorf("storage/memory: token %q: %w", id, storage.ErrNotFound)
	}
	return copyOf(t), nil
}

// Sweep deletes the replay keys, tokens and offers that have expired at
// now and returns how many it deleted.
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
			if s.codes[string(o.CodeHash)] == id {
				delete(s.codes, string(o.CodeHash))
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
	return n + s.sweepAuth(now), nil
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
