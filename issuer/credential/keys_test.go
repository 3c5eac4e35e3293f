package credential_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"issuer/issuer/credential"
	"issuer/storage/memory"
)

// TestGeneratedKeysKept: the generated root and signer are kept in the
// store: a second start (or node) on the same store signs with the same
// key under the same root; the signer chains to the root as a document
// signer with C in both subjects, and the chain holds the signer only.
func TestGeneratedKeysKept(t *testing.T) {
	store := memory.New()
	now := time.Now()
	a, err := credential.GeneratedKeys(t.Context(), store, "https://issuer.example/tenant", now)
	if err != nil {
		t.Fatal(err)
	}
	b, err := credential.GeneratedKeys(t.Context(), store, "https://issuer.example/tenant", now)
	if err != nil {
		t.Fatal(err)
	}
	sa, err := a.Signer(t.Context(), now)
	if err != nil {
		t.Fatal(err)
	}
	sb, err := b.Signer(t.Context(), now)
	if err != nil {
		t.Fatal(err)
	}
	if !sa.Key.Equal(sb.Key) || !a.Root().Equal(b.Root()) {
		t.Fatal("a second start made other keys")
	}
	if len(sa.Chain) != 1 || sa.Chain[0].Subject.CommonName != "issuer.example" || len(sa.Chain[0].Subject.Country) != 1 {
		t.Errorf("chain %v; want the signer only, CN the host, with C", sa.Chain[0].Subject)
	}
	roots := x509.NewCertPool()
	roots.AddCert(a.Root())
	if _, err := sa.Chain[0].Verify(x509.VerifyOptions{Roots: roots, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		t.Errorf("the signer does not chain to the root: %v", err)
	}
	if !strings.Contains(string(a.RootPEM()), "BEGIN CERTIFICATE") {
		t.Error("RootPEM is not PEM")
	}
	// A year later, a new signer under the same root, still valid then.
	later := now.Add(366 * 24 * time.Hour)
	sl, err := a.Signer(t.Context(), later)
	if err != nil {
		t.Fatal(err)
	}
	if sl.Key.Equal(sa.Key) || later.After(sl.Chain[0].NotAfter) || later.Before(sl.Chain[0].NotBefore) {
		t.Errorf("the signer of the next period: same key %v, valid %s to %s", sl.Key.Equal(sa.Key), sl.Chain[0].NotBefore, sl.Chain[0].NotAfter)
	}
}

// TestConfiguredKeys: configured files are used as they are; a key that
// is not the chain's first certificate's is refused at start.
func TestConfiguredKeys(t *testing.T) {
	dir := t.TempDir()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ds", Country: []string{"DE"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, typ string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	k8, _ := x509.MarshalPKCS8PrivateKey(key)
	o8, _ := x509.MarshalPKCS8PrivateKey(other)
	chain := write("chain.pem", "CERTIFICATE", der)
	keys, err := credential.ConfiguredKeys(write("key.pem", "PRIVATE KEY", k8), chain)
	if err != nil {
		t.Fatal(err)
	}
	s, err := keys.Signer(t.Context(), time.Now())
	if err != nil || !s.Key.Equal(key) || keys.RootPEM() != nil {
		t.Fatalf("Signer() = %v, %v; want the configured key and no root", s, err)
	}
	if _, err := credential.ConfiguredKeys(write("other.pem", "PRIVATE KEY", o8), chain); err == nil || !strings.Contains(err.Error(), "not the key of the chain's first certificate") {
		t.Errorf("a mismatched key: %v", err)
	}
}
