package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"

	"issuer/storage"
)

// SQLSTATEs the store reacts to.
const (
	codeUniqueViolation      = "23505"
	codeSerializationFailure = "40001"
	codeDeadlockDetected     = "40P01"
)

// mapErr returns err wrapped with storage.ErrUnavailable when it says that
// the database cannot be reached or did not answer in time (lost or
// refused connection, server shutting down, too many connections,
// statement or operation timeout), so that the web layer answers 503 with
// Retry-After; other errors as they are.
func mapErr(err error) error {
	if err == nil || errors.Is(err, storage.ErrUnavailable) || !unavailable(err) {
		return err
	}
	return fmt.Errorf("%w: %w", storage.ErrUnavailable, err)
}

// unavailable reports whether err is about the connection or the server's
// state rather than about the request.
func unavailable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case strings.HasPrefix(pe.Code, "08"), // connection exception
			strings.HasPrefix(pe.Code, "53"),  // insufficient resources (too many connections)
			strings.HasPrefix(pe.Code, "57P"), // admin or crash shutdown, cannot connect now
			pe.Code == "57014",                // query_canceled: statement_timeout
			pe.Code == "55P03",                // lock_not_available
			pe.Code == "25P03":                // idle_in_transaction_session_timeout
			return true
		}
		return false
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) || errors.As(err, &ne) || pgconn.Timeout(err) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, pgconn.ErrConnClosed) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// isCode reports whether err is a server error with that SQLSTATE.
func isCode(err error, code string) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == code
}

// rolledBack reports whether err means that the server rolled the
// transaction back on its own and running it again may succeed:
// serialization failures and deadlocks.
func rolledBack(err error) bool {
	return isCode(err, codeSerializationFailure) || isCode(err, codeDeadlockDetected)
}

// result returns what an operation started with ctx (the caller's) ends
// with: nil, the store's own results (storage sentinels) as they are, the
// caller's context error when the caller gave up, else err mapped by
// mapErr.
func result(ctx context.Context, what string, err error) error {
	if err == nil {
		return nil
	}
	if cerr := ctx.Err(); cerr != nil && unavailable(err) {
		return fmt.Errorf("storage/postgres: %s: %w", what, cerr)
	}
	return fmt.Errorf("storage/postgres: %s: %w", what, mapErr(err))
}
