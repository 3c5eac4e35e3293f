// Package bolt is the [storage.Store] implementation the server runs on: all
// state lives in one bbolt file. It is the only package of the project that
// imports bbolt.
//
// # Writes and group commit
//
// Every write goes through one committer goroutine. The committer takes the
// first queued write, lets the goroutines that are ready to run reach their
// own writes (it yields until the queue stops growing: on one core the
// scheduler would otherwise run the committer as soon as the first write
// arrives, and every write would be committed alone), drains what is queued
// (up to 256 writes, without a timer), runs them all in one bbolt
// read-write transaction, committed once (bbolt writes the pages, fsyncs,
// writes the meta page, fsyncs again). A write returns only after that
// commit, so a nil error means the change is on disk. Writes queue up while
// the previous batch is being fsynced, which is what makes the batches
// grow under load: the cost of an fsync is shared by every request that
// arrived during the previous one.
//
// Each write reads what it needs before it writes anything, so a write that
// fails with a business result (for example [storage.ErrNotFound]) leaves
// no partial change in the shared transaction. A write that fails for any
// other reason (bad input, corrupt record) aborts the batch; it gets its
// error and the rest of the batch is run again without it. An I/O error at
// commit fails every write of the batch.
//
// A caller whose context is done before its write runs gets the context's
// error and the write is skipped; once queued, a caller always waits for
// its write's outcome, so that a nil error always means committed.
//
// Reads run in their own read-only transactions, concurrently with the
// committer.
//
// # Expiry order and Sweep
//
// Tokens and offers have a secondary index bucket whose keys are
// expiry||ID, the expiry as 8 big-endian bytes that sort in time order.
// Replay keys are stored only in such an expiry-ordered bucket: since
// every new key expires about one proof lifetime from now, inserts append
// at the end of the B+tree instead of dirtying a random page per key
// (measured: a key-ordered replay bucket costs 25% more CPU per redemption
// and 55% more per UseReplayKey).
// The lookup by replay key is an in-memory map (key to expiry) that Open
// loads from that bucket and the committer alone reads and updates,
// applying a batch's changes only once the batch has committed. It costs
// about 35 bytes plus the key per recorded key: 66 bytes for a 32-byte
// key, 13 MB for the 200k keys of 3000 proofs/s kept 70 s.
//
// Sweep walks only the expired prefix of each expiry-ordered bucket with
// a cursor, in chunks of at most 1000 deletions per transaction (each
// chunk is one write of the committer, interleaved with the others), so
// its cost is proportional to what it deletes and it never holds the
// write lock for long.
//
// Offer and token records are keyed by their IDs. Random IDs (UUIDv4)
// make each insert dirty a random page; time-ordered IDs (UUIDv7) make
// inserts append, which saves about a quarter of the CPU time of a
// redemption.
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
//   - The replay keys are also held in memory (see above), and Open reads
//     them all.
//   - The freelist is not stored (NoFreelistSync); it is rebuilt by scanning
//     the file at Open, which takes longer on large files.
//   - Deleted space is reused but the file never shrinks.
package bolt
