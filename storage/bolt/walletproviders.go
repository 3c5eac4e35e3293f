package bolt

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"go.etcd.io/bbolt"

	"issuer/storage"
)

// bucketWalletProviders maps a provider ID to its storage.WalletProvider.
// Unlike the buckets of allBuckets, it is created by the first
// CreateWalletProvider, so that databases written before it existed need
// no new schema version: a missing bucket reads as no provider.
var bucketWalletProviders = []byte("wallet_providers")

// CreateWalletProvider stores p; ErrAlreadyExists if p.ID is taken.
func (s *Store) CreateWalletProvider(ctx context.Context, p storage.WalletProvider) error {
	if err := checkKey("wallet provider ID", []byte(p.ID)); err != nil {
		return err
	}
	data, err := encode(p)
	if err != nil {
		return err
	}
	err = s.update(ctx, func(tx *writeTx) error {
		b, err := tx.CreateBucketIfNotExists(bucketWalletProviders)
		if err != nil {
			return err
		}
		if b.Get([]byte(p.ID)) != nil {
			return storage.ErrAlreadyExists
		}
		return b.Put([]byte(p.ID), data)
	})
	if err != nil {
		return fmt.Errorf("storage/bolt: wallet provider %q: %w", p.ID, err)
	}
	return nil
}

// WalletProviders returns every wallet provider, oldest CreatedAt first
// (ties by ID).
func (s *Store) WalletProviders(ctx context.Context) ([]storage.WalletProvider, error) {
	var out []storage.WalletProvider
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketWalletProviders)
		if b == nil {
			return nil
		}
		return b.ForEach(func(_, v []byte) error {
			var p storage.WalletProvider
			if err := decode(v, &p); err != nil {
				return err
			}
			out = append(out, p)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("storage/bolt: wallet providers: %w", err)
	}
	slices.SortFunc(out, func(a, b storage.WalletProvider) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// DeleteWalletProvider removes the provider; ErrNotFound if there is none.
func (s *Store) DeleteWalletProvider(ctx context.Context, id string) error {
	err := s.update(ctx, func(tx *writeTx) error {
		b := tx.Bucket(bucketWalletProviders)
		if b == nil || b.Get([]byte(id)) == nil {
			return storage.ErrNotFound
		}
		return b.Delete([]byte(id))
	})
	if err != nil {
		return fmt.Errorf("storage/bolt: delete wallet provider %q: %w", id, err)
	}
	return nil
}
