package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"

	"issuer/storage"
)

// The range of times that Unix nanoseconds hold (years 1678 to 2262).
var (
	minNS = time.Unix(0, math.MinInt64)
	maxNS = time.Unix(0, math.MaxInt64)
)

// ns returns t as Unix nanoseconds, the form of the columns SQL compares;
// times out of range (the zero time among them) clamp to the ends.
func ns(t time.Time) int64 {
	switch {
	case t.Before(minNS):
		return math.MinInt64
	case t.After(maxNS):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// encode returns the JSON of a record.
func encode(v any) ([]byte, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("storage/postgres: encode %T: %w", v, err)
	}
	return data, nil
}

// decode parses the JSON of a record.
func decode[T any](data []byte) (T, error) {
	var v T
	if err := json.Unmarshal(data, &v); err != nil {
		return v, fmt.Errorf("storage/postgres: decode %T: %w", v, err)
	}
	return v, nil
}

// taken maps a unique violation to storage.ErrAlreadyExists.
func taken(err error) error {
	if isCode(err, codeUniqueViolation) {
		return storage.ErrAlreadyExists
	}
	return err
}

// insert runs one INSERT; a unique violation is storage.ErrAlreadyExists.
func (s *Store) insert(ctx context.Context, what, sql string, args ...any) error {
	return s.do(ctx, what, false, func(ctx context.Context) error {
		_, err := s.pool.Exec(ctx, sql, args...)
		return taken(err)
	})
}

// get reads one record's JSON with sql and decodes it; no row is
// storage.ErrNotFound.
func get[T any](ctx context.Context, s *Store, what, sql string, args ...any) (T, error) {
	var v T
	err := s.do(ctx, what, true, func(ctx context.Context) error {
		var data []byte
		if err := s.pool.QueryRow(ctx, sql, args...).Scan(&data); err != nil {
			return notFound(err)
		}
		var err error
		v, err = decode[T](data)
		return err
	})
	return v, err
}

// list reads the JSON of many records with sql and decodes them.
func list[T any](ctx context.Context, s *Store, what, sql string, args ...any) ([]T, error) {
	var out []T
	err := s.do(ctx, what, true, func(ctx context.Context) error {
		out = nil
		rows, err := s.pool.Query(ctx, sql, args...)
		if err != nil {
			return err
		}
		datas, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
		if err != nil {
			return err
		}
		for _, d := range datas {
			v, err := decode[T](d)
			if err != nil {
				return err
			}
			out = append(out, v)
		}
		return nil
	})
	return out, err
}

// notFound maps pgx.ErrNoRows to storage.ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return storage.ErrNotFound
	}
	return err
}

// remove runs one DELETE; no row deleted is storage.ErrNotFound.
func (s *Store) remove(ctx context.Context, what, sql string, args ...any) error {
	return s.do(ctx, what, false, func(ctx context.Context) error {
		tag, err := s.pool.Exec(ctx, sql, args...)
		if err == nil && tag.RowsAffected() == 0 {
			return storage.ErrNotFound
		}
		return err
	})
}

