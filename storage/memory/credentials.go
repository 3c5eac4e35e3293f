package memory

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"issuer/storage"
)

// CreateCredentialRecord stores r; ErrAlreadyExists if r.ID is taken.
func (s *Store) CreateCredentialRecord(ctx context.Context, r storage.CredentialRecord) error {
	return insert(s, ctx, s.credRecords, "credential record ID", r.ID, r)
}

// GetCredentialRecord returns the record by ID; ErrNotFound if none.
func (s *Store) GetCredentialRecord(ctx context.Context, id string) (storage.CredentialRecord, error) {
	if err := s.lock(ctx); err != nil {
		return storage.CredentialRecord{}, err
	}
	defer s.mu.Unlock()
	r, ok := s.credRecords[id]
	if !ok {
		return storage.CredentialRecord{}, fmt.Errorf("storage/memory: credential record: %w", storage.ErrNotFound)
	}
	return copyOf(r), nil
}

// UpdateCredentialRecord applies update to a copy of a live record and
// stores it if update succeeds.
func (s *Store) UpdateCredentialRecord(ctx context.Context, id string, now time.Time, update func(*storage.CredentialRecord) error) (storage.CredentialRecord, error) {
	if err := s.lock(ctx); err != nil {
		return storage.CredentialRecord{}, err
	}
	defer s.mu.Unlock()
	r, ok := s.credRecords[id]
	if !ok || now.After(r.ExpiresAt) {
		return storage.CredentialRecord{}, fmt.Errorf("storage/memory: update credential record: %w", storage.ErrNotFound)
	}
	r = copyOf(r)
	if err := update(&r); err != nil {
		return storage.CredentialRecord{}, err
	}
	old := s.credRecords[id]
	r.ID, r.Kind, r.OfferID = old.ID, old.Kind, old.OfferID
	r, err := normalize(r)
	if err != nil {
		return storage.CredentialRecord{}, err
	}
	s.credRecords[id] = r
	return copyOf(r), nil
}

// CredentialRecordsOf returns the records of an offer, oldest first.
func (s *Store) CredentialRecordsOf(ctx context.Context, offerID string) ([]storage.CredentialRecord, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	out := []storage.CredentialRecord{}
	for _, r := range s.credRecords {
		if offerID != "" && r.OfferID == offerID {
			out = append(out, copyOf(r))
		}
	}
	slices.SortFunc(out, compareRecords)
	return out, nil
}

// compareRecords orders records by CreatedAt, then ID.
func compareRecords(a, b storage.CredentialRecord) int {
	return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
}

// sweepCredentialRecords deletes the expired records. Callers hold s.mu.
func (s *Store) sweepCredentialRecords(now time.Time) int {
	n := 0
	for id, r := range s.credRecords {
		if r.ExpiresAt.Before(now) {
			delete(s.credRecords, id)
			n++
		}
	}
	return n
}
