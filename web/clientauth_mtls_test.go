package web_test

import (
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"issuer/issuer"
	"issuer/issuer/oauth"
)

// escapedPEM is the certificate as nginx's $ssl_client_escaped_cert sends
// it: PEM with every byte outside the URI unreserved set percent-encoded.
func escapedPEM(c tls.Certificate) string {
	return strings.ReplaceAll(url.QueryEscape(string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Certificate[0]}))), "+", "%20")
}

// wantInvalidClient asserts 401 invalid_client with the description desc.
func wantInvalidClient(t testing.TB, res *http.Response, desc string) {
	t.Helper()
	if e := wantError(t, res, http.StatusUnauthorized, "invalid_client"); e.Description != desc {
		t.Errorf("error_description = %q; want %q", e.Description, desc)
	}
}

// introspect introspects tok as client id with cert.
func (ts *testServer) introspectAs(t testing.TB, id string, cert *tls.Certificate, tok string) map[string]any {
	t.Helper()
	res := ts.postCert(t, cert, "/introspect", url.Values{"client_id": {id}, "token": {tok}}, nil)
	body := readBody(t, res)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("introspection = %d %s; want 200", res.StatusCode, body)
	}
	var out map[string]any
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestMTLSTokenEndpoint covers RFC 8705 §2 client authentication at the
// token endpoint with client_credentials: each registered subject form
// and self-signed certificates succeed with a certificate-bound token; the
// wrong subject, another CA, an expired certificate, a certificate without
// clientAuth, no certificate and an unregistered self-signed certificate
// are 401 invalid_client.
func TestMTLSTokenEndpoint(t *testing.T) {
	f := newMTLSFixture(t, optionalDPoP)
	ca := f.ca
	uriCert := ca.Issue(t, &x509.Certificate{Subject: pkix.Name{CommonName: "b"}, URIs: []*url.URL{mustURL(t, "spiffe://example.com/backend")}})
	ipCert := ca.Issue(t, &x509.Certificate{Subject: pkix.Name{CommonName: "c"}, IPAddresses: []net.IP{net.ParseIP("10.0.0.7")}})
	mailCert := ca.Issue(t, &x509.Certificate{Subject: pkix.Name{CommonName: "d"}, EmailAddresses: []string{"ops@example.com"}})
	success := []struct {
		name, client string
		cert         tls.Certificate
	}{
		{"subject DN", dnClient, f.dnCert},
		{"SAN dNSName, case-insensitive", dnsClient, f.dnsCert},
		{"SAN URI", uriClient, uriCert},
		{"SAN IP", ipClient, ipCert},
		{"SAN email", mailClient, mailCert},
		{"self-signed", ssClient, f.ssCert},
	}
	for _, tc := range success {
		t.Run(tc.name, func(t *testing.T) {
			tb, claims := wantCertBound(t, f.ts.postCert(t, &tc.cert, "/token", ccForm(tc.client), nil), tc.cert, "Bearer")
			if claims["client_id"] != tc.client || claims["sub"] != tc.client {
				t.Errorf("client_id, sub = %v, %v; want %s", claims["client_id"], claims["sub"], tc.client)
			}
			if tb.ExpiresIn != 3600 {
				t.Errorf("expires_in = %d; want 3600 (a certificate-bound token is not capped like an unbound Bearer token)", tb.ExpiresIn)
			}
		})
	}

	wrongDN := ca.Issue(t, &x509.Certificate{Subject: pkix.Name{CommonName: "backend-2", OrganizationalUnit: []string{"Issuance"}, Organization: []string{"Example Wallets"}, Country: []string{"DE"}}})
	foreign := f.otherCA.Issue(t, &x509.Certificate{Subject: f.dnCert.Leaf.Subject})
	expired := ca.Issue(t, &x509.Certificate{Subject: f.dnCert.Leaf.Subject, NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-time.Hour)})
	serverOnly := ca.Issue(t, &x509.Certificate{Subject: f.dnCert.Leaf.Subject, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	otherSelfSigned := selfSigned(t, &x509.Certificate{Subject: f.ssCert.Leaf.Subject})
	// A self-signed certificate with the registered subject is no CA-issued one.
	selfSignedDN := selfSigned(t, &x509.Certificate{Subject: f.dnCert.Leaf.Subject})
	refusals := []struct {
		name, client string
		cert         *tls.Certificate
		desc         string
	}{
		{"wrong subject DN", dnClient, &wrongDN, "the client certificate does not match the registered tls_client_auth_subject_dn"},
		{"SAN dNSName not in the certificate", dnsClient, &f.dnCert, "the client certificate does not match the registered tls_client_auth_san_dns"},
		{"certificate from another CA", dnClient, &foreign, "the client certificate is not issued by a trusted client CA"},
		{"self-signed certificate with the registered DN", dnClient, &selfSignedDN, "the client certificate is not issued by a trusted client CA"},
		{"expired certificate", dnClient, &expired, "the client certificate has expired or is not valid yet"},
		{"certificate without clientAuth", dnClient, &serverOnly, "the client certificate is not for client authentication (extended key usage)"},
		{"no certificate", dnClient, nil, "the client cannot be authenticated with tls_client_auth without a client certificate"},
		{"self-signed: no certificate", ssClient, nil, "the client cannot be authenticated with self_signed_tls_client_auth without a client certificate"},
		{"self-signed: another certificate with the same subject", ssClient, &otherSelfSigned, "the client certificate is not one the client registered"},
		{"self-signed: a CA-issued certificate", ssClient, &f.dnCert, "the client certificate is not one the client registered"},
		{"unknown client with a valid certificate", "nobody", &f.dnCert, "the client doesn't exist"},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			wantInvalidClient(t, f.ts.postCert(t, tc.cert, "/token", ccForm(tc.client), nil), tc.desc)
		})
	}
	t.Run("a client secret for an mTLS client", func(t *testing.T) {
		res := f.ts.postCert(t, &f.dnCert, "/token", url.Values{"grant_type": {oauth.GrantClientCredentials}},
			map[string][]string{"Authorization": {basicAuth(dnClient, strings.Repeat("s", 43))}})
		wantInvalidClient(t, res, "the client cannot be authenticated with client_secret_basic")
	})
}

