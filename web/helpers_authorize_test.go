package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"issuer/dpop"
	"issuer/issuer"
	"issuer/issuer/oauth"
)

// Tests of the front half of the authorization code flow through HTTP:
// PAR (RFC 9126, adversarial M01-M10, H01-H03, I14-I16), the authorization
// endpoint, the login and consent pages, offers with issuer_state and
// their QR page, and the discovery documents. The contract is the HTTP
// contract of the authorization code flow (authflow-contract.md). The tests
// are in par_test.go, authorize_test.go, authorize_login_test.go,
// authorize_consent_test.go, offer_test.go and metadata_test.go; their
// shared helpers, which start with "pa", are here.

const (
	paPIDName  = "Person Identification Data"
	paMDLName  = "Person Identification Data (mdoc)"
	paAuthCode = oauth.GrantAuthorizationCode
	paBadLogin = "the username or password is invalid"
	paDelayed  = "too many failed sign-ins; try again in "
	paOther    = "this credential offer is for another person"
)

var (
	paRequestURIRE = regexp.MustCompile(`^urn:ietf:params:oauth:request_uri:[A-Za-z0-9_-]{43}$`)
	paToken43RE    = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)
	paLoginErrorRE = regexp.MustCompile(`id="error">([^<]*)<`)
	paSVGRE        = regexp.MustCompile(`(?s)<svg.*?</svg>`)
	paOfferLinkRE  = regexp.MustCompile(`<a href="([^"]*)" id="offer-link"`)
)

// paProof signs a DPoP proof for POST target whose iat is the server's
// (test) clock, so that it stays valid after the clock is advanced.
func paProof(t testing.TB, ts *testServer, w *wallet, target string) string {
	t.Helper()
	return paProofMethod(t, ts, w, http.MethodPost, target)
}

func paProofMethod(t testing.TB, ts *testServer, w *wallet, method, target string) string {
	t.Helper()
	p, err := dpop.Sign(w.Key, "ES256", dpop.Claims{Method: method, URL: target, IssuedAt: ts.Clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// paDPoP is a header map with one DPoP header per proof.
func paDPoP(proofs ...string) map[string][]string { return map[string][]string{"DPoP": proofs} }

// paPush posts a PAR form and asserts a 201 with the RFC 9126 §2.2 shape;
// it returns the request_uri.
func paPush(t testing.TB, ts *testServer, form url.Values, headers map[string][]string) string {
	t.Helper()
	res := ts.afPush(t, form, headers)
	body := readBody(t, res)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("POST /par = %d %s; want 201", res.StatusCode, body)
	}
	var out map[string]any
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("PAR body %s: %v", body, err)
	}
	uri, _ := out["request_uri"].(string)
	if !paRequestURIRE.MatchString(uri) {
		t.Errorf("request_uri = %q; want urn:ietf:params:oauth:request_uri: and 43 base64url characters", uri)
	}
	if out["expires_in"] != float64(60) {
		t.Errorf("expires_in = %v; want 60", out["expires_in"])
	}
	if got := res.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q; want no-store", got)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q; want application/json", ct)
	}
	return uri
}

// paWantPage asserts an HTML error page with status and error code, with
// the page headers and no redirect, and returns the page.
func paWantPage(t testing.TB, res *http.Response, status int, code string) string {
	t.Helper()
	page := string(readBody(t, res))
	if res.StatusCode != status || !strings.Contains(page, `id="error-code">`+code+`<`) {
		t.Fatalf("response = %d %s; want %d and an error page with code %s", res.StatusCode, page, status, code)
	}
	if loc := res.Header.Get("Location"); loc != "" {
		t.Errorf("Location = %q; want none (no redirect on this error)", loc)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type = %q; want text/html", ct)
	}
	if got := res.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q; want no-store", got)
	}
	if got := res.Header.Get("X-Frame-Options"); got != "DENY" {
		t.Errorf("X-Frame-Options = %q; want DENY", got)
	}
	return page
}

// paWantRedirect asserts a 303 to base (scheme, host and path of the
// redirect URI) and returns the query of the Location.
func paWantRedirect(t testing.TB, res *http.Response, base string) url.Values {
	t.Helper()
	body := readBody(t, res)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("response = %d %s; want 303 to %s", res.StatusCode, body, base)
	}
	loc, err := url.Parse(res.Header.Get("Location"))
	if err != nil {
		t.Fatalf("Location %q: %v", res.Header.Get("Location"), err)
	}
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != base || loc.Fragment != "" {
		t.Fatalf("Location = %s; want a redirect to %s", loc, base)
	}
	return loc.Query()
}

// paWantAuthError asserts an authorization error redirect to afRedirect
// (RFC 6749 §4.1.2.1, RFC 9207) with code, state and iss, and no code.
func paWantAuthError(t testing.TB, ts *testServer, res *http.Response, code, state string) url.Values {
	t.Helper()
	q := paWantRedirect(t, res, afRedirect)
	if q.Get("error") != code || q.Get("state") != state || q.Get("iss") != ts.URL || q.Has("code") {
		t.Fatalf("redirect query = %v; want error %s, state %q, iss %s and no code", q, code, state, ts.URL)
	}
	if q.Get("error_description") == "" {
		t.Errorf("redirect query = %v; want an error_description", q)
	}
	return q
}

