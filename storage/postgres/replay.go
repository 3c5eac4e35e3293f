package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"issuer/storage"
)

// claimSQL records a replay key unless it is recorded and live: an
// expired record is taken over, a live one returns no row. The unique key
// makes concurrent claims of one key, on any node, wait for each other:
// exactly one gets a row.
const claimSQL = `INSERT INTO replay_keys (key, expires_ns) VALUES ($1, $2)
ON CONFLICT (key) DO UPDATE SET expires_ns = EXCLUDED.expires_ns WHERE replay_keys.expires_ns < $3
RETURNING true`

// claim runs claimSQL on q; storage.ErrAlreadyExists if the key is live
// at now.
func claim(ctx context.Context, q querier, key []byte, exp, now time.Time) error {
	var ok bool
	err := q.QueryRow(ctx, claimSQL, key, ns(exp), ns(now)).Scan(&ok)
	if errors.Is(err, pgx.ErrNoRows) {
		return storage.ErrAlreadyExists
	}
	return err
}

// claimReplay claims a write's replay key (if any) in its transaction: a
// write that then fails rolls the claim back with the rest.
func claimReplay(ctx context.Context, tx pgx.Tx, key []byte, exp, now time.Time) error {
	if len(key) == 0 {
		return nil
	}
	return claim(ctx, tx, key, exp, now)
}

// queueClaim queues the claim of a write's replay key (if any) in b; a
// live key is the outcome storage.ErrAlreadyExists.
func queueClaim(b *reads, key []byte, exp, now time.Time) {
	if len(key) == 0 {
		return
	}
	b.row(func(row pgx.Row) error {
		var ok bool
		err := row.Scan(&ok)
		if errors.Is(err, pgx.ErrNoRows) {
			return storage.ErrAlreadyExists
		}
		return err
	}, claimSQL, key, ns(exp), ns(now))
}

// UseReplayKey records key until exp; ErrAlreadyExists if it is recorded
// and not expired at now. One statement, atomic across nodes.
func (s *Store) UseReplayKey(ctx context.Context, key []byte, exp, now time.Time) error {
	if len(key) == 0 {
		return errors.New("storage/postgres: empty replay key")
	}
	return s.do(ctx, "replay key", false, func(ctx context.Context) error {
		return claim(ctx, s.pool, key, exp, now)
	})
}

// UseReplayKeys claims every key in one transaction, all or nothing: a
// live key rolls back the claims before it (storage.Replay).
func (s *Store) UseReplayKeys(ctx context.Context, keys []storage.ReplayUse, now time.Time) error {
	if !storage.DistinctReplayKeys(keys) {
		return fmt.Errorf("storage/postgres: replay keys: empty or repeated: %w", storage.ErrAlreadyExists)
	}
	// Claimed in one order on every node, whatever the order of the
	// request's proofs: batches that share keys wait for each other
	// instead of deadlocking.
	sorted := slices.SortedFunc(slices.Values(keys), func(a, b storage.ReplayUse) int { return bytes.Compare(a.Key, b.Key) })
	return s.tx(ctx, "replay keys", func(ctx context.Context, tx pgx.Tx) error {
		for _, k := range sorted {
			if err := claim(ctx, tx, k.Key, k.Expiry, now); err != nil {
				return err
			}
		}
		return nil
	})
}
