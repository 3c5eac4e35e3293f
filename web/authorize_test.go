package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"issuer/issuer"
)

// TestAuthorizeRequestURI covers M08-M10 and the other refusals of a
// pushed request at the authorization endpoint: an HTML error page with
// invalid_request, never a redirect.
func TestAuthorizeRequestURI(t *testing.T) {
	t.Parallel()
	newSetup := func(t *testing.T) *afSetup {
		s := newAuthFlow(t)
		s.afCreateClient(t, map[string]any{
			"client_id": "client-b", "token_endpoint_auth_method": "none",
			"grant_types": []string{paAuthCode}, "redirect_uris": []string{afRedirect},
		})
		return s
	}
	push := func(t *testing.T, s *afSetup) string {
		return paPush(t, s.testServer, afParams(s.ClientID, newPKCE(t), nil), nil)
	}
	t.Run("M08 request_uri of another client", func(t *testing.T) {
		t.Parallel()
		s := newSetup(t)
		uri := push(t, s)
		paWantPage(t, paAuthorize(t, s.testServer, newBrowser(t), "client-b", uri), http.StatusBadRequest, "invalid_request")
		paWantPage(t, paAuthorize(t, s.testServer, newBrowser(t), "unknown-client", uri), http.StatusBadRequest, "invalid_request")
	})
	t.Run("M09 expired request_uri", func(t *testing.T) {
		t.Parallel()
		s := newSetup(t)
		uri := push(t, s)
		s.Clock.Advance(61 * time.Second)
		paWantPage(t, paAuthorize(t, s.testServer, newBrowser(t), s.ClientID, uri), http.StatusBadRequest, "invalid_request")
	})
	t.Run("control: a request_uri 59 s old", func(t *testing.T) {
		t.Parallel()
		s := newSetup(t)
		uri := push(t, s)
		s.Clock.Advance(59 * time.Second)
		paLoginPage(t, s.testServer, newBrowser(t), s.ClientID, uri)
	})
	t.Run("M10 request_uri used twice", func(t *testing.T) {
		t.Parallel()
		s := newSetup(t)
		uri := push(t, s)
		paLoginPage(t, s.testServer, newBrowser(t), s.ClientID, uri)
		paWantPage(t, paAuthorize(t, s.testServer, newBrowser(t), s.ClientID, uri), http.StatusBadRequest, "invalid_request")
	})
	t.Run("M10 second use in the same browser", func(t *testing.T) {
		t.Parallel()
		s := newSetup(t)
		uri := push(t, s)
		b := newBrowser(t)
		paLoginPage(t, s.testServer, b, s.ClientID, uri)
		paWantPage(t, paAuthorize(t, s.testServer, b, s.ClientID, uri), http.StatusBadRequest, "invalid_request")
	})
	t.Run("unknown request_uri", func(t *testing.T) {
		t.Parallel()
		s := newSetup(t)
		uri := push(t, s)
		paWantPage(t, paAuthorize(t, s.testServer, newBrowser(t), s.ClientID, paAlter(uri)), http.StatusBadRequest, "invalid_request")
		paWantPage(t, paAuthorize(t, s.testServer, newBrowser(t), s.ClientID, "urn:ietf:params:oauth:request_uri:"+paRandom43()), http.StatusBadRequest, "invalid_request")
		// The refusals did not use up the real one.
		paLoginPage(t, s.testServer, newBrowser(t), s.ClientID, uri)
	})
	t.Run("query parameters beside request_uri are ignored", func(t *testing.T) {
		t.Parallel()
		// RFC 9126 §4: only the pushed parameters count; a redirect_uri,
		// state or scope added to the front-channel URL changes nothing.
		s := newSetup(t)
		uri := push(t, s)
		q := url.Values{
			"client_id": {s.ClientID}, "request_uri": {uri}, "redirect_uri": {"https://attacker.example/cb"},
			"state": {"injected"}, "scope": {mdlConfig}, "response_mode": {"fragment"},
		}
		b := newBrowser(t)
		res := b.get(t, s.URL+"/authorize?"+q.Encode())
		page := string(readBody(t, res))
		if res.StatusCode != http.StatusOK || !strings.Contains(page, paPIDName) || strings.Contains(page, paMDLName) {
			t.Fatalf("GET /authorize = %d %s; want the login page for the pushed PID request", res.StatusCode, page)
		}
		csrf := afCSRF(t, []byte(page))
		csrf = afCSRF(t, []byte(paWantConsent(t, paLogin(t, s.testServer, b, csrf, afUser, afPassword), afUser))) // the consent form has its own token
		r := paWantRedirect(t, paDecide(t, s.testServer, b, csrf, "approve"), afRedirect)
		if r.Get("state") != "state-123" || r.Get("code") == "" {
			t.Fatalf("redirect query %v; want the pushed state and a code", r)
		}
	})
	t.Run("missing client_id", func(t *testing.T) {
		t.Parallel()
		s := newSetup(t)
		uri := push(t, s)
		res := newBrowser(t).get(t, s.URL+"/authorize?"+url.Values{"request_uri": {uri}}.Encode())
		paWantPage(t, res, http.StatusBadRequest, "invalid_request")
	})
	t.Run("repeated parameter", func(t *testing.T) {
		t.Parallel()
		s := newSetup(t)
		uri := push(t, s)
		q := url.Values{"client_id": {s.ClientID}, "request_uri": {uri, uri}}
		paWantPage(t, newBrowser(t).get(t, s.URL+"/authorize?"+q.Encode()), http.StatusBadRequest, "invalid_request")
	})
	t.Run("no code for client B", func(t *testing.T) {
		t.Parallel()
		// The M08 refusal does not hand client B a sign-in: its browser
		// has no cookie and cannot post the login form.
		s := newSetup(t)
		uri := push(t, s)
		b := newBrowser(t)
		paWantPage(t, paAuthorize(t, s.testServer, b, "client-b", uri), http.StatusBadRequest, "invalid_request")
		paWantPage(t, paLogin(t, s.testServer, b, "x", afUser, afPassword), http.StatusForbidden, "invalid_request")
	})
}

