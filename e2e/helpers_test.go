package e2e

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"issuer/dpop"
	"issuer/issuer"
	"issuer/issuer/authz"
	"issuer/storage/memory"
	"issuer/web"
)

const (
	adminToken = "e2e-admin-token"
	pidConfig  = "eu.europa.ec.eudi.pid_vc_sd_jwt"
	pidName    = "Person Identification Data"
	clientID   = "e2e-wallet"
	username   = "alice"
	password   = "correct horse battery staple"
	givenName  = "Alice"

	// browserTimeout bounds everything one test does in the browser,
	// Chromium's start included: a hang fails the test instead of blocking
	// the suite. Generous, for Chromium next to a -race build on 2 cores.
	browserTimeout = 90 * time.Second
	// httpTimeout bounds each request the wallet sends.
	httpTimeout = 30 * time.Second
)

// installHint says how to get a browser for these tests.
const installHint = "install Debian's Chromium with `apt-get install -y chromium` " +
	"(or point ISSUER_CHROME at a Chromium or Chrome binary); " +
	"set ISSUER_SKIP_BROWSER_TESTS=1 to skip the browser tests instead"

// findBrowser returns the browser to drive: $ISSUER_CHROME when set, else
// the first of chromium, chromium-browser and google-chrome on PATH.
func findBrowser() (string, error) {
	if p := os.Getenv("ISSUER_CHROME"); p != "" {
		path, err := exec.LookPath(p)
		if err != nil {
			return "", fmt.Errorf("ISSUER_CHROME=%q is not an executable: %v", p, err)
		}
		return path, nil
	}
	names := []string{"chromium", "chromium-browser", "google-chrome"}
	for _, name := range names {
		if path, err := exec.LookPath(name); err == nil {
			return path, nil
		}
	}
	return "", fmt.Errorf("none of %s is on PATH", strings.Join(names, ", "))
}

// requireBrowser returns the browser's path. Without one the test fails
// with how to install it, or skips when ISSUER_SKIP_BROWSER_TESTS=1: never
// silently.
func requireBrowser(t *testing.T) string {
	t.Helper()
	path, err := findBrowser()
	if err == nil {
		return path
	}
	if os.Getenv("ISSUER_SKIP_BROWSER_TESTS") == "1" {
		t.Skipf("skipping the browser test because ISSUER_SKIP_BROWSER_TESTS=1 and no browser was found: %v", err)
	}
	t.Fatalf("no browser for this test: %v.\nTo run it, %s.", err, installHint)
	return ""
}

// lockedBuffer collects Chromium's output and chromedp's log lines, which
// arrive from other goroutines, possibly after the test ended.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) logf(format string, args ...any) {
	fmt.Fprintf(b, "chromedp: "+format+"\n", args...)
}

// tail is the last n bytes of the output, without the lines about D-Bus,
// which a machine without a session bus fills the output with.
func (b *lockedBuffer) tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var keep []string
	for _, line := range strings.Split(b.buf.String(), "\n") {
		if !strings.Contains(line, ":ERROR:dbus/") {
			keep = append(keep, line)
		}
	}
	s := strings.Join(keep, "\n")
	if len(s) > n {
		s = "…" + s[len(s)-n:]
	}
	return s
}

// browser is a headless Chromium's tab.
type browser struct {
	// ctx runs the test's steps: it ends browserTimeout after the start.
	ctx context.Context
	// tab outlives ctx, so that a failed step can still show the page.
	tab context.Context
}

// newBrowser starts a headless Chromium with a fresh profile. The browser
// is closed (and its process waited for) when the test ends; on failure
// its output is logged.
func newBrowser(t *testing.T) *browser {
	t.Helper()
	exe := requireBrowser(t)
	out := &lockedBuffer{}
	// Cleanups run last-in first-out: the browser closes (gracefully, or
	// else killed), then its profile is removed, then on failure its
	// output is logged.
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("browser %s output (tail, without D-Bus noise):\n%s", exe, out.tail(6<<10))
		}
	})
	profile := t.TempDir()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.UserDataDir(profile),
		// As on this project's machines (root, no GPU, no network but
		// loopback): no sandbox, and none of the background connections
		// to Google's services that a closed network refuses.
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.CombinedOutput(out),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc) // kills Chromium and waits for it
	tab, cancelTab := chromedp.NewContext(allocCtx, chromedp.WithLogf(out.logf), chromedp.WithErrorf(out.logf))
	t.Cleanup(func() {
		// Close the browser gracefully, so that it removes its files in
		// the temporary directory; a browser killed by cancelAlloc leaves
		// them behind.
		ctx, cancel := context.WithTimeout(tab, 10*time.Second)
		defer cancel()
		if err := chromedp.Cancel(ctx); err != nil {
			out.logf("closing the browser: %v", err)
		}
		cancelTab()
	})

	// The first Run starts the browser and binds its life to the tab's
	// context; a start that hangs is cut off by canceling that context.
	start := time.Now()
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(tab) }()
	select {
	case err := <-started:
		if err != nil {
			t.Fatalf("starting %s: %v", exe, err)
		}
	case <-time.After(browserTimeout):
		cancelTab()
		<-started
		t.Fatalf("%s did not start within %v", exe, browserTimeout)
	}
	t.Logf("started %s in %v", exe, time.Since(start).Round(time.Millisecond))
	ctx, cancel := context.WithTimeout(tab, browserTimeout)
	t.Cleanup(cancel)
	return &browser{ctx: ctx, tab: tab}
}

