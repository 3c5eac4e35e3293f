package web_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"issuer/issuer"
	"issuer/issuer/oauth"
	"issuer/issuer/testclock"
	"issuer/storage/memory"
	"issuer/web"
)

// testCA issues client certificates.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newTestCA(t testing.TB, name string) *testCA {
	t.Helper()
	key := newECKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &testCA{cert: mustParse(t, der), key: key}
}

// Pool is a pool holding the CA.
func (ca *testCA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

// Issue signs a client certificate from tmpl; unset fields get a serial,
// a validity around now and the clientAuth extended key usage.
func (ca *testCA) Issue(t testing.TB, tmpl *x509.Certificate) tls.Certificate {
	t.Helper()
	return signCert(t, tmpl, ca.cert, ca.key)
}

// selfSigned returns a self-signed client certificate for tmpl.
func selfSigned(t testing.TB, tmpl *x509.Certificate) tls.Certificate {
	t.Helper()
	return signCert(t, tmpl, nil, nil)
}

func signCert(t testing.TB, tmpl, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) tls.Certificate {
	t.Helper()
	key := newECKey(t)
	if tmpl.SerialNumber == nil {
		serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
		tmpl.SerialNumber = serial
	}
	if tmpl.NotBefore.IsZero() {
		tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	}
	if tmpl.ExtKeyUsage == nil {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: mustParse(t, der)}
}

func newECKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustParse(t testing.TB, der []byte) *x509.Certificate {
	t.Helper()
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// x5tS256 is the RFC 8705 §3.1 thumbprint of a certificate.
func x5tS256(c tls.Certificate) string {
	sum := sha256.Sum256(c.Certificate[0])
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// certJWK is the public JWK of c's key with c in x5c.
func certJWK(c tls.Certificate) map[string]any {
	j := publicJWK(&c.PrivateKey.(*ecdsa.PrivateKey).PublicKey)
	j["x5c"] = []string{base64.StdEncoding.EncodeToString(c.Certificate[0])}
	return j
}

// newMTLSServer starts the service over TLS, requesting (not verifying)
// client certificates as cmd/issuer does, with ca as the client CA pool.
func newMTLSServer(t testing.TB, ca *testCA, opts ...func(*issuer.Config)) *testServer {
	t.Helper()
	clock := testclock.New(time.Now().Truncate(time.Second))
	ts := &testServer{Store: memory.New(), Clock: clock}
	var h http.Handler
	ts.Server = httptest.NewUnstartedServer(schemaChecked(t, "", func() http.Handler { return h }))
	ts.TLS = &tls.Config{ClientAuth: tls.RequestClientCert, MinVersion: tls.VersionTLS12}
	ts.StartTLS()
	t.Cleanup(ts.Close)
	cfg := issuer.Defaults()
	cfg.URL, cfg.Now = ts.URL, clock.Now
	if ca != nil {
		cfg.ClientAuth.ClientCAs = ca.Pool()
	}
	for _, o := range opts {
		o(&cfg)
	}
	svc, err := issuer.New(t.Context(), cfg, ts.Store, nil)
	if err != nil {
		t.Fatalf("issuer.New() = %v", err)
	}
	ts.Svc = svc
	h = web.New(svc, web.Options{AdminToken: adminToken})
	return ts
}

// optionalDPoP lets requests go without a proof and makes access tokens
// live an hour, so that a certificate-bound Bearer token can be told from
// an unbound one (capped at 5 minutes).
func optionalDPoP(c *issuer.Config) {
	c.DPoP.Policy = issuer.DPoPOptional
	c.Tokens.AccessTokenTTL = time.Hour
}

// tlsClient is an HTTP client of ts presenting cert (none when nil).
func (ts *testServer) tlsClient(t testing.TB, cert *tls.Certificate) *http.Client {
	t.Helper()
	tr := ts.Client().Transport.(*http.Transport).Clone()
	if cert != nil {
		tr.TLSClientConfig.Certificates = []tls.Certificate{*cert}
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// postCert posts a form to path, over TLS with cert when ts serves TLS.
func (ts *testServer) postCert(t testing.TB, cert *tls.Certificate, path string, form url.Values, headers map[string][]string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, ts.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, vs := range headers {
		req.Header[http.CanonicalHeaderKey(k)] = vs
	}
	client := http.DefaultClient
	if ts.TLS != nil {
		client = ts.tlsClient(t, cert)
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// adminTLS sends an admin API request to a server of either kind.
func (ts *testServer) adminTLS(t testing.TB, method, path string, body any) (int, []byte) {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(method, ts.URL+path, strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Type", "application/json")
	client := http.DefaultClient
	if ts.TLS != nil {
		client = ts.tlsClient(t, nil)
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, readBody(t, res)
}

// registerTLS registers a client through the admin API and returns what it
// answered.
func (ts *testServer) registerTLS(t testing.TB, meta map[string]any) map[string]any {
	t.Helper()
	status, body := ts.adminTLS(t, http.MethodPost, "/admin/clients", meta)
	if status != http.StatusCreated {
		t.Fatalf("POST /admin/clients %v = %d %s; want 201", meta, status, body)
	}
	var out map[string]any
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// ccForm is a client_credentials request identifying client id.
func ccForm(id string) url.Values {
	return url.Values{"grant_type": {oauth.GrantClientCredentials}, "client_id": {id}}
}

// wantCertBound asserts a 200 token response bound to cert and returns the
// token's claims.
func wantCertBound(t testing.TB, res *http.Response, cert tls.Certificate, tokenType string) (tokenBody, map[string]any) {
	t.Helper()
	tb := wantToken(t, res)
	_, claims := jwtParts(t, tb.AccessToken)
	cnf, _ := claims["cnf"].(map[string]any)
	if cnf["x5t#S256"] != x5tS256(cert) {
		t.Fatalf("cnf = %v; want x5t#S256 %s", claims["cnf"], x5tS256(cert))
	}
	if tb.TokenType != tokenType {
		t.Fatalf("token_type = %q; want %s", tb.TokenType, tokenType)
	}
	return tb, claims
}

// mtlsFixture is a TLS server with a client CA and clients registered for
// each RFC 8705 variant.
type mtlsFixture struct {
	ts                      *testServer
	ca, otherCA             *testCA
	dnCert, dnsCert, ssCert tls.Certificate
}

const (
	dnClient   = "mtls-dn"
	dnsClient  = "mtls-dns"
	uriClient  = "mtls-uri"
	ipClient   = "mtls-ip"
	mailClient = "mtls-email"
	ssClient   = "mtls-self-signed"
	clientDN   = "CN=backend-1,OU=Issuance,O=Example Wallets,C=DE"
)

func newMTLSFixture(t *testing.T, opts ...func(*issuer.Config)) *mtlsFixture {
	t.Helper()
	f := &mtlsFixture{ca: newTestCA(t, "Client CA"), otherCA: newTestCA(t, "Client CA")}
	f.ts = newMTLSServer(t, f.ca, opts...)
	f.dnCert = f.ca.Issue(t, &x509.Certificate{Subject: pkix.Name{
		CommonName: "backend-1", OrganizationalUnit: []string{"Issuance"}, Organization: []string{"Example Wallets"}, Country: []string{"DE"},
	}})
	f.dnsCert = f.ca.Issue(t, &x509.Certificate{Subject: pkix.Name{CommonName: "rs"}, DNSNames: []string{"other.example", "RS.example.com"}})
	f.ssCert = selfSigned(t, &x509.Certificate{Subject: pkix.Name{CommonName: "self-signed client"}})
	cc := []string{oauth.GrantClientCredentials}
	for _, meta := range []map[string]any{
		{"client_id": dnClient, "token_endpoint_auth_method": "tls_client_auth", "tls_client_auth_subject_dn": clientDN, "grant_types": cc, "scope": "status"},
		{"client_id": dnsClient, "token_endpoint_auth_method": "tls_client_auth", "tls_client_auth_san_dns": "rs.example.com", "grant_types": cc},
		{"client_id": uriClient, "token_endpoint_auth_method": "tls_client_auth", "tls_client_auth_san_uri": "spiffe://example.com/backend", "grant_types": cc},
		{"client_id": ipClient, "token_endpoint_auth_method": "tls_client_auth", "tls_client_auth_san_ip": "10.0.0.7", "grant_types": cc},
		{"client_id": mailClient, "token_endpoint_auth_method": "tls_client_auth", "tls_client_auth_san_email": "ops@example.com", "grant_types": cc},
		{"client_id": ssClient, "token_endpoint_auth_method": "self_signed_tls_client_auth", "grant_types": cc,
			"jwks": map[string]any{"keys": []any{certJWK(f.ssCert)}}},
	} {
		f.ts.registerTLS(t, meta)
	}
	return f
}
