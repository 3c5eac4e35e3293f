package e2e

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
	"github.com/lestrrat-go/jwx/v2/jwt"
)

// TestBrowserAuthorizationCodeFlow runs the authorization code flow with a
// real browser: the wallet (Go) pushes the request with PKCE and DPoP,
// Chromium signs in as alice and allows access, the issuer redirects it to
// the wallet's callback, and the wallet redeems the code with a DPoP proof,
// verifies the ID token against /jwks and calls /userinfo.
func TestBrowserAuthorizationCodeFlow(t *testing.T) {
	b := newBrowser(t)
	s := newSetup(t)
	w := newWallet(t)
	requestURI := w.push(t, s)

	// The login page lists what the wallet asks for.
	b.do(t, "set the viewport", chromedp.EmulateViewport(shotWidth, shotHeight))
	start := time.Now()
	res := run(t, b, "open /authorize", chromedp.NavigateResponse(s.authorizeURL(requestURI)))
	if res.Status != http.StatusOK {
		t.Fatalf("GET /authorize = %d; want 200 with the login page%s", res.Status, b.state())
	}
	if access := run(t, b, "read the login page's access list", chromedp.Text(chromedp.ID("access"))); !strings.Contains(access, pidName) {
		t.Errorf("the login page asks for %q; want %q in it", access, pidName)
	}
	if client := run(t, b, "read the login page's client", chromedp.Text(chromedp.ID("client"))); client != clientID {
		t.Errorf("the login page names client %q; want %q", client, clientID)
	}
	screenshot(t, b, "sign-in")

	// Sign in: the consent page shows the user.
	b.do(t, "sign in",
		chromedp.SendKeys(chromedp.ID("username"), username),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.ID("sign-in")),
		chromedp.WaitVisible(chromedp.ID("user")),
	)
	if user := run(t, b, "read the consent page's user", chromedp.Text(chromedp.ID("user"))); user != username {
		t.Errorf("the consent page is signed in as %q; want %q", user, username)
	}
	if access := run(t, b, "read the consent page's access list", chromedp.Text(chromedp.ID("access"))); !strings.Contains(access, pidName) {
		t.Errorf("the consent page asks for %q; want %q in it", access, pidName)
	}
	screenshot(t, b, "consent")

	// Allow: the browser lands on the wallet's callback with the code.
	b.do(t, "allow", chromedp.Click(chromedp.ID("approve")), chromedp.WaitVisible(chromedp.ID("wallet-callback")))
	loc := run(t, b, "read the location", chromedp.Location())
	t.Logf("browser part (login page, sign-in, consent, redirect) took %v", time.Since(start).Round(time.Millisecond))
	q, err := s.callbackQuery(loc)
	if err != nil {
		t.Fatal(err)
	}
	code := q.Get("code")
	if len(code) != 43 || q.Get("state") != w.state || q.Get("iss") != s.svc.URL || q.Has("error") {
		t.Fatalf("callback URL %s; want a 43-character code, state %s, iss %s and no error", loc, w.state, s.svc.URL)
	}
	if got := s.cb.received(); len(got) != 1 || got[0].Get("code") != code {
		t.Errorf("the callback server got %v; want one request with the code", got)
	}

	// The wallet redeems the code with a DPoP proof of the key it pushed with.
	form := url.Values{
		"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {s.cb.URI()},
		"code_verifier": {w.verifier}, "client_id": {clientID},
	}
	status, hdr, body := s.svc.postForm(t, "/token", form, dpopHeader(w.proof(t, http.MethodPost, s.svc.URL+"/token", "")))
	if status != http.StatusOK {
		t.Fatalf("POST /token = %d %s; want 200", status, body)
	}
	if cc := hdr.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("token response Cache-Control = %q; want no-store", cc)
	}
	var tok struct {
		AccessToken          string `json:"access_token"`
		TokenType            string `json:"token_type"`
		RefreshToken         string `json:"refresh_token"`
		IDToken              string `json:"id_token"`
		AuthorizationDetails []struct {
			Type                      string   `json:"type"`
			CredentialConfigurationID string   `json:"credential_configuration_id"`
			CredentialIdentifiers     []string `json:"credential_identifiers"`
		} `json:"authorization_details"`
	}
	if err := json.Unmarshal(body, &tok); err != nil {
		t.Fatalf("token response %s: %v", body, err)
	}
	if tok.TokenType != "DPoP" || tok.AccessToken == "" || tok.IDToken == "" || tok.RefreshToken == "" {
		t.Fatalf("token response %s; want token_type DPoP with an access, a refresh and an ID token", body)
	}
	if len(tok.AuthorizationDetails) != 1 || tok.AuthorizationDetails[0].Type != "openid_credential" ||
		tok.AuthorizationDetails[0].CredentialConfigurationID != pidConfig || len(tok.AuthorizationDetails[0].CredentialIdentifiers) == 0 {
		t.Errorf("authorization_details = %+v; want the offer's PID with credential identifiers", tok.AuthorizationDetails)
	}

	verifyIDToken(t, s, w, tok.IDToken, tok.AccessToken)

	// UserInfo with the DPoP-bound access token and a proof with ath.
	req, err := http.NewRequest(http.MethodGet, s.svc.URL+"/userinfo", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "DPoP "+tok.AccessToken)
	req.Header.Set("DPoP", w.proof(t, http.MethodGet, s.svc.URL+"/userinfo", tok.AccessToken))
	status, _, body = s.svc.do(t, req)
	if status != http.StatusOK {
		t.Fatalf("GET /userinfo = %d %s; want 200", status, body)
	}
	var info map[string]any
	if err := json.Unmarshal(body, &info); err != nil {
		t.Fatalf("userinfo %s: %v", body, err)
	}
	if info["sub"] != s.userID || info["given_name"] != givenName {
		t.Errorf("userinfo = %s; want sub %s and given_name %s", body, s.userID, givenName)
	}
}

