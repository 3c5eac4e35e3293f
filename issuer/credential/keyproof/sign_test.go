package keyproof

import (
	"context"
	"crypto"
	"strings"
	"testing"
	"time"

	"issuer/nonce"
)

func TestSignRoundTrip(t *testing.T) {
	k := keys(t)
	for _, c := range []struct {
		alg string
		key crypto.Signer
	}{{"ES256", k.p256}, {"ES384", k.p384}, {"EdDSA", k.ed}, {"PS256", k.rsa2048}} {
		t.Run(c.alg, func(t *testing.T) {
			f := newFixture(t)
			raw, err := Sign(c.key, c.alg, Claims{Audience: testAud, Nonce: f.cNonce(), Issuer: testClient, IssuedAt: testNow})
			if err != nil {
				t.Fatal(err)
			}
			p, err := f.v.Verify(context.Background(), raw, Expect{Algs: []string{c.alg}, ClientID: testClient})
			if err != nil {
				t.Fatalf("Verify(Sign()) = %v", err)
			}
			checkKey(t, p.Key, c.key.Public())
			_, err = f.v.Verify(context.Background(), raw, Expect{Algs: []string{c.alg}, ClientID: "another-client"})
			wantProofErr(t, err, errIss) // the proof carries iss
			// Without Issuer, the proof suits an anonymous token.
			raw, err = Sign(c.key, c.alg, Claims{Audience: testAud, Nonce: f.cNonce(), IssuedAt: testNow})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.verify(raw); err != nil {
				t.Fatalf("Verify(Sign() without iss) = %v", err)
			}
		})
	}
}

func TestSignDefaultIssuedAt(t *testing.T) {
	m := newFixture(t).nonces
	v, err := New(Config{Audience: testAud, Nonces: m})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := Sign(keys(t).p256, "ES256", Claims{Audience: testAud, Nonce: m.Issue(nonce.CNonce, time.Now(), time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(context.Background(), raw, Expect{Algs: []string{"ES256"}}); err != nil {
		t.Fatalf("Verify(Sign() at time.Now) = %v", err)
	}
}

func TestSignErrors(t *testing.T) {
	k := keys(t)
	good := Claims{Audience: testAud, Nonce: "n"}
	for name, c := range map[string]struct {
		key crypto.Signer
		alg string
		c   Claims
	}{
		"HS256":       {k.p256, "HS256", good},
		"none":        {k.p256, "none", good},
		"P-384 ES256": {k.p384, "ES256", good},
		"RSA EdDSA":   {k.rsa2048, "EdDSA", good},
		"no audience": {k.p256, "ES256", Claims{Nonce: "n"}},
		"no nonce":    {k.p256, "ES256", Claims{Audience: testAud}},
	} {
		if raw, err := Sign(c.key, c.alg, c.c); err == nil || raw != "" || !strings.HasPrefix(err.Error(), "keyproof: ") {
			t.Errorf("Sign(%s) = %q, %v; want a keyproof error", name, raw, err)
		}
	}
}
