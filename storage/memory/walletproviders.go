package memory

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"issuer/storage"
)

// CreateWalletProvider stores p; ErrAlreadyExists if p.ID is taken.
func (s *Store) CreateWalletProvider(ctx context.Context, p storage.WalletProvider) error {
	return insert(s, ctx, s.wallets, "wallet provider ID", p.ID, p)
}

// WalletProviders returns every wallet provider, oldest CreatedAt first
// (ties by ID).
func (s *Store) WalletProviders(ctx context.Context) ([]storage.WalletProvider, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	var out []storage.WalletProvider
	for _, p := range s.wallets {
		out = append(out, copyOf(p))
	}
	slices.SortFunc(out, func(a, b storage.WalletProvider) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// DeleteWalletProvider removes the provider; ErrNotFound if there is none.
func (s *Store) DeleteWalletProvider(ctx context.Context, id string) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if _, ok := s.wallets[id]; !ok {
		return fmt.Errorf("storage/memory: wallet provider %q: %w", id, storage.ErrNotFound)
	}
	delete(s.wallets, id)
	return nil
}
