package web_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"issuer/dpop"
	"issuer/issuer"
	"issuer/storage"
	"issuer/storage/memory"
	"issuer/web"
)

const (
	adminToken = "test-admin-token"
	preAuth    = issuer.GrantPreAuthorizedCode
	pidConfig  = "eu.europa.ec.eudi.pid_vc_sd_jwt"
	mdlConfig  = "org.iso.18013.5.1.mDL"
)

// testClock is a settable clock shared by the server and the test.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// testServer is a running token service over the in-memory store.
type testServer struct {
	*httptest.Server
	Svc   *issuer.Service
	Store storage.Store
	Clock *testClock
}

// newTestServer starts a server whose public URL is the httptest URL. Each
// option may change the configuration before the service is built.
func newTestServer(t testing.TB, opts ...func(*issuer.Config)) *testServer {
	t.Helper()
	clock := &testClock{now: time.Now().Truncate(time.Second)}
	ts := &testServer{Store: memory.New(), Clock: clock}
	// The URL is only known once the listener exists: start unstarted.
	var h http.Handler
	ts.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	ts.Start()
	t.Cleanup(ts.Close)
	cfg := issuer.Defaults()
	cfg.URL = ts.URL
	cfg.Now = clock.Now
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

// TokenURL is the public token endpoint URL.
func (ts *testServer) TokenURL() string { return ts.URL + "/token" }

// wallet is a wallet with its own DPoP key.
type wallet struct {
	Key *ecdsa.PrivateKey
	JKT string
}

func newWallet(t testing.TB) *wallet {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	jkt, err := dpop.Thumbprint(k.Public())
	if err != nil {
		t.Fatal(err)
	}
	return &wallet{Key: k, JKT: jkt}
}

// Proof signs a valid ES256 proof for POST url, with the given nonce.
func (w *wallet) Proof(t testing.TB, url, nonce string) string {
	t.Helper()
	p, err := dpop.Sign(w.Key, "ES256", dpop.Claims{Method: http.MethodPost, URL: url, Nonce: nonce})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// offer creates an offer through the admin API and returns the response.
func (ts *testServer) offer(t testing.TB, req map[string]any) issuer.OfferResponse {
	t.Helper()
	if req == nil {
		req = map[string]any{}
	}
	if _, ok := req["credential_configuration_ids"]; !ok {
		req["credential_configuration_ids"] = []string{pidConfig}
	}
	if _, ok := req["subject"]; !ok {
		req["subject"] = "subject-1"
	}
	res := ts.admin(t, http.MethodPost, "/admin/offers", req)
	body := readBody(t, res)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("POST /admin/offers = %d %s; want 201", res.StatusCode, body)
	}
	var out issuer.OfferResponse
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// code returns the pre-authorized code of an offer.
func code(o issuer.OfferResponse) string {
	return o.CredentialOffer.Grants.PreAuthorizedCode.PreAuthorizedCode
}

// admin sends an admin API request with the admin token.
func (ts *testServer) admin(t testing.TB, method, path string, body any) *http.Response {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = strings.NewReader(string(b))
	}
	req, err := http.NewRequest(method, ts.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// post sends a form to path with the given headers (each value a header
// line; a key may repeat by giving several values).
func (ts *testServer) post(t testing.TB, path string, form url.Values, headers map[string][]string) *http.Response {
	t.Helper()
	return ts.postVia(t, http.DefaultClient, path, form, headers)
}

// postVia is post through the HTTP client hc (e.g. one connecting from
// another address: fromAddress).
func (ts *testServer) postVia(t testing.TB, hc *http.Client, path string, form url.Values, headers map[string][]string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, ts.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, vs := range headers {
		req.Header.Del(k)
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	res, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// fromAddress returns a transport whose connections come from the
// loopback address ip (127.0.0.2, …), so that the server sees another
// peer address.
func fromAddress(ip string) *http.Transport {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	return &http.Transport{DialContext: d.DialContext}
}

// redeem posts a pre-authorized code token request with a DPoP proof ("" for none).
func (ts *testServer) redeem(t testing.TB, code, proof string, extra url.Values) *http.Response {
	t.Helper()
	form := url.Values{"grant_type": {preAuth}, "pre-authorized_code": {code}}
	for k, v := range extra {
		form[k] = v
	}
	h := map[string][]string{}
	if proof != "" {
		h["DPoP"] = []string{proof}
	}
	return ts.post(t, "/token", form, h)
}

func readBody(t testing.TB, res *http.Response) []byte {
	t.Helper()
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// oauthError is an RFC 6749 §5.2 error body.
type oauthError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// wantError asserts status, error code and the no-store headers of an error
// response, and returns the decoded body.
func wantError(t testing.TB, res *http.Response, status int, code string) oauthError {
	t.Helper()
	body := readBody(t, res)
	var e oauthError
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body %q is not JSON: %v", body, err)
	}
	if res.StatusCode != status || e.Error != code {
		t.Fatalf("response = %d %s; want %d with error %q", res.StatusCode, body, status, code)
	}
	if got := res.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q; want no-store", got)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q; want application/json", ct)
	}
	return e
}

// tokenBody is a successful token response.
type tokenBody struct {
	AccessToken          string                       `json:"access_token"`
	TokenType            string                       `json:"token_type"`
	ExpiresIn            int64                        `json:"expires_in"`
	CNonce               string                       `json:"c_nonce"`
	CNonceExpiresIn      int64                        `json:"c_nonce_expires_in"`
	AuthorizationDetails []issuer.AuthorizationDetail `json:"authorization_details"`
}

// wantToken asserts a 200 token response with its cache headers.
func wantToken(t testing.TB, res *http.Response) tokenBody {
	t.Helper()
	body := readBody(t, res)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("token response = %d %s; want 200", res.StatusCode, body)
	}
	if res.Header.Get("Cache-Control") != "no-store" || res.Header.Get("Pragma") != "no-cache" {
		t.Errorf("cache headers = %q, %q; want no-store, no-cache", res.Header.Get("Cache-Control"), res.Header.Get("Pragma"))
	}
	var tb tokenBody
	if err := json.Unmarshal(body, &tb); err != nil {
		t.Fatal(err)
	}
	return tb
}

// jwtParts decodes the header and claims of a compact JWT without
// verifying it (tests verify signatures separately against /jwks).
func jwtParts(t testing.TB, tok string) (header, claims map[string]any) {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts; want 3", len(parts))
	}
	for i, dst := range []*map[string]any{&header, &claims} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, dst); err != nil {
			t.Fatal(err)
		}
	}
	return header, claims
}

