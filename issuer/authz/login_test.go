package authz_test

import (
	"testing"
	"time"

	"issuer/issuer/authz"
	"issuer/issuer/oauth"
)

const badSession = "the sign-in session is not valid or has expired; start again from the application"

// wantBadSession asserts the answer to a sign-in whose cookie or CSRF
// token is missing, wrong or expired: invalid_request, a 403 page.
func wantBadSession(t testing.TB, err error) {
	t.Helper()
	if e := wantError(t, err, oauth.CodeInvalidRequest, badSession); e.Status != 403 {
		t.Errorf("status %d; want 403", e.Status)
	}
}

// TestLoginCSRF: the login and consent forms need the sign-in's cookie
// and its CSRF token; signing in rotates the token, so that the login
// page's is refused from then on (web TestLoginCSRF, TestLoginCSRFRotation).
func TestLoginCSRF(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.open(t, e.push(t, params(nil)).RequestURI)
	other := e.open(t, e.push(t, params(nil)).RequestURI)
	for _, tc := range []struct {
		name         string
		cookie, csrf string
	}{
		{"no CSRF token", s.Cookie, ""},
		{"no cookie", "", s.CSRF},
		{"a wrong CSRF token", s.Cookie, other.CSRF},
		{"the cookie of another sign-in", other.Cookie, s.CSRF},
		{"the CSRF token as the cookie", s.CSRF, s.CSRF},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.Authz.Login(t.Context(), authz.LoginForm{Cookie: tc.cookie, CSRF: tc.csrf, Username: alice, Password: password})
			wantBadSession(t, err)
		})
	}
	consent := e.login(t, s)
	if consent.CSRF == s.CSRF {
		t.Fatal("signing in kept the login page's CSRF token")
	}
	_, err := e.Authz.Login(t.Context(), loginForm(s, alice, password))
	wantBadSession(t, err) // the old token
	_, err = e.Authz.Login(t.Context(), loginForm(consent, alice, password))
	wantBadSession(t, err) // the login form is for the login step only
	_, err = e.Authz.Decide(t.Context(), authz.DecisionForm{Cookie: s.Cookie, CSRF: s.CSRF, Approve: true})
	wantBadSession(t, err)
	if e.Store.counts()[1] != 0 {
		t.Fatal("a refused decision stored a code")
	}
	e.approve(t, consent)
}

// TestLoginWrongPassword: a wrong password and an unknown user get the
// same page, with the same CSRF token; the right password then works.
func TestLoginWrongPassword(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.open(t, e.push(t, params(nil)).RequestURI)
	for _, tc := range []struct{ name, user, password string }{
		{"wrong password", alice, "wrong password"},
		{"unknown user", "mallory", password},
		{"empty password", alice, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := e.Authz.Login(t.Context(), loginForm(s, tc.user, tc.password))
			if err != nil || res.Page == nil {
				t.Fatalf("Login() = %+v, %v; want the login page", res, err)
			}
			if p := res.Page; p.Step != "login" || p.Error != badLogin || p.CSRF != s.CSRF || p.Username != "" || res.RetryAfter != 0 || res.Cookie != "" {
				t.Errorf("page = %+v, retry after %v; want the login page with %q and the same CSRF token", p, res.RetryAfter, badLogin)
			}
		})
	}
	e.login(t, s)
}

// TestLoginDelays: five failures of a username from an address are free;
// then a sign-in waits 1 s, doubling per failure; a sign-in while waiting
// checks no password and counts nothing; another address is not held up
// (web TestLoginDelay).
func TestLoginDelays(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.open(t, e.push(t, params(nil)).RequestURI)
	login := func(pw, ip string) authz.AuthorizeResult {
		t.Helper()
		f := loginForm(s, alice, pw)
		f.RemoteIP = ip
		res, err := e.Authz.Login(t.Context(), f)
		if err != nil || res.Page == nil {
			t.Fatalf("Login() = %+v, %v", res, err)
		}
		return res
	}
	wantDelayed := func(res authz.AuthorizeResult, d time.Duration, msg string) {
		t.Helper()
		if res.Page.Step != "login" || res.RetryAfter != d || res.Page.Error != msg {
			t.Errorf("page %+v, retry after %v; want the login page, %v and %q", res.Page, res.RetryAfter, d, msg)
		}
	}
	for range 5 {
		wantDelayed(login("wrong", "192.0.2.7"), 0, badLogin)
	}
	wantDelayed(login(password, "192.0.2.7"), time.Second, "too many failed sign-ins; try again in 1 second")
	wantDelayed(login("wrong", "192.0.2.7"), time.Second, "too many failed sign-ins; try again in 1 second")
	e.Clock.Advance(time.Second)
	wantDelayed(login("wrong", "192.0.2.7"), 0, badLogin)
	wantDelayed(login(password, "192.0.2.7"), 2*time.Second, "too many failed sign-ins; try again in 2 seconds")
	e.Clock.Advance(2 * time.Second)
	if res := login(password, "192.0.2.7"); res.Page.Step != "consent" {
		t.Errorf("after the wait: %+v; want the consent page", res.Page)
	}
	if _, err := e.Users.Check(t.Context(), alice, password, "address:192.0.2.8", e.Clock.Now()); err != nil {
		t.Errorf("another address: %v", err)
	}
}

