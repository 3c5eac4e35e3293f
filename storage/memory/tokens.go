package memory

import (
	"context"
	"errors"
	"fmt"

	"issuer/storage"
)

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
