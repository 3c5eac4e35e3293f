package mdoc

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"issuer/e2e/interop"
)

// mdocVerdict is what e2e/node/verify-mdoc.mjs (@animo-id/mdoc) prints.
type mdocVerdict struct {
	Base64URLUnpadded           bool                      `json:"base64url_unpadded"`
	Parsed                      bool                      `json:"parsed"`
	Error                       string                    `json:"error"`
	DocType                     string                    `json:"doctype"`
	DocTypeMatches              bool                      `json:"doctype_matches"`
	Version                     string                    `json:"version"`
	DigestAlgorithm             string                    `json:"digest_algorithm"`
	AlgInProtected              bool                      `json:"alg_in_protected"`
	X5ChainInUnprotected        bool                      `json:"x5chain_in_unprotected"`
	Validity                    map[string]string         `json:"validity"`
	SignatureValid              bool                      `json:"signature_valid"`
	ChainValid                  bool                      `json:"chain_valid"`
	ValidNow                    bool                      `json:"valid_now"`
	SignedInCertificateValidity bool                      `json:"signed_in_certificate_validity"`
	DigestsChecked              int                       `json:"digests_checked"`
	DigestsValid                bool                      `json:"digests_valid"`
	FailedChecks                []string                  `json:"failed_checks"`
	DeviceKeyMatches            bool                      `json:"device_key_matches"`
	Elements                    map[string]map[string]any `json:"elements"`
}

// verifyIndependently runs verify-mdoc.mjs on cred.
func verifyIndependently(t *testing.T, cred string, trusted []*x509.Certificate, holder *ecdsa.PublicKey, docType string, now time.Time) mdocVerdict {
	t.Helper()
	point, err := holder.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.RawURLEncoding.EncodeToString
	in := map[string]any{
		"credential": cred,
		"holder_jwk": map[string]string{"kty": "EC", "crv": "P-256", "x": b64(point[1:33]), "y": b64(point[33:])},
		"doctype":    docType,
		"now":        now.Format(time.RFC3339),
	}
	var anchors []string
	for _, c := range trusted {
		anchors = append(anchors, base64.StdEncoding.EncodeToString(c.Raw))
	}
	in["trusted_certificates"] = anchors
	stdin, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var v mdocVerdict
	interop.Run(t, "verify-mdoc.mjs", stdin, &v)
	return v
}

// wantPIDElements is pidClaimsJSON as verify-mdoc.mjs renders the elements:
// the dates tagged.
func wantPIDElements(t *testing.T) map[string]map[string]any {
	t.Helper()
	var want map[string]map[string]any
	if err := json.Unmarshal([]byte(pidClaimsJSON), &want); err != nil {
		t.Fatal(err)
	}
	pid := want[pidNS]
	pid["birth_date"] = map[string]any{"full-date": "1964-08-12"}
	pid["expiry_date"] = map[string]any{"full-date": "2031-03-14"}
	pid["issuance_date"] = map[string]any{"tdate": "2026-03-14T09:26:53Z"}
	return want
}

func TestInteropAnimoMdocAccepts(t *testing.T) {
	ca := newCA(t)
	iss, holder := ca.issue(t, "DS"), newHolderKey(t)
	in := pidInput(t, iss, holder)
	in.Claims["org.example.extra"] = map[string]any{"portrait": []byte{0xff, 0xd8, 0xff}, "scores": []any{1, 2.5}}
	v := verifyIndependently(t, mustIssue(t, in), []*x509.Certificate{ca.cert}, &holder.PublicKey, pidDocType, testNow.Add(time.Hour))

	if !v.Parsed || v.Error != "" || len(v.FailedChecks) != 0 {
		t.Fatalf("@animo-id/mdoc: parsed %v, error %q, failed checks %q", v.Parsed, v.Error, v.FailedChecks)
	}
	checks := map[string]bool{
		"unpadded base64url":                     v.Base64URLUnpadded,
		"docType":                                v.DocTypeMatches,
		"alg in the protected header":            v.AlgInProtected,
		"x5chain in the unprotected header":      v.X5ChainInUnprotected,
		"issuer signature with the x5chain leaf": v.SignatureValid,
		"x5chain to the trusted CA":              v.ChainValid,
		"valid now":                              v.ValidNow,
		"signed within the certificate validity": v.SignedInCertificateValidity,
		"every value digest":                     v.DigestsValid && v.DigestsChecked == 13,
		"device key = holder key":                v.DeviceKeyMatches,
		"version 1.0, SHA-256":                   v.Version == "1.0" && v.DigestAlgorithm == "SHA-256",
	}
	for name, ok := range checks {
		if !ok {
			t.Errorf("@animo-id/mdoc check failed: %s (verdict %+v)", name, v)
		}
	}
	want := wantPIDElements(t)
	want["org.example.extra"] = map[string]any{"portrait": map[string]any{"bstr": "_9j_"}, "scores": []any{1.0, 2.5}}
	if !reflect.DeepEqual(v.Elements, want) {
		t.Errorf("@animo-id/mdoc elements =\n%v\nwant\n%v", v.Elements, want)
	}
	wantValidity := map[string]string{"signed": "2026-03-14T09:26:53Z", "validFrom": "2026-03-14T09:26:53Z", "validUntil": "2026-04-13T09:26:53Z"}
	if !reflect.DeepEqual(v.Validity, wantValidity) {
		t.Errorf("@animo-id/mdoc validity = %v; want %v", v.Validity, wantValidity)
	}
}

