package walletprovider_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"sync/atomic"
	"testing"
	"time"

	"issuer/issuer/walletprovider"
	"issuer/storage/memory"
)

// now is the fixed clock of the registry.
var now = time.Now().Truncate(time.Second)

// newRegistry is the registry of configured providers on a fresh memory
// store, reloaded.
func newRegistry(t testing.TB, configured ...walletprovider.Provider) (*walletprovider.Registry, *memory.Store) {
	t.Helper()
	st := memory.New()
	r := walletprovider.New(configured, st, func() time.Time { return now }, nil)
	if err := r.Reload(t.Context()); err != nil {
		t.Fatalf("Reload() = %v", err)
	}
	return r, st
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// jwk is the public JWK of k named kid ("" for none).
func jwk(k *ecdsa.PrivateKey, kid string) map[string]any {
	var x, y [32]byte
	k.X.FillBytes(x[:])
	k.Y.FillBytes(y[:])
	j := map[string]any{"kty": "EC", "crv": "P-256", "x": b64(x[:]), "y": b64(y[:])}
	if kid != "" {
		j["kid"] = kid
	}
	return j
}

// jwks is a provider's JWK set of keys.
func jwks(keys ...map[string]any) map[string]any {
	ks := make([]any, len(keys))
	for i, k := range keys {
		ks[i] = k
	}
	return map[string]any{"keys": ks}
}

// sign is a compact ES256 JWS of claims by key, with header.
func sign(t testing.TB, key *ecdsa.PrivateKey, header map[string]any) string {
	t.Helper()
	h, _ := json.Marshal(header)
	p, _ := json.Marshal(map[string]any{"sub": "https://wallet.example/a"})
	input := b64(h) + "." + b64(p)
	d := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, key, d[:])
	if err != nil {
		t.Fatal(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return input + "." + b64(sig)
}

// rs256 is a compact RS256 JWS by key.
func rs256(t testing.TB, key *rsa.PrivateKey) string {
	t.Helper()
	input := b64([]byte(`{"alg":"RS256"}`)) + "." + b64([]byte(`{"sub":"https://wallet.example/a"}`))
	d := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, d[:])
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + b64(sig)
}

// cert is a certificate with its private key.
type cert struct {
	Key  *ecdsa.PrivateKey
	Cert *x509.Certificate
}

var serial atomic.Int64

// issue makes a certificate of key (a new one when nil) from tmpl, signed
// by parent (self-signed when nil); unset validity is an hour around now,
// unset key usage digitalSignature.
func issue(t testing.TB, parent *cert, key *ecdsa.PrivateKey, tmpl *x509.Certificate) *cert {
	t.Helper()
	if key == nil {
		key = newKey(t)
	}
	tmpl.SerialNumber = big.NewInt(serial.Add(1))
	if tmpl.NotBefore.IsZero() {
		tmpl.NotBefore, tmpl.NotAfter = now.Add(-time.Hour), now.Add(time.Hour)
	}
	if tmpl.KeyUsage == 0 {
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	}
	parentCert, signer := tmpl, key
	if parent != nil {
		parentCert, signer = parent.Cert, parent.Key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parentCert, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &cert{Key: key, Cert: c}
}

// ca is a CA certificate named cn, signed by parent (self-signed when nil).
func ca(t testing.TB, parent *cert, cn string) *cert {
	t.Helper()
	return issue(t, parent, nil, &x509.Certificate{Subject: pkix.Name{CommonName: cn}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature})
}

func der64(c *x509.Certificate) string { return base64.StdEncoding.EncodeToString(c.Raw) }

func pemOf(c *x509.Certificate) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
}
