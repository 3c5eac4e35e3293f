package clientauth_test

import (
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"issuer/issuer/clientauth"
	"issuer/issuer/clients"
	"issuer/issuer/oauth"
	"issuer/storage"
)

// Mutual TLS client authentication and certificate-bound tokens (RFC
// 8705 §2, §3).

const (
	clientDN  = "CN=backend,OU=Issuance,O=Example Wallets,C=DE"
	untrusted = "the client certificate is not issued by a trusted client CA"
)

// mtlsFixture trusts CA as the client CA and has a tls_client_auth client
// for each kind of subject, and a self_signed_tls_client_auth client.
type mtlsFixture struct {
	*env
	CA, SelfSigned *cert
}

// clientCert is a clientAuth certificate issued by parent (self-signed
// when nil) from tmpl.
func clientCert(t testing.TB, parent *cert, tmpl *x509.Certificate) *cert {
	t.Helper()
	if tmpl.ExtKeyUsage == nil {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	return issueCert(t, parent, tmpl)
}

func dnSubject() pkix.Name {
	return pkix.Name{CommonName: "backend", OrganizationalUnit: []string{"Issuance"}, Organization: []string{"Example Wallets"}, Country: []string{"DE"}}
}

// certJWK is the public JWK of c's key with c in x5c.
func certJWK(c *cert) map[string]any {
	j := publicJWK(&c.Key.PublicKey)
	j["x5c"] = []string{base64.StdEncoding.EncodeToString(c.Cert.Raw)}
	return j
}

func mtlsSetup(t *testing.T, opts ...func(*clientauth.Config)) *mtlsFixture {
	t.Helper()
	ca := newCA(t, "Client CA")
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	f := &mtlsFixture{CA: ca, env: newEnv(t, append([]func(*clientauth.Config){func(c *clientauth.Config) { c.ClientCAs = pool }}, opts...)...)}
	f.SelfSigned = clientCert(t, nil, &x509.Certificate{Subject: pkix.Name{CommonName: "self"}})
	for id, tls := range map[string]storage.ClientTLS{
		"dn": {SubjectDN: clientDN}, "dns": {SANDNS: "Backend.Example.com"}, "uri": {SANURI: "spiffe://example.com/backend"},
		"ip": {SANIP: "10.0.0.1"}, "ip-mapped": {SANIP: "::ffff:10.0.0.1"}, "mail": {SANEmail: "ops@example.com"},
	} {
		f.register(t, clients.Metadata{ClientID: id, TokenEndpointAuthMethod: oauth.AuthTLSClientAuth, ClientTLS: tls})
	}
	f.register(t, clients.Metadata{ClientID: "self", TokenEndpointAuthMethod: oauth.AuthSelfSignedTLSClientAuth,
		JWKS: keySet(t, certJWK(f.SelfSigned))})
	return f
}

// tlsRequest is a request of client id (client_id only) over a
// connection with certs.
func tlsRequest(id string, certs ...*x509.Certificate) clientauth.Request {
	return clientauth.Request{Params: map[string]string{"client_id": id}, Certs: certs}
}

func TestMTLSAccepted(t *testing.T) {
	f := mtlsSetup(t)
	inter := issueCert(t, f.CA, &x509.Certificate{Subject: pkix.Name{CommonName: "Issuing CA"}, IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign})
	for _, tc := range []struct {
		name, id string
		certs    func() []*x509.Certificate
	}{
		{"subject DN", "dn", func() []*x509.Certificate {
			return []*x509.Certificate{clientCert(t, f.CA, &x509.Certificate{Subject: dnSubject()}).Cert}
		}},
		{"subject DN through an intermediate", "dn", func() []*x509.Certificate {
			return []*x509.Certificate{clientCert(t, inter, &x509.Certificate{Subject: dnSubject()}).Cert, inter.Cert}
		}},
		{"SAN dNSName, case-insensitively", "dns", func() []*x509.Certificate {
			return []*x509.Certificate{clientCert(t, f.CA, &x509.Certificate{DNSNames: []string{"other.example.com", "backend.example.COM"}}).Cert}
		}},
		{"SAN URI", "uri", func() []*x509.Certificate {
			u, _ := url.Parse("spiffe://example.com/backend")
			return []*x509.Certificate{clientCert(t, f.CA, &x509.Certificate{URIs: []*url.URL{u}}).Cert}
		}},
		{"SAN IP, IPv4-mapped IPv6 in the certificate", "ip", func() []*x509.Certificate {
			return []*x509.Certificate{clientCert(t, f.CA, &x509.Certificate{IPAddresses: []net.IP{net.ParseIP("::ffff:10.0.0.1")}}).Cert}
		}},
		{"SAN IP registered IPv4-mapped", "ip-mapped", func() []*x509.Certificate {
			return []*x509.Certificate{clientCert(t, f.CA, &x509.Certificate{IPAddresses: []net.IP{net.ParseIP("10.0.0.1")}}).Cert}
		}},
		{"SAN email", "mail", func() []*x509.Certificate {
			return []*x509.Certificate{clientCert(t, f.CA, &x509.Certificate{EmailAddresses: []string{"ops@example.com"}}).Cert}
		}},
		{"self-signed, registered", "self", func() []*x509.Certificate { return []*x509.Certificate{f.SelfSigned.Cert} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, b, err := f.authenticate(t, tlsRequest(tc.id, tc.certs()...))
			wantClient(t, c, err, tc.id)
			if b != (oauth.Binding{}) {
				t.Errorf("binding = %+v; want none (the certificate binding is CertificateBinding's)", b)
			}
		})
	}
}

// rawSubjectCert is a clientAuth certificate of ca with the raw subject
// rdns: the registered attributes in another order, or with a repeated CN.
func rawSubjectCert(t *testing.T, ca *cert, rdns pkix.RDNSequence) *cert {
	t.Helper()
	raw, err := asn1.Marshal(rdns)
	if err != nil {
		t.Fatal(err)
	}
	return clientCert(t, ca, &x509.Certificate{RawSubject: raw})
}

func TestMTLSRefused(t *testing.T) {
	f := mtlsSetup(t)
	other := newCA(t, "Other CA")
	attr := func(oid asn1.ObjectIdentifier, v string) pkix.RelativeDistinguishedNameSET {
		return pkix.RelativeDistinguishedNameSET{{Type: oid, Value: v}}
	}
	cn, ou, o, c := asn1.ObjectIdentifier{2, 5, 4, 3}, asn1.ObjectIdentifier{2, 5, 4, 11}, asn1.ObjectIdentifier{2, 5, 4, 10}, asn1.ObjectIdentifier{2, 5, 4, 6}
	chain := []*x509.Certificate{}
	parent := f.CA
	for range 8 {
		parent = issueCert(t, parent, &x509.Certificate{IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign})
		chain = append([]*x509.Certificate{parent.Cert}, chain...)
	}
	long := append([]*x509.Certificate{clientCert(t, parent, &x509.Certificate{Subject: dnSubject()}).Cert}, chain...)
	for _, tc := range []struct {
		name, id string
		certs    []*x509.Certificate
		desc     string
	}{
		{"wrong subject DN", "dn", []*x509.Certificate{clientCert(t, f.CA, &x509.Certificate{Subject: pkix.Name{CommonName: "backend-2", OrganizationalUnit: []string{"Issuance"}, Organization: []string{"Example Wallets"}, Country: []string{"DE"}}}).Cert},
			"the client certificate does not match the registered tls_client_auth_subject_dn"},
		{"subject DN in another order", "dn", []*x509.Certificate{rawSubjectCert(t, f.CA, pkix.RDNSequence{attr(cn, "backend"), attr(ou, "Issuance"), attr(o, "Example Wallets"), attr(c, "DE")}).Cert},
			"the client certificate does not match the registered tls_client_auth_subject_dn"},
		{"subject DN with a second CN", "dn", []*x509.Certificate{rawSubjectCert(t, f.CA, pkix.RDNSequence{attr(c, "DE"), attr(o, "Example Wallets"), attr(ou, "Issuance"), attr(cn, "mallory"), attr(cn, "backend")}).Cert},
			"the client certificate does not match the registered tls_client_auth_subject_dn"},
		{"SAN dNSName not in the certificate", "dns", []*x509.Certificate{clientCert(t, f.CA, &x509.Certificate{Subject: dnSubject()}).Cert},
			"the client certificate does not match the registered tls_client_auth_san_dns"},
		{"SAN dNSName as a wildcard", "dns", []*x509.Certificate{clientCert(t, f.CA, &x509.Certificate{DNSNames: []string{"*.example.com"}}).Cert},
			"the client certificate does not match the registered tls_client_auth_san_dns"},
		{"SAN URI of another path", "uri", []*x509.Certificate{clientCert(t, f.CA, &x509.Certificate{URIs: []*url.URL{{Scheme: "spiffe", Host: "example.com", Path: "/backend2"}}}).Cert},
			"the client certificate does not match the registered tls_client_auth_san_uri"},
		{"SAN IP of another host", "ip", []*x509.Certificate{clientCert(t, f.CA, &x509.Certificate{IPAddresses: []net.IP{net.ParseIP("10.0.0.2")}}).Cert},
			"the client certificate does not match the registered tls_client_auth_san_ip"},
		{"SAN email in another case", "mail", []*x509.Certificate{clientCert(t, f.CA, &x509.Certificate{EmailAddresses: []string{"OPS@example.com"}}).Cert},
			"the client certificate does not match the registered tls_client_auth_san_email"},
		{"certificate of another CA", "dn", []*x509.Certificate{clientCert(t, other, &x509.Certificate{Subject: dnSubject()}).Cert}, untrusted},
		{"self-signed with the registered DN", "dn", []*x509.Certificate{clientCert(t, nil, &x509.Certificate{Subject: dnSubject()}).Cert}, untrusted},
		{"certificate without clientAuth", "dn", []*x509.Certificate{clientCert(t, f.CA, &x509.Certificate{Subject: dnSubject(), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}).Cert},
			"the client certificate is not for client authentication (extended key usage)"},
		{"no certificate", "dn", nil, "the client cannot be authenticated with tls_client_auth without a client certificate"},
		{"chain of 9 certificates", "dn", long, "the client certificate chain is too long"},
		{"self-signed: no certificate", "self", nil, "the client cannot be authenticated with self_signed_tls_client_auth without a client certificate"},
		{"self-signed: another certificate with the same subject", "self", []*x509.Certificate{clientCert(t, nil, &x509.Certificate{Subject: pkix.Name{CommonName: "self"}}).Cert},
			"the client certificate is not one the client registered"},
		{"self-signed: a certificate of the client CA", "self", []*x509.Certificate{clientCert(t, f.CA, &x509.Certificate{Subject: dnSubject()}).Cert},
			"the client certificate is not one the client registered"},
		{"unknown client", "nobody", []*x509.Certificate{f.SelfSigned.Cert}, "the client doesn't exist"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _, err := f.authenticate(t, tlsRequest(tc.id, tc.certs...))
			wantError(t, c, err, oauth.CodeInvalidClient, tc.desc)
		})
	}
	t.Run("the registered certificate's key is not enough: a secret for an mTLS client", func(t *testing.T) {
		c, _, err := f.authenticate(t, clientauth.Request{Authorization: basic("dn", strings.Repeat("s", 43)),
			Certs: []*x509.Certificate{clientCert(t, f.CA, &x509.Certificate{Subject: dnSubject()}).Cert}})
		wantError(t, c, err, oauth.CodeInvalidClient, "the client cannot be authenticated with client_secret_basic")
	})
}