// TestAuthorizeConcurrentUse: parallel uses of one request_uri, and
// parallel decisions of one sign-in, succeed exactly once.
func TestAuthorizeConcurrentUse(t *testing.T) {
	t.Parallel()
	s := newAuthFlow(t)
	ts := s.testServer
	const n = 8
	t.Run("request_uri", func(t *testing.T) {
		t.Parallel()
		uri := paPush(t, ts, afParams(s.ClientID, newPKCE(t), nil), nil)
		statuses := make(chan int, n)
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				res, err := newBrowser(t).Get(ts.URL + "/authorize?" + url.Values{"client_id": {s.ClientID}, "request_uri": {uri}}.Encode())
				if err != nil {
					t.Error(err)
					return
				}
				_ = res.Body.Close()
				statuses <- res.StatusCode
			})
		}
		wg.Wait()
		close(statuses)
		var ok, refused int
		for st := range statuses {
			switch st {
			case http.StatusOK:
				ok++
			case http.StatusBadRequest:
				refused++
			}
		}
		if ok != 1 || refused != n-1 {
			t.Fatalf("%d login pages and %d refusals; want 1 and %d", ok, refused, n-1)
		}
	})
	t.Run("decision", func(t *testing.T) {
		t.Parallel()
		uri := paPush(t, ts, afParams(s.ClientID, newPKCE(t), nil), nil)
		b := newBrowser(t)
		_, csrf := paLoginPage(t, ts, b, s.ClientID, uri)
		csrf = afCSRF(t, []byte(paWantConsent(t, paLogin(t, ts, b, csrf, afUser, afPassword), afUser))) // the consent form has its own token
		codes := make(chan string, n)
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				res, err := b.PostForm(ts.URL+"/authorize/consent", url.Values{"csrf_token": {csrf}, "decision": {"approve"}})
				if err != nil {
					t.Error(err)
					return
				}
				_ = res.Body.Close()
				if res.StatusCode == http.StatusSeeOther {
					loc, _ := url.Parse(res.Header.Get("Location"))
					codes <- loc.Query().Get("code")
				} else if res.StatusCode != http.StatusForbidden {
					t.Errorf("POST /authorize/consent = %d; want 303 or 403", res.StatusCode)
				}
			})
		}
		wg.Wait()
		close(codes)
		var got []string
		for c := range codes {
			got = append(got, c)
		}
		if len(got) != 1 || got[0] == "" {
			t.Fatalf("codes %v; want exactly one", got)
		}
	})
}

