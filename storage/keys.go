package storage

import (
	"context"
	"encoding/json"
	"time"
)

// Keys is the server's own key material: named secrets (e.g. the key of
// its nonces) and the keys it signs tokens with.
type Keys interface {
	// GetOrCreateSecret returns the secret stored under name, or stores and
	// returns create() if there is none yet. Two concurrent callers get the
	// same value.
	GetOrCreateSecret(ctx context.Context, name string, create func() ([]byte, error)) ([]byte, error)
	// SigningKeys returns every signing key, oldest first.
	SigningKeys(ctx context.Context) ([]SigningKey, error)
	// AddSigningKey stores k; ErrAlreadyExists if k.ID is taken.
	AddSigningKey(ctx context.Context, k SigningKey) error
}

// SigningKey is a private key the server signs tokens with.
type SigningKey struct {
	ID         string          `json:"id"`  // the JWK "kid"
	Alg        string          `json:"alg"` // JWS algorithm, e.g. ES256
	PrivateJWK json.RawMessage `json:"private_jwk"`
	CreatedAt  time.Time       `json:"created_at"`
}
