package web_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"issuer/issuer/oauth"
)

// registeredClient is what POST /admin/clients returned.
type registeredClient struct {
	ID     string `json:"client_id"`
	Secret string `json:"client_secret"`
	Method string `json:"token_endpoint_auth_method"`
}

// registerClient registers a client through the admin API.
func (ts *testServer) registerClient(t testing.TB, meta map[string]any) registeredClient {
	t.Helper()
	res := ts.admin(t, http.MethodPost, "/admin/clients", meta)
	body := readBody(t, res)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("POST /admin/clients %v = %d %s; want 201", meta, res.StatusCode, body)
	}
	var c registeredClient
	if err := json.Unmarshal(body, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// basicAuth is an RFC 6749 §2.3.1 Basic header: both parts form-urlencoded
// before base64.
func basicAuth(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
}

// dpopTransport adds a fresh DPoP proof to every request, as a DPoP-aware
// client library would.
type dpopTransport struct {
	w    *wallet
	now  func() time.Time
	base http.RoundTripper
}

func (d *dpopTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	p, err := signProofNoFatal(d.w, r.Method, r.URL.String(), d.now())
	if err != nil {
		return nil, err
	}
	r2 := r.Clone(r.Context())
	r2.Header.Set("DPoP", p)
	return d.base.RoundTrip(r2)
}

// ccClient registers a confidential client for client_credentials.
func (ts *testServer) ccClient(t testing.TB, method, scope string) registeredClient {
	t.Helper()
	return ts.registerClient(t, map[string]any{
		"token_endpoint_auth_method": method, "scope": scope,
		"grant_types": []string{oauth.GrantClientCredentials},
	})
}

// ccRequest posts a client_credentials request authenticated with Basic.
func (ts *testServer) ccRequest(t testing.TB, c registeredClient, proof string, extra url.Values) *http.Response {
	t.Helper()
	form := url.Values{"grant_type": {oauth.GrantClientCredentials}}
	for k, v := range extra {
		form[k] = v
	}
	h := map[string][]string{"Authorization": {basicAuth(c.ID, c.Secret)}}
	if proof != "" {
		h["DPoP"] = []string{proof}
	}
	return ts.post(t, "/token", form, h)
}

// jwksServer serves a JWK set that a test can change, and counts fetches.
type jwksServer struct {
	*httptest.Server
	mu      sync.Mutex
	body    string
	delay   time.Duration
	fetches atomic.Int32
}

func newJWKSServer(t *testing.T, keys ...map[string]any) *jwksServer {
	t.Helper()
	js := &jwksServer{}
	js.set(t, keys...)
	js.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		js.fetches.Add(1)
		js.mu.Lock()
		body, delay := js.body, js.delay
		js.mu.Unlock()
		time.Sleep(delay)
		w.Header().Set("Content-Type", "application/jwk-set+json")
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(js.Close)
	return js
}

func (js *jwksServer) set(t *testing.T, keys ...map[string]any) {
	t.Helper()
	list := make([]any, len(keys))
	for i, k := range keys {
		list[i] = k
	}
	b, err := json.Marshal(map[string]any{"keys": list})
	if err != nil {
		t.Fatal(err)
	}
	js.mu.Lock()
	js.body = string(b)
	js.mu.Unlock()
}

// pwSetup registers a confidential client for the password grant (and
// refresh tokens) and a user, and returns the client and the user's ID.
func pwSetup(t *testing.T, ts *testServer) (registeredClient, string) {
	t.Helper()
	c := ts.registerClient(t, map[string]any{
		"token_endpoint_auth_method": "client_secret_basic", "scope": "profile",
		"grant_types": []string{oauth.GrantPassword, oauth.GrantRefreshToken},
	})
	res := ts.admin(t, http.MethodPost, "/admin/users", map[string]any{"username": "alice", "password": "correct horse", "claims": map[string]any{"given_name": "Alice"}})
	body := readBody(t, res)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("POST /admin/users = %d %s; want 201", res.StatusCode, body)
	}
	var u struct{ ID, Username, Password string }
	if err := json.Unmarshal(body, &u); err != nil || u.ID == "" || u.Password != "" {
		t.Fatalf("user = %s; want an id and no password", body)
	}
	return c, u.ID
}

func (ts *testServer) signIn(t testing.TB, c registeredClient, w *wallet, username, password string) *http.Response {
	t.Helper()
	form := url.Values{"grant_type": {oauth.GrantPassword}, "username": {username}, "password": {password}}
	proof := proofAt(t, w, http.MethodPost, ts.TokenURL(), ts.Clock.Now())
	return ts.post(t, "/token", form, map[string][]string{"Authorization": {basicAuth(c.ID, c.Secret)}, "DPoP": {proof}})
}
