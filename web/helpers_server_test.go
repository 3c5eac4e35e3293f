package web_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"issuer/issuer"
	"issuer/issuer/authz"
	"issuer/issuer/oauth"
	"issuer/issuer/testclock"
	"issuer/storage"
	"issuer/storage/memory"
	"issuer/web"
)

const (
	adminToken = "test-admin-token"
	preAuth    = oauth.GrantPreAuthorizedCode
	pidConfig  = "eu.europa.ec.eudi.pid_vc_sd_jwt"
	mdlConfig  = "eu.europa.ec.eudi.pid_mso_mdoc"
)

// testServer is a running token service over the in-memory store.
type testServer struct {
	*httptest.Server
	Svc   *issuer.Service
	Store storage.Store
	Clock *testclock.Clock
}

// newTestServer starts a server whose public URL is the httptest URL. Each
// option may change the configuration before the service is built.
func newTestServer(t testing.TB, opts ...func(*issuer.Config)) *testServer {
	t.Helper()
	return newTestServerOn(t, memory.New(), opts...)
}

// newTestServerOn is newTestServer on the given store.
func newTestServerOn(t testing.TB, store storage.Store, opts ...func(*issuer.Config)) *testServer {
	t.Helper()
	clock := testclock.New(time.Now().Truncate(time.Second))
	ts := &testServer{Store: store, Clock: clock}
	// The URL is only known once the listener exists: start unstarted.
	var h http.Handler
	ts.Server = httptest.NewUnstartedServer(schemaChecked(t, "", func() http.Handler { return h }))
	ts.Start()
	t.Cleanup(ts.Close)
	cfg := issuer.Defaults()
	cfg.URL = ts.URL
	cfg.Now = clock.Now
	cfg.PasswordHashing = cheapHashing
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

func readBody(t testing.TB, res *http.Response) []byte {
	t.Helper()
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
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

// lockedBuffer is a log sink safe for concurrent writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// newCustomServer starts a server whose public URL is the listener URL plus
// path (e.g. "/tenant1"), with the given admin token ("" disables the
// admin API). It is built by hand, as newTestServer fixes the URL.
func newCustomServer(t *testing.T, path, admin string) *testServer {
	t.Helper()
	clock := testclock.New(time.Now().Truncate(time.Second))
	ts := &testServer{Store: memory.New(), Clock: clock}
	var h http.Handler
	ts.Server = httptest.NewServer(schemaChecked(t, path, func() http.Handler { return h }))
	t.Cleanup(ts.Close)
	cfg := issuer.Defaults()
	cfg.URL = ts.Server.URL + path
	cfg.Now = clock.Now
	cfg.PasswordHashing = cheapHashing
	svc, err := issuer.New(t.Context(), cfg, ts.Store, nil)
	if err != nil {
		t.Fatalf("issuer.New() = %v", err)
	}
	ts.Svc = svc
	h = web.New(svc, web.Options{AdminToken: admin})
	return ts
}

// getJSON fetches url and decodes a 200 application/json object.
func getJSON(t testing.TB, target string) (map[string]any, *http.Response) {
	t.Helper()
	res := sendRaw(t, http.MethodGet, target, "", nil, nil)
	body := readBody(t, res)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d %s; want 200", target, res.StatusCode, body)
	}
	if mt, _, err := mime.ParseMediaType(res.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		t.Errorf("GET %s Content-Type = %q; want application/json", target, res.Header.Get("Content-Type"))
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("GET %s body %s: %v", target, body, err)
	}
	return m, res
}

// strings of a JSON array member.
func stringList(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, e := range list {
		s, _ := e.(string)
		out = append(out, s)
	}
	return out
}

// get fetches u and closes the body.
func (ts *testServer) get(t testing.TB, u string) *http.Response {
	t.Helper()
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	readBody(t, res)
	return res
}

// sendRaw sends a request with exactly the given body, content type (none
// when "") and extra headers.
func sendRaw(t testing.TB, method, target, contentType string, body io.Reader, hdr http.Header) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range hdr {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	return res
}

// cheapHashing is the test servers' password hashing: argon2id at 64 KiB
// and one pass instead of the OWASP minimum (19 MiB, two passes), which
// under -race costs a test that signs in ~0.5 s a password.
var cheapHashing = authz.PasswordHashing{MemoryKiB: 64, Passes: 1}
