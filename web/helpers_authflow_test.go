package web_test

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"issuer/issuer"
	"issuer/issuer/oauth"
)

// Shared helpers of the authorization code flow tests: a user, a public
// wallet client, PKCE, PAR, a cookie-keeping browser that signs in through
// the HTML forms, and the code exchange.

const (
	afRedirect = "https://wallet.example/cb"
	afUser     = "alice"
	afPassword = "correct horse battery staple"
)

// afSetup is a server with a user and a public client registered for the
// authorization code flow.
type afSetup struct {
	*testServer
	ClientID string
	UserID   string
}

// newAuthFlow starts a server with user alice (claims given_name Alice)
// and the public client "wallet" (none; authorization_code and
// refresh_token; redirect URI afRedirect).
func newAuthFlow(t testing.TB, opts ...func(*issuer.Config)) *afSetup {
	t.Helper()
	ts := newTestServer(t, opts...)
	s := &afSetup{testServer: ts, ClientID: "wallet"}
	s.UserID = ts.afCreateUser(t, afUser, afPassword, map[string]any{"given_name": "Alice"})
	ts.afCreateClient(t, map[string]any{
		"client_id": s.ClientID, "token_endpoint_auth_method": "none",
		"grant_types": []string{"authorization_code", "refresh_token"}, "redirect_uris": []string{afRedirect},
	})
	return s
}

// afCreateUser registers a user through the admin API and returns its ID.
func (ts *testServer) afCreateUser(t testing.TB, username, password string, claims map[string]any) string {
	t.Helper()
	res := ts.admin(t, http.MethodPost, "/admin/users", map[string]any{"username": username, "password": password, "claims": claims})
	body := readBody(t, res)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("POST /admin/users = %d %s", res.StatusCode, body)
	}
	var u struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(body, &u); err != nil || u.ID == "" {
		t.Fatalf("user response %s: %v", body, err)
	}
	return u.ID
}

// afCreateClient registers a client through the admin API and returns the
// registration (with client_secret when one was generated).
func (ts *testServer) afCreateClient(t testing.TB, m map[string]any) map[string]any {
	t.Helper()
	res := ts.admin(t, http.MethodPost, "/admin/clients", m)
	body := readBody(t, res)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("POST /admin/clients = %d %s", res.StatusCode, body)
	}
	var out map[string]any
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// afPKCE is a PKCE verifier and its S256 challenge.
type afPKCE struct{ Verifier, Challenge string }

func newPKCE(t testing.TB) afPKCE {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	v := base64.RawURLEncoding.EncodeToString(b)
	sum := sha256.Sum256([]byte(v))
	return afPKCE{Verifier: v, Challenge: base64.RawURLEncoding.EncodeToString(sum[:])}
}

// afParams is a valid authorization request of clientID for the PID
// credential scope, with state; extra values replace or add parameters
// (an empty value removes one).
func afParams(clientID string, pk afPKCE, extra url.Values) url.Values {
	v := url.Values{
		"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {afRedirect},
		"code_challenge": {pk.Challenge}, "code_challenge_method": {"S256"},
		"scope": {pidConfig}, "state": {"state-123"},
	}
	for k, vs := range extra {
		if len(vs) == 1 && vs[0] == "" {
			delete(v, k)
			continue
		}
		v[k] = vs
	}
	return v
}

// afPush posts a pushed authorization request.
func (ts *testServer) afPush(t testing.TB, form url.Values, headers map[string][]string) *http.Response {
	t.Helper()
	return ts.post(t, "/par", form, headers)
}