// do runs browser steps and fails the test with what the browser shows
// when one of them fails.
func (b *browser) do(t *testing.T, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		t.Fatalf("browser: %s: %v%s", what, err, b.state())
	}
}

// run runs one browser action that returns a value, like browser.do.
func run[T any](t *testing.T, b *browser, what string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(b.ctx, a)
	if err != nil {
		t.Fatalf("browser: %s: %v%s", what, err, b.state())
	}
	return v
}

// state describes the page the browser is on, for failure messages.
func (b *browser) state() string {
	ctx, cancel := context.WithTimeout(b.tab, 5*time.Second)
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return fmt.Sprintf(" (the page cannot be read: %v)", err)
	}
	text, _ := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS("body")))
	if len(text) > 2000 {
		text = text[:2000] + "…"
	}
	return fmt.Sprintf("\nthe browser is on %s, showing:\n%s", loc, strings.TrimSpace(text))
}

// service is the issuer's real HTTP handler (issuer.New + web.New, as the
// binary serves it) on httptest, with the memory store; its public URL is
// the server's URL.
type service struct {
	*httptest.Server
	client *http.Client
}

func startService(t *testing.T) *service {
	t.Helper()
	var h http.Handler
	// The URL is only known once the listener exists: the handler is set
	// after the start.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	cfg := issuer.Defaults()
	cfg.URL = srv.URL
	cfg.Display = []map[string]any{{"name": "Demo PID Issuer", "locale": "en"}} // named on its pages
	cfg.PasswordHashing = authz.PasswordHashing{MemoryKiB: 64, Passes: 1}       // tests only: cheap hashes
	svc, err := issuer.New(t.Context(), cfg, memory.New(), nil)
	if err != nil {
		t.Fatalf("issuer.New() = %v", err)
	}
	h = web.New(svc, web.Options{AdminToken: adminToken})
	return &service{Server: srv, client: &http.Client{Timeout: httpTimeout}}
}

// do sends a request and returns the status, headers and body.
func (s *service) do(t *testing.T, req *http.Request) (int, http.Header, []byte) {
	t.Helper()
	res, err := s.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", req.Method, req.URL.Path, err)
	}
	return res.StatusCode, res.Header, body
}

// admin posts a JSON body to the admin API, wants 201, and decodes the
// response into out.
func (s *service) admin(t *testing.T, path string, in, out any) {
	t.Helper()
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, s.URL+path, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Type", "application/json")
	status, _, body := s.do(t, req)
	if status != http.StatusCreated {
		t.Fatalf("POST %s = %d %s; want 201", path, status, body)
	}
	if err := json.Unmarshal(body, out); err != nil {
		t.Fatalf("POST %s: %s: %v", path, body, err)
	}
}

// postForm posts a form with the given headers.
func (s *service) postForm(t *testing.T, path string, form url.Values, header http.Header) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return s.do(t, req)
}

// callback is the wallet's redirect URI: a page on a second server that
// records the query of each request it gets.
type callback struct {
	*httptest.Server
	mu  sync.Mutex
	got []url.Values
}

const callbackPath = "/wallet/callback"

func startCallback(t *testing.T) *callback {
	t.Helper()
	cb := &callback{}
	cb.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != callbackPath { // e.g. /favicon.ico
			http.NotFound(w, r)
			return
		}
		cb.mu.Lock()
		cb.got = append(cb.got, r.URL.Query())
		cb.mu.Unlock()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, `<!doctype html><html lang="en"><head><title>Wallet</title></head>`+
			`<body><p id="wallet-callback">The wallet got the response.</p></body></html>`)
	}))
	t.Cleanup(cb.Close)
	return cb
}

// URI is the registered redirect URI.
func (cb *callback) URI() string { return cb.URL + callbackPath }

// received returns the queries the callback got so far.
func (cb *callback) received() []url.Values {
	cb.mu.Lock()
	defer cb.mu.Unlock()
	return append([]url.Values(nil), cb.got...)
}

// setup is a running service with user alice, the public wallet client
// whose redirect URI is the callback, and an authorization code offer of
// the PID for alice.
type setup struct {
	svc         *service
	cb          *callback
	userID      string
	issuerState string
}

