package issuer

import (
	"fmt"
	"log/slog"
	"net/http"
)

// OAuth error codes used by the token service (RFC 6749 §5.2, RFC 9449 §5
// and §8, RFC 9396 §5).
const (
	CodeInvalidRequest              = "invalid_request"
	CodeInvalidClient               = "invalid_client"
	CodeInvalidGrant                = "invalid_grant"
	CodeUnauthorizedClient          = "unauthorized_client"
	CodeUnsupportedGrantType        = "unsupported_grant_type"
	CodeInvalidScope                = "invalid_scope"
	CodeInvalidDPoPProof            = "invalid_dpop_proof"
	CodeUseDPoPNonce                = "use_dpop_nonce"
	CodeInvalidAuthorizationDetails = "invalid_authorization_details"
	CodeNotFound                    = "not_found"
	CodeServerError                 = "server_error"
)

// Error is an OAuth error response: the code and description go on the wire
// as RFC 6749 §5.2 JSON, with Status and Header; the cause stays private
// (reachable through errors.Unwrap and logged, never sent).
type Error struct {
	Code        string
	Description string
	Status      int
	Header      http.Header
	// Extra holds further members of the error body (UMA's ticket,
	// required_claims and interval).
	Extra map[string]any
	cause error
}

func (e *Error) Error() string {
	if e.cause != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Description, e.cause)
	}
	return e.Code + ": " + e.Description
}

// Unwrap returns the private cause.
func (e *Error) Unwrap() error { return e.cause }

// LogValue logs the code, description and cause.
func (e *Error) LogValue() slog.Value {
	attrs := []slog.Attr{slog.String("code", e.Code), slog.String("description", e.Description)}
	if e.cause != nil {
		attrs = append(attrs, slog.String("cause", e.cause.Error()))
	}
	return slog.GroupValue(attrs...)
}

// WithCause returns e with a private cause attached.
func (e *Error) WithCause(err error) *Error {
	e.cause = err
	return e
}

// WithHeader returns e with a response header set.
func (e *Error) WithHeader(key, value string) *Error {
	if e.Header == nil {
		e.Header = http.Header{}
	}
	e.Header.Set(key, value)
	return e
}

func newError(status int, code, format string, args ...any) *Error {
	return &Error{Code: code, Description: fmt.Sprintf(format, args...), Status: status}
}

// ErrInvalidRequest: a parameter is missing, repeated, malformed or not allowed.
func ErrInvalidRequest(format string, args ...any) *Error {
	return newError(http.StatusBadRequest, CodeInvalidRequest, format, args...)
}

// ErrInvalidGrant: the grant (code) is invalid, expired, used or not this client's.
func ErrInvalidGrant(format string, args ...any) *Error {
	return newError(http.StatusBadRequest, CodeInvalidGrant, format, args...)
}

// ErrInvalidClient: client authentication failed (401). challenge is the
// WWW-Authenticate value to send ("" when the client did not use the
// Authorization header).
func ErrInvalidClient(challenge, format string, args ...any) *Error {
	e := newError(http.StatusUnauthorized, CodeInvalidClient, format, args...)
	if challenge != "" {
		e.WithHeader("WWW-Authenticate", challenge)
	}
	return e
}

// ErrUnauthorizedClient: the client may not use this grant type.
func ErrUnauthorizedClient(format string, args ...any) *Error {
	return newError(http.StatusBadRequest, CodeUnauthorizedClient, format, args...)
}

// ErrUnsupportedGrantType: the server does not support the grant type.
func ErrUnsupportedGrantType(format string, args ...any) *Error {
	return newError(http.StatusBadRequest, CodeUnsupportedGrantType, format, args...)
}

// ErrInvalidDPoPProof: the DPoP proof fails a check of RFC 9449 §4.3.
func ErrInvalidDPoPProof(format string, args ...any) *Error {
	return newError(http.StatusBadRequest, CodeInvalidDPoPProof, format, args...)
}

// ErrUseDPoPNonce: the proof must carry a (fresh) server nonce (RFC 9449 §8).
// The caller attaches the DPoP-Nonce header.
func ErrUseDPoPNonce(format string, args ...any) *Error {
	return newError(http.StatusBadRequest, CodeUseDPoPNonce, format, args...)
}

// ErrInvalidAuthorizationDetails: authorization_details is malformed or asks
// for something not granted (RFC 9396 §5).
func ErrInvalidAuthorizationDetails(format string, args ...any) *Error {
	return newError(http.StatusBadRequest, CodeInvalidAuthorizationDetails, format, args...)
}

// ErrNotFound: no such resource (admin API and offer URIs).
func ErrNotFound(format string, args ...any) *Error {
	return newError(http.StatusNotFound, CodeNotFound, format, args...)
}

// ErrServer: an internal failure; the cause is logged, never sent.
func ErrServer(cause error) *Error {
	return newError(http.StatusInternalServerError, CodeServerError, "internal server error").WithCause(cause)
}

// ErrInvalidScope: the requested scope is invalid, unknown or beyond what
// the client may have.
func ErrInvalidScope(format string, args ...any) *Error {
	return newError(http.StatusBadRequest, CodeInvalidScope, format, args...)
}
