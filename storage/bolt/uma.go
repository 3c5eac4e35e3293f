package bolt

import (
	"context"
	"fmt"

	"go.etcd.io/bbolt"

	"issuer/storage"
)

// CreateUMAResource stores r; ErrAlreadyExists if r.ID is taken.
func (s *Store) CreateUMAResource(ctx context.Context, r storage.UMAResource) error {
	return s.insert(ctx, bucketUMARes, "UMA resource ID", r.ID, r)
}

// GetUMAResource returns the resource; ErrNotFound if there is none.
func (s *Store) GetUMAResource(ctx context.Context, id string) (storage.UMAResource, error) {
	var r storage.UMAResource
	err := s.view(ctx, func(tx *bbolt.Tx) error { return get(tx.Bucket(bucketUMARes), []byte(id), &r) })
	if err != nil {
		return storage.UMAResource{}, fmt.Errorf("storage/bolt: UMA resource %q: %w", id, err)
	}
	return r, nil
}

// UpdateUMAResource applies update to the resource in one transaction.
func (s *Store) UpdateUMAResource(ctx context.Context, id string, update func(*storage.UMAResource) error) error {
	err := s.update(ctx, func(tx *writeTx) error {
		b := tx.Bucket(bucketUMARes)
		var r storage.UMAResource
		if err := get(b, []byte(id), &r); err != nil {
			return err
		}
		if err := update(&r); err != nil {
			return err
		}
		return put(b, []byte(id), r)
	})
	if err != nil {
		return fmt.Errorf("storage/bolt: update UMA resource %q: %w", id, err)
	}
	return nil
}

// CreateUMATicket stores t and its expiry index entry.
func (s *Store) CreateUMATicket(ctx context.Context, t storage.UMATicket) error {
	return s.insertExpiring(ctx, "UMA ticket", bucketUMATickets, bucketUMAExp, t.ID, t.ExpiresAt, t)
}

// GetUMATicket returns the ticket; ErrNotFound if there is none.
func (s *Store) GetUMATicket(ctx context.Context, id string) (storage.UMATicket, error) {
	var t storage.UMATicket
	err := s.view(ctx, func(tx *bbolt.Tx) error { return get(tx.Bucket(bucketUMATickets), []byte(id), &t) })
	if err != nil {
		return storage.UMATicket{}, fmt.Errorf("storage/bolt: UMA ticket: %w", err)
	}
	return t, nil
}

// DenyUMATicket marks the ticket denied.
func (s *Store) DenyUMATicket(ctx context.Context, id string) error {
	err := s.update(ctx, func(tx *writeTx) error {
		b := tx.Bucket(bucketUMATickets)
		var t storage.UMATicket
		if err := get(b, []byte(id), &t); err != nil {
			return err
		}
		t.Denied = true
		return put(b, []byte(id), t)
	})
	if err != nil {
		return fmt.Errorf("storage/bolt: deny UMA ticket: %w", err)
	}
	return nil
}

// UseUMATicket uses a ticket once, as documented on storage.Store.
func (s *Store) UseUMATicket(ctx context.Context, u storage.Issuance, ticketID string) error {
	if err := storage.CheckWrite(u.Now, u.ReplayKey, u.ReplayExpiry); err != nil {
		return fmt.Errorf("storage/bolt: use UMA ticket: %w", err)
	}
	tokens, err := encodeTokens(u.Tokens)
	if err != nil {
		return err
	}
	err = s.update(ctx, func(w *writeTx) error {
		if len(u.ReplayKey) > 0 && w.replayLive(u.ReplayKey, u.Now) {
			return storage.ErrAlreadyExists
		}
		b := w.Bucket(bucketUMATickets)
		var t storage.UMATicket
		if err := get(b, []byte(ticketID), &t); err != nil {
			return err
		}
		if err := storage.CheckTicket(t, u.Now); err != nil {
			return err
		}
		t.Used = true
		if err := put(b, []byte(ticketID), t); err != nil {
			return err
		}
		for i, tok := range u.Tokens {
			if err := putToken(w.Tx, tok, tokens[i]); err != nil {
				return err
			}
		}
		return recordThen(w, storage.RefreshUse{ReplayKey: u.ReplayKey, ReplayExpiry: u.ReplayExpiry}, nil)
	})
	if err != nil {
		return fmt.Errorf("storage/bolt: use UMA ticket: %w", err)
	}
	return nil
}

// deleteTicket deletes the UMA ticket of an expired index entry.
func deleteTicket(tx *writeTx, entry []byte) (bool, error) {
	b, id := tx.Bucket(bucketUMATickets), entry[timeKeyLen:]
	if b.Get(id) == nil {
		return false, nil
	}
	return true, b.Delete(id)
}
