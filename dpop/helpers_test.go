package dpop

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"sync"
	"testing"
	"time"
)

const testURL = "https://as.example.com/token"

var testNow = time.Unix(1_700_000_000, 0)

// testKeys are generated once per test binary.
type testKeys struct {
	p256, p256b, p384 *ecdsa.PrivateKey
	rsa2048, rsa1024  *rsa.PrivateKey
	ed                ed25519.PrivateKey
}

var (
	keysOnce sync.Once
	keysVal  testKeys
)

func keys(tb testing.TB) *testKeys {
	tb.Helper()
	keysOnce.Do(func() {
		check := func(err error) {
			if err != nil {
				panic(err)
			}
		}
		k := &keysVal
		var err error
		k.p256, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		check(err)
		k.p256b, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		check(err)
		k.p384, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
		check(err)
		k.rsa2048, err = rsa.GenerateKey(rand.Reader, 2048)
		check(err)
		k.rsa1024, err = rsa.GenerateKey(rand.Reader, 1024)
		check(err)
		_, k.ed, err = ed25519.GenerateKey(rand.Reader)
		check(err)
	})
	return &keysVal
}

// allAlgs is every supported algorithm.
var allAlgs = []string{"ES256", "ES384", "PS256", "RS256", "EdDSA"}

func newTestVerifier(tb testing.TB, o Options) *Verifier {
	tb.Helper()
	v, err := NewVerifier(o)
	if err != nil {
		tb.Fatalf("NewVerifier() error = %v", err)
	}
	return v
}

// baseClaims are the claims of the baseline valid proof.
func baseClaims() Claims {
	return Claims{Method: "POST", URL: testURL, JTI: "jti-1", IssuedAt: testNow}
}

// baseInput is the Input the baseline proof satisfies.
func baseInput(proof string) Input {
	return Input{Proof: proof, Method: "POST", URL: testURL, Now: testNow}
}

func mustSign(tb testing.TB, key crypto.Signer, alg string, c Claims) string {
	tb.Helper()
	p, err := Sign(key, alg, c)
	if err != nil {
		tb.Fatalf("Sign(%s) error = %v", alg, err)
	}
	return p
}

// jwkMap returns the public JWK of key as a map.
func jwkMap(tb testing.TB, pub crypto.PublicKey) map[string]any {
	tb.Helper()
	raw, err := appendPublicJWK(nil, pub)
	if err != nil {
		tb.Fatalf("appendPublicJWK() error = %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		tb.Fatal(err)
	}
	return m
}

// baseHeader returns the header of a valid ES256 proof by key.
func baseHeader(tb testing.TB, key crypto.Signer) map[string]any {
	return map[string]any{"typ": "dpop+jwt", "alg": "ES256", "jwk": jwkMap(tb, key.Public())}
}

// basePayload returns the payload of the baseline valid proof.
func basePayload() map[string]any {
	return map[string]any{"jti": "jti-1", "htm": "POST", "htu": testURL, "iat": testNow.Unix()}
}

func mustJSON(tb testing.TB, v any) string {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

func enc(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// forge returns a compact JWS of the raw header and payload JSON signed by
// key with the algorithm alg names (JWS R || S for ECDSA).
func forge(tb testing.TB, key crypto.Signer, alg, header, payload string) string {
	tb.Helper()
	input := enc(header) + "." + enc(payload)
	sig, err := signInput(key, lookupAlg(alg), []byte(input))
	if err != nil {
		tb.Fatalf("signInput() error = %v", err)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// forgeMaps is forge with header and payload given as maps.
func forgeMaps(tb testing.TB, key crypto.Signer, alg string, header, payload map[string]any) string {
	tb.Helper()
	return forge(tb, key, alg, mustJSON(tb, header), mustJSON(tb, payload))
}
