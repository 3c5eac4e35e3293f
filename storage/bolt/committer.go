package bolt

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"

	"go.etcd.io/bbolt"

	"issuer/storage"
)

// maxBatch is the most writes the committer runs in one transaction.
const maxBatch = 256

// op is one queued write.
type op struct {
	ctx  context.Context
	fn   func(w *writeTx) error
	done chan error // buffered; receives the op's result once
}

// committer owns every write to the database: it runs queued ops in
// batches, one transaction and one fsync per batch.
type committer struct {
	db      *bbolt.DB
	log     *slog.Logger
	ops     chan *op
	stopped chan struct{}
	replay  replaySet               // committed replay keys
	pending map[string]replayChange // replay key changes of the running batch
	commits int                     // transactions committed, for the log
	written int                     // ops in them
}

// newCommitter starts the committer goroutine.
func newCommitter(db *bbolt.DB, log *slog.Logger, replay replaySet) *committer {
	c := &committer{
		db:      db,
		log:     log,
		ops:     make(chan *op, maxBatch),
		stopped: make(chan struct{}),
		replay:  replay,
		pending: map[string]replayChange{},
	}
	go c.loop()
	return c
}

// stop commits the ops already queued and waits for the goroutine to end.
// The caller guarantees that nothing is sent on c.ops any more.
func (c *committer) stop() {
	close(c.ops)
	<-c.stopped
	c.log.Debug("storage committer stopped", "commits", c.commits, "writes", c.written)
}

// loop takes the first queued op, drains what else is queued without
// waiting (up to maxBatch), and commits the batch; until c.ops is closed
// and empty.
func (c *committer) loop() {
	defer close(c.stopped)
	batch := make([]*op, 0, maxBatch)
	for first := range c.ops {
		batch = append(batch[:0], first)
		gather(c.ops)
	drain:
		for len(batch) < maxBatch {
			select {
			case o, ok := <-c.ops:
				if !ok {
					break drain
				}
				batch = append(batch, o)
			default:
				break drain
			}
		}
		c.commit(batch)
		clear(batch)
	}
}

// gather lets the goroutines that are ready to run reach their writes
// before a batch is closed. A writer's send wakes the committer at once
// (the scheduler runs a woken goroutine next), so without yielding, a busy
// server on one core commits every write alone, paying a commit and two
// fsyncs each. Yielding until the queue stops growing costs nothing when
// the server is idle and turns the writes of concurrent requests into one
// commit.
func gather(ops chan *op) {
	for n := len(ops); n < maxBatch; {
		runtime.Gosched()
		m := len(ops)
		if m == n {
			return
		}
		n = m
	}
}

// abortError carries the error of the op that aborted a batch.
type abortError struct {
	index int
	err   error
}

func (e *abortError) Error() string { return e.err.Error() }

// commit runs batch in one transaction and replies to every op. If an op
// fails with something other than a business result, it gets its error
// and the rest of the batch is committed again without it.
func (c *committer) commit(batch []*op) {
	for len(batch) > 0 {
		results := make([]error, len(batch))
		w := &writeTx{replay: c.replay, pending: c.pending}
		clear(w.pending)
		err := c.db.Update(func(tx *bbolt.Tx) error {
			w.Tx = tx
			fillAppendBuckets(tx)
			for i, o := range batch {
				res := run(w, o)
				if !isResult(res) {
					return &abortError{index: i, err: res}
				}
				results[i] = res
			}
			return nil
		})
		var abort *abortError
		if errors.As(err, &abort) {
			batch[abort.index].done <- abort.err
			batch = append(batch[:abort.index:abort.index], batch[abort.index+1:]...)
			continue
		}
		if err == nil {
			w.apply()
			c.commits++
			c.written += len(batch)
		} else {
			c.log.Error("storage commit failed", "ops", len(batch), "err", err)
			err = fmt.Errorf("storage/bolt: commit: %w", err)
		}
		for i, o := range batch {
			o.done <- replyErr(err, results[i])
		}
		return
	}
}

// run calls o.fn unless the caller has given up, turning a panic into an
// error so that the committer survives a buggy op.
func run(w *writeTx, o *op) (err error) {
	if err := o.ctx.Err(); err != nil {
		return &ctxError{err}
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("storage/bolt: panic in write: %v", r)
		}
	}()
	return o.fn(w)
}

// replyErr is what an op's caller gets: the commit error if the batch
// failed, else the op's own result.
func replyErr(commitErr, res error) error {
	var ce *ctxError
	switch {
	case commitErr != nil:
		return commitErr
	case errors.As(res, &ce):
		return ce.err
	}
	return res
}

// ctxError is a context error seen by the committer: a result that makes
// the op skip without aborting the batch.
type ctxError struct{ err error }

func (e *ctxError) Error() string { return e.err.Error() }
func (e *ctxError) Unwrap() error { return e.err }

// isResult reports whether err is an op's business result (nil, a storage
// sentinel or a context error) rather than a failure that aborts the
// transaction.
func isResult(err error) bool {
	var ce *ctxError
	switch {
	case err == nil, errors.As(err, &ce):
		return true
	}
	for _, s := range []error{storage.ErrNotFound, storage.ErrAlreadyExists, storage.ErrConsumed, storage.ErrExpired, storage.ErrLocked, storage.ErrRevoked, storage.ErrOfferUsed, storage.ErrRotated} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// appendBuckets are keyed in time order (UUIDv7 IDs, expiry-prefixed index
// keys), so that writes land at their end.
var appendBuckets = [][]byte{bucketOffers, bucketOfferState, bucketOfferJSON, bucketOffersExp, bucketTokens, bucketTokensExp, bucketGrants, bucketReplay}

// fillAppendBuckets lets the append buckets' pages fill to 90% before they
// split, instead of bbolt's 50%, which suits random inserts: the file and
// the pages a batch dirties shrink. The setting lives on the transaction's
// bucket objects, which bbolt caches for the transaction.
func fillAppendBuckets(tx *bbolt.Tx) {
	for _, name := range appendBuckets {
		if b := tx.Bucket(name); b != nil {
			b.FillPercent = 0.9
		}
	}
}