// paAuthorize opens the pushed request uri of clientID in b.
func paAuthorize(t testing.TB, ts *testServer, b *afBrowser, clientID, uri string) *http.Response {
	t.Helper()
	return b.get(t, ts.URL+"/authorize?"+url.Values{"client_id": {clientID}, "request_uri": {uri}}.Encode())
}

// paLoginPage opens a pushed request in b, asserts the login page and
// returns it with its CSRF token.
func paLoginPage(t testing.TB, ts *testServer, b *afBrowser, clientID, uri string) (page, csrf string) {
	t.Helper()
	res := paAuthorize(t, ts, b, clientID, uri)
	page = string(readBody(t, res))
	if res.StatusCode != http.StatusOK || !strings.Contains(page, `name="password"`) {
		t.Fatalf("GET /authorize = %d %s; want the login page", res.StatusCode, page)
	}
	return page, afCSRF(t, []byte(page))
}

// paLogin posts the sign-in form from b.
func paLogin(t testing.TB, ts *testServer, b *afBrowser, csrf, username, password string) *http.Response {
	t.Helper()
	form := url.Values{"username": {username}, "password": {password}}
	if csrf != "" {
		form.Set("csrf_token", csrf)
	}
	return b.postForm(t, ts.URL+"/authorize/login", form)
}

// paDecide posts the consent form from b.
func paDecide(t testing.TB, ts *testServer, b *afBrowser, csrf, decision string) *http.Response {
	t.Helper()
	form := url.Values{"decision": {decision}}
	if csrf != "" {
		form.Set("csrf_token", csrf)
	}
	return b.postForm(t, ts.URL+"/authorize/consent", form)
}

// paSetCookie puts the sign-in cookie value into b.
func paSetCookie(t testing.TB, ts *testServer, b *afBrowser, value string) {
	t.Helper()
	u, err := url.Parse(ts.URL + "/authorize")
	if err != nil {
		t.Fatal(err)
	}
	b.Jar.SetCookies(u, []*http.Cookie{{Name: "issuer_signin", Value: value, Path: "/authorize"}})
}

// paWantConsent asserts the consent page of username and returns it.
func paWantConsent(t testing.TB, res *http.Response, username string) string {
	t.Helper()
	page := string(readBody(t, res))
	if res.StatusCode != http.StatusOK || !strings.Contains(page, `<strong id="user">`+username+`</strong>`) ||
		!strings.Contains(page, `value="approve"`) || !strings.Contains(page, `value="deny"`) {
		t.Fatalf("POST /authorize/login = %d %s; want the consent page of %s", res.StatusCode, page, username)
	}
	return page
}

// paWantLoginError asserts the login page again with the error msg.
func paWantLoginError(t testing.TB, res *http.Response, msg string) string {
	t.Helper()
	page := string(readBody(t, res))
	m := paLoginErrorRE.FindStringSubmatch(page)
	if res.StatusCode != http.StatusOK || m == nil || m[1] != msg || strings.Contains(page, `value="approve"`) {
		t.Fatalf("POST /authorize/login = %d %s; want the login page with error %q", res.StatusCode, page, msg)
	}
	return page
}

// paIdentifiers maps each credential configuration of a token response's
// authorization_details to its one credential identifier.
func paIdentifiers(t testing.TB, details []oauth.AuthorizationDetail) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, d := range details {
		if len(d.CredentialIdentifiers) != 1 || d.CredentialIdentifiers[0] == "" {
			t.Fatalf("authorization_details entry %+v; want one credential identifier", d)
		}
		out[d.CredentialConfigurationID] = d.CredentialIdentifiers[0]
	}
	return out
}

// paAuthCodeOffer creates an offer through the admin API with the given
// grants and subject and returns it.
func paAuthCodeOffer(t testing.TB, ts *testServer, subject string, grants []string, configs ...string) issuer.OfferResponse {
	t.Helper()
	if len(configs) == 0 {
		configs = []string{pidConfig}
	}
	return ts.offer(t, map[string]any{"subject": subject, "grants": grants, "credential_configuration_ids": configs})
}

// paIssuerState is the issuer_state of an offer's authorization_code grant.
func paIssuerState(t testing.TB, o issuer.OfferResponse) string {
	t.Helper()
	g := o.CredentialOffer.Grants.AuthorizationCode
	if g == nil || !paToken43RE.MatchString(g.IssuerState) {
		t.Fatalf("offer grants %+v; want an authorization_code grant with a 43-character issuer_state", o.CredentialOffer.Grants)
	}
	return g.IssuerState
}

// paAlter changes the last character of s.
func paAlter(s string) string {
	if strings.HasSuffix(s, "A") {
		return s[:len(s)-1] + "B"
	}
	return s[:len(s)-1] + "A"
}

// paRandom43 is a random 43-character base64url string.
func paRandom43() string { return randomJTI() + randomJTI()[:21] }
