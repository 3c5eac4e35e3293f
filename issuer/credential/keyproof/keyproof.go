// Package keyproof verifies the key proofs of credential requests
// (OpenID4VCI 1.0 §8.2 and Appendix F): JWT proofs of type
// openid4vci-proof+jwt, with the c_nonce of the nonce endpoint, and the key
// attestations that may come with them. It knows nothing of HTTP.
//
// A service creates one [Verifier] with [New] and calls [Verifier.Verify]
// for every proof of a credential request. Verify checks everything that
// needs no state (the checks are listed on it); the caller records
// [Proof.ReplayKey] until [Proof.ReplayExpiry] so that each proof is used
// once, and binds one credential to each proof's [Key].
//
// Key attestations (Appendix D) come as the key_attestation header of a
// jwt proof, which Verify checks along with the proof (the proof's key
// must be one of the attested keys), or as the attestation proof type
// (Appendix F.3), which [Verifier.VerifyAttestation] checks. Which wallet
// providers are trusted to sign them is the [Trust] hook's decision;
// [TrustProviders] makes one of issuer/walletprovider's registry without
// this package importing it. Their nonce must be a live c_nonce.
//
// Every key the package accepts passes dpop.CheckPublicKey, the server's
// one key policy, and a JWK passes jwkset.Check as well.
package keyproof

import (
	"crypto"
	"errors"
	"fmt"
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
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Trust decides which key attestations come from a trusted wallet
	// provider (see [TrustProviders]); nil refuses every key attestation.
	Trust Trust
}

// Defaults of [Config] for zero values.
const (
	// DefaultMaxAge is how old a proof's iat may be by default. The c_nonce
	// bounds a proof's freshness too; iat keeps the replay records short.
	DefaultMaxAge = 5 * time.Minute
	// DefaultFutureSkew absorbs wallet clocks that run ahead.
	DefaultFutureSkew = 30 * time.Second
	// MaxFutureSkew bounds FutureSkew: a proof dated further ahead would
	// stay usable long after it was made.
	MaxFutureSkew = 5 * time.Minute
)

// Expect is what one request expects of its proofs.
type Expect struct {
	// Algs is the configuration's proof_signing_alg_values_supported: the
	// allow-list of the proof's alg.
	Algs []string
	// ClientID is the client the access token was issued to; "" for an
	// anonymous pre-authorized token, whose proofs must carry no iss.
	ClientID string
	// RequireKeyAttestation refuses a jwt proof without a key_attestation
	// header: the configuration's key_attestations_required.
	RequireKeyAttestation bool
	// KeyStorage and UserAuthentication, when not empty, are the
	// key_storage and user_authentication values of
	// key_attestations_required: a key attestation must assert one of
	// each.
	KeyStorage, UserAuthentication []string
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
	// AttestedKeys, for a proof with a key_attestation header, are every
	// key it attests, Key among them (Appendix F.1: the issuer SHOULD
	// issue a credential for each); nil otherwise.
	AttestedKeys []Key
	// Attestation is what the key_attestation header says; nil without
	// one.
	Attestation *Attestation
}

// Attested is a verified key attestation of the attestation proof type
// (Appendix F.3): a credential for each of its keys.
type Attested struct {
	Keys        []Key
	Attestation Attestation
	// ReplayKey and ReplayExpiry are as for a [Proof]: the caller records
	// them so that the attestation is used once.
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

// New returns a verifier with cfg's policy. Audience and Nonces are
// required; zero MaxAge and FutureSkew take [DefaultMaxAge] and
// [DefaultFutureSkew].
func New(cfg Config) (*Verifier, error) {
	switch {
	case cfg.Audience == "":
		return nil, errors.New("keyproof: Config.Audience is required")
	case cfg.Nonces == nil:
		return nil, errors.New("keyproof: Config.Nonces is required")
	case cfg.MaxAge < 0 || cfg.FutureSkew < 0:
		return nil, errors.New("keyproof: MaxAge and FutureSkew must not be negative")
	case cfg.FutureSkew > MaxFutureSkew:
		return nil, fmt.Errorf("keyproof: FutureSkew must not exceed %v", MaxFutureSkew)
	}
	if cfg.MaxAge == 0 {
		cfg.MaxAge = DefaultMaxAge
	}
	if cfg.FutureSkew == 0 {
		cfg.FutureSkew = DefaultFutureSkew
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Verifier{cfg: cfg}, nil
}