// GetOrCreateSecret returns the secret stored under name, or stores
// create() if there is none: INSERT … ON CONFLICT DO NOTHING, then the
// stored value, so that concurrent callers on every node get the first
// value stored.
func (s *Store) GetOrCreateSecret(ctx context.Context, name string, create func() ([]byte, error)) ([]byte, error) {
	if name == "" {
		return nil, errors.New("storage/postgres: empty secret name")
	}
	const q = `SELECT value FROM secrets WHERE name = $1`
	var v []byte
	err := s.do(ctx, "secret", true, func(ctx context.Context) error { return s.pool.QueryRow(ctx, q, name).Scan(&v) })
	if err == nil || !errors.Is(err, pgx.ErrNoRows) {
		return v, err
	}
	created, err := create()
	if err != nil {
		return nil, fmt.Errorf("storage/postgres: create secret %q: %w", name, err)
	}
	err = s.do(ctx, "create secret", true, func(ctx context.Context) error {
		if _, err := s.pool.Exec(ctx, `INSERT INTO secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, name, created); err != nil {
			return err
		}
		return s.pool.QueryRow(ctx, q, name).Scan(&v)
	})
	return v, err
}

// SigningKeys returns every signing key, oldest CreatedAt first (ties by
// ID).
func (s *Store) SigningKeys(ctx context.Context) ([]storage.SigningKey, error) {
	return list[storage.SigningKey](ctx, s, "signing keys", `SELECT data FROM signing_keys ORDER BY created_ns, id COLLATE "C"`)
}

// AddSigningKey stores k; ErrAlreadyExists if k.ID is taken.
func (s *Store) AddSigningKey(ctx context.Context, k storage.SigningKey) error {
	if k.ID == "" {
		return errors.New("storage/postgres: empty signing key ID")
	}
	data, err := encode(k)
	if err != nil {
		return err
	}
	return s.insert(ctx, "add signing key", `INSERT INTO signing_keys (id, created_ns, data) VALUES ($1, $2, $3)`, k.ID, ns(k.CreatedAt), data)
}

// CreateClient stores c; ErrAlreadyExists if c.ID is taken.
func (s *Store) CreateClient(ctx context.Context, c storage.Client) error {
	if c.ID == "" {
		return errors.New("storage/postgres: empty client ID")
	}
	data, err := encode(c)
	if err != nil {
		return err
	}
	return s.insert(ctx, "create client", `INSERT INTO clients (id, data) VALUES ($1, $2)`, c.ID, data)
}

// GetClient returns the client; ErrNotFound if there is none.
func (s *Store) GetClient(ctx context.Context, id string) (storage.Client, error) {
	return get[storage.Client](ctx, s, "client", `SELECT data FROM clients WHERE id = $1`, id)
}

// DeleteClient removes the client; ErrNotFound if there is none.
func (s *Store) DeleteClient(ctx context.Context, id string) error {
	return s.remove(ctx, "delete client", `DELETE FROM clients WHERE id = $1`, id)
}

// CreateUser stores u; ErrAlreadyExists if its username or ID is taken.
func (s *Store) CreateUser(ctx context.Context, u storage.User) error {
	if u.ID == "" || u.Username == "" {
		return errors.New("storage/postgres: user without ID or username")
	}
	data, err := encode(u)
	if err != nil {
		return err
	}
	return s.insert(ctx, "create user", `INSERT INTO users (username, id, data) VALUES ($1, $2, $3)`, u.Username, u.ID, data)
}

// GetUser returns the user by username; ErrNotFound if there is none.
func (s *Store) GetUser(ctx context.Context, username string) (storage.User, error) {
	return get[storage.User](ctx, s, "user", `SELECT data FROM users WHERE username = $1`, username)
}

// GetUserByID returns the user by ID; ErrNotFound if there is none.
func (s *Store) GetUserByID(ctx context.Context, id string) (storage.User, error) {
	return get[storage.User](ctx, s, "user by ID", `SELECT data FROM users WHERE id = $1`, id)
}

// DeleteUser removes the user; ErrNotFound if there is none.
func (s *Store) DeleteUser(ctx context.Context, username string) error {
	return s.remove(ctx, "delete user", `DELETE FROM users WHERE username = $1`, username)
}

// CreateWalletProvider stores p; ErrAlreadyExists if p.ID is taken.
func (s *Store) CreateWalletProvider(ctx context.Context, p storage.WalletProvider) error {
	if p.ID == "" {
		return errors.New("storage/postgres: empty wallet provider ID")
	}
	data, err := encode(p)
	if err != nil {
		return err
	}
	return s.insert(ctx, "create wallet provider", `INSERT INTO wallet_providers (id, created_ns, data) VALUES ($1, $2, $3)`, p.ID, ns(p.CreatedAt), data)
}

// WalletProviders returns every wallet provider, oldest CreatedAt first
// (ties by ID).
func (s *Store) WalletProviders(ctx context.Context) ([]storage.WalletProvider, error) {
	return list[storage.WalletProvider](ctx, s, "wallet providers", `SELECT data FROM wallet_providers ORDER BY created_ns, id COLLATE "C"`)
}

// DeleteWalletProvider removes the provider; ErrNotFound if there is none.
func (s *Store) DeleteWalletProvider(ctx context.Context, id string) error {
	return s.remove(ctx, "delete wallet provider", `DELETE FROM wallet_providers WHERE id = $1`, id)
}
