package oauth

import (
	"fmt"
	"log/slog"
	"net/http"
	"time"
)

// Error is an OAuth error response: the code and description go on the wire
// as RFC 6749 §5.2 JSON with Status; the challenges are data that the HTTP
// layer renders as header fields; the cause stays private (reachable
// through errors.Unwrap and logged, never sent).
type Error struct {
	Code        string
	Description string
	Status      int
	// Challenge, when set, is the WWW-Authenticate challenge of the
	// response (RFC 9110 §11.6.1).
	Challenge *Challenge
	// RetryAfter, when positive, is how long the client must wait before
	// trying again (RFC 9110 §10.2.3); see [DelaySeconds].
	RetryAfter time.Duration
	// DPoPNonce, when set, is the nonce the next DPoP proof must carry
	// (RFC 9449 §8).
	DPoPNonce string
	// AttestationChallenge, when set, is the challenge the next client
	// attestation PoP must carry (attestation draft -07 §8.1).
	AttestationChallenge string
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

// WithChallenge returns e with the WWW-Authenticate challenge c (nil for
// none).
func (e *Error) WithChallenge(c *Challenge) *Error {
	e.Challenge = c
	return e
}

// WithRetryAfter returns e with the delay before the client may try again.
func (e *Error) WithRetryAfter(d time.Duration) *Error {
	e.RetryAfter = d
	return e
}

// WithDPoPNonce returns e with the DPoP-Nonce the next proof must carry.
func (e *Error) WithDPoPNonce(n string) *Error {
	e.DPoPNonce = n
	return e
}

// WithAttestationChallenge returns e with the challenge the next client
// attestation PoP must carry.
func (e *Error) WithAttestationChallenge(c string) *Error {
	e.AttestationChallenge = c
	return e
}

// WithStatus returns e with another HTTP status.
func (e *Error) WithStatus(status int) *Error {
	e.Status = status
	return e
}

// New returns a fresh error of the given status and code; the description
// is formatted as by fmt.Sprintf.
func New(status int, code, format string, args ...any) *Error {
	return &Error{Code: code, Description: fmt.Sprintf(format, args...), Status: status}
}

// DelaySeconds is d as the delay-seconds of a Retry-After field (RFC 9110
// §10.2.3): whole seconds, rounded up, so that a client that waits that
// long is never early.
func DelaySeconds(d time.Duration) int {
	return int((d + time.Second - 1) / time.Second)
}

// ErrInvalidRequest: a parameter is missing, repeated, malformed or not allowed.
func ErrInvalidRequest(format string, args ...any) *Error {
	return New(http.StatusBadRequest, CodeInvalidRequest, format, args...)
}

// ErrInvalidGrant: the grant (code) is invalid, expired, used or not this client's.
func ErrInvalidGrant(format string, args ...any) *Error {
	return New(http.StatusBadRequest, CodeInvalidGrant, format, args...)
}

// ErrInvalidClient: client authentication failed (401). When the client
// used the Authorization header, the caller attaches the challenge with
// [Error.WithChallenge].
func ErrInvalidClient(format string, args ...any) *Error {
	return New(http.StatusUnauthorized, CodeInvalidClient, format, args...)
}

// ErrUnauthorizedClient: the client may not use this grant type.
func ErrUnauthorizedClient(format string, args ...any) *Error {
	return New(http.StatusBadRequest, CodeUnauthorizedClient, format, args...)
}

// ErrUnsupportedGrantType: the server does not support the grant type.
func ErrUnsupportedGrantType(format string, args ...any) *Error {
	return New(http.StatusBadRequest, CodeUnsupportedGrantType, format, args...)
}

// ErrInvalidDPoPProof: the DPoP proof fails a check of RFC 9449 §4.3.
func ErrInvalidDPoPProof(format string, args ...any) *Error {
	return New(http.StatusBadRequest, CodeInvalidDPoPProof, format, args...)
}

// ErrUseDPoPNonce: the proof must carry a (fresh) server nonce (RFC 9449 §8).
// The caller attaches the nonce with [Error.WithDPoPNonce].
func ErrUseDPoPNonce(format string, args ...any) *Error {
	return New(http.StatusBadRequest, CodeUseDPoPNonce, format, args...)
}

// ErrInvalidAuthorizationDetails: authorization_details is malformed or asks
// for something not granted (RFC 9396 §5).
func ErrInvalidAuthorizationDetails(format string, args ...any) *Error {
	return New(http.StatusBadRequest, CodeInvalidAuthorizationDetails, format, args...)
}

// ErrNotFound: no such resource (admin API and offer URIs).
func ErrNotFound(format string, args ...any) *Error {
	return New(http.StatusNotFound, CodeNotFound, format, args...)
}

// ErrServer: an internal failure; the cause is logged, never sent.
func ErrServer(cause error) *Error {
	return New(http.StatusInternalServerError, CodeServerError, "internal server error").WithCause(cause)
}

// ErrInvalidScope: the requested scope is invalid, unknown or beyond what
// the client may have.
func ErrInvalidScope(format string, args ...any) *Error {
	return New(http.StatusBadRequest, CodeInvalidScope, format, args...)
}

// ErrUseAttestationChallenge: the PoP lacks a valid server challenge
// (401, -07 §6.2). The caller attaches a fresh challenge with
// [Error.WithAttestationChallenge].
func ErrUseAttestationChallenge(format string, args ...any) *Error {
	return New(http.StatusUnauthorized, CodeUseAttestationChallenge, format, args...)
}

// ErrUseFreshAttestation: the attestation is too old for this server (401,
// -07 §6.2).
func ErrUseFreshAttestation(format string, args ...any) *Error {
	return New(http.StatusUnauthorized, CodeUseFreshAttestation, format, args...)
}