// rawJWS signs arbitrary header and payload members with key, for proofs
// that break one rule at a time. alg selects the signature (ES256 raw r||s
// for *ecdsa.PrivateKey); sig, when non-nil, replaces the signature bytes.
func rawJWS(t testing.TB, key crypto.Signer, header, payload map[string]any, sig []byte) string {
	t.Helper()
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	p, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	input := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(p)
	if sig == nil {
		sig = es256(t, key.(*ecdsa.PrivateKey), []byte(input))
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// es256 returns the JOSE (raw r||s) ES256 signature of input.
func es256(t testing.TB, key *ecdsa.PrivateKey, input []byte) []byte {
	t.Helper()
	d := sha256.Sum256(input)
	r, s, err := ecdsa.Sign(rand.Reader, key, d[:])
	if err != nil {
		t.Fatal(err)
	}
	out := make([]byte, 64)
	r.FillBytes(out[:32])
	s.FillBytes(out[32:])
	return out
}

// publicJWK is the JWK of an EC P-256 public key as a map.
func publicJWK(k *ecdsa.PublicKey) map[string]any {
	var x, y [32]byte
	k.X.FillBytes(x[:])
	k.Y.FillBytes(y[:])
	return map[string]any{
		"kty": "EC", "crv": "P-256",
		"x": base64.RawURLEncoding.EncodeToString(x[:]),
		"y": base64.RawURLEncoding.EncodeToString(y[:]),
	}
}

// baseProof returns the header and payload of a valid proof for url, to be
// altered by a test.
func (w *wallet) baseProof(url string, now time.Time) (header, payload map[string]any) {
	return map[string]any{"typ": "dpop+jwt", "alg": "ES256", "jwk": publicJWK(&w.Key.PublicKey)},
		map[string]any{"jti": randomJTI(), "htm": "POST", "htu": url, "iat": now.Unix()}
}

func randomJTI() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// TestHarness checks the happy path the other tests build on.
func TestHarness(t *testing.T) {
	ts := newTestServer(t)
	w := newWallet(t)
	o := ts.offer(t, nil)
	tb := wantToken(t, ts.redeem(t, code(o), w.Proof(t, ts.TokenURL(), ""), nil))
	if tb.TokenType != "DPoP" {
		t.Fatalf("token_type = %q; want DPoP", tb.TokenType)
	}
	_, claims := jwtParts(t, tb.AccessToken)
	if cnf, _ := claims["cnf"].(map[string]any); cnf["jkt"] != w.JKT {
		t.Fatalf("cnf = %v; want jkt %s", claims["cnf"], w.JKT)
	}
	// A manual proof from baseProof is accepted too.
	o2 := ts.offer(t, nil)
	h, p := w.baseProof(ts.TokenURL(), ts.Clock.Now())
	wantToken(t, ts.redeem(t, code(o2), rawJWS(t, w.Key, h, p, nil), nil))
}
