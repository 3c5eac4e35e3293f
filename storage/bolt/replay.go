package bolt

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"issuer/storage"
)

// Replay keys are stored only in the bucket bucketReplay, keyed by
// expiry||key, so that inserts append near the end of the B+tree (the
// expiries of new keys are all about now+lifetime) instead of dirtying a
// random page each, and Sweep walks the expired prefix. The lookup by key
// is an in-memory map, loaded at Open and owned by the committer
// goroutine: every read of it is in a write (UseReplayKey, Redeem,
// Sweep).

// replaySet maps each recorded replay key to its encoded expiry (see
// appendTime). It holds what is committed.
type replaySet map[string]uint64

// writeTx is the transaction write ops run in: the bbolt transaction and
// the replay keys as this transaction sees them.
type writeTx struct {
	*bbolt.Tx
	replay  replaySet
	pending map[string]replayChange // this transaction's changes
}

// replayChange is a pending change of one replay key.
type replayChange struct {
	exp     uint64
	deleted bool
}

// loadReplay reads every recorded replay key.
func loadReplay(tx *bbolt.Tx) (replaySet, error) {
	set := replaySet{}
	err := tx.Bucket(bucketReplay).ForEach(func(k, _ []byte) error {
		if len(k) <= timeKeyLen {
			return fmt.Errorf("storage/bolt: bad replay entry %x", k)
		}
		exp, key := binary.BigEndian.Uint64(k), string(k[timeKeyLen:])
		set[key] = max(set[key], exp)
		return nil
	})
	return set, err
}

// replayExp returns the expiry key is recorded with, if it is.
func (w *writeTx) replayExp(key []byte) (uint64, bool) {
	if c, ok := w.pending[string(key)]; ok {
		return c.exp, !c.deleted
	}
	exp, ok := w.replay[string(key)]
	return exp, ok
}

// apply makes the pending changes committed; call it once the
// transaction has committed.
func (w *writeTx) apply() {
	for k, c := range w.pending {
		if c.deleted {
			delete(w.replay, k)
		} else {
			w.replay[k] = c.exp
		}
	}
	clear(w.pending)
}

// replayLive reports whether key is recorded and not expired at now.
func (w *writeTx) replayLive(key []byte, now time.Time) bool {
	exp, ok := w.replayExp(key)
	return ok && binary.BigEndian.Uint64(appendTime(nil, now)) <= exp
}

// putReplay records key until exp, replacing an earlier entry.
func (w *writeTx) putReplay(key []byte, exp time.Time) error {
	b := w.Bucket(bucketReplay)
	if old, ok := w.replayExp(key); ok {
		if err := b.Delete(append(binary.BigEndian.AppendUint64(nil, old), key...)); err != nil {
			return err
		}
	}
	entry := indexKey(exp, key)
	if err := b.Put(entry, empty); err != nil {
		return err
	}
	w.pending[string(key)] = replayChange{exp: binary.BigEndian.Uint64(entry)}
	return nil
}

// deleteReplay deletes the key of an expired entry of bucketReplay (the
// caller deletes the entry) unless it was recorded again since.
func deleteReplay(w *writeTx, entry []byte) (bool, error) {
	key := entry[timeKeyLen:]
	if exp, ok := w.replayExp(key); !ok || exp != binary.BigEndian.Uint64(entry) {
		return false, nil
	}
	w.pending[string(key)] = replayChange{deleted: true}
	return true, nil
}

// UseReplayKey records key until exp; ErrAlreadyExists if it is recorded
// with an expiry not before now.
func (s *Store) UseReplayKey(ctx context.Context, key []byte, exp, now time.Time) error {
	if err := checkKey("replay key", key); err != nil {
		return err
	}
	err := s.update(ctx, func(w *writeTx) error {
		if w.replayLive(key, now) {
			return storage.ErrAlreadyExists
		}
		return w.putReplay(key, exp)
	})
	if err != nil {
		return fmt.Errorf("storage/bolt: replay key: %w", err)
	}
	return nil
}

// UseReplayKeys records every key in one transaction, all or nothing
// (storage.Replay).
func (s *Store) UseReplayKeys(ctx context.Context, keys []storage.ReplayUse, now time.Time) error {
	if !storage.DistinctReplayKeys(keys) {
		return fmt.Errorf("storage/bolt: replay keys: empty or repeated: %w", storage.ErrAlreadyExists)
	}
	err := s.update(ctx, func(w *writeTx) error {
		for _, k := range keys {
			if w.replayLive(k.Key, now) {
				return storage.ErrAlreadyExists
			}
		}
		for _, k := range keys {
			if err := w.putReplay(k.Key, k.Expiry); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("storage/bolt: replay keys: %w", err)
	}
	return nil
}