func mustURL(t testing.TB, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestMTLSRevokeIntrospect covers mTLS client authentication at /revoke and
// /introspect for the DN and SAN DNS clients, and cnf.x5t#S256 in
// introspection (RFC 8705 §3.2).
func TestMTLSRevokeIntrospect(t *testing.T) {
	f := newMTLSFixture(t, optionalDPoP)
	for _, c := range []struct {
		id   string
		cert tls.Certificate
	}{{dnClient, f.dnCert}, {dnsClient, f.dnsCert}} {
		t.Run(c.id, func(t *testing.T) {
			tb, _ := wantCertBound(t, f.ts.postCert(t, &c.cert, "/token", ccForm(c.id), nil), c.cert, "Bearer")
			in := f.ts.introspectAs(t, c.id, &c.cert, tb.AccessToken)
			cnf, _ := in["cnf"].(map[string]any)
			if in["active"] != true || in["token_type"] != "Bearer" || cnf["x5t#S256"] != x5tS256(c.cert) || cnf["jkt"] != nil {
				t.Fatalf("introspection = %v; want active Bearer with cnf.x5t#S256 %s only", in, x5tS256(c.cert))
			}
			for _, bad := range []struct {
				cert *tls.Certificate
				desc string
			}{
				{nil, "the client cannot be authenticated with tls_client_auth without a client certificate"},
				{&f.ssCert, "the client certificate is not issued by a trusted client CA"},
			} {
				for _, path := range []string{"/introspect", "/revoke"} {
					wantInvalidClient(t, f.ts.postCert(t, bad.cert, path, url.Values{"client_id": {c.id}, "token": {tb.AccessToken}}, nil), bad.desc)
				}
			}
			if in := f.ts.introspectAs(t, c.id, &c.cert, tb.AccessToken); in["active"] != true {
				t.Fatalf("after refused revocations: %v; want active", in)
			}
			res := f.ts.postCert(t, &c.cert, "/revoke", url.Values{"client_id": {c.id}, "token": {tb.AccessToken}}, nil)
			if body := readBody(t, res); res.StatusCode != http.StatusOK {
				t.Fatalf("revocation = %d %s; want 200", res.StatusCode, body)
			}
			if in := f.ts.introspectAs(t, c.id, &c.cert, tb.AccessToken); len(in) != 1 || in["active"] != false {
				t.Fatalf("after revocation: %v; want {active:false}", in)
			}
		})
	}
}

// TestMTLSWithDPoP: a request with a certificate and a DPoP proof gets a
// DPoP token bound to both (cnf.jkt and cnf.x5t#S256), and under the
// default policy (DPoP required) an mTLS client without a proof is
// refused like any other client.
func TestMTLSWithDPoP(t *testing.T) {
	f := newMTLSFixture(t)
	w := newWallet(t)
	res := f.ts.postCert(t, &f.dnCert, "/token", ccForm(dnClient), map[string][]string{"DPoP": {f.ts.freshProof(t, w)}})
	tb, claims := wantCertBound(t, res, f.dnCert, "DPoP")
	if cnf, _ := claims["cnf"].(map[string]any); cnf["jkt"] != w.JKT {
		t.Fatalf("cnf = %v; want jkt %s too", claims["cnf"], w.JKT)
	}
	in := f.ts.introspectAs(t, dnsClient, &f.dnsCert, tb.AccessToken)
	cnf, _ := in["cnf"].(map[string]any)
	if in["token_type"] != "DPoP" || cnf["jkt"] != w.JKT || cnf["x5t#S256"] != x5tS256(f.dnCert) {
		t.Fatalf("introspection = %v; want DPoP with cnf jkt %s and x5t#S256 %s", in, w.JKT, x5tS256(f.dnCert))
	}
	wantError(t, f.ts.postCert(t, &f.dnCert, "/token", ccForm(dnClient), nil), http.StatusBadRequest, "invalid_request")
}

// TestMTLSOtherMethods: a certificate next to another method is ignored
// unless the client registered tls_client_certificate_bound_access_tokens,
// which then requires one (RFC 8705 §3.4).
func TestMTLSOtherMethods(t *testing.T) {
	f := newMTLSFixture(t, optionalDPoP)
	plain := f.ts.registerTLS(t, map[string]any{"grant_types": []string{oauth.GrantClientCredentials}})
	bound := f.ts.registerTLS(t, map[string]any{"grant_types": []string{oauth.GrantClientCredentials}, "tls_client_certificate_bound_access_tokens": true})
	if bound["tls_client_certificate_bound_access_tokens"] != true {
		t.Fatalf("registration = %v; want tls_client_certificate_bound_access_tokens true", bound)
	}
	auth := func(c map[string]any) map[string][]string {
		return map[string][]string{"Authorization": {basicAuth(c["client_id"].(string), c["client_secret"].(string))}}
	}
	form := url.Values{"grant_type": {oauth.GrantClientCredentials}}

	tb := wantToken(t, f.ts.postCert(t, &f.ssCert, "/token", form, auth(plain)))
	if _, claims := jwtParts(t, tb.AccessToken); claims["cnf"] != nil || tb.ExpiresIn != 300 {
		t.Fatalf("secret client with a certificate: cnf %v, expires_in %d; want an unbound 5-minute Bearer token", claims["cnf"], tb.ExpiresIn)
	}
	wantCertBound(t, f.ts.postCert(t, &f.ssCert, "/token", form, auth(bound)), f.ssCert, "Bearer")
	e := wantError(t, f.ts.postCert(t, nil, "/token", form, auth(bound)), http.StatusBadRequest, "invalid_request")
	if !strings.Contains(e.Description, "tls_client_certificate_bound_access_tokens") {
		t.Errorf("error_description = %q; want it to name tls_client_certificate_bound_access_tokens", e.Description)
	}
}

// TestMTLSRegistration covers the admin API for the RFC 8705 metadata.
func TestMTLSRegistration(t *testing.T) {
	ca := newTestCA(t, "Client CA")
	ts := newMTLSServer(t, ca)
	ss := selfSigned(t, &x509.Certificate{Subject: pkix.Name{CommonName: "ss"}})
	other := selfSigned(t, &x509.Certificate{Subject: pkix.Name{CommonName: "other"}})
	ok := ts.registerTLS(t, map[string]any{"client_id": "dn", "token_endpoint_auth_method": "tls_client_auth", "tls_client_auth_subject_dn": clientDN})
	if ok["tls_client_auth_subject_dn"] != clientDN || ok["client_secret"] != nil {
		t.Fatalf("registration = %v; want the subject DN back and no secret", ok)
	}
	status, body := ts.adminTLS(t, http.MethodGet, "/admin/clients/dn", nil)
	var got map[string]any
	if err := json.Unmarshal(body, &got); err != nil || status != http.StatusOK || got["tls_client_auth_subject_dn"] != clientDN || got["token_endpoint_auth_method"] != "tls_client_auth" {
		t.Fatalf("GET /admin/clients/dn = %d %s; want the tls_client_auth registration", status, body)
	}
	keyOnly := publicJWK(&ss.PrivateKey.(*ecdsa.PrivateKey).PublicKey)
	mismatched := certJWK(ss)
	mismatched["x5c"] = certJWK(other)["x5c"]
	const (
		exactlyOne = "tls_client_auth needs exactly one of"
		needsCerts = "self_signed_tls_client_auth needs jwks or jwks_uri with the client's certificates (x5c)"
	)
	bad := []struct {
		name, desc string
		meta       map[string]any
	}{
		{"tls_client_auth without a subject", exactlyOne, map[string]any{"token_endpoint_auth_method": "tls_client_auth"}},
		{"tls_client_auth with two subjects", exactlyOne, map[string]any{"token_endpoint_auth_method": "tls_client_auth", "tls_client_auth_subject_dn": clientDN, "tls_client_auth_san_dns": "a.example"}},
		{"tls_client_auth with a secret", "has no secret", map[string]any{"token_endpoint_auth_method": "tls_client_auth", "tls_client_auth_subject_dn": clientDN, "client_secret": strings.Repeat("s", 40)}},
		{"a subject for a secret client", "the tls_client_auth_* values are for tls_client_auth clients", map[string]any{"token_endpoint_auth_method": "client_secret_basic", "tls_client_auth_san_dns": "a.example"}},
		{"an IP that is none", "tls_client_auth_san_ip must be an IPv4 or IPv6 address", map[string]any{"token_endpoint_auth_method": "tls_client_auth", "tls_client_auth_san_ip": "10.0.0"}},
		{"a relative URI", "tls_client_auth_san_uri must be an absolute URI", map[string]any{"token_endpoint_auth_method": "tls_client_auth", "tls_client_auth_san_uri": "/backend"}},
		{"self-signed without jwks", needsCerts, map[string]any{"token_endpoint_auth_method": "self_signed_tls_client_auth"}},
		{"self-signed jwks without x5c", needsCerts, map[string]any{"token_endpoint_auth_method": "self_signed_tls_client_auth", "jwks": map[string]any{"keys": []any{keyOnly}}}},
		{"self-signed x5c of another key", "jwks holds an x5c whose certificate is not for the key", map[string]any{"token_endpoint_auth_method": "self_signed_tls_client_auth", "jwks": map[string]any{"keys": []any{mismatched}}}},
		{"self-signed with jwks and jwks_uri", "jwks and jwks_uri must not both be given", map[string]any{"token_endpoint_auth_method": "self_signed_tls_client_auth", "jwks": map[string]any{"keys": []any{certJWK(ss)}}, "jwks_uri": "https://client.example/jwks"}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			status, body := ts.adminTLS(t, http.MethodPost, "/admin/clients", tc.meta)
			var e oauthError
			_ = json.Unmarshal(body, &e)
			if status != http.StatusBadRequest || e.Error != "invalid_client_metadata" {
				t.Fatalf("POST /admin/clients = %d %s; want 400 invalid_client_metadata", status, body)
			}
			if !strings.Contains(e.Description, tc.desc) {
				t.Errorf("error_description = %q; want it to contain %q", e.Description, tc.desc)
			}
		})
	}
}