// TestInteropAnimoMdocRefuses breaks the credential, or what the verifier
// expects, one way at a time; the independent verifier must notice each.
func TestInteropAnimoMdocRefuses(t *testing.T) {
	iss, other, holder, stranger := newIssuerKey(t, "DS"), newIssuerKey(t, "other"), newHolderKey(t), newHolderKey(t)
	cred := mustIssue(t, pidInput(t, iss, holder))
	trusted := []*x509.Certificate{iss.cert}
	now := testNow.Add(time.Hour)
	tests := []struct {
		name     string
		cred     string
		trusted  []*x509.Certificate
		holder   *ecdsa.PublicKey
		docType  string
		now      time.Time
		wantFail func(v mdocVerdict) bool
	}{
		{"flipped signature byte", flipSignatureByte(t, cred), trusted, &holder.PublicKey, pidDocType, now,
			func(v mdocVerdict) bool { return !v.SignatureValid && v.DigestsValid }},
		{"altered element value", alterElement(t, cred, pidNS, "family_name", "Musterfrau"), trusted, &holder.PublicKey, pidDocType, now,
			func(v mdocVerdict) bool {
				return v.SignatureValid && !v.DigestsValid && slices.ContainsFunc(v.FailedChecks, func(c string) bool {
					return strings.Contains(c, pidNS+"/family_name")
				})
			}},
		{"x5chain swapped for another trusted signer", replaceX5Chain(t, cred, other.cert.Raw),
			[]*x509.Certificate{iss.cert, other.cert}, &holder.PublicKey, pidDocType, now,
			func(v mdocVerdict) bool { return v.ChainValid && !v.SignatureValid }},
		{"signer not trusted", cred, []*x509.Certificate{other.cert}, &holder.PublicKey, pidDocType, now,
			func(v mdocVerdict) bool { return !v.ChainValid && v.SignatureValid }},
		{"another holder key", cred, trusted, &stranger.PublicKey, pidDocType, now,
			func(v mdocVerdict) bool { return !v.DeviceKeyMatches && v.SignatureValid }},
		{"another docType", cred, trusted, &holder.PublicKey, "org.iso.18013.5.1.mDL", now,
			func(v mdocVerdict) bool { return !v.DocTypeMatches }},
		{"expired", cred, trusted, &holder.PublicKey, pidDocType, testNow.Add(31 * 24 * time.Hour),
			func(v mdocVerdict) bool { return !v.ValidNow && v.SignatureValid }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := verifyIndependently(t, tt.cred, tt.trusted, tt.holder, tt.docType, tt.now)
			if !v.Parsed || v.Error != "" || !tt.wantFail(v) {
				t.Errorf("@animo-id/mdoc did not refuse as expected: %+v", v)
			}
		})
	}
}

// ca is an IACA-like root that issues document signer certificates.
type ca struct {
	issuerKey
}

func newCA(t *testing.T) ca {
	t.Helper()
	root := newIssuerKey(t, "root")
	tmpl := *root.cert
	tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
	tmpl.KeyUsage = x509.KeyUsageCertSign
	der, err := x509.CreateCertificate(rand.Reader, &tmpl, &tmpl, &root.key.PublicKey, root.key)
	if err != nil {
		t.Fatal(err)
	}
	root.cert, err = x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return ca{root}
}

// issue returns a document signer whose certificate the CA signed.
func (c ca) issue(t *testing.T, cn string) issuerKey {
	t.Helper()
	ds := newIssuerKey(t, cn)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{Country: []string{"DE"}, CommonName: cn},
		NotBefore:    ds.cert.NotBefore,
		NotAfter:     ds.cert.NotAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.cert, &ds.key.PublicKey, c.key)
	if err != nil {
		t.Fatal(err)
	}
	ds.cert, err = x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}