// TestMTLSValidityAtClock: a tls_client_auth chain is verified at the
// clock's time; a self-signed registered certificate is the registration
// itself, checked for no validity period (RFC 8705 §2.2).
func TestMTLSValidityAtClock(t *testing.T) {
	f := mtlsSetup(t)
	leaf := clientCert(t, f.CA, &x509.Certificate{Subject: dnSubject(), NotBefore: f.Clock.Now().Add(-time.Minute), NotAfter: f.Clock.Now().Add(time.Minute)})
	c, _, err := f.authenticate(t, tlsRequest("dn", leaf.Cert))
	wantClient(t, c, err, "dn")
	f.Clock.Advance(2 * time.Minute)
	c, _, err = f.authenticate(t, tlsRequest("dn", leaf.Cert))
	wantError(t, c, err, oauth.CodeInvalidClient, "the client certificate has expired or is not valid yet")
	f.Clock.Advance(2 * time.Hour) // past the self-signed certificate's NotAfter
	c, _, err = f.authenticate(t, tlsRequest("self", f.SelfSigned.Cert))
	wantClient(t, c, err, "self")
}

// TestMTLSWithoutClientCA: without a client CA, tls_client_auth clients
// cannot authenticate.
func TestMTLSWithoutClientCA(t *testing.T) {
	f := mtlsSetup(t, func(c *clientauth.Config) { c.ClientCAs = nil })
	c, _, err := f.authenticate(t, tlsRequest("dn", clientCert(t, f.CA, &x509.Certificate{Subject: dnSubject()}).Cert))
	wantError(t, c, err, oauth.CodeInvalidClient, "the client cannot be authenticated with tls_client_auth: no client CA is configured")
}

