// Package pkce verifies Proof Key for Code Exchange (RFC 7636) with the S256
// method only: the plain method exposes the verifier and is refused
// (RFC 9700 §2.1.1). It uses the standard library only.
package pkce

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
)

// MethodS256 is the only code_challenge_method this package accepts.
const MethodS256 = "S256"

var (
	// ErrInvalidVerifier: the code_verifier is not 43 to 128 characters of
	// [A-Z a-z 0-9 - . _ ~] (RFC 7636 §4.1).
	ErrInvalidVerifier = errors.New("pkce: malformed code_verifier")
	// ErrInvalidChallenge: the code_challenge is not 43 base64url characters,
	// or the method is not S256.
	ErrInvalidChallenge = errors.New("pkce: malformed code_challenge")
	// ErrMismatch: the verifier does not hash to the challenge (RFC 7636 §4.6).
	ErrMismatch = errors.New("pkce: code_verifier does not match code_challenge")
)

// Challenge returns the S256 challenge of verifier: the unpadded base64url of
// SHA-256 over the ASCII verifier (RFC 7636 §4.2).
func Challenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// ValidVerifier reports whether v has the syntax of RFC 7636 §4.1.
func ValidVerifier(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for i := 0; i < len(v); i++ {
		if !unreserved(v[i]) {
			return false
		}
	}
	return true
}

// CheckChallenge validates a code_challenge and its method as received in an
// authorization request. The method must be given and must be S256: an
// absent method would mean plain (RFC 7636 §4.3), which is refused.
func CheckChallenge(challenge, method string) error {
	if method != MethodS256 || len(challenge) != 43 {
		return ErrInvalidChallenge
	}
	for i := 0; i < len(challenge); i++ {
		c := challenge[i]
		if !unreserved(c) || c == '.' || c == '~' {
			return ErrInvalidChallenge
		}
	}
	return nil
}

// Verify checks verifier against the stored S256 challenge (RFC 7636 §4.6).
// The comparison is constant-time. A malformed verifier gives
// ErrInvalidVerifier; a well-formed one that does not match gives ErrMismatch.
func Verify(challenge, verifier string) error {
	if !ValidVerifier(verifier) {
		return ErrInvalidVerifier
	}
	if subtle.ConstantTimeCompare([]byte(Challenge(verifier)), []byte(challenge)) != 1 {
		return ErrMismatch
	}
	return nil
}

func unreserved(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}
