package sdjwt

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"io"
	"math/big"
	"testing"
	"time"
)

// Times of the fixtures: issued at t0, valid for a year.
var (
	t0  = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	exp = t0.AddDate(1, 0, 0)
)

// pki is an issuer: a CA, a document signer certificate it issued, and the
// signer's key.
type pki struct {
	ca, leaf *x509.Certificate
	key      *ecdsa.PrivateKey
}

// newPKI makes a CA and an issuer certificate below it.
func newPKI(t testing.TB, name string) pki {
	t.Helper()
	caKey := newKey(t)
	ca := newCert(t, name+" CA", caKey, nil, nil, true)
	key := newKey(t)
	leaf := newCert(t, name+" issuer", key, ca, caKey, false)
	return pki{ca: ca, leaf: leaf, key: key}
}

// newKey makes an ECDSA P-256 key.
func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// newCert makes a certificate for key, signed by parent (self-signed when
// parent is nil).
func newCert(t testing.TB, cn string, key *ecdsa.PrivateKey, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, isCA bool) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: cn, Country: []string{"DE"}},
		NotBefore:             t0.AddDate(-1, 0, 0),
		NotAfter:              t0.AddDate(3, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  isCA,
	}
	if isCA {
		tmpl.KeyUsage |= x509.KeyUsageCertSign
	}
	signer := parentKey
	if parent == nil {
		parent, signer = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// stream is a reproducible randomness source: SHA-256 in counter mode
// over a seed.
type stream struct {
	seed string
	n    uint64
	buf  []byte
}

// Read fills p from the stream.
func (s *stream) Read(p []byte) (int, error) {
	for i := range p {
		if len(s.buf) == 0 {
			h := sha256.Sum256([]byte(s.seed + "/" + big.NewInt(int64(s.n)).String()))
			s.n++
			s.buf = h[:]
		}
		p[i], s.buf = s.buf[0], s.buf[1:]
	}
	return len(p), nil
}

// pidClaims are PID-like claims with nested objects, arrays of strings and
// of objects, numbers and non-ASCII text.
func pidClaims() map[string]any {
	return map[string]any{
		"given_name":  "Erika",
		"family_name": "Mustermann",
		"birthdate":   "1964-08-12",
		"address": map[string]any{
			"street_address": "Heidestraße 17",
			"locality":       "Köln",
			"postal_code":    "51147",
			"country":        "DE",
		},
		"nationalities":     []string{"DE", "FR"},
		"age_equal_or_over": map[string]any{"18": true, "21": true, "65": false},
		"place_of_birth":    map[string]any{"locality": "Berlin"},
		"degrees": []any{
			map[string]any{"type": "Bachelor", "university": "TU <Berlin> & co"},
			map[string]any{"type": "Master", "university": "Uni Köln"},
		},
		"height_m":          1.72,
		"issuing_authority": "DE",
		"issuing_country":   "DE",
		"sub":               "erika",
	}
}

// pidPaths make the name claims, the address and its members, each
// nationality, one age claim and parts of the degrees disclosable.
func pidPaths() []ClaimPath {
	return []ClaimPath{
		{"given_name"}, {"family_name"}, {"birthdate"},
		{"address"}, {"address", "street_address"}, {"address", "locality"},
		{"nationalities", nil},
		{"age_equal_or_over", "18"},
		{"degrees", 0},
		{"degrees", float64(1), "university"}, // as encoding/json decodes a configuration
		{"degrees", nil, "type"},
		{"height_m"},
		{"not_in_the_claims"},
	}
}

// pidDisclosures is how many disclosures pidPaths make of pidClaims:
// 3 names, address + 2 members, 2 nationalities, 1 age, degrees[0],
// 2 degree types, degrees[1].university, height.
const pidDisclosures = 3 + 3 + 2 + 1 + 1 + 2 + 1 + 1

// newInput is a valid Input for p and a new holder key.
func newInput(t testing.TB, p pki) (Input, *ecdsa.PrivateKey) {
	t.Helper()
	holder := newKey(t)
	return Input{
		Issuer:      "https://issuer.example",
		Key:         p.key,
		Chain:       []*x509.Certificate{p.leaf},
		VCT:         "urn:eudi:pid:1",
		Claims:      pidClaims(),
		Disclosable: pidPaths(),
		Holder:      &holder.PublicKey,
		IssuedAt:    t0,
		Expires:     exp,
		Rand:        rand.Reader,
	}, holder
}

// issue issues in, failing the test on error.
func issue(t testing.TB, in Input) string {
	t.Helper()
	c, err := Issue(in)
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	return c
}

// asJSON round-trips v through JSON, so that values of different Go types
// compare equal when their JSON is the same.
func asJSON(t testing.TB, v any) any {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

var _ io.Reader = (*stream)(nil)
