// Package postgres is the [storage.Store] for running several issuer
// nodes on one PostgreSQL database (github.com/jackc/pgx/v5, pgxpool). The
// nodes share nothing but the database: every single-use rule holds
// across them by the database's own guarantees. It is the only package of
// the project that imports pgx.
//
// # Schema
//
// Each record is the JSON of its storage type (the form the bbolt store
// keeps) in a json column, beside the columns that lookups, unique
// constraints and the sweep need. Times that SQL compares are Unix
// nanoseconds (bigint), so that SQL and the Go rules agree to the
// nanosecond. The schema is versioned SQL embedded in the binary
// (migrations/NNN_name.sql); Open applies the missing versions in one
// transaction under an advisory lock (nodes starting together wait for the
// first), recording them in schema_migrations, and refuses a database of a
// newer version than it knows. [Migrate] (`issuer migrate`) runs them alone.
// Tables live in the DSN's search_path (by default the public schema).
//
// # Single-use rules
//
// No rule is a read followed by an unconditional write:
//   - Replay keys (DPoP, assertion and PoP jti, key proofs) are claimed by
//     one INSERT … ON CONFLICT DO UPDATE … WHERE expired RETURNING: of
//     concurrent claims of one key exactly one gets a row.
//   - Redemptions (pre-authorized and authorization codes), refresh token
//     use and rotation, UMA tickets, transaction-code failures and the
//     update of sessions and resources run in one transaction that claims
//     the replay key, then reads the code's (token's, ticket's) row with
//     SELECT … FOR UPDATE, so that concurrent requests on any node are
//     serialized on that row; then the plan the other stores share
//     (storage.PlanRedeem, PlanRedeemAuthCode, UseRefresh, CheckTicket)
//     decides, and its writes follow. A plan that writes nothing rolls the
//     transaction back, the replay key's claim with it.
//   - A pre-authorized redemption that carries the offer as the token
//     endpoint read it (storage.Redemption.Offer, with its row's xmin as
//     Revision) and that PlanRedeem, run on that read, redeems is applied
//     by one statement, the PL/pgSQL function redeem_seen (migration 003):
//     it claims the replay key, then updates the offer's row only WHERE
//     xmin is still the version read, then stores the tokens. A row
//     changed since (another redemption, a tx_code failure) raises, the
//     statement rolls back with its claim, and the redemption runs again
//     as above. The rules stay in Go; SQL only checks the version and
//     writes.
//
// # Round trips
//
// The redemptions, refresh token use and transaction-code failures know
// every row they read before they start, so their transaction takes two
// round trips (a pgx batch is pipelined: one Sync, one answer): BEGIN, the
// replay-key claim and the reads FOR UPDATE; then, once the plan has
// decided in Go, the writes and COMMIT. A refused one sends ROLLBACK
// instead of the writes. Statements are prepared once per connection
// (pgx's default statement cache); a refusal is kept beside the batch
// rather than failing pgx's callback, which would drop the statements
// from that cache. A pre-authorized redemption at the token endpoint
// costs two round trips: the read of the offer, then redeem_seen (three
// with the pipelined transaction, seven before the pipelining). A
// statement that fails is dropped from pgx's cache, so the rare
// redeem_seen that finds the offer changed costs a DEALLOCATE and a
// prepare as well.
//   - IDs, code hashes, issuer_state hashes and usernames are unique
//     constraints; a violation is storage.ErrAlreadyExists.
//   - GetOrCreateSecret is INSERT … ON CONFLICT DO NOTHING, then SELECT:
//     every node gets the first value stored. [Store.Exclusive] runs the
//     service's start (signing key, secrets) under an advisory lock, so
//     that nodes starting together create one signing key.
//
// # Pool, timeouts, retries
//
//   - Pool: [DefaultMaxConns] (20) connections per node unless the DSN
//     sets pool_max_conns. A redemption holds a connection for its one
//     statement (or, when the offer changed since the read, the two round
//     trips of its transaction) and the commit's WAL flush; the database's
//     max_connections (100 by default) must cover every node's pool.
//     With the database on the same machine, a Unix socket
//     (postgres://user@/db?host=/var/run/postgresql) spares the TCP and
//     TLS work of every round trip.
//   - Every operation is bounded by [Options.OpTimeout] (5 s), retries
//     included; connecting by connect_timeout (3 s); each statement by the
//     server's statement_timeout (5 s), and a session idle inside a
//     transaction by idle_in_transaction_session_timeout (15 s), so that
//     the row locks of a stalled node are freed. The DSN may set each
//     (…?statement_timeout=2000).
//   - A transaction is retried (at most 3 times, after 10, 40, 160 ms
//     ±50%) after a serialization failure or a deadlock, and after a
//     connection lost before the commit was sent (the server rolled it
//     back; for a pipelined transaction, before any of the batch that
//     carries COMMIT was sent); never after a connection lost during the
//     commit, whose outcome is unknown. Reads are retried after any
//     connection failure.
//   - A database that cannot be reached or does not answer in time gives
//     an error wrapping storage.ErrUnavailable (the web layer answers 503
//     with Retry-After); the pool reconnects by itself when the database
//     is back.
//
// # Durability
//
// A nil error means committed. With synchronous_commit on (the server's
// default) a commit waits for its WAL flush, and PostgreSQL groups the
// flushes of concurrent commits itself. A DSN may set
// synchronous_commit=off (…?synchronous_commit=off): commits return before
// the flush, and a server crash can lose the last few hundred
// milliseconds of acknowledged writes (redeemed codes redeemable again,
// replay keys forgotten). With a synchronous standby, remote_apply or on
// wait for it, local waits only for the primary.
//
// # Sweep
//
// Sweep deletes in batches of 1000 rows per statement, skipping rows that
// a running transaction holds (FOR UPDATE SKIP LOCKED) and checking the
// expiry again on the row deleted. One node sweeps at a time (a try-lock):
// another node's sweep returns 0 at once.
package postgres
