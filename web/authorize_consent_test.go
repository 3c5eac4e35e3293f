package web_test

import (
	"net/http"
	"net/url"
	"testing"
)

// paCookie returns the sign-in cookie value b holds for ts.
func paCookie(t testing.TB, ts *testServer, b *afBrowser) string {
	t.Helper()
	u, err := url.Parse(ts.URL + "/authorize/consent")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range b.Jar.Cookies(u) {
		if c.Name == "issuer_signin" {
			return c.Value
		}
	}
	t.Fatalf("the browser has no issuer_signin cookie")
	return ""
}

// TestConsentDecision covers the consent step: before login, twice, deny,
// approve, an unknown decision, and the cookie at the end.
func TestConsentDecision(t *testing.T) {
	t.Parallel()
	s := newAuthFlow(t)
	ts := s.testServer
	signedIn := func(t *testing.T, extra url.Values) (*afBrowser, string) {
		t.Helper()
		uri := paPush(t, ts, afParams(s.ClientID, newPKCE(t), extra), nil)
		b := newBrowser(t)
		_, csrf := paLoginPage(t, ts, b, s.ClientID, uri)
		csrf = afCSRF(t, []byte(paWantConsent(t, paLogin(t, ts, b, csrf, afUser, afPassword), afUser))) // the consent form has its own token
		return b, csrf
	}
	t.Run("before login", func(t *testing.T) {
		t.Parallel()
		uri := paPush(t, ts, afParams(s.ClientID, newPKCE(t), nil), nil)
		b := newBrowser(t)
		_, csrf := paLoginPage(t, ts, b, s.ClientID, uri)
		paWantPage(t, paDecide(t, ts, b, csrf, "approve"), http.StatusForbidden, "invalid_request")
		// A failed sign-in does not let the consent through either.
		paWantLoginError(t, paLogin(t, ts, b, csrf, afUser, "wrong"), paBadLogin)
		paWantPage(t, paDecide(t, ts, b, csrf, "approve"), http.StatusForbidden, "invalid_request")
	})
	t.Run("deny", func(t *testing.T) {
		t.Parallel()
		b, csrf := signedIn(t, nil)
		res := paDecide(t, ts, b, csrf, "deny")
		paWantAuthError(t, ts, res, "access_denied", "state-123")
	})
	t.Run("approve", func(t *testing.T) {
		t.Parallel()
		b, csrf := signedIn(t, nil)
		res := paDecide(t, ts, b, csrf, "approve")
		var cleared bool
		for _, c := range res.Cookies() {
			cleared = cleared || c.Name == "issuer_signin" && c.MaxAge < 0 && c.Value == ""
		}
		q := paWantRedirect(t, res, afRedirect)
		if !paToken43RE.MatchString(q.Get("code")) || q.Get("state") != "state-123" || q.Get("iss") != ts.URL || q.Has("error") {
			t.Fatalf("redirect query %v; want code, state and iss", q)
		}
		if !cleared {
			t.Errorf("Set-Cookie %v; want issuer_signin cleared", res.Header["Set-Cookie"])
		}
	})
	t.Run("approve without state", func(t *testing.T) {
		t.Parallel()
		b, csrf := signedIn(t, url.Values{"state": {""}})
		q := paWantRedirect(t, paDecide(t, ts, b, csrf, "approve"), afRedirect)
		if q.Get("code") == "" || q.Has("state") || q.Get("iss") != ts.URL {
			t.Fatalf("redirect query %v; want code and iss, no state", q)
		}
	})
	for _, first := range []string{"approve", "deny"} {
		t.Run("second decision after "+first, func(t *testing.T) {
			t.Parallel()
			b, csrf := signedIn(t, nil)
			cookie := paCookie(t, ts, b)
			paWantRedirect(t, paDecide(t, ts, b, csrf, first), afRedirect)
			paWantPage(t, paDecide(t, ts, b, csrf, "approve"), http.StatusForbidden, "invalid_request")
			// The browser dropped the cleared cookie; a replay of it (a
			// copy, or a browser that ignores the clearing) is refused too.
			paSetCookie(t, ts, b, cookie)
			paWantPage(t, paDecide(t, ts, b, csrf, "approve"), http.StatusForbidden, "invalid_request")
			paWantPage(t, paLogin(t, ts, b, csrf, afUser, afPassword), http.StatusForbidden, "invalid_request")
		})
	}
	t.Run("unknown decision", func(t *testing.T) {
		t.Parallel()
		b, csrf := signedIn(t, nil)
		paWantPage(t, paDecide(t, ts, b, csrf, "maybe"), http.StatusBadRequest, "invalid_request")
		paWantPage(t, paDecide(t, ts, b, csrf, ""), http.StatusBadRequest, "invalid_request")
		// Still undecided.
		paWantAuthError(t, ts, paDecide(t, ts, b, csrf, "deny"), "access_denied", "state-123")
	})
}

// TestConsentRedirectURIQuery: the redirect URI's own query is kept.
func TestConsentRedirectURIQuery(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.afCreateUser(t, afUser, afPassword, map[string]any{})
	const redirect = "https://wallet.example/cb?x=1"
	ts.afCreateClient(t, map[string]any{
		"client_id": "wallet", "token_endpoint_auth_method": "none",
		"grant_types": []string{paAuthCode}, "redirect_uris": []string{redirect},
	})
	s := &afSetup{testServer: ts, ClientID: "wallet"}
	pk := newPKCE(t)
	form := afParams(s.ClientID, pk, url.Values{"redirect_uri": {redirect}})
	for _, approve := range []bool{true, false} {
		uri := paPush(t, ts, form, nil)
		loc := ts.afSignIn(t, newBrowser(t), url.Values{"client_id": {s.ClientID}, "request_uri": {uri}}, afUser, afPassword, approve)
		q := loc.Query()
		if loc.Scheme+"://"+loc.Host+loc.Path != afRedirect || q.Get("x") != "1" || q.Get("state") != "state-123" || q.Get("iss") != ts.URL {
			t.Fatalf("redirect %s; want %s with x=1, state and iss", loc, afRedirect)
		}
		if approve && q.Get("code") == "" || !approve && q.Get("error") != "access_denied" {
			t.Fatalf("redirect %s (approve %t)", loc, approve)
		}
		if approve {
			res := ts.afExchange(t, s.ClientID, q.Get("code"), pk.Verifier, paProof(t, ts, newWallet(t), ts.TokenURL()), url.Values{"redirect_uri": {redirect}})
			wantToken(t, res)
		}
	}
}
