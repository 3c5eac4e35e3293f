package bolt

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.etcd.io/bbolt"

	"issuer/storage"
)

// CreateCredentialRecord stores r, its expiry index entry and, when it has
// an offer, its offer index entry; ErrAlreadyExists if r.ID is taken.
func (s *Store) CreateCredentialRecord(ctx context.Context, r storage.CredentialRecord) error {
	if err := checkKey("credential record ID", []byte(r.ID)); err != nil {
		return err
	}
	data, err := encode(r)
	if err != nil {
		return err
	}
	err = s.update(ctx, func(tx *writeTx) error {
		b, key := tx.Bucket(bucketCredRecords), []byte(r.ID)
		if b.Get(key) != nil {
			return storage.ErrAlreadyExists
		}
		if err := b.Put(key, data); err != nil {
			return err
		}
		if r.OfferID != "" {
			if err := tx.Bucket(bucketCredRecordOffers).Put(grantKey(r.OfferID, r.ID), empty); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketCredRecordsExp).Put(indexKey(r.ExpiresAt, key), empty)
	})
	if err != nil {
		return fmt.Errorf("storage/bolt: create credential record: %w", err)
	}
	return nil
}

// GetCredentialRecord returns the record by ID; ErrNotFound if none.
func (s *Store) GetCredentialRecord(ctx context.Context, id string) (storage.CredentialRecord, error) {
	var r storage.CredentialRecord
	err := s.view(ctx, func(tx *bbolt.Tx) error { return get(tx.Bucket(bucketCredRecords), []byte(id), &r) })
	if err != nil {
		return storage.CredentialRecord{}, fmt.Errorf("storage/bolt: credential record: %w", err)
	}
	return r, nil
}

// UpdateCredentialRecord applies update to a live record in one
// transaction.
func (s *Store) UpdateCredentialRecord(ctx context.Context, id string, now time.Time, update func(*storage.CredentialRecord) error) (storage.CredentialRecord, error) {
	var out storage.CredentialRecord
	err := s.update(ctx, func(tx *writeTx) error {
		b := tx.Bucket(bucketCredRecords)
		var r storage.CredentialRecord
		if err := get(b, []byte(id), &r); err != nil {
			return err
		}
		if now.After(r.ExpiresAt) {
			return storage.ErrNotFound
		}
		old := r
		if err := update(&r); err != nil {
			return err
		}
		r.ID, r.Kind, r.OfferID = old.ID, old.Kind, old.OfferID
		if err := put(b, []byte(id), r); err != nil {
			return err
		}
		out = r
		return moveIndex(tx.Bucket(bucketCredRecordsExp), []byte(id), old.ExpiresAt, r.ExpiresAt)
	})
	if err != nil {
		return storage.CredentialRecord{}, fmt.Errorf("storage/bolt: update credential record: %w", err)
	}
	return out, nil
}

// CredentialRecordsOf returns the records of an offer, oldest first.
func (s *Store) CredentialRecordsOf(ctx context.Context, offerID string) ([]storage.CredentialRecord, error) {
	out := []storage.CredentialRecord{}
	if offerID == "" {
		return out, nil
	}
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		prefix := append([]byte(offerID), 0)
		records := tx.Bucket(bucketCredRecords)
		c := tx.Bucket(bucketCredRecordOffers).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			var r storage.CredentialRecord
			switch err := get(records, k[len(prefix):], &r); {
			case errors.Is(err, storage.ErrNotFound):
				continue
			case err != nil:
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("storage/bolt: credential records of an offer: %w", err)
	}
	slices.SortFunc(out, func(a, b storage.CredentialRecord) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// deleteCredentialRecord deletes the record of an expired index entry and
// its offer index entry.
func deleteCredentialRecord(tx *writeTx, entry []byte) (bool, error) {
	b, id := tx.Bucket(bucketCredRecords), entry[timeKeyLen:]
	var r storage.CredentialRecord
	switch err := get(b, id, &r); {
	case errors.Is(err, storage.ErrNotFound):
		return false, nil
	case err == nil && r.OfferID != "":
		if err := tx.Bucket(bucketCredRecordOffers).Delete(grantKey(r.OfferID, r.ID)); err != nil {
			return false, err
		}
	}
	return true, b.Delete(id)
}
