package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// newBrowserFrom is a browser whose connections come from the loopback
// address ip (127.0.0.0/8 is all loopback), so that the server sees
// another client address.
func newBrowserFrom(t testing.TB, ip string) *afBrowser {
	t.Helper()
	b := newBrowser(t)
	b.Transport = fromAddress(ip)
	return b
}

// TestAuthorizeLoginPage checks the login page: the form, the requested
// access, the page headers and the sign-in cookie.
func TestAuthorizeLoginPage(t *testing.T) {
	t.Parallel()
	s := newAuthFlow(t)
	uri := paPush(t, s.testServer, afParams(s.ClientID, newPKCE(t), url.Values{"scope": {pidConfig + " " + mdlConfig + " openid offline_access"}}), nil)
	res := paAuthorize(t, s.testServer, newBrowser(t), s.ClientID, uri)
	page := string(readBody(t, res))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /authorize = %d %s; want 200", res.StatusCode, page)
	}
	for _, want := range []string{
		`action="/authorize/login"`, `method="post"`, `name="csrf_token"`, `name="username"`, `name="password"`,
		`<li class="credential">` + paPIDName + `</li>`, `<li class="credential">` + paMDLName + `</li>`,
		`id="client">wallet<`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("login page lacks %s:\n%s", want, page)
		}
	}
	if csrf := afCSRF(t, []byte(page)); !paToken43RE.MatchString(csrf) {
		t.Errorf("csrf_token = %q; want 43 base64url characters", csrf)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type = %q; want text/html", ct)
	}
	headers := []struct{ name, want string }{
		{"Cache-Control", "no-store"},
		{"X-Frame-Options", "DENY"},
		{"Referrer-Policy", "no-referrer"},
		{"X-Content-Type-Options", "nosniff"},
	}
	for _, h := range headers {
		if got := res.Header.Get(h.name); got != h.want {
			t.Errorf("%s = %q; want %q", h.name, got, h.want)
		}
	}
	csp := res.Header.Get("Content-Security-Policy")
	for _, d := range []string{"default-src 'none'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, d) {
			t.Errorf("Content-Security-Policy = %q; want %s", csp, d)
		}
	}
	var cookie *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == "issuer_signin" {
			cookie = c
		}
	}
	switch {
	case cookie == nil:
		t.Fatalf("no issuer_signin cookie in %v", res.Header["Set-Cookie"])
	case !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Path != "/authorize":
		t.Errorf("cookie %q; want HttpOnly, SameSite=Lax, Path=/authorize", res.Header.Get("Set-Cookie"))
	case !paToken43RE.MatchString(cookie.Value):
		t.Errorf("cookie value %q; want 43 base64url characters", cookie.Value)
	case cookie.Secure:
		t.Errorf("cookie is Secure on an http URL")
	}
}

// TestLoginPassword: a wrong password or an unknown user shows the login
// page again with one message; the right password then works.
func TestLoginPassword(t *testing.T) {
	t.Parallel()
	s := newAuthFlow(t)
	for _, tc := range []struct{ name, user, password string }{
		{"wrong password", afUser, "wrong password"},
		{"unknown user", "mallory", afPassword},
		{"empty password", afUser, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			uri := paPush(t, s.testServer, afParams(s.ClientID, newPKCE(t), nil), nil)
			b := newBrowser(t)
			_, csrf := paLoginPage(t, s.testServer, b, s.ClientID, uri)
			page := paWantLoginError(t, paLogin(t, s.testServer, b, csrf, tc.user, tc.password), paBadLogin)
			if afCSRF(t, []byte(page)) != csrf {
				t.Errorf("the login page changed its csrf_token")
			}
			paWantConsent(t, paLogin(t, s.testServer, b, csrf, afUser, afPassword), afUser)
		})
	}
}