// TestMTLSSelfSignedJWKSURI authenticates a self-signed client whose
// certificates are published at its jwks_uri: an unknown certificate is
// refused, and after a rotation the new one is found by a refetch (at most
// every 30 s, as for private_key_jwt).
func TestMTLSSelfSignedJWKSURI(t *testing.T) {
	ts := newMTLSServer(t, nil, optionalDPoP)
	cert := selfSigned(t, &x509.Certificate{Subject: pkix.Name{CommonName: "published"}})
	next := selfSigned(t, &x509.Certificate{Subject: pkix.Name{CommonName: "published"}})
	var mu sync.Mutex
	published := cert
	keys := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []any{certJWK(published)}})
	}))
	t.Cleanup(keys.Close)
	ts.registerTLS(t, map[string]any{"client_id": "pub", "token_endpoint_auth_method": "self_signed_tls_client_auth",
		"jwks_uri": keys.URL, "grant_types": []string{oauth.GrantClientCredentials}})
	wantCertBound(t, ts.postCert(t, &cert, "/token", ccForm("pub"), nil), cert, "Bearer")
	wantInvalidClient(t, ts.postCert(t, &next, "/token", ccForm("pub"), nil), "the client certificate is not one the client registered")

	mu.Lock()
	published = next
	mu.Unlock()
	ts.Clock.Advance(31 * time.Second)
	wantCertBound(t, ts.postCert(t, &next, "/token", ccForm("pub"), nil), next, "Bearer")
}

