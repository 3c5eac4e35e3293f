package credential_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
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

// TestPublishedSigners: the keys verifiers are shown are the current
// signer's and, after a rollover, the previous one's while its certificate
// lasts; a past signer that never existed is not created.
func TestPublishedSigners(t *testing.T) {
	store := memory.New()
	now := time.Now()
	k, err := credential.GeneratedKeys(t.Context(), store, "https://issuer.example", now)
	if err != nil {
		t.Fatal(err)
	}
	first, err := k.Published(t.Context(), now)
	if err != nil || len(first) != 1 {
		t.Fatalf("Published() = %d signers, %v; want the current one", len(first), err)
	}
	// An hour into the next period (periods of 365 days since the epoch).
	year := int64(365 * 24 * 60 * 60)
	next := time.Unix((now.Unix()/year+1)*year, 0).Add(time.Hour)
	both, err := k.Published(t.Context(), next)
	if err != nil || len(both) != 2 || !both[1].Key.Equal(first[0].Key) || both[0].Key.Equal(first[0].Key) {
		t.Fatalf("Published() after a rollover = %d signers, %v; want the new one and the previous one", len(both), err)
	}
	if after := both[1].Chain[0].NotAfter.Add(time.Second); after.Before(next.Add(365 * 24 * time.Hour)) {
		if got, _ := k.Published(t.Context(), after); len(got) != 1 {
			t.Errorf("Published() once the previous certificate expired = %d signers; want 1", len(got))
		}
	}
	// Two periods on, the skipped period's signer is not made up.
	far := now.Add(3 * 366 * 24 * time.Hour)
	if got, err := k.Published(t.Context(), far); err != nil || len(got) != 1 {
		t.Errorf("Published() two periods on = %d signers, %v; want the current one only", len(got), err)
	}
}

// TestDocumentSignerCertificate: the generated signer's certificate is a
// document signer's (ISO/IEC 18013-5 Annex B: id-mdl-kp-mdlDS, digital
// signature only), names its key (SubjectKeyId) and its root's, and is
// valid from its creation, not from the start of its period.
func TestDocumentSignerCertificate(t *testing.T) {
	now := time.Now()
	k, err := credential.GeneratedKeys(t.Context(), memory.New(), "https://issuer.example", now)
	if err != nil {
		t.Fatal(err)
	}
	s, err := k.Signer(t.Context(), now)
	if err != nil {
		t.Fatal(err)
	}
	c := s.Chain[0]
	mdlDS := asn1.ObjectIdentifier{1, 0, 18013, 5, 1, 2}
	if len(c.UnknownExtKeyUsage) != 1 || !c.UnknownExtKeyUsage[0].Equal(mdlDS) || c.KeyUsage != x509.KeyUsageDigitalSignature || c.IsCA {
		t.Errorf("extended key usage %v, key usage %v, CA %v; want id-mdl-kp-mdlDS, digitalSignature, no CA", c.UnknownExtKeyUsage, c.KeyUsage, c.IsCA)
	}
	if len(c.SubjectKeyId) == 0 || string(c.AuthorityKeyId) != string(k.Root().SubjectKeyId) {
		t.Error("the signer's certificate lacks its SubjectKeyId or its root's AuthorityKeyId")
	}
	if c.NotBefore.Before(now.Add(-time.Hour - time.Second)) {
		t.Errorf("NotBefore %s; want at most an hour before its creation at %s", c.NotBefore, now)
	}
}