// TestLoginDelay: failed sign-ins slow the username down from that
// address without locking it: after five failures the next attempt waits
// 1 s, then 2 s after the next failure, with a 429 page that says when to
// try again and Retry-After; an attempt while waiting is refused without
// checking the password and does not make the wait longer; after the wait
// the right password works. Another username from the same address, and
// the same username from another address, do not wait.
func TestLoginDelay(t *testing.T) {
	t.Parallel()
	s := newAuthFlow(t)
	ts := s.testServer
	s.afCreateUser(t, "bob", "bob's password", map[string]any{})
	open := func(b *afBrowser) string {
		t.Helper()
		_, csrf := paLoginPage(t, ts, b, s.ClientID, paPush(t, ts, afParams(s.ClientID, newPKCE(t), nil), nil))
		return csrf
	}
	attacker := newBrowserFrom(t, "127.0.0.2")
	csrf := open(attacker)
	for range 5 {
		paWantLoginError(t, paLogin(t, ts, attacker, csrf, afUser, "wrong"), paBadLogin)
	}
	paWantDelayed(t, paLogin(t, ts, attacker, csrf, afUser, afPassword), 1)
	paWantDelayed(t, paLogin(t, ts, attacker, csrf, afUser, "wrong"), 1) // not counted
	s.Clock.Advance(time.Second)
	paWantLoginError(t, paLogin(t, ts, attacker, csrf, afUser, "wrong"), paBadLogin)
	paWantDelayed(t, paLogin(t, ts, attacker, csrf, afUser, afPassword), 2)
	s.Clock.Advance(time.Second)
	paWantDelayed(t, paLogin(t, ts, attacker, csrf, afUser, afPassword), 1)

	// Meanwhile the user signs in from another address, and bob from the
	// attacker's.
	user := newBrowserFrom(t, "127.0.0.3")
	paWantConsent(t, paLogin(t, ts, user, open(user), afUser, afPassword), afUser)
	bob := newBrowserFrom(t, "127.0.0.2")
	paWantConsent(t, paLogin(t, ts, bob, open(bob), "bob", "bob's password"), "bob")

	// After the wait, the right password works from the attacker's
	// address too, and the count starts again.
	s.Clock.Advance(time.Second)
	paWantConsent(t, paLogin(t, ts, attacker, csrf, afUser, afPassword), afUser)
}

// TestLoginDelayPerAddress: one address that tries many usernames is
// slowed down after 20 failures, for every username; an unknown username
// costs the same as a known one.
func TestLoginDelayPerAddress(t *testing.T) {
	t.Parallel()
	s := newAuthFlow(t)
	ts := s.testServer
	b := newBrowserFrom(t, "127.0.0.4")
	_, csrf := paLoginPage(t, ts, b, s.ClientID, paPush(t, ts, afParams(s.ClientID, newPKCE(t), nil), nil))
	for i := range 20 {
		paWantLoginError(t, paLogin(t, ts, b, csrf, "nobody"+strconv.Itoa(i), "wrong"), paBadLogin)
	}
	paWantDelayed(t, paLogin(t, ts, b, csrf, afUser, afPassword), 1)
	other := newBrowserFrom(t, "127.0.0.5")
	_, csrf2 := paLoginPage(t, ts, other, s.ClientID, paPush(t, ts, afParams(s.ClientID, newPKCE(t), nil), nil))
	paWantConsent(t, paLogin(t, ts, other, csrf2, afUser, afPassword), afUser)
}

// paWantDelayed asserts the login page refusing a sign-in that must wait
// secs seconds: 429, Retry-After, and the wait on the page.
func paWantDelayed(t testing.TB, res *http.Response, secs int) {
	t.Helper()
	unit := " seconds"
	if secs == 1 {
		unit = " second"
	}
	if res.StatusCode != http.StatusTooManyRequests {
		t.Errorf("status = %d; want 429", res.StatusCode)
	}
	if got := res.Header.Get("Retry-After"); got != strconv.Itoa(secs) {
		t.Errorf("Retry-After = %q; want %d", got, secs)
	}
	page := string(readBody(t, res))
	m := paLoginErrorRE.FindStringSubmatch(page)
	if want := paDelayed + strconv.Itoa(secs) + unit; m == nil || m[1] != want || !strings.Contains(page, `name="password"`) {
		t.Fatalf("page %s; want the login form with error %q", page, want)
	}
}

