// Package keyproof verifies the key proofs of credential requests
// (OpenID4VCI 1.0 §8.2 and Appendix F): JWT proofs of type
// openid4vci-proof+jwt, with the c_nonce of the nonce endpoint, and the key
// attestations that may come with them. It knows nothing of HTTP.
package keyproof

import (
	"context"
	"crypto"
	"errors"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"

	"issuer/nonce"
)

// Type is the typ header of a JWT key proof (Appendix F.1).
const Type = "openid4vci-proof+jwt"

// Config is the verifier's policy, the same for every request.
type Config struct {
	// Audience is the credential issuer identifier: the only accepted aud.
	Audience string
	// MaxAge is how old a proof's iat may be; FutureSkew how far ahead.
	MaxAge, FutureSkew time.Duration
	// Nonces checks the c_nonce values (nonce.CNonce) of the proofs.
	Nonces *nonce.Manager
	// Now is the clock.
	Now func() time.Time
}

// Expect is what one request expects of its proofs.
type Expect struct {
	// Algs is the configuration's proof_signing_alg_values_supported: the
	// allow-list of the proof's alg.
	Algs []string
	// ClientID is the client the access token was issued to; "" for an
	// anonymous pre-authorized token, whose proofs must carry no iss.
	ClientID string
}

// Key is the public key a proof proved possession of: the key a
// credential is bound to.
type Key struct {
	// JWK is the public key as a JWK (no private members).
	JWK jwk.Key
	// Public is the same key as a crypto.PublicKey.
	Public crypto.PublicKey
	// Thumbprint is its RFC 7638 SHA-256 thumbprint, base64url.
	Thumbprint string
}

// Proof is a verified key proof.
type Proof struct {
	Key Key
	// ReplayKey identifies the proof for replay detection; the caller
	// records it (storage.Replay) until ReplayExpiry, so that a proof is
	// used once.
	ReplayKey    []byte
	ReplayExpiry time.Time
}

// Errors. Verify wraps one of them, with a description of what is wrong
// that may be shown to the wallet: ErrInvalidNonce for a stale or forged
// c_nonce (the wallet fetches a new one), ErrInvalidProof for everything
// else, a missing nonce included.
var (
	ErrInvalidProof = errors.New("invalid_proof")
	ErrInvalidNonce = errors.New("invalid_nonce")
)

// Verifier verifies key proofs. Create it with [New]; it is safe for
// concurrent use.
type Verifier struct {
	cfg Config
}

// New returns a verifier with cfg's policy.
func New(cfg Config) (*Verifier, error) {
	return &Verifier{cfg: cfg}, nil
}

// Verify verifies one JWT key proof against cfg and e.
func (v *Verifier) Verify(ctx context.Context, raw string, e Expect) (Proof, error) {
	return Proof{}, errors.New("keyproof: not implemented")
}
