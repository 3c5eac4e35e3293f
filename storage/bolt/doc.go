// Package bolt is the [storage.Store] implementation the server runs on: all
// state lives in one bbolt file. It is the only package of the project that
// imports bbolt.
//
// # Writes and group commit
//
// Every write goes through one committer goroutine. The committer takes the
// first queued write, drains whatever else is queued at that moment (up to
// 256 writes, without waiting for more), runs them all in one bbolt
// read-write transaction and fsyncs once. A write returns only after that
// commit, so a nil error means the change is on disk. Writes queue up while
// the previous batch is being fsynced, which is what makes the batches
// grow under load: the cost of an fsync is shared by every request that
// arrived during the previous one.
//
// Each write reads what it needs before it writes anything, so a write that
// fails with a business result (for example [storage.ErrConsumed]) leaves
// no partial change in the shared transaction. A write that fails for any
// other reason (bad input, corrupt record) aborts the batch; it gets its
// error and the rest of the batch is run again without it. An I/O error at
// commit fails every write of the batch.
//
// Reads run in their own read-only transactions, concurrently with the
// committer.
//
// # Expiry indexes
//
// Replay keys, tokens and offers each have a secondary index bucket whose
// keys are expiry||primary-key, the expiry as 8 big-endian bytes that sort
// in time order. Sweep walks only the expired prefix of each index with a
// cursor, in chunks of at most 1000 deletions per transaction (each chunk
// is one write of the committer, interleaved with the other writes), so its
// cost is proportional to what it deletes and it never holds the write
// lock for long.
//
// # Records
//
// Records are stored as JSON preceded by one format-version byte.
// json.RawMessage fields come back compacted (same JSON value, maybe other
// bytes). Times come back as the same instant, in a fixed zone with the
// stored UTC offset.
//
// # Caveats
//
//   - Single process: bbolt locks the file; a second [Open] of the same file
//     fails after [Options.Timeout] with an error saying the database is
//     locked. Several Stores in one process on one file are not supported.
//   - Durability relies on fsync (fdatasync) reaching stable storage; a disk
//     or virtual machine that acknowledges writes it has not persisted can
//     lose acknowledged changes on power loss.
//   - [Options.NoSync] skips the fsync: a crash can lose acknowledged writes
//     or corrupt the file. It is for tests only.
//   - The freelist is not stored (NoFreelistSync); it is rebuilt by scanning
//     the file at Open, which takes longer on large files.
//   - Deleted space is reused but the file never shrinks.
package bolt