// TestMTLSNoClientCA: without a client CA pool no tls_client_auth client
// authenticates.
func TestMTLSNoClientCA(t *testing.T) {
	ca := newTestCA(t, "Client CA")
	ts := newMTLSServer(t, nil, optionalDPoP)
	ts.registerTLS(t, map[string]any{"client_id": dnClient, "token_endpoint_auth_method": "tls_client_auth",
		"tls_client_auth_subject_dn": "CN=x", "grant_types": []string{oauth.GrantClientCredentials}})
	cert := ca.Issue(t, &x509.Certificate{Subject: pkix.Name{CommonName: "x"}})
	wantInvalidClient(t, ts.postCert(t, &cert, "/token", ccForm(dnClient), nil), "the client cannot be authenticated with tls_client_auth: no client CA is configured")
}

// TestMTLSCertificateHeader covers client certificates passed by a
// TLS-terminating proxy in the configured header: URL-encoded PEM and
// base64 DER are accepted; without the setting the header is ignored;
// with it the TLS connection's own certificate is not used.
func TestMTLSCertificateHeader(t *testing.T) {
	const header = "X-SSL-Client-Cert"
	ca := newTestCA(t, "Client CA")
	cert := ca.Issue(t, &x509.Certificate{Subject: pkix.Name{CommonName: "proxied"}})
	other := newTestCA(t, "Client CA").Issue(t, &x509.Certificate{Subject: pkix.Name{CommonName: "proxied"}})
	setup := func(ts *testServer) *testServer {
		ts.registerTLS(t, map[string]any{"client_id": "proxied", "token_endpoint_auth_method": "tls_client_auth",
			"tls_client_auth_subject_dn": "CN=proxied", "grant_types": []string{oauth.GrantClientCredentials}})
		return ts
	}
	withHeader := func(c *issuer.Config) {
		optionalDPoP(c)
		c.ClientAuth.ClientCAs, c.ClientAuth.TLSCertificateHeader = ca.Pool(), header
	}
	on := setup(newTestServer(t, withHeader))
	h := func(v string) map[string][]string { return map[string][]string{header: {v}} }
	pemChain := escapedPEM(cert) + escapedPEM(tls.Certificate{Certificate: [][]byte{ca.cert.Raw}})

	t.Run("URL-encoded PEM", func(t *testing.T) {
		wantCertBound(t, on.postCert(t, nil, "/token", ccForm("proxied"), h(escapedPEM(cert))), cert, "Bearer")
	})
	t.Run("URL-encoded PEM chain", func(t *testing.T) {
		wantCertBound(t, on.postCert(t, nil, "/token", ccForm("proxied"), h(pemChain)), cert, "Bearer")
	})
	t.Run("PEM with + and / unencoded, as AWS ALB sends it", func(t *testing.T) {
		v := url.PathEscape(string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]})))
		wantCertBound(t, on.postCert(t, nil, "/token", ccForm("proxied"), h(v)), cert, "Bearer")
	})
	t.Run("form-encoded PEM, spaces as +", func(t *testing.T) {
		v := url.QueryEscape(string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]})))
		wantCertBound(t, on.postCert(t, nil, "/token", ccForm("proxied"), h(v)), cert, "Bearer")
	})
	t.Run("base64 DER", func(t *testing.T) {
		wantCertBound(t, on.postCert(t, nil, "/token", ccForm("proxied"), h(base64.StdEncoding.EncodeToString(cert.Certificate[0]))), cert, "Bearer")
	})
	const noCert = "the client cannot be authenticated with tls_client_auth without a client certificate"
	refused := func(t *testing.T, ts *testServer, cert *tls.Certificate, hdr map[string][]string, desc string) {
		t.Helper()
		wantInvalidClient(t, ts.postCert(t, cert, "/token", ccForm("proxied"), hdr), desc)
	}
	for _, tc := range []struct{ name, value, desc string }{
		{"no header", "", noCert},
		{"not a certificate", "not-a-certificate", noCert},
		{"PEM of another CA's cert", escapedPEM(other), "the client certificate is not issued by a trusted client CA"},
		{"a private key, not a cert", url.QueryEscape("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), noCert},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var hdr map[string][]string
			if tc.value != "" {
				hdr = h(tc.value)
			}
			refused(t, on, nil, hdr, tc.desc)
		})
	}
	t.Run("two header values", func(t *testing.T) {
		refused(t, on, nil, map[string][]string{header: {escapedPEM(cert), escapedPEM(cert)}}, noCert)
	})
	t.Run("setting off: the header is ignored", func(t *testing.T) {
		off := setup(newTestServer(t, func(c *issuer.Config) { optionalDPoP(c); c.ClientAuth.ClientCAs = ca.Pool() }))
		refused(t, off, nil, h(escapedPEM(cert)), noCert)
	})
	t.Run("setting on: the TLS connection's certificate is not the client's", func(t *testing.T) {
		tlsOn := setup(newMTLSServer(t, ca, withHeader))
		refused(t, tlsOn, &cert, nil, noCert)
		wantCertBound(t, tlsOn.postCert(t, nil, "/token", ccForm("proxied"), h(escapedPEM(cert))), cert, "Bearer")
	})
	t.Run("an invalid header name is a configuration error", func(t *testing.T) {
		cfg := issuer.Defaults()
		cfg.ClientAuth.TLSCertificateHeader = "X-Client Cert"
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "tls_certificate_header") {
			t.Fatalf("Validate() = %v; want a tls_certificate_header error", err)
		}
	})
}

