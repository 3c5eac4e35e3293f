package keyproof

import (
	"context"
	"crypto"
	"encoding/base64"
	"errors"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"

	"issuer/dpop"
	"issuer/nonce"
)

// checkKey checks the Key of an accepted proof against the signer's
// public key, independently of the code under test.
func checkKey(t *testing.T, got Key, want crypto.PublicKey) {
	t.Helper()
	if eq, ok := want.(interface{ Equal(crypto.PublicKey) bool }); !ok || !eq.Equal(got.Public) {
		t.Fatalf("Key.Public = %T, not the signer's key", got.Public)
	}
	jkt, err := dpop.Thumbprint(want)
	if err != nil {
		t.Fatal(err)
	}
	if got.Thumbprint != jkt {
		t.Fatalf("Key.Thumbprint = %q; dpop.Thumbprint = %q", got.Thumbprint, jkt)
	}
	if private, err := jwk.IsPrivateKey(got.JWK); err != nil || private {
		t.Fatalf("Key.JWK is private (%v)", err)
	}
	var raw any
	if err := got.JWK.Raw(&raw); err != nil || !want.(interface{ Equal(crypto.PublicKey) bool }).Equal(raw) {
		t.Fatalf("Key.JWK is not the signer's key (%v)", err)
	}
	if got.JWK.KeyID() != "" || got.JWK.Algorithm().String() != "" || got.JWK.KeyUsage() != "" {
		t.Fatalf("Key.JWK carries kid %q, alg %q, use %q from the proof", got.JWK.KeyID(), got.JWK.Algorithm(), got.JWK.KeyUsage())
	}
}

func TestVerifyAlgorithms(t *testing.T) {
	k := keys(t)
	for _, c := range []struct {
		alg string
		key crypto.Signer
	}{
		{"ES256", k.p256}, {"ES384", k.p384}, {"ES512", k.p521}, {"EdDSA", k.ed},
		{"PS256", k.rsa2048}, {"PS384", k.rsa2048}, {"PS512", k.rsa2048}, {"RS256", k.rsa2048},
	} {
		t.Run(c.alg, func(t *testing.T) {
			f := newFixture(t)
			raw := sign(t, c.key, c.alg, header(t, c.key, c.alg), f.claims())
			p, err := f.verify(raw)
			if err != nil {
				t.Fatalf("Verify() = %v", err)
			}
			checkKey(t, p.Key, c.key.Public())
		})
	}
}

// TestVerifyCleanKey: the Key is the key alone, without the kid-less
// extras (alg, use, x5c) a jwk may carry.
func TestVerifyCleanKey(t *testing.T) {
	f := newFixture(t)
	key := keys(t).p256
	h := header(t, key, "ES256")
	j := h["jwk"].(map[string]any)
	j["alg"], j["use"], j["key_ops"] = "ES256", "sig", []string{"verify"}
	p, err := f.verify(sign(t, key, "ES256", h, f.claims()))
	if err != nil {
		t.Fatalf("Verify() = %v", err)
	}
	checkKey(t, p.Key, key.Public())
	if _, ok := p.Key.JWK.Get(jwk.KeyOpsKey); ok {
		t.Fatal("Key.JWK carries key_ops from the proof")
	}
}

