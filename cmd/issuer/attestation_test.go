package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"issuer/issuer"
	"issuer/storage/memory"
)

// TestSettingsWalletProviders checks that wallet providers are read from
// the YAML config file: a PEM root as a block scalar and a JWKS as a
// mapping.
func TestSettingsWalletProviders(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Root"}, IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	root := strings.ReplaceAll(string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), "\n", "\n          ")
	yaml := `client_attestation:
  require_challenge: true
  max_attestation_age: 720h
  wallet_providers:
    - name: X.509 wallets
      issuer: https://wallet-provider.example
      x5c_roots:
        - |
          ` + root + `
    - name: JWKS wallets
      jwks:
        keys:
          - {kty: EC, crv: P-256, kid: k1, x: MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4, y: 4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM}
`
	file := filepath.Join(t.TempDir(), "issuer.yaml")
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := loadSettings([]string{"--config", file}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ca := s.ClientAttestation
	if !ca.RequireChallenge || ca.MaxAttestationAge != 720*time.Hour || len(ca.Providers) != 2 {
		t.Fatalf("client_attestation = %+v", ca)
	}
	svc, err := issuer.New(t.Context(), s.Config, memory.New(), nil)
	if err != nil {
		t.Fatal(err)
	}
	list, err := svc.WalletProviders.List(t.Context())
	if err != nil || len(list) != 2 || len(list[0].X5CRoots) != 1 || list[1].JWKS == nil {
		t.Fatalf("WalletProviders() = %+v, %v; want the root as base64 DER and the JWKS", list, err)
	}
}
