package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"issuer/storage"
)

// CreateCredentialRecord stores r; ErrAlreadyExists if r.ID is taken.
func (s *Store) CreateCredentialRecord(ctx context.Context, r storage.CredentialRecord) error {
	if r.ID == "" {
		return errors.New("storage/postgres: empty credential record ID")
	}
	data, err := encode(r)
	if err != nil {
		return err
	}
	return s.insert(ctx, "create credential record",
		`INSERT INTO credential_records (id, offer_id, created_ns, expires_ns, data) VALUES ($1, $2, $3, $4, $5)`,
		r.ID, r.OfferID, ns(r.CreatedAt), ns(r.ExpiresAt), data)
}

// GetCredentialRecord returns the record by ID; ErrNotFound if none.
func (s *Store) GetCredentialRecord(ctx context.Context, id string) (storage.CredentialRecord, error) {
	return get[storage.CredentialRecord](ctx, s, "credential record", `SELECT data FROM credential_records WHERE id = $1`, id)
}

// UpdateCredentialRecord applies update to the live record, its row
// locked FOR UPDATE, and stores the result; ErrNotFound if there is none
// or it has expired at now; update's error leaves it unchanged. update may
// run more than once (a retried transaction), each time on a fresh copy.
func (s *Store) UpdateCredentialRecord(ctx context.Context, id string, now time.Time, update func(*storage.CredentialRecord) error) (storage.CredentialRecord, error) {
	var r storage.CredentialRecord
	err := s.tx(ctx, "update credential record", func(ctx context.Context, tx pgx.Tx) error {
		var err error
		if r, err = lockRecord[storage.CredentialRecord](ctx, tx, `SELECT data FROM credential_records WHERE id = $1 FOR UPDATE`, id); err != nil {
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
		data, err := encode(r)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE credential_records SET data = $2, expires_ns = $3 WHERE id = $1`, id, data, ns(r.ExpiresAt))
		return err
	})
	if err != nil {
		return storage.CredentialRecord{}, err
	}
	return r, nil
}

// CredentialRecordsOf returns the records of an offer, oldest first.
func (s *Store) CredentialRecordsOf(ctx context.Context, offerID string) ([]storage.CredentialRecord, error) {
	out := []storage.CredentialRecord{}
	if offerID == "" {
		return out, nil
	}
	rs, err := list[storage.CredentialRecord](ctx, s, "credential records of an offer",
		`SELECT data FROM credential_records WHERE offer_id = $1 ORDER BY created_ns, id`, offerID)
	return append(out, rs...), err
}
