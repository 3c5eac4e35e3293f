package clients_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"testing"
	"time"

	"issuer/issuer/clients"
	"issuer/issuer/oauth"
	"issuer/storage/memory"
)

// now is the fixed clock of the registry.
var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// newRegistry is the registry on a fresh memory store.
func newRegistry(t testing.TB) (*clients.Registry, *memory.Store) {
	t.Helper()
	st := memory.New()
	return clients.New(st, func() time.Time { return now }), st
}

// wantOAuthError asserts an *oauth.Error with code and, when desc != "",
// exactly that description.
func wantOAuthError(t testing.TB, err error, code, desc string) {
	t.Helper()
	var e *oauth.Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v; want an oauth error %s", err, code)
	}
	if e.Code != code || desc != "" && e.Description != desc {
		t.Fatalf("error = %s %q; want %s %q", e.Code, e.Description, code, desc)
	}
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

// publicJWK is the public JWK of k.
func publicJWK(k *ecdsa.PrivateKey) map[string]any {
	var x, y [32]byte
	k.X.FillBytes(x[:])
	k.Y.FillBytes(y[:])
	return map[string]any{"kty": "EC", "crv": "P-256", "x": b64(x[:]), "y": b64(y[:])}
}

// keySet is the JSON of a JWK set of keys.
func keySet(t testing.TB, keys ...any) json.RawMessage {
	t.Helper()
	if keys == nil {
		keys = []any{}
	}
	raw, err := json.Marshal(map[string]any{"keys": keys})
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// selfSigned is a self-signed certificate of k.
func selfSigned(t testing.TB, k *ecdsa.PrivateKey) []byte {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "client"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// certJWK is the public JWK of k with der in x5c.
func certJWK(k *ecdsa.PrivateKey, der []byte) map[string]any {
	j := publicJWK(k)
	j["x5c"] = []string{base64.StdEncoding.EncodeToString(der)}
	return j
}
