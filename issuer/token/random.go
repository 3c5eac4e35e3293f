package token

import (
	"crypto/rand"
	"encoding/base64"

	"github.com/google/uuid"
)

// Random returns 256 random bits, base64url-encoded: codes, secrets,
// request URIs, refresh tokens.
func Random() string {
	b, _ := RandomBytes32()
	return base64.RawURLEncoding.EncodeToString(b)
}

// RandomBytes32 returns 32 bytes from crypto/rand: the secrets the server
// keys its HMACs with.
func RandomBytes32() ([]byte, error) {
	b := make([]byte, 32)
	_, err := rand.Read(b)
	return b, err
}

// NewID returns a time-ordered UUID (version 7): records keyed by it are
// written near each other in the B+tree, so a batch of writes dirties few
// pages.
func NewID() string {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.NewString()
	}
	return id.String()
}
