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
	var data []byte
	if err := tx.QueryRow(ctx, sql, arg).Scan(&data); err != nil {
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
// storage.AuthCodes, in one transaction: the replay key is claimed, the
// code's row and then its offer's are locked FOR UPDATE,
// storage.PlanRedeemAuthCode decides, and its writes follow.
func (s *Store) RedeemAuthCode(ctx context.Context, r storage.Redemption) error {
	tokens, err := prepareTokens(r.Now, r.ReplayKey, r.ReplayExpiry, r.Tokens)
	if err != nil {
		return err
	}
	return s.tx(ctx, "redeem authorization code", func(ctx context.Context, tx pgx.Tx) error {
		if err := claimReplay(ctx, tx, r.ReplayKey, r.ReplayExpiry, r.Now); err != nil {
			return err
		}
		c, err := lockRecord[storage.AuthCode](ctx, tx, `SELECT data FROM auth_codes WHERE id = $1 FOR UPDATE`, r.CodeID)
		if err != nil {
			return err
		}
		o, offer, err := lockCodeOffer(ctx, tx, r.OfferID)
		if err != nil {
			return err
		}
		p := storage.PlanRedeemAuthCode(c.State(), offer, r)
		if err := applyRedeem(ctx, tx, p, tokens); err != nil {
			return err
		}
		c.SetState(p.Code)
		data, err := encode(c)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE auth_codes SET data = $2, keep_until_ns = $3 WHERE id = $1`, c.ID, data, ns(c.KeepUntil)); err != nil {
			return err
		}
		if p.Offer == nil {
			return nil
		}
		o.SetState(*p.Offer)
		return updateOffer(ctx, tx, o)
	})
}

// lockCodeOffer locks the offer an authorization code came from and
// returns it with its state; a nil state if id is empty or unknown.
func lockCodeOffer(ctx context.Context, tx pgx.Tx, id string) (storage.Offer, *storage.CodeState, error) {
	if id == "" {
		return storage.Offer{}, nil, nil
	}
	o, err := lockOffer(ctx, tx, `SELECT data FROM offers WHERE id = $1 FOR UPDATE`, id)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return o, nil, nil
	case err != nil:
		return o, nil, err
	}
	st := o.State()
	return o, &st, nil
}
