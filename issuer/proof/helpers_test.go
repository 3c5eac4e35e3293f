package proof_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"testing"
	"time"

	"issuer/dpop"
	"issuer/issuer"
	"issuer/issuer/oauth"
	"issuer/issuer/oauth/oauthtest"
	"issuer/issuer/proof"
	"issuer/issuer/testclock"
	"issuer/nonce"
)

const tokenURL = "https://issuer.example/token"

// env is a checker with the issuer's default DPoP policy and a settable
// clock.
type env struct {
	Proofs *proof.Checker
	Clock  *testclock.Clock
	Cfg    proof.Config
}

// newEnv builds a checker from the default DPoP config, changed by opts.
func newEnv(t testing.TB, opts ...func(*proof.Config)) *env {
	t.Helper()
	def := issuer.Defaults().DPoP
	clk := testclock.New(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))
	cfg := proof.Config{
		Algs: def.Algs, MaxAge: def.MaxAge, FutureSkew: def.FutureSkew,
		UseNonce: def.UseNonce, NonceTTL: def.NonceTTL, Now: clk.Now,
	}
	for _, o := range opts {
		o(&cfg)
	}
	nonces, err := nonce.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	p, err := proof.New(cfg, nonces)
	if err != nil {
		t.Fatal(err)
	}
	return &env{Proofs: p, Clock: clk, Cfg: cfg}
}

func nonceOn(c *proof.Config) { c.UseNonce = true }

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func thumbprint(t testing.TB, k crypto.Signer) string {
	t.Helper()
	jkt, err := dpop.Thumbprint(k.Public())
	if err != nil {
		t.Fatal(err)
	}
	return jkt
}

// sign signs an ES256 proof of key; Method, URL and IssuedAt default to
// POST, the token URL and the clock.
func (e *env) sign(t testing.TB, key crypto.Signer, c dpop.Claims) string {
	t.Helper()
	if c.Method == "" {
		c.Method = "POST"
	}
	if c.URL == "" {
		c.URL = tokenURL
	}
	if c.IssuedAt.IsZero() {
		c.IssuedAt = e.Clock.Now()
	}
	p, err := dpop.Sign(key, "ES256", c)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// verify verifies raw for POST at the token URL at the clock.
func (e *env) verify(t testing.TB, raw, accessToken string) (*dpop.Proof, error) {
	t.Helper()
	return e.Proofs.Verify(t.Context(), raw, "POST", tokenURL, e.Clock.Now(), accessToken)
}

// wantError asserts that err is the oauth error code.
func wantError(t testing.TB, err error, code string) *oauth.Error {
	t.Helper()
	return oauthtest.WantError(t, err, code, "")
}