// TestLoginSessionExpired: a sign-in lives LoginTTL.
func TestLoginSessionExpired(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.open(t, e.push(t, params(nil)).RequestURI)
	c := e.open(t, e.push(t, params(nil)).RequestURI)
	consent := e.login(t, c)
	e.Clock.Advance(e.Cfg.LoginTTL + time.Second)
	_, err := e.Authz.Login(t.Context(), loginForm(s, alice, password))
	wantBadSession(t, err)
	_, err = e.Authz.Decide(t.Context(), authz.DecisionForm{Cookie: consent.Cookie, CSRF: consent.CSRF, Approve: true})
	wantBadSession(t, err)
}

// TestPromptNone: prompt=none cannot be met without a sign-in: the
// client gets login_required, with state and iss, and no sign-in starts.
func TestPromptNone(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	uri := e.push(t, params(map[string]string{"prompt": "none"})).RequestURI
	before := e.Store.counts()
	res, err := e.Authz.Authorize(t.Context(), map[string]string{"client_id": walletID, "request_uri": uri})
	if err != nil || res.Page != nil || res.Cookie != "" {
		t.Fatalf("Authorize() = %+v, %v; want a redirect", res, err)
	}
	if q := redirectQuery(t, res.RedirectURL); q.Get("error") != oauth.CodeLoginRequired || q.Get("state") != "st" {
		t.Errorf("redirect query %v; want login_required and the state", q)
	}
	if e.Store.counts() != before {
		t.Error("prompt=none started a sign-in")
	}
}

// TestDecide: a decision needs a signed-in session; a denial goes back
// as access_denied, an approval as a code, each with state and iss, and
// the session ends with either (web TestConsentDecision).
func TestDecide(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.open(t, e.push(t, params(nil)).RequestURI)
	_, err := e.Authz.Decide(t.Context(), authz.DecisionForm{Cookie: s.Cookie, CSRF: s.CSRF, Approve: true})
	wantBadSession(t, err) // before login
	consent := e.login(t, s)
	res, err := e.Authz.Decide(t.Context(), authz.DecisionForm{Cookie: consent.Cookie, CSRF: consent.CSRF})
	if err != nil {
		t.Fatalf("Decide(deny) = %v", err)
	}
	if q := redirectQuery(t, res.RedirectURL); q.Get("error") != oauth.CodeAccessDenied || q.Get("state") != "st" || q.Has("code") {
		t.Errorf("denial redirect query %v; want access_denied and the state", q)
	}
	for _, approve := range []bool{true, false} {
		_, err = e.Authz.Decide(t.Context(), authz.DecisionForm{Cookie: consent.Cookie, CSRF: consent.CSRF, Approve: approve})
		wantBadSession(t, err)
	}
	if e.Store.counts()[1] != 0 {
		t.Fatal("a denial stored a code")
	}

	consent = e.login(t, e.open(t, e.push(t, params(map[string]string{"state": ""})).RequestURI))
	q := e.approve(t, consent)
	if !token43(q.Get("code")) || q.Has("state") || e.Store.counts()[1] != 1 {
		t.Errorf("approval redirect query %v; want a code and no state", q)
	}
	_, err = e.Authz.Decide(t.Context(), authz.DecisionForm{Cookie: consent.Cookie, CSRF: consent.CSRF, Approve: true})
	wantBadSession(t, err)
	if e.Store.counts()[1] != 1 {
		t.Error("a second approval stored a code")
	}
}

// token43 reports whether v is 43 base64url characters.
func token43(v string) bool {
	if len(v) != 43 {
		return false
	}
	for _, c := range v {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
