package clientauth_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"sync"
	"testing"
	"time"

	"issuer/issuer/clientauth"
	"issuer/issuer/clients"
	"issuer/issuer/oauth"
	"issuer/issuer/oauth/oauthtest"
	"issuer/issuer/testclock"
	"issuer/issuer/walletprovider"
	"issuer/nonce"
	"issuer/storage"
	"issuer/storage/memory"
)

// issuerURL is the issuer identifier of every test authenticator.
const (
	issuerURL = "https://issuer.example"
	tokenURL  = issuerURL + "/token"
	parURL    = issuerURL + "/par"

	assertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
)

// replayStore is the memory store counting the replay keys recorded, so
// that a test asserts that a refusal stored nothing.
type replayStore struct {
	*memory.Store
	mu       sync.Mutex
	recorded int
}

func (s *replayStore) UseReplayKey(ctx context.Context, key []byte, exp, now time.Time) error {
	err := s.Store.UseReplayKey(ctx, key, exp, now)
	if err == nil {
		s.mu.Lock()
		s.recorded++
		s.mu.Unlock()
	}
	return err
}

func (s *replayStore) Recorded() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.recorded
}

// env is an authenticator on a memory store with its clock, registry
// and wallet providers.
type env struct {
	Auth      *clientauth.Authenticator
	Store     *replayStore
	Clock     *testclock.Clock
	Clients   *clients.Registry
	Providers *walletprovider.Registry
	Nonces    *nonce.Manager
}

// newEnv builds the authenticator from a memory store, a config
// (clientauth.Config with the default attestation section, changed by
// opts) and a clock.
func newEnv(t testing.TB, opts ...func(*clientauth.Config)) *env {
	t.Helper()
	clk := testclock.New(time.Now().Truncate(time.Second))
	cfg := clientauth.Config{
		URL: issuerURL, TokenURL: tokenURL, PARURL: parURL,
		JWKSFetchTimeout: clientauth.JWKSDefaultWait,
		Attestation:      clientauth.DefaultAttestationConfig(),
		Now:              clk.Now,
	}
	for _, o := range opts {
		o(&cfg)
	}
	st := &replayStore{Store: memory.New()}
	nonces, err := nonce.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	providers := walletprovider.New(cfg.Attestation.Providers, st, clk.Now, nil)
	if err := providers.Reload(t.Context()); err != nil {
		t.Fatalf("Reload() = %v", err)
	}
	return &env{
		Auth: clientauth.New(cfg, st, providers, nonces, nil), Store: st, Clock: clk,
		Clients: clients.New(st, clk.Now), Providers: providers, Nonces: nonces,
	}
}

// register registers a client through the registry and returns its
// metadata (with the generated secret).
func (e *env) register(t testing.TB, m clients.Metadata) clients.Metadata {
	t.Helper()
	if len(m.GrantTypes) == 0 {
		m.GrantTypes = []string{oauth.GrantClientCredentials}
	}
	out, err := e.Clients.Create(t.Context(), m)
	if err != nil {
		t.Fatalf("Create(%+v) = %v", m, err)
	}
	return out
}

// authenticate runs Authenticate on req.
func (e *env) authenticate(t testing.TB, req clientauth.Request) (*storage.Client, oauth.Binding, error) {
	t.Helper()
	return e.Auth.Authenticate(t.Context(), req)
}

// wantClient asserts an authentication of client id.
func wantClient(t testing.TB, c *storage.Client, err error, id string) {
	t.Helper()
	if err != nil {
		t.Fatalf("Authenticate() = %v; want client %s", err, id)
	}
	if c == nil || c.ID != id {
		t.Fatalf("Authenticate() = %+v; want client %s", c, id)
	}
}

// wantError asserts an *oauth.Error with code and, when desc != "",
// exactly that description; it returns it.
func wantError(t testing.TB, c *storage.Client, err error, code, desc string) *oauth.Error {
	t.Helper()
	if c != nil {
		t.Errorf("Authenticate() returned client %s with the error", c.ID)
	}
	e := oauthtest.WantError(t, err, code, desc)
	if e.Description == "" {
		t.Errorf("no description")
	}
	return e
}