// TestMTLSSelfSignedJWKSURI: a self_signed_tls_client_auth client's
// certificates published at its jwks_uri are found after a rotation (a
// refetch at most every 30 s).
func TestMTLSSelfSignedJWKSURI(t *testing.T) {
	f := mtlsSetup(t)
	a := clientCert(t, nil, &x509.Certificate{})
	b := clientCert(t, nil, &x509.Certificate{})
	js := newJWKSServer(t, string(keySet(t, certJWK(a))))
	f.register(t, clients.Metadata{ClientID: "pub", TokenEndpointAuthMethod: oauth.AuthSelfSignedTLSClientAuth, JWKSURI: js.URL})
	c, _, err := f.authenticate(t, tlsRequest("pub", a.Cert))
	wantClient(t, c, err, "pub")
	js.set(string(keySet(t, certJWK(b))), http.StatusOK)
	f.Clock.Advance(10 * time.Second)
	c, _, err = f.authenticate(t, tlsRequest("pub", b.Cert))
	wantError(t, c, err, oauth.CodeInvalidClient, "the client certificate is not one the client registered")
	f.Clock.Advance(21 * time.Second)
	c, _, err = f.authenticate(t, tlsRequest("pub", b.Cert))
	wantClient(t, c, err, "pub")
	if n := js.fetches.Load(); n != 2 {
		t.Errorf("%d fetches; want 2", n)
	}
}

