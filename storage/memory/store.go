package memory

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"issuer/storage"
)

// Compile-time check that *Store implements storage.Store.
var _ storage.Store = (*Store)(nil)

// Store is an in-memory storage.Store: maps behind one mutex. The zero
// value is not usable; call New.
type Store struct {
	mu         sync.Mutex
	closed     bool
	secrets    map[string][]byte
	keys       map[string]storage.SigningKey
	clients    map[string]storage.Client
	users      map[string]storage.User
	wallets    map[string]storage.WalletProvider
	umaRes     map[string]storage.UMAResource
	tickets    map[string]storage.UMATicket
	offers     map[string]storage.Offer
	offerCodes map[string]string // pre-authorized code hash -> offer ID
	tokens     map[string]storage.Token
	replay     map[string]time.Time // replay key -> expiry

	sessions  map[string]storage.AuthSession
	authCodes map[string]storage.AuthCode
	// credRecords are the credential records by ID.
	credRecords map[string]storage.CredentialRecord
}

// New returns an empty store.
func New() *Store {
	return &Store{
		secrets:    map[string][]byte{},
		keys:       map[string]storage.SigningKey{},
		clients:    map[string]storage.Client{},
		users:      map[string]storage.User{},
		wallets:    map[string]storage.WalletProvider{},
		umaRes:     map[string]storage.UMAResource{},
		tickets:    map[string]storage.UMATicket{},
		offers:     map[string]storage.Offer{},
		offerCodes: map[string]string{},
		tokens:     map[string]storage.Token{},
		replay:     map[string]time.Time{},

		sessions:  map[string]storage.AuthSession{},
		authCodes: map[string]storage.AuthCode{},

		credRecords: map[string]storage.CredentialRecord{},
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
