package web_test

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"issuer/issuer"
)

const (
	atIssuer     = "https://wallet-provider.example"
	atJWKSIssuer = "https://jwks-provider.example"
	atTyp        = "oauth-client-attestation+jwt"
	atPoPTyp     = "oauth-client-attestation-pop+jwt"
	hdrAtt       = "OAuth-Client-Attestation"
	hdrPoP       = "OAuth-Client-Attestation-PoP"
	hdrChallenge = "OAuth-Client-Attestation-Challenge"

	atUntrusted = "the client attestation is not signed by a trusted wallet provider"
	atAnchor    = "the client attestation's x5c contains a trust anchor, which it must not"
	atBadPoPKey = "the client attestation PoP is not signed by the key of the attestation's cnf"
	atBadAud    = "the audience of the client attestation PoP is not correct"
	atTwoAuth   = "the client used more than one authentication method"
)

// atCA is a certificate with its private key.
type atCA struct {
	Key  *ecdsa.PrivateKey
	Cert *x509.Certificate
}

var atSerial atomic.Int64

// atIssue makes a P-256 certificate for cn, signed by parent (self-signed
// when parent is nil), valid from an hour ago for a day; mod may change
// the template before signing.
func atIssue(t testing.TB, parent *atCA, cn string, isCA bool, mod func(*x509.Certificate)) *atCA {
	t.Helper()
	key := asNewKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(atSerial.Add(1)),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	if isCA {
		tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
		tmpl.KeyUsage |= x509.KeyUsageCertSign
	}
	if mod != nil {
		mod(tmpl)
	}
	parentCert, signer := tmpl, key
	if parent != nil {
		parentCert, signer = parent.Cert, parent.Key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parentCert, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &atCA{Key: key, Cert: cert}
}

// atPEM is the PEM of a certificate.
func atPEM(c *x509.Certificate) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
}

// atX5C is an x5c header value.
func atX5C(certs ...*x509.Certificate) []string {
	out := make([]string, len(certs))
	for i, c := range certs {
		out[i] = base64.StdEncoding.EncodeToString(c.Raw)
	}
	return out
}

// atFixture is a server that trusts two wallet providers from its config:
// one by X.509 (root -> intermediate -> leaf; attestations carry x5c
// [leaf, intermediate] and iss atIssuer) and one by its JWKS (kid jw-1,
// iss atJWKSIssuer).
type atFixture struct {
	ts                *testServer
	Root, Inter, Leaf *atCA
	JWKSKey           *ecdsa.PrivateKey
}

func atSetup(t testing.TB, opts ...func(*issuer.Config)) *atFixture {
	t.Helper()
	f := &atFixture{JWKSKey: asNewKey(t)}
	f.Root = atIssue(t, nil, "Test Wallet Provider Root", true, nil)
	f.Inter = atIssue(t, f.Root, "Test Wallet Provider CA", true, nil)
	f.Leaf = atIssue(t, f.Inter, "Test Wallet Provider Attestations", false, nil)
	trust := func(c *issuer.Config) {
		c.ClientAttestation.Providers = []issuer.WalletProvider{
			{Name: "x5c provider", Issuer: atIssuer, X5CRoots: []string{atPEM(f.Root.Cert)}},
			{Name: "jwks provider", Issuer: atJWKSIssuer, JWKS: map[string]any{"keys": []any{asJWK(f.JWKSKey, "jw-1")}}},
		}
	}
	f.ts = newTestServer(t, append([]func(*issuer.Config){trust}, opts...)...)
	return f
}

// attClaims are valid attestation claims for client id and instance key.
func (f *atFixture) attClaims(id string, key *ecdsa.PrivateKey) map[string]any {
	now := f.ts.Clock.Now()
	return map[string]any{
		"iss": atIssuer, "sub": id, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"cnf": map[string]any{"jwk": publicJWK(&key.PublicKey)}, "wallet_name": "Test Wallet",
	}
}

// attest returns an attestation for id and key signed by the leaf, with x5c
// [leaf, intermediate], after mod changes its header and claims.
func (f *atFixture) attest(t testing.TB, id string, key *ecdsa.PrivateKey, mod func(h, c map[string]any)) string {
	t.Helper()
	h := map[string]any{"typ": atTyp, "alg": "ES256", "x5c": atX5C(f.Leaf.Cert, f.Inter.Cert)}
	c := f.attClaims(id, key)
	if mod != nil {
		mod(h, c)
	}
	return rawJWS(t, f.Leaf.Key, h, c, nil)
}

