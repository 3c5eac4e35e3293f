package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"

	"issuer/issuer/credential/mdoc"
	"issuer/issuer/credential/sdjwt"
)

// showPKI is an issuer's document signer under a CA, and a holder key.
type showPKI struct {
	signer *ecdsa.PrivateKey
	leaf   *x509.Certificate
	holder *ecdsa.PrivateKey
}

func newShowPKI(t *testing.T) showPKI {
	t.Helper()
	now := time.Now()
	caKey, signer, holder := newP256(t), newP256(t), newP256(t)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Test IACA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	ca := createCert(t, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "Test Document Signer"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
	}
	return showPKI{signer: signer, leaf: createCert(t, leafTmpl, ca, &signer.PublicKey, caKey), holder: holder}
}

func newP256(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func createCert(t *testing.T, tmpl, parent *x509.Certificate, pub any, key *ecdsa.PrivateKey) *x509.Certificate {
	t.Helper()
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const showIssuer = "https://issuer.example.com"

// issueSDJWT is an SD-JWT VC with plain, disclosed, nested and array
// element claims.
func issueSDJWT(t *testing.T, p showPKI) string {
	t.Helper()
	now := time.Now()
	cred, err := sdjwt.Issue(sdjwt.Input{
		Issuer: showIssuer, Key: p.signer, Chain: []*x509.Certificate{p.leaf},
		VCT: "urn:eudi:pid:1",
		Claims: map[string]any{
			"given_name":    "Erika",
			"family_name":   "Mustermann",
			"address":       map[string]any{"street_address": "Heidestraße 17", "locality": "Köln"},
			"nationalities": []any{"DE", "FR"},
			"age_over_18":   true,
		},
		Disclosable: []sdjwt.ClaimPath{{"given_name"}, {"address"}, {"address", "street_address"}, {"nationalities", 1}},
		MaxDecoys:   4,
		Rand:        rand.Reader,
		Holder:      &p.holder.PublicKey,
		IssuedAt:    now, Expires: now.Add(24 * time.Hour),
	})
	if err != nil {
		t.Fatal(err)
	}
	return cred
}

const showNS = "eu.europa.ec.eudi.pid.1"

func issueMdoc(t *testing.T, p showPKI) string {
	t.Helper()
	cred, err := mdoc.Issue(mdoc.Input{
		Config: mdoc.Config{DocType: showNS, Dates: map[mdoc.Element]mdoc.DateKind{{NameSpace: showNS, Identifier: "birth_date"}: mdoc.KindFullDate}},
		Claims: map[string]any{showNS: map[string]any{
			"given_name": "Erika", "birth_date": "1964-08-12", "portrait": []byte{1, 2, 3, 4}, "age_over_18": true,
		}},
		DeviceKey: &p.holder.PublicKey, Signer: p.signer, Chain: []*x509.Certificate{p.leaf},
		Validity: mdoc.ValidFor(time.Now(), 24*time.Hour),
	})
	if err != nil {
		t.Fatal(err)
	}
	return cred
}

func runShow(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := show(t.Context(), args, strings.NewReader(stdin), &out, &errOut)
	return out.String() + errOut.String(), err
}

// wantExit checks the exit status main gives err: 0, 1 or 2 (usage).
func wantExit(t *testing.T, err error, status int) {
	t.Helper()
	var ue usageError
	got := 0
	switch {
	case errors.As(err, &ue):
		got = 2
	case err != nil:
		got = 1
	}
	if got != status {
		t.Fatalf("exit status %d (%v); want %d", got, err, status)
	}
}

func wantLines(t *testing.T, out string, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if !strings.Contains(out, l) {
			t.Fatalf("output lacks %q:\n%s", l, out)
		}
	}
}

func TestShowSDJWT(t *testing.T) {
	p := newShowPKI(t)
	cred := issueSDJWT(t, p)
	for name, args := range map[string][]string{"argument": {cred}, "stdin": {"-"}} {
		t.Run(name, func(t *testing.T) {
			out, err := runShow(t, cred+"\n", args...)
			wantExit(t, err, 0)
			wantLines(t, out,
				"format: dc+sd-jwt",
				"header: typ dc+sd-jwt, alg ES256",
				`leaf subject "CN=Test Document Signer", issued by "CN=Test IACA"`,
				`  iss: "https://issuer.example.com"`,
				`  vct: "urn:eudi:pid:1"`,
				`  cnf: {"jwk":`,
				`  family_name: "Mustermann"`,
				`  age_over_18: true`,
				`  nationalities: ["DE"]`,
				"disclosed claims (4):",
				`  ["given_name"]: "Erika"`,
				`  ["address"]: {"locality":"Köln"}`,
				`  ["address","street_address"]: "Heidestraße 17"`,
				`  ["nationalities",1]: "FR"`,
				"digests: each of the 4 disclosures is referenced once",
				"signature: valid with the x5c leaf key",
			)
		})
	}
}

func TestShowSDJWTTampered(t *testing.T) {
	cred := issueSDJWT(t, newShowPKI(t))
	jwt, rest, _ := strings.Cut(cred, "~")
	parts := strings.Split(jwt, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	forged := bytes.Replace(payload, []byte(`"Mustermann"`), []byte(`"Musterfrau"`), 1)
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	sig[5] ^= 1
	disclosure, _, _ := strings.Cut(rest, "~")
	for name, c := range map[string]struct {
		cred, want string
	}{
		"payload": {parts[0] + "." + base64.RawURLEncoding.EncodeToString(forged) + "." + parts[2] + "~" + rest,
			"signature: INVALID with the x5c leaf key"},
		"signature": {parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(sig) + "~" + rest,
			"signature: INVALID with the x5c leaf key"},
		"disclosure": {strings.Replace(cred, disclosure, flipChar(disclosure, 3), 1),
			"SD-JWT VC that does not decode: sdjwt: invalid disclosure"},
	} {
		t.Run(name, func(t *testing.T) {
			out, err := runShow(t, "", c.cred)
			wantExit(t, err, 1)
			wantLines(t, out, c.want)
			if strings.Contains(out, "signature: valid") {
				t.Fatalf("a tampered credential shown as valid:\n%s", out)
			}
		})
	}
}

// flipChar changes the i-th character of a base64url text to another
// letter.
func flipChar(s string, i int) string {
	c := byte('A')
	if s[i] == 'A' {
		c = 'B'
	}
	return s[:i] + string(c) + s[i+1:]
}

func TestShowMdoc(t *testing.T) {
	cred := issueMdoc(t, newShowPKI(t))
	out, err := runShow(t, "", cred)
	wantExit(t, err, 0)
	stdinOut, err := runShow(t, " "+cred+" \n", "-")
	wantExit(t, err, 0)
	if stdinOut != out {
		t.Fatalf("show - (stdin) printed\n%s\nshow CREDENTIAL printed\n%s", stdinOut, out)
	}
	wantLines(t, out,
		"format: mso_mdoc",
		"docType: eu.europa.ec.eudi.pid.1",
		"(valid now)",
		"device key: P-256, thumbprint ",
		`x5chain: 1 certificate(s); leaf subject "CN=Test Document Signer"`,
		"namespace eu.europa.ec.eudi.pid.1:",
		"  age_over_18: true",
		"  birth_date: 1964-08-12",
		`  given_name: "Erika"`,
		"  portrait: <4 bytes>",
		"digests: every element matches its MSO digest",
		"signature: valid with the x5chain leaf key",
	)
}

func TestShowMdocTampered(t *testing.T) {
	cred := issueMdoc(t, newShowPKI(t))
	raw, _ := base64.RawURLEncoding.DecodeString(cred)
	i := bytes.Index(raw, []byte("Erika"))
	if i < 0 {
		t.Fatal("the element value is not in the encoding")
	}
	raw[i] = 'A' // "Arika": the element's digest no longer matches
	out, err := runShow(t, "", base64.RawURLEncoding.EncodeToString(raw))
	wantExit(t, err, 1)
	wantLines(t, out, "mdoc (mso_mdoc) that does not verify: mdoc: invalid credential")
}

func TestShowNotACredential(t *testing.T) {
	for name, in := range map[string]string{
		"text":          "hello world",
		"JWT alone":     "eyJhbGciOiJFUzI1NiJ9.eyJ9.c2ln",
		"tilde only":    "a~b~",
		"base64 array":  base64.RawURLEncoding.EncodeToString([]byte{0x82, 1, 2}),
		"padded base64": "oA==",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := runShow(t, "", in)
			wantExit(t, err, 2)
		})
	}
	t.Run("empty stdin", func(t *testing.T) {
		_, err := runShow(t, "", "-")
		wantExit(t, err, 2)
	})
	t.Run("no argument", func(t *testing.T) {
		_, err := runShow(t, "")
		wantExit(t, err, 2)
	})
	t.Run("two arguments", func(t *testing.T) {
		_, err := runShow(t, "", "a", "b")
		wantExit(t, err, 2)
	})
	t.Run("a CBOR map that is no mdoc", func(t *testing.T) {
		_, err := runShow(t, "", base64.RawURLEncoding.EncodeToString([]byte{0xa1, 0x61, 'a', 1}))
		wantExit(t, err, 1)
	})
}

