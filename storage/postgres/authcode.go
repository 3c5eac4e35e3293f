package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"issuer/storage"
)

// CreateAuthSession stores a; ErrAlreadyExists if a.ID is taken.
func (s *Store) CreateAuthSession(ctx context.Context, a storage.AuthSession) error {
	if a.ID == "" {
		return errors.New("storage/postgres: empty auth session ID")
	}
	data, err := encode(a)
	if err != nil {
		return err
	}
	return s.insert(ctx, "create auth session", `INSERT INTO auth_sessions (id, expires_ns, data) VALUES ($1, $2, $3)`, a.ID, ns(a.ExpiresAt), data)
}

// UpdateAuthSession applies update to the live session, its row locked
// FOR UPDATE, and stores the result; ErrNotFound if there is none or it
// has expired at now; update's error leaves it unchanged. update may run
// more than once (the transaction is retried after a lost connection),
// each time on a fresh copy.
func (s *Store) UpdateAuthSession(ctx context.Context, id string, now time.Time, update func(*storage.AuthSession) error) (storage.AuthSession, error) {
	var a storage.AuthSession
	err := s.tx(ctx, "update auth session", func(ctx context.Context, tx pgx.Tx) error {
		var err error
		if a, err = lockRecord[storage.AuthSession](ctx, tx, `SELECT data FROM auth_sessions WHERE id = $1 FOR UPDATE`, id); err != nil {
			return err
		}
		if now.After(a.ExpiresAt) {
			return storage.ErrNotFound
		}
		if err := update(&a); err != nil {
			return err
		}
		data, err := encode(a)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE auth_sessions SET data = $2, expires_ns = $3 WHERE id = $1`, id, data, ns(a.ExpiresAt))
		return err
	})
	if err != nil {
		return storage.AuthSession{}, err
	}
	return a, nil
}

// lockRecord reads one record's JSON with sql (… FOR UPDATE) in tx;
// ErrNotFound if none.
func lockRecord[T any](ctx context.Context, tx pgx.Tx, sql string, arg any) (T, error) {
	return scanRecord[T](tx.QueryRow(ctx, sql, arg))
}

// queueLock queues lockRecord's read in b; its callback stores the record
// in dst; none is the outcome ErrNotFound.
func queueLock[T any](b *reads, sql string, arg any, dst *T) {
	b.row(func(row pgx.Row) error {
		var err error
		*dst, err = scanRecord[T](row)
		return err
	}, sql, arg)
}

// scanRecord decodes a record's row (data); ErrNotFound if none.
func scanRecord[T any](row pgx.Row) (T, error) {
	var data []byte
	if err := row.Scan(&data); err != nil {
		var zero T
		return zero, notFound(err)
	}
	return decode[T](data)
}

// CreateAuthCode stores c; ErrAlreadyExists if c.ID is taken. A zero
// KeepUntil is set to ExpiresAt.
func (s *Store) CreateAuthCode(ctx context.Context, c storage.AuthCode) error {
	if c.ID == "" {
		return errors.New("storage/postgres: empty authorization code ID")
	}
	if c.KeepUntil.IsZero() {
		c.KeepUntil = c.ExpiresAt
	}
	data, err := encode(c)
	if err != nil {
		return err
	}
	return s.insert(ctx, "create authorization code", `INSERT INTO auth_codes (id, keep_until_ns, data) VALUES ($1, $2, $3)`, c.ID, ns(c.KeepUntil), data)
}

// GetAuthCode returns the code by ID; ErrNotFound if there is none.
func (s *Store) GetAuthCode(ctx context.Context, id string) (storage.AuthCode, error) {
	return get[storage.AuthCode](ctx, s, "authorization code", `SELECT data FROM auth_codes WHERE id = $1`, id)
}

// RedeemAuthCode consumes an authorization code as documented on
// storage.AuthCodes, in one transaction of two round trips: the replay key
// is claimed, the code's row and then its offer's are locked FOR UPDATE;
// storage.PlanRedeemAuthCode decides, and its writes follow with the
// commit.
func (s *Store) RedeemAuthCode(ctx context.Context, r storage.Redemption) error {
	tokens, err := prepareTokens(r.Now, r.ReplayKey, r.ReplayExpiry, r.Tokens)
	if err != nil {
		return err
	}
	var c storage.AuthCode
	var o storage.Offer
	var offer *storage.CodeState
	return s.txPipelined(ctx, "redeem authorization code", pipeline{
		lock: func(b *reads) {
			queueClaim(b, r.ReplayKey, r.ReplayExpiry, r.Now)
			queueLock(b, `SELECT data FROM auth_codes WHERE id = $1 FOR UPDATE`, r.CodeID, &c)
			queueLockCodeOffer(b, r.OfferID, &o, &offer)
		},
		write: func(b *pgx.Batch) error {
			p := storage.PlanRedeemAuthCode(c.State(), offer, r)
			if err := queueRedeem(b, p, tokens); err != nil {
				return err
			}
			c.SetState(p.Code)
			data, err := encode(c)
			if err != nil {
				return err
			}
			b.Queue(`UPDATE auth_codes SET data = $2, keep_until_ns = $3 WHERE id = $1`, c.ID, data, ns(c.KeepUntil))
			if p.Offer == nil {
				return nil
			}
			o.SetState(*p.Offer)
			return queueUpdateOffer(b, o)
		},
	})
}

// queueLockCodeOffer queues the read that locks the offer an authorization
// code came from; its callback stores the offer in o and its state in
// state, nil if id is empty or unknown.
func queueLockCodeOffer(b *reads, id string, o *storage.Offer, state **storage.CodeState) {
	*state = nil
	if id == "" {
		return
	}
	b.row(func(row pgx.Row) error {
		var err error
		*o, err = scanRecord[storage.Offer](row)
		switch {
		case errors.Is(err, storage.ErrNotFound):
			return nil
		case err != nil:
			return err
		}
		st := o.State()
		*state = &st
		return nil
	}, `SELECT data FROM offers WHERE id = $1 FOR UPDATE`, id)
}
