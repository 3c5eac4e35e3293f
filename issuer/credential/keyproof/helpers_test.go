package keyproof

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"

	"issuer/issuer/testclock"
	"issuer/nonce"
)

const (
	testAud    = "https://issuer.example.com"
	testClient = "wallet-client"
)

var (
	testNow    = time.Unix(1_700_000_000, 0)
	testSecret = []byte("0123456789abcdef0123456789abcdef")
	// allAlgs is a configuration's proof_signing_alg_values_supported that
	// allows every supported alg.
	allAlgs = []string{"ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "RS256", "RS384", "RS512", "EdDSA"}
)

// testKeys are generated once per test binary.
type testKeys struct {
	p256, p256b, p384, p521 *ecdsa.PrivateKey
	rsa2048, rsa1024        *rsa.PrivateKey
	ed                      ed25519.PrivateKey
}

var (
	keysOnce sync.Once
	keysVal  testKeys
)

func keys(tb testing.TB) testKeys {
	tb.Helper()
	keysOnce.Do(func() {
		must := func(k any, err error) any {
			if err != nil {
				panic(err)
			}
			return k
		}
		keysVal.p256 = must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader)).(*ecdsa.PrivateKey)
		keysVal.p256b = must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader)).(*ecdsa.PrivateKey)
		keysVal.p384 = must(ecdsa.GenerateKey(elliptic.P384(), rand.Reader)).(*ecdsa.PrivateKey)
		keysVal.p521 = must(ecdsa.GenerateKey(elliptic.P521(), rand.Reader)).(*ecdsa.PrivateKey)
		keysVal.rsa2048 = must(rsa.GenerateKey(rand.Reader, 2048)).(*rsa.PrivateKey)
		keysVal.rsa1024 = must(rsa.GenerateKey(rand.Reader, 1024)).(*rsa.PrivateKey)
		_, ed, err := ed25519.GenerateKey(rand.Reader)
		keysVal.ed = must(ed, err).(ed25519.PrivateKey)
	})
	return keysVal
}

// fixture is a verifier on a settable clock with its nonce manager.
type fixture struct {
	v      *Verifier
	clock  *testclock.Clock
	nonces *nonce.Manager
}

func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	m, err := nonce.New(testSecret)
	if err != nil {
		tb.Fatal(err)
	}
	clock := testclock.New(testNow)
	v, err := New(Config{Audience: testAud, MaxAge: time.Minute, FutureSkew: 10 * time.Second, Nonces: m, Now: clock.Now})
	if err != nil {
		tb.Fatal(err)
	}
	return &fixture{v: v, clock: clock, nonces: m}
}

// cNonce issues a c_nonce valid for five minutes from the fixture's now.
func (f *fixture) cNonce() string {
	return f.nonces.Issue(nonce.CNonce, f.clock.Now(), 5*time.Minute)
}

// verify verifies raw for an anonymous token allowing every alg.
func (f *fixture) verify(raw string) (Proof, error) {
	return f.v.Verify(context.Background(), raw, Expect{Algs: allAlgs})
}

// claims are the payload of a valid proof for f, as a map to change.
func (f *fixture) claims() map[string]any {
	return map[string]any{"aud": testAud, "iat": f.clock.Now().Unix(), "nonce": f.cNonce()}
}

// header is the header of a valid proof with key's public jwk.
func header(tb testing.TB, key crypto.Signer, alg string) map[string]any {
	tb.Helper()
	return map[string]any{"typ": Type, "alg": alg, "jwk": publicJWK(tb, key.Public())}
}

// publicJWK is pub as a JWK object, written by jwx.
func publicJWK(tb testing.TB, pub crypto.PublicKey) map[string]any {
	tb.Helper()
	k, err := jwk.FromRaw(pub)
	if err != nil {
		tb.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(mustJSON(tb, k)), &m); err != nil {
		tb.Fatal(err)
	}
	return m
}

func mustJSON(tb testing.TB, v any) string {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// sign makes a proof of header and claims signed by key with alg.
func sign(tb testing.TB, key crypto.Signer, alg string, header, claims map[string]any) string {
	tb.Helper()
	return forge(tb, key, alg, mustJSON(tb, header), mustJSON(tb, claims))
}

// forge signs the given header and payload JSON texts as they are, with
// jwx's signer (independent of the code under test); key is a
// crypto.Signer, or the []byte secret of HS*.
func forge(tb testing.TB, key any, alg, header, payload string) string {
	tb.Helper()
	input := enc(header) + "." + enc(payload)
	s, err := jws.NewSigner(jwa.SignatureAlgorithm(alg))
	if err != nil {
		tb.Fatal(err)
	}
	sig, err := s.Sign([]byte(input), key)
	if err != nil {
		tb.Fatal(err)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// valid is a valid ES256 proof of f.
func (f *fixture) valid(tb testing.TB) string {
	tb.Helper()
	k := keys(tb).p256
	return sign(tb, k, "ES256", header(tb, k, "ES256"), f.claims())
}

func enc(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func mustHex(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// wantErr checks that err wraps code and is exactly want.
func wantErr(t *testing.T, err, code, want error) {
	t.Helper()
	switch {
	case err == nil:
		t.Fatalf("Verify() accepted the proof; want %v", want)
	case !errors.Is(err, code):
		t.Fatalf("Verify() = %v; want it to wrap %v", err, code)
	case want != nil && !errors.Is(err, want):
		t.Fatalf("Verify() = %v; want %v", err, want)
	}
}

// wantProofErr checks an invalid_proof error with the description want.
func wantProofErr(t *testing.T, err, want error) {
	t.Helper()
	wantErr(t, err, ErrInvalidProof, want)
	if errors.Is(err, ErrInvalidNonce) {
		t.Fatalf("Verify() = %v; wraps both codes", err)
	}
}

// description is what the caller shows: the text after the code.
func description(err error) string {
	_, d, _ := strings.Cut(err.Error(), ": ")
	return d
}

// certificate issues a certificate for pub signed by parent's key (self
// signed when parent is nil).
func certificate(tb testing.TB, pub crypto.PublicKey, signer crypto.Signer, parent *x509.Certificate, cn string, ca bool) *x509.Certificate {
	tb.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    testNow.Add(-time.Hour), NotAfter: testNow.Add(time.Hour),
		IsCA: ca, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
	}
	if parent == nil {
		parent = tmpl
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
	if err != nil {
		tb.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// x5c is the x5c header value of certs.
func x5c(certs ...*x509.Certificate) []string {
	out := make([]string, len(certs))
	for i, c := range certs {
		out[i] = base64.StdEncoding.EncodeToString(c.Raw)
	}
	return out
}
