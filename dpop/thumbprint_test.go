package dpop

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"math/big"
	"testing"

	"github.com/lestrrat-go/jwx/v2/jwk"
)

// rfc7638N is the modulus of the RFC 7638 §3.1 example key.
const rfc7638N = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"

const rfc7638Thumbprint = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"

func TestThumbprintRFC7638(t *testing.T) {
	n, err := base64.RawURLEncoding.DecodeString(rfc7638N)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Thumbprint(&rsa.PublicKey{N: new(big.Int).SetBytes(n), E: 65537})
	if err != nil || got != rfc7638Thumbprint {
		t.Fatalf("Thumbprint() = %q, %v; want %q", got, err, rfc7638Thumbprint)
	}
	for _, tc := range []struct{ name, jwk string }{
		{"bare", `{"kty":"RSA","n":"` + rfc7638N + `","e":"AQAB"}`},
		{"with kid, use and alg", `{"kty":"RSA","n":"` + rfc7638N + `","e":"AQAB","alg":"RS256","kid":"2011-04-29","use":"sig"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := parseJWKFields([]byte(tc.jwk))
			if err != nil {
				t.Fatalf("parseJWKFields() error = %v", err)
			}
			_, jkt, err := publicKey(&f, lookupAlg("RS256"))
			if err != nil || jkt != rfc7638Thumbprint {
				t.Fatalf("publicKey() thumbprint = %q, %v; want %q", jkt, err, rfc7638Thumbprint)
			}
		})
	}
}

// TestThumbprintMatchesJWX cross-checks Thumbprint, and the thumbprint
// Verify computes from the jwk text, against lestrrat-go/jwx.
func TestThumbprintMatchesJWX(t *testing.T) {
	k := keys(t)
	p521, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		pub  crypto.PublicKey
	}{
		{"P-256", k.p256.Public()},
		{"P-384", k.p384.Public()},
		{"P-521", p521.Public()},
		{"RSA", k.rsa2048.Public()},
		{"Ed25519", k.ed.Public()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Thumbprint(tc.pub)
			if err != nil {
				t.Fatalf("Thumbprint() error = %v", err)
			}
			key, err := jwk.FromRaw(tc.pub)
			if err != nil {
				t.Fatal(err)
			}
			sum, err := key.Thumbprint(crypto.SHA256)
			if err != nil {
				t.Fatal(err)
			}
			if want := base64.RawURLEncoding.EncodeToString(sum); got != want {
				t.Fatalf("Thumbprint() = %q; want %q (jwx)", got, want)
			}
		})
	}
}

func TestThumbprintErrors(t *testing.T) {
	p224, err := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		pub  crypto.PublicKey
	}{
		{"nil", nil},
		{"P-224", p224.Public()},
		{"RSA without modulus", &rsa.PublicKey{E: 65537}},
		{"short Ed25519", ed25519.PublicKey{1, 2, 3}},
		{"private key", keys(t).p256},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, err := Thumbprint(tc.pub); err == nil {
				t.Fatalf("Thumbprint() = %q, nil; want an error", got)
			}
		})
	}
}