// TestLoginCSRF: the login and consent forms need the sign-in cookie and
// its CSRF token; anything else is a 403 error page.
func TestLoginCSRF(t *testing.T) {
	t.Parallel()
	s := newAuthFlow(t)
	ts := s.testServer
	open := func(t *testing.T) (*afBrowser, string) {
		t.Helper()
		uri := paPush(t, ts, afParams(s.ClientID, newPKCE(t), nil), nil)
		b := newBrowser(t)
		_, csrf := paLoginPage(t, ts, b, s.ClientID, uri)
		return b, csrf
	}
	t.Run("login without csrf_token", func(t *testing.T) {
		t.Parallel()
		b, _ := open(t)
		paWantPage(t, paLogin(t, ts, b, "", afUser, afPassword), http.StatusForbidden, "invalid_request")
	})
	t.Run("login with a wrong csrf_token", func(t *testing.T) {
		t.Parallel()
		b, csrf := open(t)
		paWantPage(t, paLogin(t, ts, b, paAlter(csrf), afUser, afPassword), http.StatusForbidden, "invalid_request")
		paWantPage(t, paLogin(t, ts, b, paRandom43(), afUser, afPassword), http.StatusForbidden, "invalid_request")
	})
	t.Run("login without the cookie", func(t *testing.T) {
		t.Parallel()
		_, csrf := open(t)
		paWantPage(t, paLogin(t, ts, newBrowser(t), csrf, afUser, afPassword), http.StatusForbidden, "invalid_request")
	})
	t.Run("login with the cookie of another browser", func(t *testing.T) {
		t.Parallel()
		_, csrfA := open(t)
		b, _ := open(t)
		paWantPage(t, paLogin(t, ts, b, csrfA, afUser, afPassword), http.StatusForbidden, "invalid_request")
	})
	t.Run("login with the csrf_token as the cookie", func(t *testing.T) {
		t.Parallel()
		_, csrf := open(t)
		b := newBrowser(t)
		paSetCookie(t, ts, b, csrf)
		paWantPage(t, paLogin(t, ts, b, csrf, afUser, afPassword), http.StatusForbidden, "invalid_request")
	})
	t.Run("login form with a query", func(t *testing.T) {
		t.Parallel()
		b, csrf := open(t)
		res := b.postForm(t, ts.URL+"/authorize/login?csrf_token="+csrf, url.Values{"csrf_token": {csrf}, "username": {afUser}, "password": {afPassword}})
		paWantPage(t, res, http.StatusBadRequest, "invalid_request")
	})
	t.Run("consent with a wrong csrf_token or cookie", func(t *testing.T) {
		t.Parallel()
		b, csrf := open(t)
		csrf = afCSRF(t, []byte(paWantConsent(t, paLogin(t, ts, b, csrf, afUser, afPassword), afUser))) // the consent form has its own token
		paWantPage(t, paDecide(t, ts, b, "", "approve"), http.StatusForbidden, "invalid_request")
		paWantPage(t, paDecide(t, ts, b, paRandom43(), "approve"), http.StatusForbidden, "invalid_request")
		paWantPage(t, paDecide(t, ts, newBrowser(t), csrf, "approve"), http.StatusForbidden, "invalid_request")
		other, _ := open(t)
		paWantPage(t, paDecide(t, ts, other, csrf, "approve"), http.StatusForbidden, "invalid_request")
		// The refusals did not end the sign-in.
		q := paWantRedirect(t, paDecide(t, ts, b, csrf, "approve"), afRedirect)
		if !paToken43RE.MatchString(q.Get("code")) {
			t.Fatalf("redirect query %v; want a code", q)
		}
	})
}

// TestLoginCSRFRotation: each step of a sign-in has its own CSRF token. A
// successful login issues a new token for the consent form; the login
// page's token is refused afterwards, at the consent and for a second
// login post, and the consent token is no login token either.
func TestLoginCSRFRotation(t *testing.T) {
	t.Parallel()
	s := newAuthFlow(t)
	ts := s.testServer
	uri := paPush(t, ts, afParams(s.ClientID, newPKCE(t), nil), nil)
	b := newBrowser(t)
	_, loginCSRF := paLoginPage(t, ts, b, s.ClientID, uri)
	consentCSRF := afCSRF(t, []byte(paWantConsent(t, paLogin(t, ts, b, loginCSRF, afUser, afPassword), afUser)))
	if consentCSRF == loginCSRF || !paToken43RE.MatchString(consentCSRF) {
		t.Fatalf("consent csrf_token %q, login csrf_token %q; want a new 43-character token", consentCSRF, loginCSRF)
	}
	paWantPage(t, paDecide(t, ts, b, loginCSRF, "approve"), http.StatusForbidden, "invalid_request")
	paWantPage(t, paLogin(t, ts, b, loginCSRF, afUser, afPassword), http.StatusForbidden, "invalid_request")
	paWantPage(t, paLogin(t, ts, b, loginCSRF, "bob", "wrong"), http.StatusForbidden, "invalid_request")
	paWantPage(t, paLogin(t, ts, b, consentCSRF, afUser, afPassword), http.StatusForbidden, "invalid_request")
	// The refusals did not end the sign-in, nor change its user.
	q := paWantRedirect(t, paDecide(t, ts, b, consentCSRF, "approve"), afRedirect)
	if !paToken43RE.MatchString(q.Get("code")) {
		t.Fatalf("redirect query %v; want a code", q)
	}
}