// atInstance is one wallet instance: its client_id (shared by every
// instance of the wallet), its instance key, its attestation and its DPoP
// key.
type atInstance struct {
	f    *atFixture
	ID   string
	Key  *ecdsa.PrivateKey
	Att  string
	DPoP *wallet
}

// instance returns a new instance of wallet id with a valid attestation.
func (f *atFixture) instance(t testing.TB, id string) *atInstance {
	t.Helper()
	key := asNewKey(t)
	return &atInstance{f: f, ID: id, Key: key, Att: f.attest(t, id, key, nil), DPoP: newWallet(t)}
}

// atWalletID returns a fresh client_id.
func atWalletID() string { return "https://wallet.example/" + randomJTI()[:10] }

// pop returns a valid PoP of the instance after mod changes its header and
// claims.
func (in *atInstance) pop(t testing.TB, mod func(h, c map[string]any)) string {
	t.Helper()
	h := map[string]any{"typ": atPoPTyp, "alg": "ES256"}
	c := map[string]any{"iss": in.ID, "aud": in.f.ts.URL, "jti": randomJTI(), "iat": in.f.ts.Clock.Now().Unix()}
	if mod != nil {
		mod(h, c)
	}
	return rawJWS(t, in.Key, h, c, nil)
}

// headers are the instance's attestation and a fresh PoP.
func (in *atInstance) headers(t testing.TB) map[string][]string {
	t.Helper()
	return atHeaders(in.Att, in.pop(t, nil))
}

func atHeaders(att, pop string) map[string][]string {
	return map[string][]string{hdrAtt: {att}, hdrPoP: {pop}}
}

// redeem redeems a fresh offer with client_id in the form (form may
// override it; "" removes it), the given headers and a fresh DPoP proof of
// the instance's DPoP key (a nil "DPoP" entry in hdr removes it).
func (in *atInstance) redeem(t testing.TB, hdr map[string][]string, form url.Values) *http.Response {
	t.Helper()
	ts := in.f.ts
	body := url.Values{"grant_type": {preAuth}, "pre-authorized_code": {code(ts.offer(t, nil))}, "client_id": {in.ID}}
	for k, v := range form {
		body[k] = v
	}
	h := map[string][]string{"DPoP": {ts.freshProof(t, in.DPoP)}}
	for k, v := range hdr {
		h[k] = v
	}
	return ts.post(t, "/token", body, h)
}

// atWantToken asserts a DPoP-bound token issued to clientID.
func atWantToken(t testing.TB, res *http.Response, clientID string) rfBody {
	t.Helper()
	b := rfWantToken(t, res)
	if b.TokenType != "DPoP" {
		t.Errorf("token_type = %q; want DPoP", b.TokenType)
	}
	if c := rfClaims(t, b.AccessToken); c["client_id"] != clientID {
		t.Fatalf("client_id claim = %v; want %s", c["client_id"], clientID)
	}
	return b
}

// atWantError asserts an error response, with exactly desc when desc != "".
func atWantError(t testing.TB, res *http.Response, status int, code, desc string) {
	t.Helper()
	e := wantError(t, res, status, code)
	if desc != "" && e.Description != desc {
		t.Errorf("error_description = %q; want %q", e.Description, desc)
	}
	if e.Description == "" {
		t.Errorf("no error_description")
	}
	wantSafeDescription(t, e.Description)
}

// atProviderList is GET /admin/wallet-providers.
func atProviderList(t testing.TB, ts *testServer) []issuer.WalletProvider {
	t.Helper()
	res := ts.admin(t, http.MethodGet, "/admin/wallet-providers", nil)
	body := readBody(t, res)
	var out struct {
		Providers []issuer.WalletProvider `json:"wallet_providers"`
	}
	if res.StatusCode != http.StatusOK || json.Unmarshal(body, &out) != nil {
		t.Fatalf("GET /admin/wallet-providers = %d %s; want 200 with wallet_providers", res.StatusCode, body)
	}
	return out.Providers
}
