package memory

import (
	"context"
	"fmt"

	"issuer/storage"
)

// CreateUMAResource stores r; ErrAlreadyExists if r.ID is taken.
func (s *Store) CreateUMAResource(ctx context.Context, r storage.UMAResource) error {
	return insert(s, ctx, s.umaRes, "UMA resource ID", r.ID, r)
}

// GetUMAResource returns the resource; ErrNotFound if there is none.
func (s *Store) GetUMAResource(ctx context.Context, id string) (storage.UMAResource, error) {
	if err := s.lock(ctx); err != nil {
		return storage.UMAResource{}, err
	}
	defer s.mu.Unlock()
	r, ok := s.umaRes[id]
	if !ok {
		return storage.UMAResource{}, fmt.Errorf("storage/memory: UMA resource: %w", storage.ErrNotFound)
	}
	return copyOf(r), nil
}

// UpdateUMAResource applies update to a copy and stores it if update
// succeeds.
func (s *Store) UpdateUMAResource(ctx context.Context, id string, update func(*storage.UMAResource) error) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	r, ok := s.umaRes[id]
	if !ok {
		return fmt.Errorf("storage/memory: UMA resource: %w", storage.ErrNotFound)
	}
	r = copyOf(r)
	if err := update(&r); err != nil {
		return err
	}
	s.umaRes[id] = copyOf(r)
	return nil
}

// CreateUMATicket stores t; ErrAlreadyExists if t.ID is taken.
func (s *Store) CreateUMATicket(ctx context.Context, t storage.UMATicket) error {
	return insert(s, ctx, s.tickets, "ticket ID", t.ID, t)
}

// GetUMATicket returns the ticket; ErrNotFound if there is none.
func (s *Store) GetUMATicket(ctx context.Context, id string) (storage.UMATicket, error) {
	if err := s.lock(ctx); err != nil {
		return storage.UMATicket{}, err
	}
	defer s.mu.Unlock()
	t, ok := s.tickets[id]
	if !ok {
		return storage.UMATicket{}, fmt.Errorf("storage/memory: UMA ticket: %w", storage.ErrNotFound)
	}
	return copyOf(t), nil
}

// DenyUMATicket marks the ticket denied.
func (s *Store) DenyUMATicket(ctx context.Context, id string) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	t, ok := s.tickets[id]
	if !ok {
		return fmt.Errorf("storage/memory: UMA ticket: %w", storage.ErrNotFound)
	}
	t.Denied = true
	s.tickets[id] = t
	return nil
}

// UseUMATicket uses a ticket once, as documented on storage.Store.
func (s *Store) UseUMATicket(ctx context.Context, u storage.Issuance, ticketID string) error {
	tokens, err := s.beginProofWrite(ctx, "use UMA ticket", u.Now, u.ReplayKey, u.ReplayExpiry, u.Tokens)
	if err != nil {
		return err
	}
	defer s.mu.Unlock()
	t, ok := s.tickets[ticketID]
	if !ok {
		return fmt.Errorf("storage/memory: use UMA ticket: %w", storage.ErrNotFound)
	}
	if err := storage.CheckTicket(t, u.Now); err != nil {
		return fmt.Errorf("storage/memory: use UMA ticket: %w", err)
	}
	t.Used = true
	s.tickets[ticketID] = t
	for _, tok := range tokens {
		s.tokens[tok.ID] = tok
	}
	if len(u.ReplayKey) > 0 {
		s.replay[string(u.ReplayKey)] = u.ReplayExpiry
	}
	return nil
}