// afPushOK pushes and returns the request_uri, failing unless 201.
func (ts *testServer) afPushOK(t testing.TB, form url.Values, headers map[string][]string) string {
	t.Helper()
	res := ts.afPush(t, form, headers)
	body := readBody(t, res)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("POST /par = %d %s; want 201", res.StatusCode, body)
	}
	var out struct {
		RequestURI string `json:"request_uri"`
		ExpiresIn  int64  `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &out); err != nil || out.RequestURI == "" {
		t.Fatalf("PAR response %s: %v", body, err)
	}
	return out.RequestURI
}

// afBrowser keeps cookies and does not follow redirects.
type afBrowser struct{ *http.Client }

func newBrowser(t testing.TB) *afBrowser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &afBrowser{&http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *afBrowser) get(t testing.TB, u string) *http.Response {
	t.Helper()
	res, err := b.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func (b *afBrowser) postForm(t testing.TB, u string, form url.Values) *http.Response {
	t.Helper()
	res, err := b.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

var csrfRE = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// afCSRF extracts the CSRF token of a login or consent page.
func afCSRF(t testing.TB, page []byte) string {
	t.Helper()
	m := csrfRE.FindSubmatch(page)
	if m == nil {
		t.Fatalf("no csrf_token in page:\n%s", page)
	}
	return string(m[1])
}

// afSignIn opens /authorize with query in b, signs in as username, then
// approves or denies, and returns the redirect Location. It fails on any
// unexpected status.
func (ts *testServer) afSignIn(t testing.TB, b *afBrowser, query url.Values, username, password string, approve bool) *url.URL {
	t.Helper()
	res := b.get(t, ts.URL+"/authorize?"+query.Encode())
	page := readBody(t, res)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /authorize = %d %s; want the login page", res.StatusCode, page)
	}
	csrf := afCSRF(t, page)
	res = b.postForm(t, ts.URL+"/authorize/login", url.Values{"csrf_token": {csrf}, "username": {username}, "password": {password}})
	page = readBody(t, res)
	if res.StatusCode != http.StatusOK || !strings.Contains(string(page), `value="approve"`) {
		t.Fatalf("POST /authorize/login = %d %s; want the consent page", res.StatusCode, page)
	}
	decision := "deny"
	if approve {
		decision = "approve"
	}
	res = b.postForm(t, ts.URL+"/authorize/consent", url.Values{"csrf_token": {afCSRF(t, page)}, "decision": {decision}})
	readBody(t, res)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST /authorize/consent = %d; want 303", res.StatusCode)
	}
	loc, err := url.Parse(res.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// afCode runs PAR (form, headers) and the sign-in as alice with approval,
// and returns the authorization code.
func (s *afSetup) afCode(t testing.TB, form url.Values, headers map[string][]string) string {
	t.Helper()
	uri := s.afPushOK(t, form, headers)
	loc := s.afSignIn(t, newBrowser(t), url.Values{"client_id": {form.Get("client_id")}, "request_uri": {uri}}, afUser, afPassword, true)
	c := loc.Query().Get("code")
	if c == "" {
		t.Fatalf("redirect %s has no code", loc)
	}
	return c
}

// afExchange redeems an authorization code at /token with a DPoP proof
// ("" for none); extra values replace or add parameters (an empty value
// removes one).
func (ts *testServer) afExchange(t testing.TB, clientID, code, verifier, proof string, extra url.Values) *http.Response {
	t.Helper()
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {afRedirect}, "code_verifier": {verifier}, "client_id": {clientID}}
	for k, vs := range extra {
		if len(vs) == 1 && vs[0] == "" {
			delete(form, k)
			continue
		}
		form[k] = vs
	}
	h := map[string][]string{}
	if proof != "" {
		h["DPoP"] = []string{proof}
	}
	return ts.post(t, "/token", form, h)
}

// TestAuthFlowHelpers runs the helpers once end to end.
func TestAuthFlowHelpers(t *testing.T) {
	s := newAuthFlow(t)
	pk, w := newPKCE(t), newWallet(t)
	c := s.afCode(t, afParams(s.ClientID, pk, nil), nil)
	tb := wantToken(t, s.afExchange(t, s.ClientID, c, pk.Verifier, w.Proof(t, s.TokenURL(), ""), nil))
	if tb.TokenType != "DPoP" || len(tb.AuthorizationDetails) != 1 {
		t.Fatalf("token = %+v; want a DPoP token for one credential", tb)
	}
}

const (
	// acNonce is an OpenID nonce with unusual but valid characters: it
	// must come back in the ID token byte for byte (OIDC-04).
	acNonce = `n-0S6_WzA2Mj ~.+/=%&?#;é☃😀"quoted"'<tag>\x`
	acScope = "openid " + pidConfig
)

// acToken is a token response of the authorization code grant with every
// member kept, to tell absent from empty.
type acToken struct {
	AccessToken          string                      `json:"access_token"`
	TokenType            string                      `json:"token_type"`
	ExpiresIn            int64                       `json:"expires_in"`
	Scope                string                      `json:"scope"`
	RefreshToken         string                      `json:"refresh_token"`
	IDToken              string                      `json:"id_token"`
	CNonce               string                      `json:"c_nonce"`
	CNonceExpiresIn      int64                       `json:"c_nonce_expires_in"`
	AuthorizationDetails []oauth.AuthorizationDetail `json:"authorization_details"`
	members              map[string]json.RawMessage
	raw                  []byte
}

// has reports whether the response has the member name.
func (b acToken) has(name string) bool {
	_, ok := b.members[name]
	return ok
}

// acWantToken asserts a 200 JSON token response with Cache-Control
// no-store and Pragma no-cache (OIDC-17) and decodes it.
func acWantToken(t testing.TB, res *http.Response) acToken {
	t.Helper()
	body := readBody(t, res)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("token response = %d %s; want 200", res.StatusCode, body)
	}
	if res.Header.Get("Cache-Control") != "no-store" || res.Header.Get("Pragma") != "no-cache" {
		t.Errorf("cache headers = %q, %q; want no-store, no-cache", res.Header.Get("Cache-Control"), res.Header.Get("Pragma"))
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q; want application/json", ct)
	}
	var b acToken
	if err := json.Unmarshal(body, &b); err != nil {
		t.Fatalf("token response %s: %v", body, err)
	}
	if err := json.Unmarshal(body, &b.members); err != nil {
		t.Fatal(err)
	}
	b.raw = body
	return b
}

// acGrant is an authorization code with the PKCE pair it was issued for.
type acGrant struct {
	Code string
	PKCE afPKCE
}

// acNewCode pushes afParams (with extra) for a new PKCE pair and the given
// PAR headers, signs in as alice and approves.
func (s *afSetup) acNewCode(t testing.TB, extra url.Values, headers map[string][]string) acGrant {
	t.Helper()
	pk := newPKCE(t)
	return acGrant{Code: s.afCode(t, afParams(s.ClientID, pk, extra), headers), PKCE: pk}
}

// acRedeem exchanges g as the setup's public client with a fresh proof of
// w and asserts a 200 DPoP token bound to w.
func (s *afSetup) acRedeem(t testing.TB, g acGrant, w *wallet) acToken {
	t.Helper()
	b := acWantToken(t, s.afExchange(t, s.ClientID, g.Code, g.PKCE.Verifier, s.freshProof(t, w), nil))
	if b.TokenType != "DPoP" {
		t.Errorf("token_type = %q; want DPoP", b.TokenType)
	}
	if got := rfJKT(t, b.AccessToken); got != w.JKT {
		t.Errorf("cnf.jkt = %q; want %q", got, w.JKT)
	}
	return b
}

// acAtHash is OIDC's at_hash of an ES256 ID token: base64url of the left
// half of SHA-256 over the access token.
func acAtHash(accessToken string) string {
	sum := sha256.Sum256([]byte(accessToken))
	return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
}
