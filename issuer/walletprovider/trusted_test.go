package walletprovider_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"

	"issuer/issuer/walletprovider"
)

// What a trusted provider vouches for and verifies: its issuer and client
// IDs (Admits), its anchors (IsAnchor, HAIP-07), its keys or the x5c
// chains to its anchors (Verifies; ATT-03, VCI-61, D04).

// trusted is the one Trusted of provider p.
func trusted(t *testing.T, p walletprovider.Provider) walletprovider.Trusted {
	t.Helper()
	r, _ := newRegistry(t, p)
	tr := r.Trusted()
	if len(tr) != 1 {
		t.Fatalf("trusted = %d providers", len(tr))
	}
	return tr[0]
}

func TestAdmits(t *testing.T) {
	keys := jwks(jwk(newKey(t), ""))
	open := trusted(t, walletprovider.Provider{Name: "any", JWKS: keys})
	scoped := trusted(t, walletprovider.Provider{Name: "scoped", Issuer: "https://w.example", ClientIDs: []string{"a", "b"}, JWKS: keys})
	for _, tc := range []struct {
		p        walletprovider.Trusted
		iss, sub string
		want     bool
	}{
		{open, "", "x", true},
		{open, "https://anything.example", "x", true},
		{scoped, "https://w.example", "a", true},
		{scoped, "https://w.example", "b", true},
		{scoped, "https://w.example", "c", false},
		{scoped, "https://w.example/", "a", false},
		{scoped, "", "a", false},
		{scoped, "https://other.example", "a", false},
	} {
		if got := tc.p.Admits(tc.iss, tc.sub); got != tc.want {
			t.Errorf("%s.Admits(%q, %q) = %t; want %t", tc.p.Name(), tc.iss, tc.sub, got, tc.want)
		}
	}
}

func TestIsAnchor(t *testing.T) {
	root := ca(t, nil, "Root")
	inter := ca(t, root, "Inter")
	// The root re-issued: the same subject and key, another serial.
	again := issue(t, nil, root.Key, &x509.Certificate{Subject: pkix.Name{CommonName: "Root"}, IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign})
	sameName := ca(t, nil, "Root")
	p := trusted(t, walletprovider.Provider{Name: "p", X5CRoots: []string{der64(root.Cert)}})
	for _, tc := range []struct {
		name string
		c    *x509.Certificate
		want bool
	}{
		{"the anchor", root.Cert, true},
		{"the anchor re-issued with its key", again.Cert, true},
		{"another key under the anchor's name", sameName.Cert, false},
		{"an intermediate", inter.Cert, false},
	} {
		if got := p.IsAnchor(tc.c); got != tc.want {
			t.Errorf("IsAnchor(%s) = %t; want %t", tc.name, got, tc.want)
		}
	}
	if trusted(t, walletprovider.Provider{Name: "k", JWKS: jwks(jwk(root.Key, ""))}).IsAnchor(root.Cert) {
		t.Error("a JWKS provider has an anchor")
	}
}

func TestVerifiesJWKS(t *testing.T) {
	k1, k2, evil := newKey(t), newKey(t), newKey(t)
	p := trusted(t, walletprovider.Provider{Name: "p", JWKS: jwks(jwk(k1, "k1"), jwk(k2, "k2"))})
	for _, tc := range []struct {
		name string
		raw  string
		alg  jwa.SignatureAlgorithm
		kid  string
		want bool
	}{
		{"k1 by its kid", sign(t, k1, map[string]any{"alg": "ES256"}), "ES256", "k1", true},
		{"k2 without kid", sign(t, k2, map[string]any{"alg": "ES256"}), "ES256", "", true},
		{"k2 named k1", sign(t, k2, map[string]any{"alg": "ES256"}), "ES256", "k1", false},
		{"an unknown kid", sign(t, k1, map[string]any{"alg": "ES256"}), "ES256", "k9", false},
		{"another key", sign(t, evil, map[string]any{"alg": "ES256"}), "ES256", "", false},
		{"another algorithm", sign(t, k1, map[string]any{"alg": "ES256"}), "ES384", "", false},
	} {
		if got := p.Verifies(tc.raw, tc.alg, tc.kid, nil, now); got != tc.want {
			t.Errorf("Verifies(%s) = %t; want %t", tc.name, got, tc.want)
		}
	}
}

func TestVerifiesX5C(t *testing.T) {
	root := ca(t, nil, "Root")
	inter := ca(t, root, "Inter")
	leaf := issue(t, inter, nil, &x509.Certificate{Subject: pkix.Name{CommonName: "Leaf"}})
	noSign := issue(t, inter, nil, &x509.Certificate{KeyUsage: x509.KeyUsageKeyAgreement})
	short := issue(t, inter, nil, &x509.Certificate{NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Minute)})
	foreign := issue(t, ca(t, nil, "Other"), nil, &x509.Certificate{})
	p := trusted(t, walletprovider.Provider{Name: "p", X5CRoots: []string{der64(root.Cert)}})
	signed := func(c *cert) string { return sign(t, c.Key, map[string]any{"alg": "ES256"}) }
	for _, tc := range []struct {
		name  string
		raw   string
		chain []*x509.Certificate
		at    time.Time
		want  bool
	}{
		{"leaf and intermediate", signed(leaf), []*x509.Certificate{leaf.Cert, inter.Cert}, now, true},
		{"a leaf valid for a minute, now", signed(short), []*x509.Certificate{short.Cert, inter.Cert}, now, true},
		{"the same leaf, expired", signed(short), []*x509.Certificate{short.Cert, inter.Cert}, now.Add(2 * time.Minute), false},
		{"signed by another key", sign(t, newKey(t), map[string]any{"alg": "ES256"}), []*x509.Certificate{leaf.Cert, inter.Cert}, now, false},
		{"without the intermediate", signed(leaf), []*x509.Certificate{leaf.Cert}, now, false},
		{"a leaf that may not sign", signed(noSign), []*x509.Certificate{noSign.Cert, inter.Cert}, now, false},
		{"a chain to another root", signed(foreign), []*x509.Certificate{foreign.Cert}, now, false},
		{"no chain", signed(leaf), nil, now, false},
	} {
		if got := p.Verifies(tc.raw, "ES256", "", tc.chain, tc.at); got != tc.want {
			t.Errorf("Verifies(%s) = %t; want %t", tc.name, got, tc.want)
		}
	}
}

// TestVerifiesX5CWeakLeafKey: a leaf whose key the key policy refuses
// (RSA 1024) does not verify, though it chains to the anchor.
func TestVerifiesX5CWeakLeafKey(t *testing.T) {
	root := ca(t, nil, "Root")
	weak, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(99), Subject: pkix.Name{CommonName: "weak"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, root.Cert, &weak.PublicKey, root.Key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	raw := rs256(t, weak)
	p := trusted(t, walletprovider.Provider{Name: "p", X5CRoots: []string{der64(root.Cert)}})
	if p.Verifies(raw, "RS256", "", []*x509.Certificate{leaf}, now) {
		t.Fatal("a leaf with an RSA 1024 key verifies")
	}
}
