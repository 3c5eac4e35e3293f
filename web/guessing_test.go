package web_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"

	"issuer/issuer/oauth"
	"issuer/web"
)

// The guessing limits: what they count per (the client's address, behind
// trusted proxies the X-Forwarded-For client) and that concurrent guesses
// cannot slip past them.

const (
	secretFree  = 20 // wrong client secrets free per client and address
	signInFree  = 5  // wrong passwords free per username and origin
	msgSecret   = "bad client credential"
	msgDelayed  = "too many failed authentications; try again later"
	msgPassword = "the username or password is invalid"
)

// tokenPost is a token request, ready to send from any goroutine.
type tokenPost struct {
	base    string
	form    url.Values
	headers map[string]string
}

// send posts it and returns the status and error_description.
func (p tokenPost) send() (int, string, error) {
	req, err := http.NewRequest(http.MethodPost, p.base+"/token", strings.NewReader(p.form.Encode()))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range p.headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, "", err
	}
	var e struct {
		Description string `json:"error_description"`
	}
	_ = json.Unmarshal(body, &e)
	return res.StatusCode, e.Description, nil
}

// sendAll sends the posts at once and counts the answers by description
// ("" for a success).
func sendAll(t *testing.T, posts []tokenPost) map[string]int {
	t.Helper()
	var (
		mu     sync.Mutex
		counts = map[string]int{}
		wg     sync.WaitGroup
		errs   []error
	)
	for _, p := range posts {
		wg.Go(func() {
			status, desc, err := p.send()
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			if status == http.StatusOK {
				desc = ""
			}
			counts[desc]++
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatal(errs[0])
	}
	return counts
}

// ccPost is a client_credentials request of c to the server at base, from
// the X-Forwarded-For client xff ("" for none).
func (ts *testServer) ccPost(t testing.TB, base string, c registeredClient, w *wallet, xff string) tokenPost {
	h := map[string]string{
		"Authorization": basicAuth(c.ID, c.Secret),
		"DPoP":          proofAt(t, w, http.MethodPost, ts.TokenURL(), ts.Clock.Now()),
	}
	if xff != "" {
		h["X-Forwarded-For"] = xff
	}
	return tokenPost{base: base, form: url.Values{"grant_type": {oauth.GrantClientCredentials}}, headers: h}
}

// wantAnswer sends p and checks the answer's status and description.
func wantAnswer(t *testing.T, p tokenPost, status int, desc string) {
	t.Helper()
	got, d, err := p.send()
	if err != nil {
		t.Fatal(err)
	}
	if got != status || status != http.StatusOK && d != desc {
		t.Fatalf("answer = %d %q; want %d %q", got, d, status, desc)
	}
}

// TestTrustedProxies: behind a trusted proxy, the client-secret delay
// counts per X-Forwarded-For client, so a guesser delays only itself, and
// a client cannot pose as another by sending the header itself (the
// right-most address the proxy did not add counts); without trusted
// proxies the header is ignored and the TCP peer counts.
func TestTrustedProxies(t *testing.T) {
	ts := newTestServer(t)
	w := newWallet(t)
	proxied := httptest.NewServer(web.New(ts.Svc, web.Options{
		AdminToken: adminToken, TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
	}))
	t.Cleanup(proxied.Close)
	guess := func(t *testing.T, base string, c registeredClient, xff string) {
		t.Helper()
		wrong := registeredClient{ID: c.ID, Secret: "not-the-secret"}
		for range secretFree {
			wantAnswer(t, ts.ccPost(t, base, wrong, w, xff), http.StatusUnauthorized, msgSecret)
		}
	}

	t.Run("behind a trusted proxy", func(t *testing.T) {
		c := ts.ccClient(t, "client_secret_basic", "read")
		guess(t, proxied.URL, c, "203.0.113.7")
		wantAnswer(t, ts.ccPost(t, proxied.URL, c, w, "203.0.113.7"), http.StatusUnauthorized, msgDelayed)
		wantAnswer(t, ts.ccPost(t, proxied.URL, c, w, "198.51.100.1"), http.StatusOK, "")
		// The guesser sends a header of its own; the proxy appends its address.
		wantAnswer(t, ts.ccPost(t, proxied.URL, c, w, "198.51.100.1, 203.0.113.7"), http.StatusUnauthorized, msgDelayed)
	})
	t.Run("IPv6 clients count per /64", func(t *testing.T) {
		c := ts.ccClient(t, "client_secret_basic", "read")
		guess(t, proxied.URL, c, "2001:db8:1:2::1")
		wantAnswer(t, ts.ccPost(t, proxied.URL, c, w, "2001:db8:1:2::ffff"), http.StatusUnauthorized, msgDelayed)
		wantAnswer(t, ts.ccPost(t, proxied.URL, c, w, "2001:db8:1:3::1"), http.StatusOK, "")
	})
	t.Run("no trusted proxies: the header is ignored", func(t *testing.T) {
		c := ts.ccClient(t, "client_secret_basic", "read")
		guess(t, ts.URL, c, "203.0.113.8")
		wantAnswer(t, ts.ccPost(t, ts.URL, c, w, "198.51.100.2"), http.StatusUnauthorized, msgDelayed)
	})
}

// TestSignInGuessesConcurrent: 32 wrong passwords for one username sent at
// once through one client: no more than the free 5 are checked.
func TestSignInGuessesConcurrent(t *testing.T) {
	ts := newTestServer(t)
	c, _ := pwSetup(t, ts)
	w := newWallet(t)
	var posts []tokenPost
	for range 32 {
		posts = append(posts, tokenPost{base: ts.URL,
			form: url.Values{"grant_type": {oauth.GrantPassword}, "username": {"alice"}, "password": {"wrong"}},
			headers: map[string]string{
				"Authorization": basicAuth(c.ID, c.Secret),
				"DPoP":          proofAt(t, w, http.MethodPost, ts.TokenURL(), ts.Clock.Now()),
			}})
	}
	got := sendAll(t, posts)
	delayed := 0
	for desc, n := range got {
		if strings.HasPrefix(desc, "too many failed sign-ins; try again in") {
			delayed += n
		}
	}
	if got[msgPassword] > signInFree || got[msgPassword]+delayed != 32 {
		t.Fatalf("answers %v; want at most %d %q, the rest delayed", got, signInFree, msgPassword)
	}
}

// TestPasswordGrantPublicClientOrigin: a public client's id is no secret,
// so wrong passwords sent through it from one address delay that address
// only; the user signs in through the same client from elsewhere.
func TestPasswordGrantPublicClientOrigin(t *testing.T) {
	ts := newTestServer(t)
	pwSetup(t, ts)
	c := ts.registerClient(t, map[string]any{
		"client_id": "public-app", "token_endpoint_auth_method": "none", "grant_types": []string{oauth.GrantPassword},
	})
	w := newWallet(t)
	post := func(password string) url.Values {
		return url.Values{"grant_type": {oauth.GrantPassword}, "client_id": {c.ID}, "username": {"alice"}, "password": {password}}
	}
	guesser := &http.Client{Transport: fromAddress("127.0.0.2")}
	for range signInFree + 1 {
		res := ts.postVia(t, guesser, "/token", post("wrong"), map[string][]string{"DPoP": {ts.freshProof(t, w)}})
		wantError(t, res, http.StatusBadRequest, "invalid_grant")
	}
	res := ts.postVia(t, guesser, "/token", post("correct horse"), map[string][]string{"DPoP": {ts.freshProof(t, w)}})
	if e := wantError(t, res, http.StatusBadRequest, "invalid_grant"); !strings.HasPrefix(e.Description, "too many failed sign-ins") {
		t.Fatalf("the guessing address: %q; want it delayed", e.Description)
	}
	wantToken(t, ts.post(t, "/token", post("correct horse"), map[string][]string{"DPoP": {ts.freshProof(t, w)}}))
}