// TestAuthorizePlainRequest covers PAR-10 and HAIP-02 with PAR required: a
// plain request goes back to a registered redirect URI with
// invalid_request, and to an error page otherwise.
func TestAuthorizePlainRequest(t *testing.T) {
	t.Parallel()
	s := newAuthFlow(t)
	pk := newPKCE(t)
	t.Run("registered redirect_uri", func(t *testing.T) {
		t.Parallel()
		res := newBrowser(t).get(t, s.URL+"/authorize?"+afParams(s.ClientID, pk, nil).Encode())
		paWantAuthError(t, s.testServer, res, "invalid_request", "state-123")
	})
	t.Run("registered redirect_uri, no state", func(t *testing.T) {
		t.Parallel()
		res := newBrowser(t).get(t, s.URL+"/authorize?"+afParams(s.ClientID, pk, url.Values{"state": {""}}).Encode())
		paWantAuthError(t, s.testServer, res, "invalid_request", "")
	})
	pages := []struct {
		name  string
		query url.Values
	}{
		{"unregistered redirect_uri", afParams(s.ClientID, pk, url.Values{"redirect_uri": {"https://attacker.example/cb"}})},
		{"redirect_uri with a trailing slash", afParams(s.ClientID, pk, url.Values{"redirect_uri": {afRedirect + "/"}})},
		{"no redirect_uri", afParams(s.ClientID, pk, url.Values{"redirect_uri": {""}})},
		{"unknown client", afParams("nobody", pk, nil)},
		{"no client_id", afParams(s.ClientID, pk, url.Values{"client_id": {""}})},
	}
	for _, tc := range pages {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			paWantPage(t, newBrowser(t).get(t, s.URL+"/authorize?"+tc.query.Encode()), http.StatusBadRequest, "invalid_request")
		})
	}
}

// TestAuthorizePlainAllowed runs plain (unpushed) requests with
// require_pushed_authorization_requests false: validated like PAR, errors
// after the client and redirect checks go back to the client.
func TestAuthorizePlainAllowed(t *testing.T) {
	t.Parallel()
	s := newAuthFlow(t, func(c *issuer.Config) { c.Authorization.RequirePAR = false })
	pk := newPKCE(t)
	t.Run("metadata", func(t *testing.T) {
		t.Parallel()
		m, _ := getJSON(t, s.URL+"/.well-known/oauth-authorization-server")
		if m["require_pushed_authorization_requests"] != false {
			t.Errorf("require_pushed_authorization_requests = %v; want false", m["require_pushed_authorization_requests"])
		}
	})
	t.Run("end to end", func(t *testing.T) {
		t.Parallel()
		loc := s.afSignIn(t, newBrowser(t), afParams(s.ClientID, pk, nil), afUser, afPassword, true)
		q := loc.Query()
		if q.Get("state") != "state-123" || q.Get("iss") != s.URL || !paToken43RE.MatchString(q.Get("code")) {
			t.Fatalf("redirect %s; want code, state and iss", loc)
		}
		tb := wantToken(t, s.afExchange(t, s.ClientID, q.Get("code"), pk.Verifier, paProof(t, s.testServer, newWallet(t), s.TokenURL()), nil))
		if ids := paIdentifiers(t, tb.AuthorizationDetails); ids[pidConfig] == "" {
			t.Errorf("authorization_details = %+v; want the PID", tb.AuthorizationDetails)
		}
	})
	redirected := []struct {
		name  string
		extra url.Values
		code  string
	}{
		{"I14 code_challenge_method plain", url.Values{"code_challenge_method": {"plain"}}, "invalid_request"},
		{"I15 code_challenge_method missing", url.Values{"code_challenge_method": {""}}, "invalid_request"},
		{"I16 code_challenge missing", url.Values{"code_challenge": {""}}, "invalid_request"},
		{"response_type token", url.Values{"response_type": {"token"}}, "unsupported_response_type"},
		{"request object", url.Values{"request": {"eyJhbGciOiJub25lIn0.e30."}}, "request_not_supported"},
		{"nothing requested", url.Values{"scope": {""}}, "invalid_scope"},
		{"forged issuer_state", url.Values{"issuer_state": {paRandom43()}}, "invalid_request"},
		{"authorization_details empty", url.Values{"authorization_details": {"[]"}}, "invalid_authorization_details"},
		{"prompt none", url.Values{"prompt": {"none"}}, "login_required"},
	}
	for _, tc := range redirected {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := newBrowser(t).get(t, s.URL+"/authorize?"+afParams(s.ClientID, pk, tc.extra).Encode())
			paWantAuthError(t, s.testServer, res, tc.code, "state-123")
		})
	}
	t.Run("unregistered redirect_uri", func(t *testing.T) {
		t.Parallel()
		q := afParams(s.ClientID, pk, url.Values{"redirect_uri": {"https://attacker.example/cb"}, "code_challenge_method": {"plain"}})
		paWantPage(t, newBrowser(t).get(t, s.URL+"/authorize?"+q.Encode()), http.StatusBadRequest, "invalid_request")
	})
	t.Run("no DPoP at the front channel, dpop_jkt still binds", func(t *testing.T) {
		t.Parallel()
		a, b := newWallet(t), newWallet(t)
		pk := newPKCE(t)
		loc := s.afSignIn(t, newBrowser(t), afParams(s.ClientID, pk, url.Values{"dpop_jkt": {a.JKT}}), afUser, afPassword, true)
		c := loc.Query().Get("code")
		wantError(t, s.afExchange(t, s.ClientID, c, pk.Verifier, paProof(t, s.testServer, b, s.TokenURL()), nil), http.StatusBadRequest, "invalid_grant")
		wantToken(t, s.afExchange(t, s.ClientID, c, pk.Verifier, paProof(t, s.testServer, a, s.TokenURL()), nil))
	})
}

