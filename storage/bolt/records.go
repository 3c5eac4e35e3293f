package bolt

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"go.etcd.io/bbolt"

	"issuer/storage"
)

// secretRecord is the stored form of a named secret.
type secretRecord struct {
	Value []byte `json:"value"`
}

// GetOrCreateSecret returns the secret stored under name, or stores and
// returns create() if there is none. create runs outside any transaction;
// when two callers race, both get the value that was stored first.
func (s *Store) GetOrCreateSecret(ctx context.Context, name string, create func() ([]byte, error)) ([]byte, error) {
	if err := checkKey("secret name", []byte(name)); err != nil {
		return nil, err
	}
	var rec secretRecord
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		return get(tx.Bucket(bucketSecrets), []byte(name), &rec)
	})
	if !errors.Is(err, storage.ErrNotFound) {
		return rec.Value, err
	}
	value, err := create()
	if err != nil {
		return nil, fmt.Errorf("storage/bolt: create secret %q: %w", name, err)
	}
	err = s.update(ctx, func(tx *writeTx) error {
		b := tx.Bucket(bucketSecrets)
		rec = secretRecord{}
		if err := get(b, []byte(name), &rec); !errors.Is(err, storage.ErrNotFound) {
			return err // stored meanwhile, or corrupt
		}
		rec.Value = value
		return put(b, []byte(name), rec)
	})
	if err != nil {
		return nil, err
	}
	return rec.Value, nil
}

// SigningKeys returns every signing key, oldest CreatedAt first (ties by
// ID).
func (s *Store) SigningKeys(ctx context.Context) ([]storage.SigningKey, error) {
	var keys []storage.SigningKey
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketKeys).ForEach(func(_, v []byte) error {
			var k storage.SigningKey
			if err := decode(v, &k); err != nil {
				return err
			}
			keys = append(keys, k)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(keys, func(a, b storage.SigningKey) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return keys, nil
}

// AddSigningKey stores k; ErrAlreadyExists if k.ID is taken.
func (s *Store) AddSigningKey(ctx context.Context, k storage.SigningKey) error {
	return s.insert(ctx, bucketKeys, "signing key ID", k.ID, k)
}

// CreateClient stores c; ErrAlreadyExists if c.ID is taken.
func (s *Store) CreateClient(ctx context.Context, c storage.Client) error {
	return s.insert(ctx, bucketClients, "client ID", c.ID, c)
}

// GetClient returns the client; ErrNotFound if there is none.
func (s *Store) GetClient(ctx context.Context, id string) (storage.Client, error) {
	var c storage.Client
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		return get(tx.Bucket(bucketClients), []byte(id), &c)
	})
	if err != nil {
		return storage.Client{}, fmt.Errorf("storage/bolt: client %q: %w", id, err)
	}
	return c, nil
}

// DeleteClient removes the client; ErrNotFound if there is none.
func (s *Store) DeleteClient(ctx context.Context, id string) error {
	err := s.update(ctx, func(tx *writeTx) error {
		b := tx.Bucket(bucketClients)
		if b.Get([]byte(id)) == nil {
			return storage.ErrNotFound
		}
		return b.Delete([]byte(id))
	})
	if err != nil {
		return fmt.Errorf("storage/bolt: delete client %q: %w", id, err)
	}
	return nil
}

// CreateUser stores u; ErrAlreadyExists if the username is taken.
func (s *Store) CreateUser(ctx context.Context, u storage.User) error {
	if err := checkKey("username", []byte(u.Username)); err != nil {
		return err
	}
	if err := checkKey("user ID", []byte(u.ID)); err != nil {
		return err
	}
	data, err := encode(u)
	if err != nil {
		return err
	}
	err = s.update(ctx, func(tx *writeTx) error {
		b, ids := tx.Bucket(bucketUsers), tx.Bucket(bucketUserIDs)
		if b.Get([]byte(u.Username)) != nil || ids.Get([]byte(u.ID)) != nil {
			return storage.ErrAlreadyExists
		}
		if err := b.Put([]byte(u.Username), data); err != nil {
			return err
		}
		return ids.Put([]byte(u.ID), []byte(u.Username))
	})
	if err != nil {
		return fmt.Errorf("storage/bolt: create user %q: %w", u.Username, err)
	}
	return nil
}

// GetUser returns the user by username; ErrNotFound if there is none.
func (s *Store) GetUser(ctx context.Context, username string) (storage.User, error) {
	var u storage.User
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		return get(tx.Bucket(bucketUsers), []byte(username), &u)
	})
	if err != nil {
		return storage.User{}, fmt.Errorf("storage/bolt: user: %w", err)
	}
	return u, nil
}

// DeleteUser removes the user; ErrNotFound if there is none.
func (s *Store) DeleteUser(ctx context.Context, username string) error {
	err := s.update(ctx, func(tx *writeTx) error {
		b := tx.Bucket(bucketUsers)
		var u storage.User
		if err := get(b, []byte(username), &u); err != nil {
			return err
		}
		if err := tx.Bucket(bucketUserIDs).Delete([]byte(u.ID)); err != nil {
			return err
		}
		return b.Delete([]byte(username))
	})
	if err != nil {
		return fmt.Errorf("storage/bolt: delete user: %w", err)
	}
	return nil
}

// GetUserByID returns the user by ID through the user_ids index.
func (s *Store) GetUserByID(ctx context.Context, id string) (storage.User, error) {
	var u storage.User
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		name := tx.Bucket(bucketUserIDs).Get([]byte(id))
		if name == nil {
			return storage.ErrNotFound
		}
		return get(tx.Bucket(bucketUsers), name, &u)
	})
	if err != nil {
		return storage.User{}, fmt.Errorf("storage/bolt: user by ID: %w", err)
	}
	return u, nil
}

// indexUsers fills the user_ids index of a database written before it
// existed.
func indexUsers(tx *bbolt.Tx) error {
	ids := tx.Bucket(bucketUserIDs)
	return tx.Bucket(bucketUsers).ForEach(func(k, v []byte) error {
		var u storage.User
		if err := decode(v, &u); err != nil {
			return err
		}
		return ids.Put([]byte(u.ID), clone(k))
	})
}

// insert stores v under id in bucket; ErrAlreadyExists if id is taken.
func (s *Store) insert(ctx context.Context, bucket []byte, what, id string, v any) error {
	if err := checkKey(what, []byte(id)); err != nil {
		return err
	}
	data, err := encode(v)
	if err != nil {
		return err
	}
	err = s.update(ctx, func(tx *writeTx) error {
		b := tx.Bucket(bucket)
		if b.Get([]byte(id)) != nil {
			return storage.ErrAlreadyExists
		}
		return b.Put([]byte(id), data)
	})
	if err != nil {
		return fmt.Errorf("storage/bolt: %s %q: %w", what, id, err)
	}
	return nil
}
