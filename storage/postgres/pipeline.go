package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"issuer/storage"
)

// stmt is one SQL statement with its arguments, to run alone or to queue
// in a batch.
type stmt struct {
	sql  string
	args []any
}

// exec runs the statement on q.
func (st stmt) exec(ctx context.Context, q querier) error {
	_, err := q.Exec(ctx, st.sql, st.args...)
	return err
}

// queue adds the statement to b.
func (st stmt) queue(b *pgx.Batch) { b.Queue(st.sql, st.args...) }

// pipeline is a transaction whose reads are all known before it starts:
// it runs in two round trips (pgx pipelines a batch: one Sync, one
// answer). The first sends BEGIN with the statements that lock queues
// (reads that lock rows, and replay-key claims; their callbacks keep what
// they find); the second, once write has decided on what they found, the
// statements write queues with COMMIT.
type pipeline struct {
	// lock queues the reads; their callbacks keep what they find.
	lock func(b *reads)
	// write queues the writes. Its error is as tx's fn's: a plain error
	// rolls the transaction back, keep(err) commits the writes queued and
	// returns err.
	write func(b *pgx.Batch) error
}

// txPipelined runs p as tx runs its fn: in a READ COMMITTED transaction,
// again after a serialization failure or a deadlock (the server rolled
// back), and after a connection lost before COMMIT was sent; never after
// a connection lost once the batch with COMMIT may have left.
func (s *Store) txPipelined(ctx context.Context, what string, p pipeline) error {
	return s.retry(ctx, what, func(ctx context.Context) (bool, error) { return s.pipelineOnce(ctx, p) })
}

// pipelineOnce runs p once.
func (s *Store) pipelineOnce(ctx context.Context, p pipeline) (bool, error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return unavailable(err), err
	}
	// The pool closes a connection released inside a transaction.
	defer conn.Release()
	first := &reads{}
	first.Queue("BEGIN")
	p.lock(first)
	if err := conn.SendBatch(ctx, &first.Batch).Close(); err != nil {
		rollback(ctx, conn)
		return rolledBack(err) || unavailable(err), err
	}
	if first.outcome != nil {
		rollback(ctx, conn)
		return false, first.outcome
	}
	writes := &pgx.Batch{}
	werr := p.write(writes)
	var k *kept
	if werr != nil && !errors.As(werr, &k) {
		rollback(ctx, conn)
		return false, werr
	}
	writes.Queue("COMMIT").Exec(committed)
	if err := conn.SendBatch(ctx, writes).Close(); err != nil {
		rollback(ctx, conn)
		// A write the server refused skips the COMMIT after it; a lost
		// connection is retried only if nothing of the batch was sent.
		return rolledBack(err) || pgconn.SafeToRetry(err), err
	}
	if k != nil {
		return false, k.err
	}
	return false, nil
}

// reads is the first batch of a pipeline.
type reads struct {
	pgx.Batch
	// outcome is the first of the results that refuse the operation
	// (storage.ErrNotFound, ErrAlreadyExists) the reads' callbacks gave.
	outcome error
}

// row queues sql; fn gets its row. fn's errors that are outcomes (the
// sentinels of package storage) go to b.outcome, the others to pgx: pgx
// drops the statements of a batch whose callback fails from its cache of
// prepared statements, and a code not found must not cost the next
// request on the connection a round trip to prepare them again.
func (b *reads) row(fn func(pgx.Row) error, sql string, args ...any) {
	b.Queue(sql, args...).QueryRow(func(row pgx.Row) error {
		err := fn(row)
		if errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrAlreadyExists) {
			if b.outcome == nil {
				b.outcome = err
			}
			return nil
		}
		return err
	})
}

// committed checks COMMIT's answer: a transaction that had failed answers
// ROLLBACK (the server skips a COMMIT queued after a failed statement, so
// this is a safeguard).
func committed(ct pgconn.CommandTag) error {
	if ct.String() != "COMMIT" {
		return fmt.Errorf("storage/postgres: the transaction was rolled back (%s)", ct)
	}
	return nil
}

// rollbackTimeout bounds the ROLLBACK of a failed pipeline, which runs
// even when the operation's context has ended.
const rollbackTimeout = time.Second

// rollback ends the connection's transaction, if it is in one. A failed
// ROLLBACK leaves the connection inside the transaction, and the pool
// closes such a connection on release (the server then rolls back).
func rollback(ctx context.Context, conn *pgxpool.Conn) {
	if conn.Conn().IsClosed() || conn.Conn().PgConn().TxStatus() == 'I' {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
	defer cancel()
	_, _ = conn.Exec(ctx, "ROLLBACK")
}