// wantNothingStored asserts that no replay key was recorded since n.
func (e *env) wantNothingStored(t testing.TB, before int) {
	t.Helper()
	if got := e.Store.Recorded(); got != before {
		t.Errorf("%d replay keys recorded by a refused request; want none", got-before)
	}
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// publicJWK is the public JWK of k.
func publicJWK(k *ecdsa.PublicKey) map[string]any {
	var x, y [32]byte
	k.X.FillBytes(x[:])
	k.Y.FillBytes(y[:])
	return map[string]any{"kty": "EC", "crv": "P-256", "x": b64(x[:]), "y": b64(y[:])}
}

// jwkWithKid is the public JWK of k named kid.
func jwkWithKid(k *ecdsa.PrivateKey, kid string) map[string]any {
	j := publicJWK(&k.PublicKey)
	j["kid"] = kid
	return j
}

// keySet is the JSON of a JWK set holding keys.
func keySet(t testing.TB, keys ...map[string]any) json.RawMessage {
	t.Helper()
	ks := make([]any, len(keys))
	for i, k := range keys {
		ks[i] = k
	}
	raw, err := json.Marshal(map[string]any{"keys": ks})
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// signingInput is the JWS signing input of header and claims.
func signingInput(t testing.TB, header, claims map[string]any) string {
	t.Helper()
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	p, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	return b64(h) + "." + b64(p)
}

// signES256 is a compact JWS of header and claims signed ES256 by key.
func signES256(t testing.TB, key *ecdsa.PrivateKey, header, claims map[string]any) string {
	t.Helper()
	input := signingInput(t, header, claims)
	d := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, key, d[:])
	if err != nil {
		t.Fatal(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return input + "." + b64(sig)
}

// signHS256 is a compact JWS of header and claims MACed HS256 with secret.
func signHS256(t testing.TB, secret []byte, header, claims map[string]any) string {
	t.Helper()
	input := signingInput(t, header, claims)
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(input))
	return input + "." + b64(m.Sum(nil))
}

// unsigned is an alg none JWT.
func unsigned(t testing.TB, claims map[string]any) string {
	t.Helper()
	return signingInput(t, map[string]any{"alg": "none", "typ": "JWT"}, claims) + "."
}

func randomJTI() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return b64(b)
}

// cert is a certificate with its private key.
type cert struct {
	Key  *ecdsa.PrivateKey
	Cert *x509.Certificate
}

var serial sync.Mutex
var serialN int64

// issueCert makes a P-256 certificate from tmpl (a CommonName, a
// validity of an hour around now and digitalSignature when unset), signed
// by parent, or self-signed when parent is nil.
func issueCert(t testing.TB, parent *cert, tmpl *x509.Certificate) *cert {
	t.Helper()
	key := newKey(t)
	serial.Lock()
	serialN++
	tmpl.SerialNumber = big.NewInt(serialN)
	serial.Unlock()
	if tmpl.Subject.String() == "" {
		tmpl.Subject = pkix.Name{CommonName: "test"}
	}
	if tmpl.NotBefore.IsZero() {
		tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	}
	if tmpl.KeyUsage == 0 {
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	}
	parentCert, signer := tmpl, key
	if parent != nil {
		parentCert, signer = parent.Cert, parent.Key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parentCert, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &cert{Key: key, Cert: c}
}

// newCA is a self-signed CA certificate.
func newCA(t testing.TB, cn string) *cert {
	t.Helper()
	return issueCert(t, nil, &x509.Certificate{
		Subject: pkix.Name{CommonName: cn}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	})
}

// x5c is an x5c header value.
func x5c(certs ...*x509.Certificate) []string {
	out := make([]string, len(certs))
	for i, c := range certs {
		out[i] = base64.StdEncoding.EncodeToString(c.Raw)
	}
	return out
}

// The wallet attestation fixture.
const (
	atIssuer     = "https://wallet-provider.example"
	atJWKSIssuer = "https://jwks-provider.example"
	atTyp        = "oauth-client-attestation+jwt"
	atPoPTyp     = "oauth-client-attestation-pop+jwt"
)

// atFixture is an environment that trusts two wallet providers of its
// config: one by X.509 (root -> intermediate -> leaf; attestations carry
// x5c [leaf, intermediate] and iss atIssuer) and one by its JWKS (kid
// jw-1, iss atJWKSIssuer).
type atFixture struct {
	*env
	Root, Inter, Leaf *cert
	JWKSKey           *ecdsa.PrivateKey
}

func atSetup(t testing.TB, opts ...func(*clientauth.Config)) *atFixture {
	t.Helper()
	f := &atFixture{JWKSKey: newKey(t)}
	f.Root = newCA(t, "Test Wallet Provider Root")
	f.Inter = issueCert(t, f.Root, &x509.Certificate{Subject: pkix.Name{CommonName: "Test Wallet Provider CA"},
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign})
	f.Leaf = issueCert(t, f.Inter, &x509.Certificate{Subject: pkix.Name{CommonName: "Test Wallet Provider Attestations"}})
	trust := func(c *clientauth.Config) {
		c.Attestation.Providers = []walletprovider.Provider{
			{Name: "x5c provider", Issuer: atIssuer, X5CRoots: x5c(f.Root.Cert)},
			{Name: "jwks provider", Issuer: atJWKSIssuer, JWKS: map[string]any{"keys": []any{jwkWithKid(f.JWKSKey, "jw-1")}}},
		}
	}
	f.env = newEnv(t, append([]func(*clientauth.Config){trust}, opts...)...)
	return f
}

// attClaims are valid attestation claims for client id and instance key.
func (f *atFixture) attClaims(id string, key *ecdsa.PrivateKey) map[string]any {
	now := f.Clock.Now()
	return map[string]any{
		"iss": atIssuer, "sub": id, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"cnf": map[string]any{"jwk": publicJWK(&key.PublicKey)},
	}
}

// attest is an attestation of id and key signed by the leaf with x5c
// [leaf, intermediate], after mod changes its header and claims.
func (f *atFixture) attest(t testing.TB, id string, key *ecdsa.PrivateKey, mod func(h, c map[string]any)) string {
	t.Helper()
	h := map[string]any{"typ": atTyp, "alg": "ES256", "x5c": x5c(f.Leaf.Cert, f.Inter.Cert)}
	c := f.attClaims(id, key)
	if mod != nil {
		mod(h, c)
	}
	return signES256(t, f.Leaf.Key, h, c)
}

// instance is one wallet instance: its client_id (shared by every
// instance of the wallet), its instance key and its attestation.
type instance struct {
	f   *atFixture
	ID  string
	Key *ecdsa.PrivateKey
	Att string
}

// instance is a new instance of wallet id with a valid attestation.
func (f *atFixture) instance(t testing.TB, id string) *instance {
	t.Helper()
	key := newKey(t)
	return &instance{f: f, ID: id, Key: key, Att: f.attest(t, id, key, nil)}
}

// popClaims are valid PoP claims of the instance.
func (in *instance) popClaims() map[string]any {
	return map[string]any{"iss": in.ID, "aud": issuerURL, "jti": randomJTI(), "iat": in.f.Clock.Now().Unix()}
}

// pop is a valid PoP of the instance after mod changes its header and
// claims.
func (in *instance) pop(t testing.TB, mod func(h, c map[string]any)) string {
	t.Helper()
	h, c := map[string]any{"typ": atPoPTyp, "alg": "ES256"}, in.popClaims()
	if mod != nil {
		mod(h, c)
	}
	return signES256(t, in.Key, h, c)
}

// request is a request with the instance's attestation, pop and its
// client_id.
func (in *instance) request(pop string) clientauth.Request {
	return attRequest(in.Att, pop, map[string]string{"client_id": in.ID})
}

func attRequest(att, pop string, params map[string]string) clientauth.Request {
	return clientauth.Request{Params: params, ClientAttestation: []string{att}, ClientAttestationPoP: []string{pop}}
}

// thumbprint is the RFC 7638 thumbprint of a P-256 key, computed here.
func thumbprint(k *ecdsa.PublicKey) string {
	j := publicJWK(k)
	sum := sha256.Sum256([]byte(`{"crv":"P-256","kty":"EC","x":"` + j["x"].(string) + `","y":"` + j["y"].(string) + `"}`))
	return b64(sum[:])
}
