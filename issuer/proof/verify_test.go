package proof_test

import (
	"testing"
	"time"

	"issuer/dpop"
	"issuer/issuer/oauth"
	"issuer/issuer/proof"
)

// A valid proof is accepted and names its key; the checker does not record
// the jti (replay is the caller's), so the same proof passes twice.
func TestVerifyValid(t *testing.T) {
	e := newEnv(t)
	key := newKey(t)
	raw := e.sign(t, key, dpop.Claims{})
	for i := range 2 {
		p, err := e.verify(t, raw, "")
		if err != nil {
			t.Fatalf("Verify #%d = %v", i, err)
		}
		if p.JKT != thumbprint(t, key) {
			t.Errorf("JKT = %q; want the key's thumbprint", p.JKT)
		}
		if len(p.ReplayKey) == 0 {
			t.Error("no replay key for the caller")
		}
	}
}

// Every defect of a proof is invalid_dpop_proof (DPOP-19 and checklist
// decision 9): htm, htu, ath, age, alg, garbage.
func TestVerifyInvalidProof(t *testing.T) {
	const at = "the-access-token"
	key := newKey(t)
	cases := []struct {
		name   string
		cfg    func(*proof.Config)
		claims dpop.Claims
		raw    string
		method string
		at     string
	}{
		{name: "DPOP-09 htm is not the method", claims: dpop.Claims{Method: "GET"}},
		{name: "DPOP-09 htm is case-sensitive", claims: dpop.Claims{Method: "post"}},
		{name: "DPOP-10 htu is another endpoint", claims: dpop.Claims{URL: "https://issuer.example/par"}},
		{name: "DPOP-10 htu is another host", claims: dpop.Claims{URL: "https://other.example/token"}},
		{name: "DPOP-18 no ath with an access token", claims: dpop.Claims{}, at: at},
		{name: "DPOP-18 ath of another token", claims: dpop.Claims{AccessToken: "another"}, at: at},
		{name: "DPOP-13 iat too old", claims: dpop.Claims{IssuedAt: time.Date(2025, 3, 1, 11, 50, 0, 0, time.UTC)}},
		{name: "DPOP-14 iat too far ahead", claims: dpop.Claims{IssuedAt: time.Date(2025, 3, 1, 12, 2, 0, 0, time.UTC)}},
		{name: "DPOP-42 alg not allowed", cfg: func(c *proof.Config) { c.Algs = []string{"EdDSA"} }},
		{name: "DPOP-02 not a JWT", raw: "a.b"},
		{name: "DPOP-02 empty", raw: " "},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var opts []func(*proof.Config)
			if c.cfg != nil {
				opts = append(opts, c.cfg)
			}
			e := newEnv(t, opts...)
			raw := c.raw
			if raw == "" {
				raw = e.sign(t, key, c.claims)
			}
			p, err := e.verify(t, raw, c.at)
			if p != nil {
				t.Errorf("proof = %+v; want none", p)
			}
			if ee := wantError(t, err, oauth.CodeInvalidDPoPProof); ee.DPoPNonce != "" {
				t.Errorf("DPoPNonce = %q on a bad proof", ee.DPoPNonce)
			}
		})
	}
}

// DPOP-18: a proof with the ath of the presented access token passes.
func TestVerifyATH(t *testing.T) {
	e := newEnv(t)
	raw := e.sign(t, newKey(t), dpop.Claims{AccessToken: "the-access-token"})
	if _, err := e.verify(t, raw, "the-access-token"); err != nil {
		t.Fatalf("Verify = %v", err)
	}
}

// With server nonces off, a proof needs no nonce and Nonce issues none.
func TestNonceOff(t *testing.T) {
	e := newEnv(t, func(c *proof.Config) { c.UseNonce = false })
	if n := e.Proofs.Nonce(); n != "" {
		t.Errorf("Nonce() = %q; want none with nonces off", n)
	}
	if _, err := e.verify(t, e.sign(t, newKey(t), dpop.Claims{}), ""); err != nil {
		t.Fatalf("Verify = %v", err)
	}
	// A nonce claim the server never asked for is not checked.
	if _, err := e.verify(t, e.sign(t, newKey(t), dpop.Claims{Nonce: "whatever"}), ""); err != nil {
		t.Fatalf("Verify with an unasked nonce = %v", err)
	}
}

// DPOP-29, DPOP-17, DPOP-32: with server nonces on, a proof without a
// nonce, with an unknown or a stale one, is use_dpop_nonce with a fresh
// nonce on the error, and the retry with that nonce passes.
func TestNonceOn(t *testing.T) {
	key := newKey(t)
	cases := []struct {
		name  string
		nonce func(e *env) string
	}{
		{"DPOP-29 no nonce", func(*env) string { return "" }},
		{"DPOP-32 unknown nonce", func(*env) string { return "not-a-nonce" }},
		{"DPOP-32 stale nonce", func(e *env) string {
			n := e.Proofs.Nonce()
			e.Clock.Advance(e.Cfg.NonceTTL + time.Second)
			return n
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, nonceOn)
			n := c.nonce(e)
			_, err := e.verify(t, e.sign(t, key, dpop.Claims{Nonce: n}), "")
			fresh := wantError(t, err, oauth.CodeUseDPoPNonce).DPoPNonce
			if fresh == "" || fresh == n {
				t.Fatalf("DPoPNonce = %q; want a fresh nonce", fresh)
			}
			if _, err := e.verify(t, e.sign(t, key, dpop.Claims{Nonce: fresh}), ""); err != nil {
				t.Fatalf("retry with the fresh nonce = %v", err)
			}
		})
	}
}

// A nonce stays valid for NonceTTL and no longer.
func TestNonceTTL(t *testing.T) {
	e := newEnv(t, nonceOn)
	key := newKey(t)
	n := e.Proofs.Nonce()
	if n == "" {
		t.Fatal("Nonce() = \"\" with nonces on")
	}
	e.Clock.Advance(e.Cfg.NonceTTL - time.Second)
	if _, err := e.verify(t, e.sign(t, key, dpop.Claims{Nonce: n}), ""); err != nil {
		t.Fatalf("Verify before the TTL = %v", err)
	}
	e.Clock.Advance(2 * time.Second)
	_, err := e.verify(t, e.sign(t, key, dpop.Claims{Nonce: n}), "")
	wantError(t, err, oauth.CodeUseDPoPNonce)
}

// A bad proof with a good nonce is still invalid_dpop_proof.
func TestNonceOnBadProof(t *testing.T) {
	e := newEnv(t, nonceOn)
	raw := e.sign(t, newKey(t), dpop.Claims{Nonce: e.Proofs.Nonce(), Method: "GET"})
	_, err := e.verify(t, raw, "")
	wantError(t, err, oauth.CodeInvalidDPoPProof)
}
