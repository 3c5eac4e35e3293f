package postgres

import (
	"context"
	"fmt"
	"time"
)

// sweepBatch is how many rows one DELETE of the sweep removes at most, so
// that no statement holds many row locks or runs long.
const sweepBatch = 1000

// sweepTables are the expiring tables and the column each expires by.
var sweepTables = []struct{ table, key, column string }{
	{"replay_keys", "key", "expires_ns"},
	{"tokens", "id", "expires_ns"},
	{"offers", "id", "keep_until_ns"},
	{"uma_tickets", "id", "expires_ns"},
	{"auth_sessions", "id", "expires_ns"},
	{"auth_codes", "id", "keep_until_ns"},
	{"credential_records", "id", "expires_ns"},
}

// Sweep deletes what has expired at now, as documented on
// storage.Sweeper, in batches of at most sweepBatch rows per statement
// (each its own transaction). One node sweeps at a time: a node that finds
// another one sweeping (the sweep advisory lock is taken) returns 0 and
// leaves it to it. Rows locked by a running transaction are skipped until
// the next sweep, and a row whose expiry was pushed out since it was
// selected is kept (the expiry is checked again on the row deleted).
func (s *Store) Sweep(ctx context.Context, now time.Time) (int, error) {
	opCtx, cancel, err := s.begin(ctx)
	if err != nil {
		return 0, result(ctx, "sweep", err)
	}
	defer cancel()
	conn, err := s.pool.Acquire(opCtx)
	if err != nil {
		return 0, result(ctx, "sweep", err)
	}
	defer conn.Release()
	var locked bool
	if err := conn.QueryRow(opCtx, `SELECT pg_try_advisory_lock($1, hashtext(current_schema()))`, lockSweep).Scan(&locked); err != nil || !locked {
		return 0, result(ctx, "sweep", err)
	}
	defer func() {
		if _, err := conn.Exec(context.WithoutCancel(opCtx), `SELECT pg_advisory_unlock($1, hashtext(current_schema()))`, lockSweep); err != nil {
			conn.Conn().Close(context.Background()) // the server releases the lock with the session
		}
	}()
	n := 0
	for _, t := range sweepTables {
		q := fmt.Sprintf(`DELETE FROM %[1]s WHERE %[2]s IN (SELECT %[2]s FROM %[1]s WHERE %[3]s < $1 LIMIT %[4]d FOR UPDATE SKIP LOCKED) AND %[3]s < $1`,
			t.table, t.key, t.column, sweepBatch)
		for {
			tag, err := conn.Exec(opCtx, q, ns(now))
			if err != nil {
				return n, result(ctx, "sweep "+t.table, err)
			}
			n += int(tag.RowsAffected())
			if tag.RowsAffected() < sweepBatch {
				break
			}
		}
	}
	return n, nil
}
