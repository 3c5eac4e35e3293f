package memory

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"issuer/storage"
)

// GetOrCreateSecret returns the secret stored under name, or stores and
// returns create() if there is none. create runs without the lock; when
// two callers race, both get the value stored first.
func (s *Store) GetOrCreateSecret(ctx context.Context, name string, create func() ([]byte, error)) ([]byte, error) {
	if name == "" {
		return nil, errors.New("storage/memory: empty secret name")
	}
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	v, ok := s.secrets[name]
	s.mu.Unlock()
	if ok {
		return slices.Clone(v), nil
	}
	v, err := create()
	if err != nil {
		return nil, fmt.Errorf("storage/memory: create secret %q: %w", name, err)
	}
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	if old, ok := s.secrets[name]; ok {
		return slices.Clone(old), nil
	}
	s.secrets[name] = slices.Clone(v)
	return slices.Clone(v), nil
}

// SigningKeys returns every signing key, oldest CreatedAt first (ties by
// ID).
func (s *Store) SigningKeys(ctx context.Context) ([]storage.SigningKey, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	var keys []storage.SigningKey
	for _, k := range s.keys {
		keys = append(keys, copyOf(k))
	}
	slices.SortFunc(keys, func(a, b storage.SigningKey) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return keys, nil
}

// AddSigningKey stores k; ErrAlreadyExists if k.ID is taken.
func (s *Store) AddSigningKey(ctx context.Context, k storage.SigningKey) error {
	return insert(s, ctx, s.keys, "signing key ID", k.ID, k)
}

// CreateClient stores c; ErrAlreadyExists if c.ID is taken.
func (s *Store) CreateClient(ctx context.Context, c storage.Client) error {
	return insert(s, ctx, s.clients, "client ID", c.ID, c)
}

// GetClient returns the client; ErrNotFound if there is none.
func (s *Store) GetClient(ctx context.Context, id string) (storage.Client, error) {
	if err := s.lock(ctx); err != nil {
		return storage.Client{}, err
	}
	defer s.mu.Unlock()
	c, ok := s.clients[id]
	if !ok {
		return storage.Client{}, fmt.Errorf("storage/memory: client %q: %w", id, storage.ErrNotFound)
	}
	return copyOf(c), nil
}

// DeleteClient removes the client; ErrNotFound if there is none.
func (s *Store) DeleteClient(ctx context.Context, id string) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if _, ok := s.clients[id]; !ok {
		return fmt.Errorf("storage/memory: client %q: %w", id, storage.ErrNotFound)
	}
	delete(s.clients, id)
	return nil
}

// CreateUser stores u; ErrAlreadyExists if the username is taken.
func (s *Store) CreateUser(ctx context.Context, u storage.User) error {
	if u.ID == "" || u.Username == "" {
		return fmt.Errorf("storage/memory: user without ID or username")
	}
	u, err := normalize(u)
	if err != nil {
		return err
	}
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	_, nameTaken := s.users[u.Username]
	idTaken := slices.ContainsFunc(slices.Collect(maps.Values(s.users)), func(o storage.User) bool { return o.ID == u.ID })
	if nameTaken || idTaken {
		return fmt.Errorf("storage/memory: user %q: %w", u.Username, storage.ErrAlreadyExists)
	}
	s.users[u.Username] = u
	return nil
}

// GetUser returns the user by username; ErrNotFound if there is none.
func (s *Store) GetUser(ctx context.Context, username string) (storage.User, error) {
	if err := s.lock(ctx); err != nil {
		return storage.User{}, err
	}
	defer s.mu.Unlock()
	u, ok := s.users[username]
	if !ok {
		return storage.User{}, fmt.Errorf("storage/memory: user: %w", storage.ErrNotFound)
	}
	return copyOf(u), nil
}

// DeleteUser removes the user; ErrNotFound if there is none.
func (s *Store) DeleteUser(ctx context.Context, username string) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if _, ok := s.users[username]; !ok {
		return fmt.Errorf("storage/memory: user: %w", storage.ErrNotFound)
	}
	delete(s.users, username)
	return nil
}

// GetUserByID returns the user by ID; ErrNotFound if there is none.
func (s *Store) GetUserByID(ctx context.Context, id string) (storage.User, error) {
	if err := s.lock(ctx); err != nil {
		return storage.User{}, err
	}
	defer s.mu.Unlock()
	for _, u := range s.users {
		if u.ID == id {
			return copyOf(u), nil
		}
	}
	return storage.User{}, fmt.Errorf("storage/memory: user by ID: %w", storage.ErrNotFound)
}