func TestVerifyX5C(t *testing.T) {
	k := keys(t)
	ca := certificate(t, k.p384.Public(), k.p384, nil, "Wallet CA", true)
	leaf := certificate(t, k.p256.Public(), k.p384, ca, "Wallet key", false)
	proofWith := func(f *fixture, signer crypto.Signer, alg string, chain any) string {
		return sign(t, signer, alg, map[string]any{"typ": Type, "alg": alg, "x5c": chain}, f.claims())
	}
	t.Run("leaf and CA", func(t *testing.T) {
		f := newFixture(t)
		p, err := f.verify(proofWith(f, k.p256, "ES256", x5c(leaf, ca)))
		if err != nil {
			t.Fatalf("Verify() = %v", err)
		}
		checkKey(t, p.Key, k.p256.Public())
	})
	t.Run("self-signed leaf alone", func(t *testing.T) {
		f := newFixture(t)
		self := certificate(t, k.ed.Public(), k.ed, nil, "Wallet key", false)
		p, err := f.verify(proofWith(f, k.ed, "EdDSA", x5c(self)))
		if err != nil {
			t.Fatalf("Verify() = %v", err)
		}
		checkKey(t, p.Key, k.ed.Public())
	})
	t.Run("signed by the CA key, not the leaf", func(t *testing.T) {
		f := newFixture(t)
		_, err := f.verify(proofWith(f, k.p384, "ES384", x5c(leaf, ca)))
		wantProofErr(t, err, errKeyAlgMismatch) // the leaf is P-256
	})
	t.Run("signed by another P-256 key", func(t *testing.T) {
		f := newFixture(t)
		_, err := f.verify(proofWith(f, k.p256b, "ES256", x5c(leaf, ca)))
		wantProofErr(t, err, errSignature)
	})
	t.Run("RSA 1024 leaf", func(t *testing.T) {
		f := newFixture(t)
		weak := certificate(t, k.rsa1024.Public(), k.p384, ca, "Weak", false)
		_, err := f.verify(proofWith(f, k.rsa1024, "RS256", x5c(weak, ca)))
		wantProofErr(t, err, ErrInvalidProof)
		if d := description(err); d != "the key proof's x5c leaf certificate's key is not an acceptable key: an RSA modulus must be odd and of 2048 to 4096 bits" {
			t.Fatalf("description %q", d)
		}
	})
	for name, chain := range map[string]any{
		"empty":       []string{},
		"not base64":  []string{"!!"},
		"base64url":   []string{base64URL(t, leaf.Raw)},
		"not DER":     []string{"AAAA"},
		"string":      x5c(leaf)[0],
		"null":        nil,
		"numbers":     []int{1},
		"bad second":  []string{x5c(leaf)[0], "AAAA"},
		"object":      map[string]any{"0": x5c(leaf)[0]},
		"nested list": [][]string{x5c(leaf)},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			_, err := f.verify(proofWith(f, k.p256, "ES256", chain))
			wantProofErr(t, err, errX5CMalformed)
		})
	}
	t.Run("too long", func(t *testing.T) {
		f := newFixture(t)
		chain := x5c(leaf)
		for len(chain) <= maxX5C {
			chain = append(chain, x5c(ca)[0])
		}
		_, err := f.verify(proofWith(f, k.p256, "ES256", chain))
		wantProofErr(t, err, errX5CTooLong)
	})
}

// base64URL is der in the base64url alphabet, which x5c (standard
// base64) does not use.
func base64URL(tb testing.TB, der []byte) string {
	s := base64.URLEncoding.EncodeToString(der)
	if s == base64.StdEncoding.EncodeToString(der) {
		tb.Fatal("the certificate encodes the same in both alphabets; the case tests nothing")
	}
	return s
}

func TestVerifyContext(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := f.v.Verify(ctx, f.valid(t), Expect{Algs: allAlgs}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Verify(cancelled ctx) = %v; want context.Canceled", err)
	}
}

func TestNew(t *testing.T) {
	m := newFixture(t).nonces
	for name, c := range map[string]Config{
		"no audience":    {Nonces: m},
		"no nonces":      {Audience: testAud},
		"negative age":   {Audience: testAud, Nonces: m, MaxAge: -time.Second},
		"negative skew":  {Audience: testAud, Nonces: m, FutureSkew: -time.Second},
		"skew above max": {Audience: testAud, Nonces: m, FutureSkew: MaxFutureSkew + time.Second},
	} {
		if _, err := New(c); err == nil {
			t.Errorf("New(%s) accepted the config", name)
		}
	}
	v, err := New(Config{Audience: testAud, Nonces: m})
	if err != nil {
		t.Fatal(err)
	}
	if v.cfg.MaxAge != DefaultMaxAge || v.cfg.FutureSkew != DefaultFutureSkew || v.cfg.Now == nil {
		t.Fatalf("defaults: MaxAge %v, FutureSkew %v, Now set %v", v.cfg.MaxAge, v.cfg.FutureSkew, v.cfg.Now != nil)
	}
	// The default clock is the real one: a proof made now verifies.
	key := keys(t).p256
	claims := map[string]any{"aud": testAud, "iat": time.Now().Unix(), "nonce": m.Issue(nonce.CNonce, time.Now(), time.Minute)}
	if _, err := v.Verify(context.Background(), sign(t, key, "ES256", header(t, key, "ES256"), claims), Expect{Algs: []string{"ES256"}}); err != nil {
		t.Fatalf("Verify() with the default clock = %v", err)
	}
}