// TestAuthorizePromptNone: the server always asks the user to sign in, so
// prompt=none gets login_required at the redirect URI.
func TestAuthorizePromptNone(t *testing.T) {
	t.Parallel()
	s := newAuthFlow(t)
	uri := paPush(t, s.testServer, afParams(s.ClientID, newPKCE(t), url.Values{"prompt": {"none"}}), nil)
	b := newBrowser(t)
	res := paAuthorize(t, s.testServer, b, s.ClientID, uri)
	paWantAuthError(t, s.testServer, res, "login_required", "state-123")
	for _, c := range res.Cookies() {
		if c.Name == "issuer_signin" && c.Value != "" {
			t.Errorf("prompt=none started a sign-in (cookie %v)", c)
		}
	}
}

// TestAuthorizeEscaping: values from the client appear escaped in the
// pages (client_id) or only in the redirect (state).
func TestAuthorizeEscaping(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.afCreateUser(t, afUser, afPassword, map[string]any{})
	const client = `<b>evil</b>"'`
	const state = `<script>alert(1)</script>`
	ts.afCreateClient(t, map[string]any{
		"client_id": client, "token_endpoint_auth_method": "none",
		"grant_types": []string{paAuthCode}, "redirect_uris": []string{afRedirect},
	})
	ts.afCreateClient(t, map[string]any{
		"client_id": "<b>nogrant</b>", "token_endpoint_auth_method": "none",
		"grant_types": []string{preAuth}, "redirect_uris": []string{afRedirect},
	})
	wantEscaped := func(t *testing.T, page string) {
		t.Helper()
		if strings.Contains(page, "<b>") || strings.Contains(page, "<script>") {
			t.Errorf("page has raw markup from the request:\n%s", page)
		}
	}
	uri := paPush(t, ts, afParams(client, newPKCE(t), url.Values{"state": {state}}), nil)
	b := newBrowser(t)
	page, csrf := paLoginPage(t, ts, b, client, uri)
	wantEscaped(t, page)
	if !strings.Contains(page, "&lt;b&gt;evil&lt;/b&gt;") {
		t.Errorf("login page does not show the escaped client_id:\n%s", page)
	}
	res := paLogin(t, ts, b, csrf, afUser, afPassword)
	consent := string(readBody(t, res))
	if res.StatusCode != http.StatusOK || !strings.Contains(consent, "&lt;b&gt;evil&lt;/b&gt;") {
		t.Fatalf("consent = %d %s; want the escaped client_id", res.StatusCode, consent)
	}
	wantEscaped(t, consent)
	res = paDecide(t, ts, b, afCSRF(t, []byte(consent)), "approve")
	if loc := res.Header.Get("Location"); strings.ContainsAny(loc, `<>"`) {
		t.Errorf("Location %q has unencoded characters", loc)
	}
	if q := paWantRedirect(t, res, afRedirect); q.Get("state") != state {
		t.Errorf("state = %q; want %q", q.Get("state"), state)
	}
	// An error page that names the client escapes it too.
	q := afParams("<b>nogrant</b>", newPKCE(t), url.Values{"redirect_uri": {"https://attacker.example/<script>"}})
	res = newBrowser(t).get(t, ts.URL+"/authorize?"+q.Encode())
	body := string(readBody(t, res))
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, `id="error-code">`) {
		t.Fatalf("GET /authorize = %d %s; want an error page", res.StatusCode, body)
	}
	wantEscaped(t, body)
}
