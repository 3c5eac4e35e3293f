package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"issuer/storage"
)

// CreateUMAResource stores r; ErrAlreadyExists if r.ID is taken.
func (s *Store) CreateUMAResource(ctx context.Context, r storage.UMAResource) error {
	if r.ID == "" {
		return errors.New("storage/postgres: empty UMA resource ID")
	}
	data, err := encode(r)
	if err != nil {
		return err
	}
	return s.insert(ctx, "create UMA resource", `INSERT INTO uma_resources (id, data) VALUES ($1, $2)`, r.ID, data)
}

// GetUMAResource returns the resource; ErrNotFound if there is none.
func (s *Store) GetUMAResource(ctx context.Context, id string) (storage.UMAResource, error) {
	return get[storage.UMAResource](ctx, s, "UMA resource", `SELECT data FROM uma_resources WHERE id = $1`, id)
}

// UpdateUMAResource applies update to the resource, its row locked FOR
// UPDATE, and stores the result; ErrNotFound if there is none, or
// update's error (nothing is written). update may run more than once,
// each time on a fresh copy.
func (s *Store) UpdateUMAResource(ctx context.Context, id string, update func(*storage.UMAResource) error) error {
	return s.tx(ctx, "update UMA resource", func(ctx context.Context, tx pgx.Tx) error {
		r, err := lockRecord[storage.UMAResource](ctx, tx, `SELECT data FROM uma_resources WHERE id = $1 FOR UPDATE`, id)
		if err != nil {
			return err
		}
		if err := update(&r); err != nil {
			return err
		}
		data, err := encode(r)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE uma_resources SET data = $2 WHERE id = $1`, id, data)
		return err
	})
}

// CreateUMATicket stores t; ErrAlreadyExists if t.ID is taken.
func (s *Store) CreateUMATicket(ctx context.Context, t storage.UMATicket) error {
	if t.ID == "" {
		return errors.New("storage/postgres: empty UMA ticket ID")
	}
	data, err := encode(t)
	if err != nil {
		return err
	}
	return s.insert(ctx, "create UMA ticket", `INSERT INTO uma_tickets (id, expires_ns, data) VALUES ($1, $2, $3)`, t.ID, ns(t.ExpiresAt), data)
}

// GetUMATicket returns the ticket; ErrNotFound if there is none.
func (s *Store) GetUMATicket(ctx context.Context, id string) (storage.UMATicket, error) {
	return get[storage.UMATicket](ctx, s, "UMA ticket", `SELECT data FROM uma_tickets WHERE id = $1`, id)
}

// DenyUMATicket marks the ticket denied; ErrNotFound if there is none.
func (s *Store) DenyUMATicket(ctx context.Context, id string) error {
	return s.tx(ctx, "deny UMA ticket", func(ctx context.Context, tx pgx.Tx) error {
		t, err := lockRecord[storage.UMATicket](ctx, tx, `SELECT data FROM uma_tickets WHERE id = $1 FOR UPDATE`, id)
		if err != nil {
			return err
		}
		t.Denied = true
		return updateTicket(ctx, tx, t)
	})
}

// updateTicket writes a ticket's record.
func updateTicket(ctx context.Context, tx pgx.Tx, t storage.UMATicket) error {
	data, err := encode(t)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `UPDATE uma_tickets SET data = $2 WHERE id = $1`, t.ID, data)
	return err
}

// UseUMATicket uses a ticket once, as documented on storage.UMA, in one
// transaction: the replay key is claimed, the ticket's row locked FOR
// UPDATE, storage.CheckTicket decides, and the writes follow.
func (s *Store) UseUMATicket(ctx context.Context, u storage.Issuance, ticketID string) error {
	rows, err := prepareTokens(u.Now, u.ReplayKey, u.ReplayExpiry, u.Tokens)
	if err != nil {
		return err
	}
	return s.tx(ctx, "use UMA ticket", func(ctx context.Context, tx pgx.Tx) error {
		if err := claimReplay(ctx, tx, u.ReplayKey, u.ReplayExpiry, u.Now); err != nil {
			return err
		}
		t, err := lockRecord[storage.UMATicket](ctx, tx, `SELECT data FROM uma_tickets WHERE id = $1 FOR UPDATE`, ticketID)
		if err != nil {
			return err
		}
		if err := storage.CheckTicket(t, u.Now); err != nil {
			return err
		}
		t.Used = true
		if err := updateTicket(ctx, tx, t); err != nil {
			return err
		}
		return insertTokens(ctx, tx, rows)
	})
}
