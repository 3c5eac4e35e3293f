package postgres

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// maxAttempts is how many times an operation runs at most: once, and up
// to three retries with backoff (10, 40, 160 ms, ±50%), all within the
// operation timeout.
const maxAttempts = 4

// kept is the error of a transaction whose writes stand: fn returns
// keep(err) to have the transaction committed and err returned (a replayed
// code revokes its grant, then fails).
type kept struct{ err error }

func (k *kept) Error() string { return k.err.Error() }
func (k *kept) Unwrap() error { return k.err }

// keep marks err as the result of a transaction to commit.
func keep(err error) error { return &kept{err: err} }

// tx runs fn in a READ COMMITTED transaction and commits it, unless fn
// fails (then it rolls back; see keep). It runs fn again, in a new
// transaction, after a serialization failure or a deadlock (the server
// rolled back) and after a connection lost before the commit was sent
// (the server rolls back an unfinished transaction); never after a
// connection lost during the commit, whose outcome is unknown. fn must
// therefore be safe to run more than once: all its effects are the
// transaction's.
func (s *Store) tx(ctx context.Context, what string, fn func(context.Context, pgx.Tx) error) error {
	return s.retry(ctx, what, func(ctx context.Context) (bool, error) { return s.txOnce(ctx, fn) })
}

// do runs fn, one statement or a read. A read (idempotent) is retried
// after any failure of the connection; a write only when the failure
// happened before anything was sent.
func (s *Store) do(ctx context.Context, what string, idempotent bool, fn func(context.Context) error) error {
	return s.retry(ctx, what, func(ctx context.Context) (bool, error) {
		err := fn(ctx)
		switch {
		case err == nil:
			return false, nil
		case idempotent:
			return unavailable(err) || rolledBack(err), err
		}
		return pgconn.SafeToRetry(err) || rolledBack(err), err
	})
}

// retry runs once up
// to maxAttempts times (once reports whether its failure may be retried), within the operation timeout.
func (s *Store) retry(ctx context.Context, what string, once func(context.Context) (bool, error)) error {
	opCtx, cancel, err := s.begin(ctx)
	if err != nil {
		return result(ctx, what, err)
	}
	defer cancel()
	for attempt := 1; ; attempt++ {
		again, err := once(opCtx)
		if err == nil || !again || attempt == maxAttempts || !sleep(opCtx, backoff(attempt)) {
			return result(ctx, what, err)
		}
		s.log.DebugContext(ctx, "storage/postgres: retrying", "op", what, "attempt", attempt+1, "err", err)
	}
}

// txOnce runs fn in one transaction.
func (s *Store) txOnce(ctx context.Context, fn func(context.Context, pgx.Tx) error) (bool, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return unavailable(err), err
	}
	ferr := fn(ctx, tx)
	var k *kept
	if ferr != nil && !errors.As(ferr, &k) {
		_ = tx.Rollback(context.WithoutCancel(ctx)) // a failed rollback closes the connection: the server rolls back
		return rolledBack(ferr) || unavailable(ferr), ferr
	}
	if err := tx.Commit(ctx); err != nil {
		return rolledBack(err), err // a lost connection here is ambiguous: not retried
	}
	if k != nil {
		return false, k.err
	}
	return false, nil
}

// backoff returns the wait before attempt+1.
func backoff(attempt int) time.Duration {
	d := 10 * time.Millisecond << (2 * (attempt - 1))
	return d/2 + rand.N(d)
}

// sleep waits d, or less if ctx ends first; it reports whether ctx is
// still live.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