// TestMTLSMetadata: RFC 8705 §3.3 and the two methods in every list.
func TestMTLSMetadata(t *testing.T) {
	ts := newTestServer(t)
	m, _ := getJSON(t, ts.URL+"/.well-known/oauth-authorization-server")
	if m["tls_client_certificate_bound_access_tokens"] != true {
		t.Errorf("tls_client_certificate_bound_access_tokens = %v; want true", m["tls_client_certificate_bound_access_tokens"])
	}
	for _, member := range []string{"token_endpoint_auth_methods_supported", "revocation_endpoint_auth_methods_supported", "introspection_endpoint_auth_methods_supported"} {
		for _, want := range []string{"tls_client_auth", "self_signed_tls_client_auth"} {
			if !slices.Contains(stringList(m[member]), want) {
				t.Errorf("%s = %v; want %s", member, m[member], want)
			}
		}
	}
}

// tls_client_auth compares the subject DN as the certificate has it: a
// certificate with a second CN does not match the registered DN, although
// Go's pkix.Name.String keeps only one CN (security review L2).
func TestMTLSSubjectDNRepeatedAttribute(t *testing.T) {
	f := newMTLSFixture(t, optionalDPoP)
	cn := asn1.ObjectIdentifier{2, 5, 4, 3}
	forged := f.ca.Issue(t, &x509.Certificate{Subject: pkix.Name{
		Country: []string{"DE"}, Organization: []string{"Example Wallets"}, OrganizationalUnit: []string{"Issuance"},
		ExtraNames: []pkix.AttributeTypeAndValue{{Type: cn, Value: "mallory"}, {Type: cn, Value: "backend-1"}},
	}})
	if got := mustParse(t, forged.Certificate[0]).Subject.String(); got != clientDN {
		t.Fatalf("the crafted certificate's pkix.Name.String() = %q; the test needs %q", got, clientDN)
	}
	wantError(t, f.ts.postCert(t, &forged, "/token", ccForm(dnClient), nil), http.StatusUnauthorized, "invalid_client")
	wantCertBound(t, f.ts.postCert(t, &f.dnCert, "/token", ccForm(dnClient), nil), f.dnCert, "Bearer")
}
