package mdoc

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"math/big"
	mrand "math/rand/v2"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
)

// The test's clock: the MSO is signed at testNow, valid for 30 days.
var testNow = time.Date(2026, 3, 14, 9, 26, 53, 589_000_000, time.UTC)

const (
	pidDocType = "eu.europa.ec.eudi.pid.1"
	pidNS      = "eu.europa.ec.eudi.pid.1"
)

// pidClaimsJSON is a PID as the admin API's offer claims carry it: JSON,
// dates as strings.
const pidClaimsJSON = `{
  "eu.europa.ec.eudi.pid.1": {
    "family_name": "Mustermann",
    "given_name": "Erika",
    "birth_date": "1964-08-12",
    "age_over_18": true,
    "age_in_years": 61,
    "nationality": ["DE"],
    "birth_place": {"country": "DE", "locality": "Berlin"},
    "issuing_authority": "DE",
    "issuing_country": "DE",
    "expiry_date": "2031-03-14",
    "issuance_date": "2026-03-14T09:26:53Z"
  }
}`

// pidConfig marks the PID's dates.
var pidConfig = Config{
	DocType: pidDocType,
	Dates: map[Element]DateKind{
		{pidNS, "birth_date"}:    KindFullDate,
		{pidNS, "expiry_date"}:   KindFullDate,
		{pidNS, "issuance_date"}: KindDateTime,
	},
}

// issuerKey is a document signer: its key and a self-signed certificate
// (with the country the ISO checks want in the subject).
type issuerKey struct {
	key  *ecdsa.PrivateKey
	cert *x509.Certificate
}

func newIssuerKey(t testing.TB, cn string) issuerKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{Country: []string{"DE"}, Organization: []string{"issuer tests"}, CommonName: cn},
		NotBefore:    testNow.Add(-24 * time.Hour),
		NotAfter:     testNow.Add(365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return issuerKey{key: key, cert: cert}
}

func newHolderKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// pidClaims decodes pidClaimsJSON as the endpoint would.
func pidClaims(t testing.TB) map[string]any {
	t.Helper()
	var claims map[string]any
	if err := json.Unmarshal([]byte(pidClaimsJSON), &claims); err != nil {
		t.Fatal(err)
	}
	return claims
}

// seeded is a reproducible random reader.
func seeded(seed byte) *mrand.ChaCha8 {
	return mrand.NewChaCha8([32]byte{seed})
}

// pidInput is the input of a PID mdoc for holder, signed by iss.
func pidInput(t testing.TB, iss issuerKey, holder *ecdsa.PrivateKey) Input {
	t.Helper()
	return Input{
		Config:    pidConfig,
		Claims:    pidClaims(t),
		DeviceKey: &holder.PublicKey,
		Signer:    iss.key,
		Chain:     []*x509.Certificate{iss.cert},
		Validity:  ValidFor(testNow, 30*24*time.Hour),
		Rand:      seeded(1),
	}
}

func mustIssue(t testing.TB, in Input) string {
	t.Helper()
	cred, err := Issue(in)
	if err != nil {
		t.Fatalf("Issue() = %v", err)
	}
	return cred
}

// generic decodes CBOR for the structure tests: maps keep their key types.
func generic(t testing.TB, b []byte) any {
	t.Helper()
	dm, err := cbor.DecOptions{DefaultMapType: nil}.DecMode()
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := dm.Unmarshal(b, &v); err != nil {
		t.Fatalf("decoding %x: %v", b, err)
	}
	return v
}
