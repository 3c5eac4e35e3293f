// Package nonce issues and checks the server nonces of the token service:
// DPoP-Nonce values (RFC 9449 §8) and c_nonce values for credential key
// proofs (OpenID4VCI 1.0 §7). Nonces are stateless: each is a random value
// with an expiry, authenticated with HMAC-SHA256 under a secret the caller
// keeps (in the database), so they cannot be forged, expire on their own,
// and can be checked by any process holding the secret, such as a credential
// endpoint. Each purpose is its own namespace: a c_nonce is never accepted
// as a DPoP nonce or an attestation challenge, the authorization server's
// DPoP nonces are not the resource server's, and the other way round.
package nonce

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"time"
)

// Purpose separates the namespaces of nonces issued with one secret.
type Purpose byte

const (
	// DPoP nonces go in the DPoP-Nonce header of the authorization server
	// (token endpoint, PAR).
	DPoP Purpose = 1
	// CNonce nonces are the c_nonce values for credential key proofs.
	CNonce Purpose = 2
	// AttestationChallenge nonces are the challenges of attestation-based
	// client authentication (the challenge claim of a client attestation
	// PoP).
	AttestationChallenge Purpose = 3
	// DPoPResource nonces go in the DPoP-Nonce header of the resource
	// server (the credential endpoint, UserInfo): a namespace of their own,
	// so that a nonce of the authorization server is refused there and the
	// other way round (RFC 9449 §9).
	DPoPResource Purpose = 4
)

var (
	// ErrInvalid: the value is not a nonce this Manager issued for that
	// purpose (malformed, forged, or of another purpose).
	ErrInvalid = errors.New("nonce: invalid")
	// ErrExpired: the nonce was issued here but has expired.
	ErrExpired = errors.New("nonce: expired")
)

const (
	version   = 1
	randLen   = 16 // 128 bits of entropy
	macLen    = 16
	headerLen = 1 + 1 + 8 // version, purpose, expiry
	rawLen    = headerLen + randLen + macLen
)

// EncodedLen is the length of every nonce: base64url without padding, so
// the characters are within the NQCHAR set that RFC 9449 §8.1 requires.
var EncodedLen = base64.RawURLEncoding.EncodedLen(rawLen)

// Manager issues and checks nonces under one secret.
type Manager struct {
	key []byte
}

// New returns a Manager keyed with secret, which must hold at least 32 bytes.
func New(secret []byte) (*Manager, error) {
	if len(secret) < 32 {
		return nil, errors.New("nonce: secret must be at least 32 bytes")
	}
	return &Manager{key: append([]byte(nil), secret...)}, nil
}

// Issue returns a fresh nonce for p that expires ttl after now.
func (m *Manager) Issue(p Purpose, now time.Time, ttl time.Duration) string {
	var raw [rawLen]byte
	raw[0] = version
	raw[1] = byte(p)
	binary.BigEndian.PutUint64(raw[2:headerLen], uint64(now.Add(ttl).Unix()))
	if _, err := rand.Read(raw[headerLen : headerLen+randLen]); err != nil {
		panic("nonce: crypto/rand failed: " + err.Error()) // never returns an error since Go 1.24
	}
	m.sign(raw[:headerLen+randLen], raw[headerLen+randLen:])
	return base64.RawURLEncoding.EncodeToString(raw[:])
}

// Check verifies that value is an unexpired nonce issued by m for p at now.
// It returns ErrInvalid or ErrExpired otherwise.
func (m *Manager) Check(p Purpose, value string, now time.Time) error {
	if len(value) != EncodedLen {
		return ErrInvalid
	}
	var raw [rawLen]byte
	if n, err := base64.RawURLEncoding.Decode(raw[:], []byte(value)); err != nil || n != rawLen {
		return ErrInvalid
	}
	var mac [macLen]byte
	m.sign(raw[:headerLen+randLen], mac[:])
	if !hmac.Equal(mac[:], raw[headerLen+randLen:]) || raw[0] != version || raw[1] != byte(p) {
		return ErrInvalid
	}
	if now.Unix() > int64(binary.BigEndian.Uint64(raw[2:headerLen])) {
		return ErrExpired
	}
	return nil
}

func (m *Manager) sign(msg, out []byte) {
	h := hmac.New(sha256.New, m.key)
	h.Write(msg)
	copy(out, h.Sum(nil))
}
