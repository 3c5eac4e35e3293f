// Package memory is an in-memory [storage.Store] for the unit tests of
// other packages. It has the semantics of the bbolt store (it passes the
// same conformance suite, storage/storagetest) but keeps nothing across
// restarts.
//
// Records are copied through JSON on the way in and out, as the bbolt
// store does, so callers see the same values from both: json.RawMessage
// fields come back compacted and times in a fixed zone with the same
// offset.
package memory

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"issuer/storage"
)

// Compile-time check that *Store implements storage.Store.
var _ storage.Store = (*Store)(nil)

// Store is an in-memory storage.Store: maps behind one mutex. The zero
// value is not usable; call New.
type Store struct {
	mu      sync.Mutex
	closed  bool
	secrets map[string][]byte
	keys    map[string]storage.SigningKey
	clients map[string]storage.Client
	users   map[string]storage.User
	wallets map[string]storage.WalletProvider
	umaRes  map[string]storage.UMAResource
	tickets map[string]storage.UMATicket
	offers  map[string]storage.Offer
	codes   map[string]string // code hash -> offer ID
	tokens  map[string]storage.Token
	replay  map[string]time.Time // replay key -> expiry

	sessions  map[string]storage.AuthSession
	authCodes map[string]storage.AuthCode
}

// New returns an empty store.
func New() *Store {
	return &Store{
		secrets: map[string][]byte{},
		keys:    map[string]storage.SigningKey{},
		clients: map[string]storage.Client{},
		users:   map[string]storage.User{},
		wallets: map[string]storage.WalletProvider{},
		umaRes:  map[string]storage.UMAResource{},
		tickets: map[string]storage.UMATicket{},
		offers:  map[string]storage.Offer{},
		codes:   map[string]string{},
		tokens:  map[string]storage.Token{},
		replay:  map[string]time.Time{},

		sessions:  map[string]storage.AuthSession{},
		authCodes: map[string]storage.AuthCode{},
	}
}

// lock checks ctx, takes the mutex and fails with ErrClosed after Close.
// On nil the caller must unlock s.mu.
func (s *Store) lock(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return storage.ErrClosed
	}
	return nil
}

// Close marks the store closed; later calls return ErrClosed. A second
// Close returns nil.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

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

// insert stores a copy of v under id in m; ErrAlreadyExists if id is
// taken.
func insert[T any](s *Store, ctx context.Context, m map[string]T, what, id string, v T) error {
	if id == "" {
		return fmt.Errorf("storage/memory: empty %s", what)
	}
	v, err := normalize(v)
	if err != nil {
		return err
	}
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if _, ok := m[id]; ok {
		return fmt.Errorf("storage/memory: %s %q: %w", what, id, storage.ErrAlreadyExists)
	}
	m[id] = v
	return nil
}

// normalize returns v after a JSON round trip: a deep copy with the values
// the bbolt store would give back. It fails where encoding fails.
func normalize[T any](v T) (T, error) {
	var out T
	data, err := json.Marshal(v)
	if err != nil {
		return out, fmt.Errorf("storage/memory: encode %T: %w", v, err)
	}
	if err := json.Unmarshal(data, &out); err != nil {
		return out, fmt.Errorf("storage/memory: decode %T: %w", v, err)
	}
	return out, nil
}

// copyOf returns a deep copy of a stored (already normalized) record.
func copyOf[T any](v T) T {
	out, err := normalize(v)
	if err != nil {
		panic(err) // stored records were normalized, so they encode
	}
	return out
}