// verifyIDToken checks the ID token as a relying party would: signature
// by a key of /jwks, iss, aud, expiry, then sub, nonce and at_hash.
func verifyIDToken(t *testing.T, s *setup, w *wallet, idToken, accessToken string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.svc.URL+"/jwks", nil)
	if err != nil {
		t.Fatal(err)
	}
	status, _, body := s.svc.do(t, req)
	if status != http.StatusOK {
		t.Fatalf("GET /jwks = %d %s; want 200", status, body)
	}
	set, err := jwk.Parse(body)
	if err != nil {
		t.Fatalf("jwk.Parse(/jwks) = %v", err)
	}
	tok, err := jwt.Parse([]byte(idToken), jwt.WithKeySet(set), jwt.WithValidate(true),
		jwt.WithIssuer(s.svc.URL), jwt.WithAudience(clientID))
	if err != nil {
		t.Fatalf("jwt.Parse(id_token) = %v; want a valid ID token signed by a key of /jwks", err)
	}
	msg, err := jws.Parse([]byte(idToken))
	if err != nil {
		t.Fatal(err)
	}
	if h := msg.Signatures()[0].ProtectedHeaders(); h.Algorithm() != jwa.ES256 || h.Type() != "JWT" {
		t.Errorf("ID token header alg %s, typ %q; want ES256, JWT", h.Algorithm(), h.Type())
	}
	if tok.Subject() != s.userID {
		t.Errorf("ID token sub = %q; want the user ID %q", tok.Subject(), s.userID)
	}
	if aud := tok.Audience(); !slices.Equal(aud, []string{clientID}) {
		t.Errorf("ID token aud = %v; want [%s]", aud, clientID)
	}
	if nonce, _ := tok.Get("nonce"); nonce != w.nonce {
		t.Errorf("ID token nonce = %v; want %s", nonce, w.nonce)
	}
	sum := sha256.Sum256([]byte(accessToken))
	if atHash, _ := tok.Get("at_hash"); atHash != base64.RawURLEncoding.EncodeToString(sum[:16]) {
		t.Errorf("ID token at_hash = %v; want the base64url left half of SHA-256(access_token)", atHash)
	}
	if _, ok := tok.Get("auth_time"); !ok {
		t.Errorf("ID token has no auth_time")
	}
}

// TestBrowserWrongPasswordAndDeny: a wrong password shows the login page
// again with the error; after signing in, Deny sends the browser to the
// callback with error=access_denied, state and iss, and no code.
func TestBrowserWrongPasswordAndDeny(t *testing.T) {
	b := newBrowser(t)
	s := newSetup(t)
	w := newWallet(t)
	requestURI := w.push(t, s)

	b.do(t, "open /authorize and sign in with a wrong password",
		chromedp.Navigate(s.authorizeURL(requestURI)),
		chromedp.SendKeys(chromedp.ID("username"), username),
		chromedp.SendKeys(chromedp.ID("password"), "wrong "+password),
		chromedp.Click(chromedp.ID("sign-in")),
		chromedp.WaitVisible(chromedp.ID("error")),
	)
	if msg := run(t, b, "read the error", chromedp.Text(chromedp.ID("error"))); !strings.Contains(msg, "the username or password is invalid") {
		t.Errorf("error shown = %q; want it to say the username or password is invalid", msg)
	}
	if loc := run(t, b, "read the location", chromedp.Location()); !strings.HasPrefix(loc, s.svc.URL+"/authorize") {
		t.Errorf("after a wrong password the browser is on %s; want the issuer's sign-in page", loc)
	}

	// The login page shown again takes the right password; then deny.
	b.do(t, "sign in",
		chromedp.SendKeys(chromedp.ID("username"), username),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.ID("sign-in")),
		chromedp.WaitVisible(chromedp.ID("user")),
	)
	if got := s.cb.received(); len(got) != 0 {
		t.Fatalf("the callback got %v before any decision; want nothing", got)
	}
	b.do(t, "deny", chromedp.Click(chromedp.ID("deny")), chromedp.WaitVisible(chromedp.ID("wallet-callback")))
	loc := run(t, b, "read the location", chromedp.Location())
	q, err := s.callbackQuery(loc)
	if err != nil {
		t.Fatal(err)
	}
	if q.Get("error") != "access_denied" || q.Get("state") != w.state || q.Get("iss") != s.svc.URL || q.Has("code") {
		t.Fatalf("callback URL %s; want error=access_denied, state %s, iss %s and no code", loc, w.state, s.svc.URL)
	}
}
