package proof

import (
	"context"
	"errors"
	"fmt"
	"time"

	"issuer/dpop"
	"issuer/issuer/oauth"
	"issuer/nonce"
)

// Config is the server's DPoP policy.
type Config struct {
	// Algs is the allow-list of proof algorithms; MaxAge how old a proof's
	// iat may be, FutureSkew how far ahead.
	Algs               []string
	MaxAge, FutureSkew time.Duration
	// UseNonce switches on server-provided nonces (RFC 9449 §8); NonceTTL
	// is how long a DPoP-Nonce stays valid.
	UseNonce bool
	NonceTTL time.Duration
	// Purpose is the namespace of the DPoP-Nonce values: nonce.DPoP at the
	// authorization server (the default when zero), nonce.DPoPResource at
	// the resource server, so that one is never accepted at the other
	// (RFC 9449 §9).
	Purpose nonce.Purpose
	// Now is the clock.
	Now func() time.Time
}

// Checker verifies DPoP proofs and issues DPoP-Nonce values. Create it
// with [New]; it is safe for concurrent use.
type Checker struct {
	cfg      Config
	verifier *dpop.Verifier
	nonces   *nonce.Manager
}

// New returns a checker that verifies with cfg's policy and checks the
// server nonces with nonces.
func New(cfg Config, nonces *nonce.Manager) (*Checker, error) {
	verifier, err := dpop.NewVerifier(dpop.Options{Algs: cfg.Algs, MaxAge: cfg.MaxAge, FutureSkew: cfg.FutureSkew})
	if err != nil {
		return nil, fmt.Errorf("dpop: %w", err)
	}
	if cfg.Purpose == 0 {
		cfg.Purpose = nonce.DPoP
	}
	return &Checker{cfg: cfg, verifier: verifier, nonces: nonces}, nil
}

// Algs is the allow-list of proof algorithms, as the metadata
// (dpop_signing_alg_values_supported) and the challenges publish it.
func (c *Checker) Algs() []string { return c.verifier.Algs() }

// Nonce returns a fresh DPoP-Nonce, or "" when server nonces are off.
func (c *Checker) Nonce() string {
	if !c.cfg.UseNonce {
		return ""
	}
	return c.nonces.Issue(c.cfg.Purpose, c.cfg.Now(), c.cfg.NonceTTL)
}

// Verify verifies a DPoP proof for method and url at now (and, when
// accessToken is set, its ath), with the server nonce when nonces are on.
// A missing or stale nonce answers use_dpop_nonce with a fresh nonce on
// the error; a bad proof invalid_dpop_proof. Replay is the caller's to
// record.
func (c *Checker) Verify(ctx context.Context, raw, method, url string, now time.Time, accessToken string) (*dpop.Proof, error) {
	in := dpop.Input{Proof: raw, Method: method, URL: url, Now: now, AccessToken: accessToken}
	if c.cfg.UseNonce {
		in.CheckNonce = func(n string) bool { return n != "" && c.nonces.Check(c.cfg.Purpose, n, now) == nil }
	}
	proof, err := c.verifier.Verify(ctx, in)
	switch {
	case errors.Is(err, dpop.ErrUseNonce):
		return nil, oauth.ErrUseDPoPNonce("Authorization Server required nonce in DPoP proof").
			WithDPoPNonce(c.Nonce())
	case errors.Is(err, dpop.ErrInvalidProof):
		return nil, oauth.ErrInvalidDPoPProof("%s", err.Error()).WithCause(err)
	case err != nil:
		return nil, oauth.ErrServer(err)
	}
	return proof, nil
}