// TestLoginSessionExpired: a sign-in lasts 10 minutes from /authorize.
func TestLoginSessionExpired(t *testing.T) {
	t.Parallel()
	t.Run("login after 10 minutes", func(t *testing.T) {
		t.Parallel()
		s := newAuthFlow(t)
		uri := paPush(t, s.testServer, afParams(s.ClientID, newPKCE(t), nil), nil)
		b := newBrowser(t)
		_, csrf := paLoginPage(t, s.testServer, b, s.ClientID, uri)
		s.Clock.Advance(10*time.Minute + time.Second)
		paWantPage(t, paLogin(t, s.testServer, b, csrf, afUser, afPassword), http.StatusForbidden, "invalid_request")
	})
	t.Run("consent after 10 minutes", func(t *testing.T) {
		t.Parallel()
		s := newAuthFlow(t)
		uri := paPush(t, s.testServer, afParams(s.ClientID, newPKCE(t), nil), nil)
		b := newBrowser(t)
		_, csrf := paLoginPage(t, s.testServer, b, s.ClientID, uri)
		s.Clock.Advance(9*time.Minute + 50*time.Second)
		csrf = afCSRF(t, []byte(paWantConsent(t, paLogin(t, s.testServer, b, csrf, afUser, afPassword), afUser))) // the consent form has its own token
		s.Clock.Advance(11 * time.Second)
		paWantPage(t, paDecide(t, s.testServer, b, csrf, "approve"), http.StatusForbidden, "invalid_request")
	})
}

// Failed sign-ins on the login page are counted per username and address,
// per address and per username, never per client: twenty-five failures
// with made-up usernames from one address do not slow down the client's
// other users (security review M1). (The count was per sign-in session;
// anyone can open as many sessions as they like, so it is per address now.)
func TestLoginFailuresDoNotLockTheClient(t *testing.T) {
	s := newAuthFlow(t)
	uri := s.afPushOK(t, afParams(s.ClientID, newPKCE(t), nil), nil)
	b := newBrowserFrom(t, "127.0.0.7")
	res := b.get(t, s.URL+"/authorize?"+url.Values{"client_id": {s.ClientID}, "request_uri": {uri}}.Encode())
	csrf := afCSRF(t, readBody(t, res))
	for i := range 25 {
		res := b.postForm(t, s.URL+"/authorize/login", url.Values{"csrf_token": {csrf}, "username": {fmt.Sprintf("nobody%d", i)}, "password": {"wrong password"}})
		readBody(t, res)
	}
	// alice, from her own address, is not slowed down.
	loc := s.afSignIn(t, newBrowserFrom(t, "127.0.0.8"), url.Values{"client_id": {s.ClientID}, "request_uri": {s.afPushOK(t, afParams(s.ClientID, newPKCE(t), nil), nil)}}, afUser, afPassword, true)
	if loc.Query().Get("code") == "" {
		t.Fatalf("alice got no code after another address's failures: %s", loc)
	}
	// The attacking address itself waits, even for alice's password.
	res = b.postForm(t, s.URL+"/authorize/login", url.Values{"csrf_token": {csrf}, "username": {afUser}, "password": {afPassword}})
	if page := string(readBody(t, res)); res.StatusCode != http.StatusTooManyRequests || !strings.Contains(page, "too many failed sign-ins") {
		t.Errorf("the address with 25 failures still signs in: %d %s", res.StatusCode, page)
	}
}