// issuerMetadata serves /.well-known/jwt-vc-issuer{path} with keys, or 404.
func issuerMetadata(t *testing.T, path string, keys ...any) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	var srv *httptest.Server
	mux.HandleFunc("/.well-known/jwt-vc-issuer"+path, func(w http.ResponseWriter, r *http.Request) {
		set := jwk.NewSet()
		for i, k := range keys {
			key, err := jwk.FromRaw(k)
			if err != nil {
				t.Error(err)
			}
			_ = key.Set(jwk.KeyIDKey, "k"+string(rune('0'+i)))
			_ = set.AddKey(key)
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"issuer": srv.URL + path, "jwks": set})
	})
	srv = httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestShowIssuerKeys(t *testing.T) {
	p := newShowPKI(t)
	other := newP256(t)
	for _, format := range []struct {
		name string
		cred string
	}{{"SD-JWT", issueSDJWT(t, p)}, {"mdoc", issueMdoc(t, p)}} {
		t.Run(format.name+" published", func(t *testing.T) {
			srv := issuerMetadata(t, "", &other.PublicKey, &p.signer.PublicKey)
			out, err := runShow(t, "", "--url", srv.URL, format.cred)
			wantExit(t, err, 0)
			wantLines(t, out, "issuer key: the signing key is published at "+srv.URL+`/.well-known/jwt-vc-issuer (key 1, kid "k1")`)
		})
		t.Run(format.name+" not published", func(t *testing.T) {
			srv := issuerMetadata(t, "", &other.PublicKey)
			out, err := runShow(t, "", "--url", srv.URL, format.cred)
			wantExit(t, err, 1)
			wantLines(t, out, "issuer key: NOT among the 1 keys published at ")
		})
	}
	t.Run("issuer with a path", func(t *testing.T) {
		srv := issuerMetadata(t, "/tenant", &p.signer.PublicKey)
		out, err := runShow(t, "", "--url", srv.URL+"/tenant", issueSDJWT(t, p))
		wantExit(t, err, 0)
		wantLines(t, out, "published at "+srv.URL+"/.well-known/jwt-vc-issuer/tenant")
	})
	t.Run("no metadata", func(t *testing.T) {
		srv := issuerMetadata(t, "/elsewhere")
		out, err := runShow(t, "", "--url", srv.URL, issueSDJWT(t, p))
		wantExit(t, err, 0)
		wantLines(t, out, "signature: valid", "issuer key: not checked: "+srv.URL+"/.well-known/jwt-vc-issuer answers 404")
	})
	t.Run("not an http URL", func(t *testing.T) {
		_, err := runShow(t, "", "--url", "ftp://x", issueSDJWT(t, p))
		wantExit(t, err, 2)
	})
}
