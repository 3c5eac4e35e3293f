package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"issuer/storage"
)

// Compile-time check that *Store implements storage.Store.
var _ storage.Store = (*Store)(nil)

// Defaults of the pool and its timeouts (see the package documentation).
const (
	DefaultMaxConns         = 20
	DefaultOpTimeout        = 5 * time.Second
	DefaultConnectTimeout   = 3 * time.Second
	DefaultStatementTimeout = 5 * time.Second
	// idleInTxTimeout frees the row locks of a node that stalls inside a
	// transaction.
	idleInTxTimeout = 15 * time.Second
)

// Options configure Open. The zero value is the documented defaults.
type Options struct {
	// OpTimeout bounds every operation, retries included; 0 means
	// DefaultOpTimeout. Past it the operation fails with
	// storage.ErrUnavailable.
	OpTimeout time.Duration
	// Logger receives diagnostics (never the DSN's password); nil
	// discards them.
	Logger *slog.Logger
}

// Store is a storage.Store backed by a PostgreSQL database, shared by every
// node that opens the same database. Create it with Open.
type Store struct {
	pool      *pgxpool.Pool
	log       *slog.Logger
	opTimeout time.Duration
	closed    atomic.Bool
}

// IsDSN reports whether db names a PostgreSQL database (a postgres:// or
// postgresql:// URL) rather than a bbolt file path.
func IsDSN(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

// Open connects to the database dsn names, applies the migrations it
// lacks (Migrate) and returns the store. The pool's settings come from the
// DSN where it sets them (pool_max_conns, connect_timeout,
// statement_timeout, ...), else from the package defaults.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	cfg, err := poolConfig(dsn)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("storage/postgres: %w", mapErr(err))
	}
	s := &Store{pool: pool, log: opts.Logger, opTimeout: opts.OpTimeout}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if s.opTimeout <= 0 {
		s.opTimeout = DefaultOpTimeout
	}
	if _, err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// poolConfig parses dsn and fills in the defaults it does not set.
func poolConfig(dsn string) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx's parse errors may quote the DSN, password included.
		return nil, errors.New("storage/postgres: the database URL does not parse (postgres://user:password@host:port/database?options)")
	}
	if !strings.Contains(dsn, "pool_max_conns") {
		cfg.MaxConns = DefaultMaxConns
	}
	if !strings.Contains(dsn, "connect_timeout") {
		cfg.ConnConfig.ConnectTimeout = DefaultConnectTimeout
	}
	params := cfg.ConnConfig.RuntimeParams
	setDefault(params, "statement_timeout", fmt.Sprint(DefaultStatementTimeout.Milliseconds()))
	setDefault(params, "idle_in_transaction_session_timeout", fmt.Sprint(idleInTxTimeout.Milliseconds()))
	setDefault(params, "application_name", "issuer")
	cfg.HealthCheckPeriod = 5 * time.Second
	return cfg, nil
}

func setDefault(m map[string]string, k, v string) {
	if _, ok := m[k]; !ok {
		m[k] = v
	}
}

// Close closes the pool. Calls after Close return storage.ErrClosed.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.pool.Close()
	return nil
}

// begin checks that the store is open and ctx is live, and returns ctx
// bounded by the operation timeout.
func (s *Store) begin(ctx context.Context) (context.Context, context.CancelFunc, error) {
	if s.closed.Load() {
		return nil, nil, storage.ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	if d, ok := ctx.Value(opDeadlineKey{}).(time.Time); ok {
		ctx, cancel := context.WithDeadline(ctx, d)
		return ctx, cancel, nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.opTimeout)
	return ctx, cancel, nil
}

// opDeadlineKey keys the deadline that withOpDeadline sets.
type opDeadlineKey struct{}

// withOpDeadline makes the operations run with ctx end OpTimeout from
// now, instead of OpTimeout after each starts: the steps of one store
// call (Redeem's statement, then its transaction) share one OpTimeout.
func (s *Store) withOpDeadline(ctx context.Context) context.Context {
	return context.WithValue(ctx, opDeadlineKey{}, time.Now().Add(s.opTimeout))
}

// Exclusive runs fn while holding a database-wide advisory lock (per
// schema), so that one node at a time runs it: nodes starting together
// create the signing key and secrets once, the first one. The lock is a
// session lock on one connection of the pool, released when fn returns
// (or by the server, should the connection die).
func (s *Store) Exclusive(ctx context.Context, fn func(context.Context) error) error {
	if s.closed.Load() {
		return storage.ErrClosed
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("storage/postgres: startup lock: %w", mapErr(err))
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1, hashtext(current_schema()))`, lockStartup); err != nil {
		return fmt.Errorf("storage/postgres: startup lock: %w", mapErr(err))
	}
	defer func() {
		// A failed unlock leaves the lock to the connection's end.
		if _, err := conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1, hashtext(current_schema()))`, lockStartup); err != nil {
			conn.Conn().Close(context.Background())
		}
	}()
	return fn(ctx)
}

// Advisory lock classes (the first key of pg_advisory_lock(int, int); the
// second is a hash of the schema).
const (
	lockMigrate int32 = 0x155e0001
	lockStartup int32 = 0x155e0002
	lockSweep   int32 = 0x155e0003
)

// querier is what both a pool and a transaction offer.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}