func newSetup(t *testing.T) *setup {
	t.Helper()
	s := &setup{svc: startService(t), cb: startCallback(t)}

	var user struct {
		ID       string `json:"id"`
		Username string `json:"username"`
	}
	s.svc.admin(t, "/admin/users", map[string]any{
		"username": username, "password": password,
		"claims": map[string]any{"given_name": givenName, "family_name": "Liddell"},
	}, &user)
	if user.ID == "" || user.Username != username {
		t.Fatalf("created user = %+v; want an ID and username %s", user, username)
	}
	s.userID = user.ID

	var client struct {
		ClientID string `json:"client_id"`
	}
	s.svc.admin(t, "/admin/clients", map[string]any{
		"client_id": clientID, "client_name": "Demo Wallet", "token_endpoint_auth_method": "none",
		"grant_types": []string{"authorization_code", "refresh_token"}, "redirect_uris": []string{s.cb.URI()},
	}, &client)
	if client.ClientID != clientID {
		t.Fatalf("created client_id = %q; want %q", client.ClientID, clientID)
	}

	var offer struct {
		CredentialOffer struct {
			Grants struct {
				AuthorizationCode struct {
					IssuerState string `json:"issuer_state"`
				} `json:"authorization_code"`
			} `json:"grants"`
		} `json:"credential_offer"`
	}
	s.svc.admin(t, "/admin/offers", map[string]any{
		"credential_configuration_ids": []string{pidConfig}, "subject": username,
		"grants": []string{"authorization_code"},
	}, &offer)
	s.issuerState = offer.CredentialOffer.Grants.AuthorizationCode.IssuerState
	if s.issuerState == "" {
		t.Fatalf("the offer has no grants.authorization_code.issuer_state")
	}
	return s
}

// wallet is the Go side of the flow: its DPoP key, PKCE verifier, state
// and nonce.
type wallet struct {
	key       *ecdsa.PrivateKey
	verifier  string
	challenge string
	state     string
	nonce     string
}

func newWallet(t *testing.T) *wallet {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	w := &wallet{key: key, verifier: random(t), state: random(t), nonce: random(t)}
	sum := sha256.Sum256([]byte(w.verifier))
	w.challenge = base64.RawURLEncoding.EncodeToString(sum[:])
	return w
}

// random is 32 random bytes, base64url: 43 characters.
func random(t *testing.T) string {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// proof signs a DPoP proof for method and URL, with ath when accessToken
// is not empty.
func (w *wallet) proof(t *testing.T, method, u, accessToken string) string {
	t.Helper()
	p, err := dpop.Sign(w.key, "ES256", dpop.Claims{Method: method, URL: u, AccessToken: accessToken})
	if err != nil {
		t.Fatalf("dpop.Sign: %v", err)
	}
	return p
}

// push sends the pushed authorization request (with a DPoP proof, which
// binds the code to the wallet's key) and returns its request_uri.
func (w *wallet) push(t *testing.T, s *setup) string {
	t.Helper()
	form := url.Values{
		"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {s.cb.URI()},
		"code_challenge": {w.challenge}, "code_challenge_method": {"S256"},
		"scope": {"openid"}, "issuer_state": {s.issuerState}, "state": {w.state}, "nonce": {w.nonce},
	}
	status, _, body := s.svc.postForm(t, "/par", form, dpopHeader(w.proof(t, http.MethodPost, s.svc.URL+"/par", "")))
	if status != http.StatusCreated {
		t.Fatalf("POST /par = %d %s; want 201", status, body)
	}
	var out struct {
		RequestURI string `json:"request_uri"`
	}
	if err := json.Unmarshal(body, &out); err != nil || out.RequestURI == "" {
		t.Fatalf("PAR response %s: %v", body, err)
	}
	return out.RequestURI
}

// dpopHeader is a header with one DPoP proof.
func dpopHeader(proof string) http.Header {
	h := http.Header{}
	h.Set("DPoP", proof)
	return h
}

// authorizeURL is where the wallet sends the browser.
func (s *setup) authorizeURL(requestURI string) string {
	return s.svc.URL + "/authorize?" + url.Values{"client_id": {clientID}, "request_uri": {requestURI}}.Encode()
}

// errNoCallback is returned by callbackQuery before the browser is there.
var errNoCallback = errors.New("the browser is not on the callback")

// callbackQuery parses the browser's location, which must be the callback
// URL, and returns its query.
func (s *setup) callbackQuery(loc string) (url.Values, error) {
	u, err := url.Parse(loc)
	if err != nil {
		return nil, err
	}
	u2 := *u
	u2.RawQuery, u2.Fragment = "", ""
	if u2.String() != s.cb.URI() {
		return nil, fmt.Errorf("%w: %s", errNoCallback, loc)
	}
	if u.Fragment != "" {
		return nil, fmt.Errorf("the callback URL %s has a fragment; want the response in the query", loc)
	}
	return u.Query(), nil
}