// TestCertificateBinding covers RFC 8705 §3: the tokens of a client that
// authenticated by certificate, or registered certificate-bound tokens,
// are bound to the certificate's x5t#S256, which the latter must present.
func TestCertificateBinding(t *testing.T) {
	leaf := clientCert(t, nil, &x509.Certificate{})
	sum := sha256.Sum256(leaf.Cert.Raw)
	want := base64.RawURLEncoding.EncodeToString(sum[:])
	if got := clientauth.CertThumbprint(leaf.Cert); got != want {
		t.Fatalf("CertThumbprint = %q; want %q", got, want)
	}
	with := clientauth.Request{Certs: []*x509.Certificate{leaf.Cert}}
	for _, tc := range []struct {
		name   string
		req    clientauth.Request
		client *storage.Client
		want   string
		code   string
	}{
		{"anonymous", with, nil, "", ""},
		{"a secret client with a certificate", with, &storage.Client{AuthMethod: oauth.AuthClientSecretBasic}, "", ""},
		{"tls_client_auth", with, &storage.Client{AuthMethod: oauth.AuthTLSClientAuth}, want, ""},
		{"self_signed_tls_client_auth", with, &storage.Client{AuthMethod: oauth.AuthSelfSignedTLSClientAuth}, want, ""},
		{"certificate-bound tokens", with, &storage.Client{AuthMethod: oauth.AuthClientSecretBasic, ClientTLS: storage.ClientTLS{CertificateBoundAccessTokens: true}}, want, ""},
		{"certificate-bound tokens without a certificate", clientauth.Request{}, &storage.Client{AuthMethod: oauth.AuthPrivateKeyJWT, ClientTLS: storage.ClientTLS{CertificateBoundAccessTokens: true}}, "", oauth.CodeInvalidRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := clientauth.CertificateBinding(tc.req, tc.client)
			if tc.code != "" {
				wantError(t, nil, err, tc.code, "the client is registered with tls_client_certificate_bound_access_tokens and presented no client certificate")
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("CertificateBinding = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	if !slices.Equal([]bool{clientauth.IsTLSMethod(oauth.AuthTLSClientAuth), clientauth.IsTLSMethod(oauth.AuthSelfSignedTLSClientAuth), clientauth.IsTLSMethod(oauth.AuthClientSecretBasic)}, []bool{true, true, false}) {
		t.Errorf("IsTLSMethod is wrong")
	}
}
