package web_test

import (
	"encoding/base64"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"issuer/dpop"
	"issuer/issuer"
)

// Tests of the front half of the authorization code flow through HTTP:
// PAR (RFC 9126, adversarial M01-M10, H01-H03, I14-I16), the authorization
// endpoint, the login and consent pages, offers with issuer_state and
// their QR page, and the discovery documents. The contract is the HTTP
// contract of the authorization code flow (authflow-contract.md).

const (
	paPIDName  = "Person Identification Data"
	paMDLName  = "Mobile Driving Licence"
	paAuthCode = issuer.GrantAuthorizationCode
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

// paPARURL is the PAR endpoint of ts.
func paPARURL(ts *testServer) string { return ts.URL + "/par" }

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

// paToken asserts a 200 token response and returns it, typed and raw.
func paToken(t testing.TB, res *http.Response) (tokenBody, map[string]any) {
	t.Helper()
	body := readBody(t, res)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("token response = %d %s; want 200", res.StatusCode, body)
	}
	var tb tokenBody
	var raw map[string]any
	if err := json.Unmarshal(body, &tb); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatal(err)
	}
	return tb, raw
}

// paIdentifiers maps each credential configuration of a token response's
// authorization_details to its one credential identifier.
func paIdentifiers(t testing.TB, details []issuer.AuthorizationDetail) map[string]string {
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

// paFlow pushes form, signs in as alice, approves, and redeems the code
// with w's key.
func paFlow(t testing.TB, s *afSetup, form url.Values, pk afPKCE, w *wallet) (tokenBody, map[string]any) {
	t.Helper()
	c := s.afCode(t, form, nil)
	return paToken(t, s.afExchange(t, s.ClientID, c, pk.Verifier, paProof(t, s.testServer, w, s.TokenURL()), nil))
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

// TestPARSuccess checks the RFC 9126 §2.2 response (PAR-06).
func TestPARSuccess(t *testing.T) {
	t.Parallel()
	s := newAuthFlow(t)
	pk := newPKCE(t)
	first := paPush(t, s.testServer, afParams(s.ClientID, pk, nil), nil)
	second := paPush(t, s.testServer, afParams(s.ClientID, pk, nil), nil)
	if first == second {
		t.Fatalf("two pushes returned the same request_uri %s", first)
	}
}

// TestPARTransport covers M01, M06 and the form rules of the PAR endpoint.
func TestPARTransport(t *testing.T) {
	t.Parallel()
	s := newAuthFlow(t)
	form := afParams(s.ClientID, newPKCE(t), nil).Encode()
	const ct = "application/x-www-form-urlencoded"
	t.Run("M01 GET", func(t *testing.T) {
		t.Parallel()
		wantError(t, sendRaw(t, http.MethodGet, paPARURL(s.testServer)+"?"+form, "", nil, nil), http.StatusMethodNotAllowed, "invalid_request")
	})
	t.Run("M06 1 MiB body", func(t *testing.T) {
		t.Parallel()
		body := form + "&pad=" + strings.Repeat("a", 1<<20)
		wantError(t, sendRaw(t, http.MethodPost, paPARURL(s.testServer), ct, strings.NewReader(body), nil), http.StatusRequestEntityTooLarge, "invalid_request")
	})
	t.Run("one byte over 64 KiB", func(t *testing.T) {
		t.Parallel()
		body := form + "&pad="
		body += strings.Repeat("a", 64<<10+1-len(body))
		wantError(t, sendRaw(t, http.MethodPost, paPARURL(s.testServer), ct, strings.NewReader(body), nil), http.StatusRequestEntityTooLarge, "invalid_request")
	})
	t.Run("chunked body", func(t *testing.T) {
		t.Parallel()
		req, err := http.NewRequest(http.MethodPost, paPARURL(s.testServer), strings.NewReader(form))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", ct)
		req.ContentLength = -1
		req.TransferEncoding = []string{"chunked"}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		wantError(t, res, http.StatusBadRequest, "invalid_request")
	})
	t.Run("repeated parameter", func(t *testing.T) {
		t.Parallel()
		body := form + "&scope=" + url.QueryEscape(mdlConfig)
		wantError(t, sendRaw(t, http.MethodPost, paPARURL(s.testServer), ct, strings.NewReader(body), nil), http.StatusBadRequest, "invalid_request")
	})
	t.Run("JSON body", func(t *testing.T) {
		t.Parallel()
		wantError(t, sendRaw(t, http.MethodPost, paPARURL(s.testServer), "application/json", strings.NewReader(`{"client_id":"wallet"}`), nil), http.StatusBadRequest, "invalid_request")
	})
	t.Run("control: the same form is accepted", func(t *testing.T) {
		t.Parallel()
		res := sendRaw(t, http.MethodPost, paPARURL(s.testServer), ct, strings.NewReader(form), nil)
		if body := readBody(t, res); res.StatusCode != http.StatusCreated {
			t.Fatalf("POST /par = %d %s; want 201", res.StatusCode, body)
		}
	})
}

// TestPARClientAuthentication covers M03, HAIP-05 and PAR-02: clients
// authenticate at PAR exactly as at the token endpoint.
func TestPARClientAuthentication(t *testing.T) {
	t.Parallel()
	s := newAuthFlow(t)
	conf := s.afCreateClient(t, map[string]any{
		"client_id": "confidential", "token_endpoint_auth_method": "client_secret_basic",
		"grant_types": []string{paAuthCode}, "redirect_uris": []string{afRedirect},
	})
	secret, _ := conf["client_secret"].(string)
	if secret == "" {
		t.Fatalf("registration %v has no client_secret", conf)
	}
	pk := newPKCE(t)
	basic := func(id, secret string) map[string][]string {
		return map[string][]string{"Authorization": {basicAuth(id, secret)}}
	}
	tests := []struct {
		name      string
		form      url.Values
		headers   map[string][]string
		status    int
		code      string
		challenge string // WWW-Authenticate prefix, when one is required
	}{
		{name: "M03 no client identification", form: afParams(s.ClientID, pk, url.Values{"client_id": {""}}), status: 401, code: "invalid_client"},
		{name: "unknown client_id", form: afParams("nobody", pk, nil), status: 401, code: "invalid_client"},
		{name: "unknown client in Basic", form: afParams("x", pk, url.Values{"client_id": {""}}), headers: basic("nobody", secret), status: 401, code: "invalid_client", challenge: "Basic"},
		{name: "confidential client, right secret", form: afParams("x", pk, url.Values{"client_id": {""}}), headers: basic("confidential", secret), status: 201},
		{name: "confidential client, right secret and its client_id", form: afParams("confidential", pk, nil), headers: basic("confidential", secret), status: 201},
		{name: "confidential client, wrong secret", form: afParams("x", pk, url.Values{"client_id": {""}}), headers: basic("confidential", secret+"x"), status: 401, code: "invalid_client", challenge: "Basic"},
		{name: "confidential client without its secret", form: afParams("confidential", pk, nil), status: 401, code: "invalid_client"},
		{name: "client_id differs from Basic", form: afParams(s.ClientID, pk, nil), headers: basic("confidential", secret), status: 401, code: "invalid_client"},
		{name: "public client with a secret", form: afParams("x", pk, url.Values{"client_id": {""}}), headers: basic(s.ClientID, secret), status: 401, code: "invalid_client"},
		{name: "public client with its client_id", form: afParams(s.ClientID, pk, nil), status: 201},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.status == http.StatusCreated {
				paPush(t, s.testServer, tc.form, tc.headers)
				return
			}
			res := s.afPush(t, tc.form, tc.headers)
			www := res.Header.Get("WWW-Authenticate")
			wantError(t, res, tc.status, tc.code)
			if tc.challenge != "" && !strings.HasPrefix(www, tc.challenge) {
				t.Errorf("WWW-Authenticate = %q; want a %s challenge", www, tc.challenge)
			}
		})
	}
	t.Run("the confidential client's request_uri opens the login page", func(t *testing.T) {
		t.Parallel()
		uri := paPush(t, s.testServer, afParams("confidential", pk, nil), basic("confidential", secret))
		paLoginPage(t, s.testServer, newBrowser(t), "confidential", uri)
	})
}

// TestPARValidation covers every validation row of the PAR contract: the
// pushed parameters are checked as an authorization request (PAR-04,
// M02, M04, M05, I14-I16, RFC 9396, OpenID4VCI 1.0 §5.1).
func TestPARValidation(t *testing.T) {
	t.Parallel()
	s := newAuthFlow(t)
	s.afCreateClient(t, map[string]any{
		"client_id": "preauth-only", "token_endpoint_auth_method": "none",
		"grant_types": []string{preAuth}, "redirect_uris": []string{afRedirect},
	})
	pk := newPKCE(t)
	jkt := newWallet(t).JKT
	details := func(entries string) url.Values {
		return url.Values{"scope": {""}, "authorization_details": {entries}}
	}
	pidDetail := `{"type":"openid_credential","credential_configuration_id":"` + pidConfig + `"}`
	tests := []struct {
		name   string
		client string
		extra  url.Values
		status int
		code   string
	}{
		{name: "M02 request_uri pushed", extra: url.Values{"request_uri": {"urn:ietf:params:oauth:request_uri:" + paRandom43()}}, status: 400, code: "invalid_request"},
		{name: "request object", extra: url.Values{"request": {"eyJhbGciOiJub25lIn0.eyJzY29wZSI6Im9wZW5pZCJ9."}}, status: 400, code: "request_not_supported"},
		{name: "response_type missing", extra: url.Values{"response_type": {""}}, status: 400, code: "invalid_request"},
		{name: "response_type token", extra: url.Values{"response_type": {"token"}}, status: 400, code: "unsupported_response_type"},
		{name: "response_type code id_token", extra: url.Values{"response_type": {"code id_token"}}, status: 400, code: "unsupported_response_type"},
		{name: "response_mode fragment", extra: url.Values{"response_mode": {"fragment"}}, status: 400, code: "invalid_request"},
		{name: "response_mode form_post", extra: url.Values{"response_mode": {"form_post"}}, status: 400, code: "invalid_request"},
		{name: "client without the authorization_code grant", client: "preauth-only", status: 400, code: "unauthorized_client"},
		{name: "M05 redirect_uri missing", extra: url.Values{"redirect_uri": {""}}, status: 400, code: "invalid_request"},
		{name: "M04 unregistered redirect_uri", extra: url.Values{"redirect_uri": {"https://attacker.example/cb"}}, status: 400, code: "invalid_request"},
		{name: "M04 redirect_uri path case", extra: url.Values{"redirect_uri": {"https://wallet.example/CB"}}, status: 400, code: "invalid_request"},
		{name: "M04 redirect_uri host case", extra: url.Values{"redirect_uri": {"https://WALLET.example/cb"}}, status: 400, code: "invalid_request"},
		{name: "M04 redirect_uri trailing slash", extra: url.Values{"redirect_uri": {afRedirect + "/"}}, status: 400, code: "invalid_request"},
		{name: "M04 redirect_uri with a query", extra: url.Values{"redirect_uri": {afRedirect + "?x=1"}}, status: 400, code: "invalid_request"},
		{name: "M04 redirect_uri prefix", extra: url.Values{"redirect_uri": {"https://wallet.example/c"}}, status: 400, code: "invalid_request"},
		{name: "M04 redirect_uri over http", extra: url.Values{"redirect_uri": {"http://wallet.example/cb"}}, status: 400, code: "invalid_request"},
		{name: "prompt select_account", extra: url.Values{"prompt": {"select_account"}}, status: 400, code: "invalid_request"},
		{name: "prompt with two values", extra: url.Values{"prompt": {"login consent"}}, status: 400, code: "invalid_request"},
		{name: "I16 code_challenge missing", extra: url.Values{"code_challenge": {""}}, status: 400, code: "invalid_request"},
		{name: "I16 no PKCE at all", extra: url.Values{"code_challenge": {""}, "code_challenge_method": {""}}, status: 400, code: "invalid_request"},
		{name: "I15 code_challenge_method missing", extra: url.Values{"code_challenge_method": {""}}, status: 400, code: "invalid_request"},
		{name: "I14 code_challenge_method plain", extra: url.Values{"code_challenge_method": {"plain"}}, status: 400, code: "invalid_request"},
		{name: "I14 plain with a verifier as challenge", extra: url.Values{"code_challenge_method": {"plain"}, "code_challenge": {pk.Verifier}}, status: 400, code: "invalid_request"},
		{name: "code_challenge_method s256 in lower case", extra: url.Values{"code_challenge_method": {"s256"}}, status: 400, code: "invalid_request"},
		{name: "code_challenge 42 characters", extra: url.Values{"code_challenge": {pk.Challenge[:42]}}, status: 400, code: "invalid_request"},
		{name: "code_challenge 44 characters", extra: url.Values{"code_challenge": {pk.Challenge + "A"}}, status: 400, code: "invalid_request"},
		{name: "code_challenge padded", extra: url.Values{"code_challenge": {pk.Challenge + "="}}, status: 400, code: "invalid_request"},
		{name: "code_challenge with +", extra: url.Values{"code_challenge": {"+" + pk.Challenge[1:]}}, status: 400, code: "invalid_request"},
		{name: "dpop_jkt not base64url", extra: url.Values{"dpop_jkt": {"not a thumbprint!"}}, status: 400, code: "invalid_request"},
		{name: "dpop_jkt of 16 bytes", extra: url.Values{"dpop_jkt": {base64.RawURLEncoding.EncodeToString(make([]byte, 16))}}, status: 400, code: "invalid_request"},
		{name: "dpop_jkt padded", extra: url.Values{"dpop_jkt": {jkt + "="}}, status: 400, code: "invalid_request"},
		{name: "dpop_jkt in standard base64", extra: url.Values{"dpop_jkt": {base64.StdEncoding.EncodeToString(make([]byte, 32))}}, status: 400, code: "invalid_request"},
		{name: "max_age negative", extra: url.Values{"max_age": {"-1"}}, status: 400, code: "invalid_request"},
		{name: "max_age not a number", extra: url.Values{"max_age": {"abc"}}, status: 400, code: "invalid_request"},
		{name: "max_age decimal", extra: url.Values{"max_age": {"1.5"}}, status: 400, code: "invalid_request"},
		{name: "authorization_details not JSON", extra: details(`[{"type":`), status: 400, code: "invalid_request"},
		{name: "authorization_details an object", extra: details(pidDetail), status: 400, code: "invalid_authorization_details"},
		{name: "authorization_details a string", extra: details(`"openid_credential"`), status: 400, code: "invalid_authorization_details"},
		{name: "authorization_details empty", extra: details(`[]`), status: 400, code: "invalid_authorization_details"},
		{name: "authorization_details entry a string", extra: details(`["openid_credential"]`), status: 400, code: "invalid_authorization_details"},
		{name: "authorization_details other type", extra: details(`[{"type":"payment_initiation","credential_configuration_id":"` + pidConfig + `"}]`), status: 400, code: "invalid_authorization_details"},
		{name: "authorization_details without type", extra: details(`[{"credential_configuration_id":"` + pidConfig + `"}]`), status: 400, code: "invalid_authorization_details"},
		{name: "authorization_details type not a string", extra: details(`[{"type":1,"credential_configuration_id":"` + pidConfig + `"}]`), status: 400, code: "invalid_authorization_details"},
		{name: "authorization_details unknown configuration", extra: details(`[{"type":"openid_credential","credential_configuration_id":"unknown"}]`), status: 400, code: "invalid_authorization_details"},
		{name: "authorization_details without configuration id", extra: details(`[{"type":"openid_credential"}]`), status: 400, code: "invalid_authorization_details"},
		{name: "authorization_details one bad entry of two", extra: details(`[` + pidDetail + `,{"type":"openid_credential","credential_configuration_id":"unknown"}]`), status: 400, code: "invalid_authorization_details"},
		{name: "issuer_state forged", extra: url.Values{"issuer_state": {paRandom43()}}, status: 400, code: "invalid_request"},
		{name: "nothing requested", extra: url.Values{"scope": {""}}, status: 400, code: "invalid_scope"},
		{name: "only unknown scope values", extra: url.Values{"scope": {"profile email"}}, status: 400, code: "invalid_scope"},
		{name: "offline_access alone", extra: url.Values{"scope": {"offline_access"}}, status: 400, code: "invalid_scope"},
		{name: "scope value differing in case", extra: url.Values{"scope": {strings.ToUpper(pidConfig)}}, status: 400, code: "invalid_scope"},
		// Accepted variants: each shows that the rows above fail for their
		// own reason.
		{name: "response_mode query", extra: url.Values{"response_mode": {"query"}}, status: 201},
		{name: "prompt login", extra: url.Values{"prompt": {"login"}}, status: 201},
		{name: "prompt consent", extra: url.Values{"prompt": {"consent"}}, status: 201},
		{name: "prompt none", extra: url.Values{"prompt": {"none"}}, status: 201},
		{name: "max_age 0", extra: url.Values{"max_age": {"0"}}, status: 201},
		{name: "valid dpop_jkt", extra: url.Values{"dpop_jkt": {jkt}}, status: 201},
		{name: "nonce", extra: url.Values{"nonce": {"n-0S6_WzA2Mj"}}, status: 201},
		{name: "openid alone", extra: url.Values{"scope": {"openid"}}, status: 201},
		{name: "unknown scope values with a credential scope", extra: url.Values{"scope": {"profile " + pidConfig + " email"}}, status: 201},
		{name: "authorization_details without scope", extra: details(`[` + pidDetail + `]`), status: 201},
		{name: "authorization_details with locations of this issuer", extra: details(`[{"type":"openid_credential","credential_configuration_id":"` + pidConfig + `","locations":["` + s.URL + `"]}]`), status: 201},
		{name: "both credentials by scope", extra: url.Values{"scope": {pidConfig + " " + mdlConfig + " openid offline_access"}}, status: 201},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			client := tc.client
			if client == "" {
				client = s.ClientID
			}
			form := afParams(client, pk, tc.extra)
			if tc.status == http.StatusCreated {
				paPush(t, s.testServer, form, nil)
				return
			}
			e := wantError(t, s.afPush(t, form, nil), tc.status, tc.code)
			if e.Description == "" {
				t.Errorf("error %s has no error_description", e.Error)
			}
		})
	}
}

// TestPARRateLimit covers M07: 300 pushes per client per minute, then 429
// with Retry-After; other clients are not affected, and the next window
// is open again.
func TestPARRateLimit(t *testing.T) {
	t.Parallel()
	s := newAuthFlow(t)
	s.afCreateClient(t, map[string]any{
		"client_id": "other", "token_endpoint_auth_method": "none",
		"grant_types": []string{paAuthCode}, "redirect_uris": []string{afRedirect},
	})
	pk := newPKCE(t)
	form := afParams(s.ClientID, pk, nil)
	for i := range 300 {
		res := s.afPush(t, form, nil)
		if body := readBody(t, res); res.StatusCode != http.StatusCreated {
			t.Fatalf("push %d = %d %s; want 201", i+1, res.StatusCode, body)
		}
	}
	s.Clock.Advance(30 * time.Second)
	res := s.afPush(t, form, nil)
	retry := res.Header.Get("Retry-After")
	wantError(t, res, http.StatusTooManyRequests, "invalid_request")
	if n, err := strconv.Atoi(retry); err != nil || n < 1 || n > 31 {
		t.Errorf("Retry-After = %q; want the seconds left in the window (at most 31)", retry)
	}
	paPush(t, s.testServer, afParams("other", pk, nil), nil)
	s.Clock.Advance(31 * time.Second)
	paPush(t, s.testServer, form, nil)
}

// TestPARDPoP covers DPOP-39, DPOP-40 and H01-H03: a DPoP header at PAR is
// verified with htu the PAR URL, its jti recorded, and it binds the code
// like dpop_jkt.
func TestPARDPoP(t *testing.T) {
	t.Parallel()
	s := newAuthFlow(t)
	ts := s.testServer
	a, b := newWallet(t), newWallet(t)
	redeem := func(t *testing.T, c string, pk afPKCE, w *wallet) *http.Response {
		t.Helper()
		return s.afExchange(t, s.ClientID, c, pk.Verifier, paProof(t, ts, w, ts.TokenURL()), nil)
	}
	wantBound := func(t *testing.T, c string, pk afPKCE) {
		t.Helper()
		wantError(t, redeem(t, c, pk, b), http.StatusBadRequest, "invalid_grant")
		tb := wantToken(t, redeem(t, c, pk, a))
		_, claims := jwtParts(t, tb.AccessToken)
		if cnf, _ := claims["cnf"].(map[string]any); cnf["jkt"] != a.JKT {
			t.Errorf("cnf = %v; want jkt %s", claims["cnf"], a.JKT)
		}
	}
	t.Run("control: an unbound code redeems with any key", func(t *testing.T) {
		t.Parallel()
		pk := newPKCE(t)
		wantToken(t, redeem(t, s.afCode(t, afParams(s.ClientID, pk, nil), nil), pk, b))
	})
	t.Run("H02 a DPoP header at PAR binds the code", func(t *testing.T) {
		t.Parallel()
		pk := newPKCE(t)
		wantBound(t, s.afCode(t, afParams(s.ClientID, pk, nil), paDPoP(paProof(t, ts, a, paPARURL(ts)))), pk)
	})
	t.Run("H01 dpop_jkt binds the code", func(t *testing.T) {
		t.Parallel()
		pk := newPKCE(t)
		wantBound(t, s.afCode(t, afParams(s.ClientID, pk, url.Values{"dpop_jkt": {a.JKT}}), nil), pk)
	})
	t.Run("dpop_jkt and a header of the same key", func(t *testing.T) {
		t.Parallel()
		pk := newPKCE(t)
		wantBound(t, s.afCode(t, afParams(s.ClientID, pk, url.Values{"dpop_jkt": {a.JKT}}), paDPoP(paProof(t, ts, a, paPARURL(ts)))), pk)
	})
	refused := []struct {
		name    string
		extra   url.Values
		headers func(t *testing.T) map[string][]string
		code    string
	}{
		{"H03 dpop_jkt of A with a proof of B", url.Values{"dpop_jkt": {a.JKT}}, func(t *testing.T) map[string][]string {
			return paDPoP(paProof(t, ts, b, paPARURL(ts)))
		}, "invalid_request"},
		{"proof for the token endpoint", nil, func(t *testing.T) map[string][]string {
			return paDPoP(paProof(t, ts, a, ts.TokenURL()))
		}, "invalid_dpop_proof"},
		{"proof for GET", nil, func(t *testing.T) map[string][]string {
			return paDPoP(paProofMethod(t, ts, a, http.MethodGet, paPARURL(ts)))
		}, "invalid_dpop_proof"},
		{"proof for another host", nil, func(t *testing.T) map[string][]string {
			return paDPoP(paProof(t, ts, a, "https://other.example/par"))
		}, "invalid_dpop_proof"},
		{"proof too old", nil, func(t *testing.T) map[string][]string {
			p, err := dpop.Sign(a.Key, "ES256", dpop.Claims{Method: http.MethodPost, URL: paPARURL(ts), IssuedAt: ts.Clock.Now().Add(-10 * time.Minute)})
			if err != nil {
				t.Fatal(err)
			}
			return paDPoP(p)
		}, "invalid_dpop_proof"},
		{"not a JWT", nil, func(t *testing.T) map[string][]string { return paDPoP("not-a-jwt") }, "invalid_dpop_proof"},
		{"two DPoP headers", nil, func(t *testing.T) map[string][]string {
			return paDPoP(paProof(t, ts, a, paPARURL(ts)), paProof(t, ts, a, paPARURL(ts)))
		}, "invalid_dpop_proof"},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			wantError(t, s.afPush(t, afParams(s.ClientID, newPKCE(t), tc.extra), tc.headers(t)), http.StatusBadRequest, tc.code)
		})
	}
	t.Run("replayed PAR proof", func(t *testing.T) {
		t.Parallel()
		proof := paProof(t, ts, a, paPARURL(ts))
		paPush(t, ts, afParams(s.ClientID, newPKCE(t), nil), paDPoP(proof))
		wantError(t, s.afPush(t, afParams(s.ClientID, newPKCE(t), nil), paDPoP(proof)), http.StatusBadRequest, "invalid_dpop_proof")
	})
}

// TestPARScope checks what a granted scope is: unknown values are ignored
// (OpenID4VCI 1.0 §5.1.2), openid alone is a request, and credentials come
// from scope or authorization_details.
func TestPARScope(t *testing.T) {
	t.Parallel()
	s := newAuthFlow(t)
	w := newWallet(t)
	t.Run("unknown scope values are ignored", func(t *testing.T) {
		t.Parallel()
		pk := newPKCE(t)
		tb, raw := paFlow(t, s, afParams(s.ClientID, pk, url.Values{"scope": {"profile " + pidConfig + " email"}}), pk, w)
		if raw["scope"] != pidConfig {
			t.Errorf("scope = %v; want %s", raw["scope"], pidConfig)
		}
		if ids := paIdentifiers(t, tb.AuthorizationDetails); len(ids) != 1 || ids[pidConfig] == "" {
			t.Errorf("authorization_details = %+v; want the PID only", tb.AuthorizationDetails)
		}
		if _, ok := raw["id_token"]; ok {
			t.Errorf("token response has an id_token without openid in the scope")
		}
	})
	t.Run("openid alone", func(t *testing.T) {
		t.Parallel()
		pk := newPKCE(t)
		tb, raw := paFlow(t, s, afParams(s.ClientID, pk, url.Values{"scope": {"openid"}}), pk, w)
		if raw["scope"] != "openid" || raw["id_token"] == nil {
			t.Errorf("token response %v; want scope openid and an id_token", raw)
		}
		if len(tb.AuthorizationDetails) != 0 {
			t.Errorf("authorization_details = %+v; want none", tb.AuthorizationDetails)
		}
	})
	t.Run("authorization_details and scope together", func(t *testing.T) {
		t.Parallel()
		pk := newPKCE(t)
		tb, _ := paFlow(t, s, afParams(s.ClientID, pk, url.Values{
			"authorization_details": {`[{"type":"openid_credential","credential_configuration_id":"` + mdlConfig + `"}]`},
		}), pk, w)
		if ids := paIdentifiers(t, tb.AuthorizationDetails); len(ids) != 2 || ids[pidConfig] == "" || ids[mdlConfig] == "" {
			t.Errorf("authorization_details = %+v; want the PID and the mDL", tb.AuthorizationDetails)
		}
	})
}

// TestPARIssuerStateErrors covers VCI-23 at PAR: an issuer_state that is
// forged, expired, or used to ask for more than its offer is refused.
func TestPARIssuerStateErrors(t *testing.T) {
	t.Parallel()
	t.Run("forged", func(t *testing.T) {
		t.Parallel()
		s := newAuthFlow(t)
		paIssuerState(t, paAuthCodeOffer(t, s.testServer, afUser, []string{paAuthCode}))
		e := wantError(t, s.afPush(t, afParams(s.ClientID, newPKCE(t), url.Values{"issuer_state": {paRandom43()}}), nil), http.StatusBadRequest, "invalid_request")
		if e.Description != "the issuer_state is not valid or has expired" {
			t.Errorf("error_description = %q", e.Description)
		}
	})
	t.Run("the pre-authorized code is no issuer_state", func(t *testing.T) {
		t.Parallel()
		s := newAuthFlow(t)
		o := paAuthCodeOffer(t, s.testServer, afUser, []string{paAuthCode, preAuth})
		wantError(t, s.afPush(t, afParams(s.ClientID, newPKCE(t), url.Values{"issuer_state": {code(o)}}), nil), http.StatusBadRequest, "invalid_request")
	})
	t.Run("expired offer", func(t *testing.T) {
		t.Parallel()
		s := newAuthFlow(t)
		o := s.offer(t, map[string]any{"subject": afUser, "grants": []string{paAuthCode}, "expires_in": 60})
		state := paIssuerState(t, o)
		s.Clock.Advance(50 * time.Second)
		paPush(t, s.testServer, afParams(s.ClientID, newPKCE(t), url.Values{"issuer_state": {state}}), nil)
		s.Clock.Advance(11 * time.Second)
		e := wantError(t, s.afPush(t, afParams(s.ClientID, newPKCE(t), url.Values{"issuer_state": {state}}), nil), http.StatusBadRequest, "invalid_request")
		if e.Description != "the issuer_state is not valid or has expired" {
			t.Errorf("error_description = %q", e.Description)
		}
	})
	t.Run("credential outside the offer", func(t *testing.T) {
		t.Parallel()
		s := newAuthFlow(t)
		state := paIssuerState(t, paAuthCodeOffer(t, s.testServer, afUser, []string{paAuthCode}, pidConfig))
		for _, extra := range []url.Values{
			{"scope": {mdlConfig}},
			{"scope": {pidConfig + " " + mdlConfig}},
			{"scope": {""}, "authorization_details": {`[{"type":"openid_credential","credential_configuration_id":"` + mdlConfig + `"}]`}},
		} {
			extra["issuer_state"] = []string{state}
			wantError(t, s.afPush(t, afParams(s.ClientID, newPKCE(t), extra), nil), http.StatusBadRequest, "invalid_request")
		}
		// Control: the offered credential by scope is accepted.
		paPush(t, s.testServer, afParams(s.ClientID, newPKCE(t), url.Values{"issuer_state": {state}, "scope": {pidConfig}}), nil)
	})
}

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

// TestIssuerStateFlow covers VCI-23 end to end: the issuer_state of an
// authorization_code offer brings the offer's credentials and credential
// identifiers into the token.
func TestIssuerStateFlow(t *testing.T) {
	t.Parallel()
	s := newAuthFlow(t)
	ts := s.testServer
	w := newWallet(t)
	o := paAuthCodeOffer(t, ts, afUser, []string{paAuthCode}, pidConfig, mdlConfig)
	state := paIssuerState(t, o)

	run := func(t *testing.T, extra url.Values) map[string]string {
		t.Helper()
		pk := newPKCE(t)
		uri := paPush(t, ts, afParams(s.ClientID, pk, extra), nil)
		b := newBrowser(t)
		page, csrf := paLoginPage(t, ts, b, s.ClientID, uri)
		consent := paWantConsent(t, paLogin(t, ts, b, csrf, afUser, afPassword), afUser)
		names := []string{}
		for _, m := range regexp.MustCompile(`<li class="credential">([^<]*)</li>`).FindAllStringSubmatch(consent, -1) {
			names = append(names, m[1])
		}
		q := paWantRedirect(t, paDecide(t, ts, b, afCSRF(t, []byte(consent)), "approve"), afRedirect)
		tb := wantToken(t, s.afExchange(t, s.ClientID, q.Get("code"), pk.Verifier, paProof(t, ts, w, ts.TokenURL()), nil))
		ids := paIdentifiers(t, tb.AuthorizationDetails)
		want := []string{}
		for id := range ids {
			want = append(want, map[string]string{pidConfig: paPIDName, mdlConfig: paMDLName}[id])
		}
		slices.Sort(names)
		slices.Sort(want)
		if !slices.Equal(names, want) || !strings.Contains(page, `<li class="credential">`) {
			t.Errorf("consent lists %v; want %v", names, want)
		}
		return ids
	}
	first := run(t, url.Values{"scope": {""}, "issuer_state": {state}})
	if len(first) != 2 || first[pidConfig] == "" || first[mdlConfig] == "" {
		t.Fatalf("credential identifiers %v; want the offer's PID and mDL", first)
	}
	// An offer is for one issuance: once a code of its issuer_state is
	// redeemed, the issuer_state is refused.
	wantError(t, ts.afPush(t, afParams(s.ClientID, newPKCE(t), url.Values{"scope": {""}, "issuer_state": {state}}), nil), http.StatusBadRequest, "invalid_request")
	o2 := paAuthCodeOffer(t, ts, afUser, []string{paAuthCode}, pidConfig, mdlConfig)
	narrowed := run(t, url.Values{"scope": {pidConfig}, "issuer_state": {paIssuerState(t, o2)}})
	stored2, err := ts.Store.GetOffer(t.Context(), o2.OfferID)
	if err != nil {
		t.Fatal(err)
	}
	if len(narrowed) != 1 || narrowed[pidConfig] != stored2.CredentialIdentifiers[slices.Index(stored2.ConfigurationIDs, pidConfig)] {
		t.Errorf("issuer_state with scope PID: identifiers %v; want only the offer's PID", narrowed)
	}
	if fresh := run(t, url.Values{"scope": {pidConfig + " " + mdlConfig}}); fresh[pidConfig] == first[pidConfig] || fresh[mdlConfig] == first[mdlConfig] {
		t.Errorf("a request without issuer_state got the offer's identifiers %v", fresh)
	}
	// The identifiers are exactly those the offer holds (read from the
	// store: the HTTP API does not show them before a redemption).
	stored, err := ts.Store.GetOffer(t.Context(), o.OfferID)
	if err != nil {
		t.Fatal(err)
	}
	offer := map[string]string{}
	for i, id := range stored.ConfigurationIDs {
		offer[id] = stored.CredentialIdentifiers[i]
	}
	if !maps.Equal(offer, first) {
		t.Errorf("offer identifiers %v; the issuer_state flow gave %v", offer, first)
	}
}

// TestIssuerStateSubject: only the offer's subject (username or user ID)
// may sign in for an issuer_state request.
func TestIssuerStateSubject(t *testing.T) {
	t.Parallel()
	s := newAuthFlow(t)
	ts := s.testServer
	s.afCreateUser(t, "bob", "bob's password", map[string]any{})
	open := func(t *testing.T, subject string) (*afBrowser, string) {
		t.Helper()
		state := paIssuerState(t, paAuthCodeOffer(t, ts, subject, []string{paAuthCode}))
		uri := paPush(t, ts, afParams(s.ClientID, newPKCE(t), url.Values{"issuer_state": {state}, "scope": {""}}), nil)
		b := newBrowser(t)
		_, csrf := paLoginPage(t, ts, b, s.ClientID, uri)
		return b, csrf
	}
	t.Run("another user", func(t *testing.T) {
		t.Parallel()
		b, csrf := open(t, afUser)
		paWantLoginError(t, paLogin(t, ts, b, csrf, "bob", "bob's password"), paOther)
		paWantPage(t, paDecide(t, ts, b, csrf, "approve"), http.StatusForbidden, "invalid_request")
		paWantConsent(t, paLogin(t, ts, b, csrf, afUser, afPassword), afUser)
	})
	t.Run("subject is the user ID", func(t *testing.T) {
		t.Parallel()
		b, csrf := open(t, s.UserID)
		paWantConsent(t, paLogin(t, ts, b, csrf, afUser, afPassword), afUser)
	})
	t.Run("subject is the user ID, another user", func(t *testing.T) {
		t.Parallel()
		b, csrf := open(t, s.UserID)
		paWantLoginError(t, paLogin(t, ts, b, csrf, "bob", "bob's password"), paOther)
	})
	t.Run("subject of nobody", func(t *testing.T) {
		t.Parallel()
		b, csrf := open(t, "subject-1")
		paWantLoginError(t, paLogin(t, ts, b, csrf, afUser, afPassword), paOther)
	})
}

// TestOfferGrants covers the admin API's grants member of offers.
func TestOfferGrants(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	refused := []struct {
		name string
		req  map[string]any
	}{
		{"unknown grant", map[string]any{"grants": []string{"implicit"}}},
		{"password grant", map[string]any{"grants": []string{issuer.GrantPassword}}},
		{"duplicate", map[string]any{"grants": []string{paAuthCode, paAuthCode}}},
		{"duplicate pre-authorized code", map[string]any{"grants": []string{preAuth, paAuthCode, preAuth}}},
		{"tx_code without the pre-authorized code", map[string]any{"grants": []string{paAuthCode}, "tx_code": map[string]any{"length": 6}}},
		{"grant in another case", map[string]any{"grants": []string{"Authorization_Code"}}},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.req["credential_configuration_ids"] = []string{pidConfig}
			tc.req["subject"] = afUser
			wantError(t, ts.admin(t, http.MethodPost, "/admin/offers", tc.req), http.StatusBadRequest, "invalid_request")
		})
	}
	grantsOf := func(t *testing.T, raw map[string]any) map[string]any {
		t.Helper()
		co, _ := raw["credential_offer"].(map[string]any)
		g, _ := co["grants"].(map[string]any)
		return g
	}
	wantQR := func(t *testing.T, raw map[string]any) {
		t.Helper()
		if id, _ := raw["offer_id"].(string); id == "" || raw["qr_url"] != ts.URL+"/offers/"+id+"/qr" {
			t.Errorf("qr_url = %v; want %s/offers/<offer_id>/qr", raw["qr_url"], ts.URL)
		}
	}
	t.Run("authorization_code only", func(t *testing.T) {
		t.Parallel()
		raw := adminOfferRaw(t, ts, map[string]any{"credential_configuration_ids": []string{pidConfig}, "subject": afUser, "grants": []string{paAuthCode}})
		g := grantsOf(t, raw)
		if _, ok := g[preAuth]; ok || len(g) != 1 {
			t.Errorf("grants = %v; want only authorization_code", g)
		}
		ac, _ := g[paAuthCode].(map[string]any)
		if st, _ := ac["issuer_state"].(string); !paToken43RE.MatchString(st) {
			t.Errorf("authorization_code grant = %v; want a 43-character issuer_state", ac)
		}
		if _, ok := raw["tx_code"]; ok {
			t.Errorf("response has a tx_code")
		}
		if _, ok := raw["offer_url"]; ok {
			t.Errorf("by-value offer has an offer_url")
		}
		wantQR(t, raw)
		// The by-value link carries the same grants.
		link, _ := raw["credential_offer_uri"].(string)
		u, err := url.Parse(link)
		if err != nil {
			t.Fatal(err)
		}
		var offer map[string]any
		if err := json.Unmarshal([]byte(u.Query().Get("credential_offer")), &offer); err != nil {
			t.Fatalf("credential_offer_uri %s: %v", link, err)
		}
		if g2, _ := offer["grants"].(map[string]any); len(g2) != 1 || g2[paAuthCode] == nil {
			t.Errorf("linked offer grants = %v; want only authorization_code", g2)
		}
	})
	t.Run("both grants with tx_code", func(t *testing.T) {
		t.Parallel()
		raw := adminOfferRaw(t, ts, map[string]any{
			"credential_configuration_ids": []string{pidConfig}, "subject": afUser,
			"grants": []string{paAuthCode, preAuth}, "tx_code": map[string]any{"length": 6}, "by_reference": true,
		})
		g := grantsOf(t, raw)
		pa, _ := g[preAuth].(map[string]any)
		ac, _ := g[paAuthCode].(map[string]any)
		if pa["pre-authorized_code"] == nil || pa["tx_code"] == nil || ac["issuer_state"] == nil {
			t.Errorf("grants = %v; want both, the pre-authorized one with tx_code", g)
		}
		if raw["offer_url"] == nil {
			t.Errorf("by-reference offer has no offer_url")
		}
		wantQR(t, raw)
	})
	t.Run("default is the pre-authorized code", func(t *testing.T) {
		t.Parallel()
		raw := adminOfferRaw(t, ts, map[string]any{"credential_configuration_ids": []string{pidConfig}, "subject": afUser})
		g := grantsOf(t, raw)
		if _, ok := g[paAuthCode]; ok || g[preAuth] == nil {
			t.Errorf("grants = %v; want only the pre-authorized code", g)
		}
		wantQR(t, raw)
	})
	t.Run("two offers, two issuer_states", func(t *testing.T) {
		t.Parallel()
		a := paIssuerState(t, paAuthCodeOffer(t, ts, afUser, []string{paAuthCode}))
		b := paIssuerState(t, paAuthCodeOffer(t, ts, afUser, []string{paAuthCode}))
		if a == b {
			t.Errorf("two offers share the issuer_state %s", a)
		}
	})
}

// TestQRPage covers the offer's QR page (HAIP-18).
func TestQRPage(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	get := func(t *testing.T, target string) (*http.Response, string) {
		t.Helper()
		res := sendRaw(t, http.MethodGet, target, "", nil, nil)
		return res, string(readBody(t, res))
	}
	wantQRPage := func(t *testing.T, o issuer.OfferResponse) (link, svg string) {
		t.Helper()
		res, page := get(t, o.QRURL)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s = %d %s; want 200", o.QRURL, res.StatusCode, page)
		}
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("Content-Type = %q; want text/html", ct)
		}
		for _, h := range []struct{ name, prefix string }{
			{"Cache-Control", "no-store"}, {"Content-Security-Policy", "default-src 'none'"}, {"X-Frame-Options", "DENY"},
		} {
			if got := res.Header.Get(h.name); !strings.HasPrefix(got, h.prefix) {
				t.Errorf("%s = %q; want %s", h.name, got, h.prefix)
			}
		}
		m := paOfferLinkRE.FindStringSubmatch(page)
		if m == nil || !strings.HasPrefix(m[1], "openid-credential-offer://?") {
			t.Fatalf("QR page has no offer-link to openid-credential-offer://:\n%s", page)
		}
		if !strings.Contains(page, paPIDName) {
			t.Errorf("QR page does not name %s", paPIDName)
		}
		svg = paSVGRE.FindString(page)
		if svg == "" || !strings.Contains(svg, "<path") {
			t.Fatalf("QR page has no inline SVG QR code:\n%s", page)
		}
		return strings.ReplaceAll(m[1], "&amp;", "&"), svg
	}
	t.Run("by reference", func(t *testing.T) {
		t.Parallel()
		o := ts.offer(t, map[string]any{"by_reference": true})
		link, _ := wantQRPage(t, o)
		if !strings.Contains(link, "credential_offer_uri=") || strings.Contains(link, "credential_offer=") {
			t.Errorf("link %s; want the by-reference link", link)
		}
		u, err := url.Parse(link)
		if err != nil || u.Query().Get("credential_offer_uri") != o.OfferURL {
			t.Errorf("link %s; want credential_offer_uri=%s", link, o.OfferURL)
		}
	})
	t.Run("by value", func(t *testing.T) {
		t.Parallel()
		o := ts.offer(t, nil)
		link, _ := wantQRPage(t, o)
		if !strings.Contains(link, "credential_offer=") || strings.Contains(link, "credential_offer_uri=") {
			t.Errorf("link %s; want the by-value link", link)
		}
		u, err := url.Parse(link)
		var offer issuer.CredentialOffer
		if err != nil || json.Unmarshal([]byte(u.Query().Get("credential_offer")), &offer) != nil || code(issuer.OfferResponse{CredentialOffer: offer}) != code(o) {
			t.Errorf("link %s; want the offer with its pre-authorized code", link)
		}
	})
	t.Run("authorization_code only", func(t *testing.T) {
		t.Parallel()
		o := paAuthCodeOffer(t, ts, afUser, []string{paAuthCode}, pidConfig, mdlConfig)
		link, _ := wantQRPage(t, o)
		if !strings.Contains(link, url.QueryEscape(paIssuerState(t, o))) {
			t.Errorf("link %s; want the issuer_state in it", link)
		}
	})
	t.Run("different offers, different QR codes", func(t *testing.T) {
		t.Parallel()
		_, a := wantQRPage(t, ts.offer(t, nil))
		_, b := wantQRPage(t, ts.offer(t, nil))
		if a == b {
			t.Errorf("two offers have the same QR code")
		}
	})
	t.Run("unknown offer", func(t *testing.T) {
		t.Parallel()
		res := sendRaw(t, http.MethodGet, ts.URL+"/offers/00000000-0000-7000-8000-000000000000/qr", "", nil, nil)
		paWantPage(t, res, http.StatusNotFound, "not_found")
		res = sendRaw(t, http.MethodGet, ts.URL+"/offers/%3Cscript%3E/qr", "", nil, nil)
		if page := paWantPage(t, res, http.StatusNotFound, "not_found"); strings.Contains(page, "<script>") {
			t.Errorf("error page echoes the offer ID:\n%s", page)
		}
	})
	t.Run("redeemed offer", func(t *testing.T) {
		t.Parallel()
		o := ts.offer(t, map[string]any{"grants": []string{preAuth, paAuthCode}})
		wantQRPage(t, o)
		wantToken(t, ts.redeem(t, code(o), paProof(t, ts, newWallet(t), ts.TokenURL()), nil))
		res := sendRaw(t, http.MethodGet, o.QRURL, "", nil, nil)
		paWantPage(t, res, http.StatusNotFound, "not_found")
	})
	t.Run("expired offer", func(t *testing.T) {
		t.Parallel()
		ts := newTestServer(t)
		o := ts.offer(t, map[string]any{"expires_in": 60})
		ts.Clock.Advance(61 * time.Second)
		paWantPage(t, sendRaw(t, http.MethodGet, o.QRURL, "", nil, nil), http.StatusNotFound, "not_found")
	})
}

// paDiscoveryChecks asserts the authorization code members of a discovery
// document of the issuer at base.
func paDiscoveryChecks(t *testing.T, m map[string]any, base string, oidc bool) {
	t.Helper()
	eq := func(name string, want any) {
		t.Helper()
		got, _ := json.Marshal(m[name])
		w, _ := json.Marshal(want)
		if string(got) != string(w) {
			t.Errorf("%s = %s; want %s", name, got, w)
		}
	}
	eq("issuer", base)
	eq("authorization_endpoint", base+"/authorize")
	eq("pushed_authorization_request_endpoint", base+"/par")
	eq("require_pushed_authorization_requests", true)
	eq("response_types_supported", []string{"code"})
	eq("response_modes_supported", []string{"query"})
	eq("code_challenge_methods_supported", []string{"S256"})
	eq("authorization_response_iss_parameter_supported", true)
	eq("authorization_details_types_supported", []string{"openid_credential"})
	scopes := stringList(m["scopes_supported"])
	for _, want := range []string{"openid", "offline_access", pidConfig, mdlConfig} {
		if !slices.Contains(scopes, want) {
			t.Errorf("scopes_supported = %v; want %s in it", scopes, want)
		}
	}
	if g := stringList(m["grant_types_supported"]); !slices.Contains(g, paAuthCode) {
		t.Errorf("grant_types_supported = %v; want authorization_code in it", g)
	}
	if oidc {
		eq("userinfo_endpoint", base+"/userinfo")
		eq("subject_types_supported", []string{"public"})
		eq("id_token_signing_alg_values_supported", []string{"ES256"})
	}
}

// TestDiscoveryMembers checks the authorization code members of both
// discovery documents.
func TestDiscoveryMembers(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	for _, d := range []struct {
		path string
		oidc bool
	}{
		{"/.well-known/openid-configuration", true},
		{"/.well-known/oauth-authorization-server", false},
	} {
		t.Run(d.path, func(t *testing.T) {
			t.Parallel()
			m, _ := getJSON(t, ts.URL+d.path)
			paDiscoveryChecks(t, m, ts.URL, d.oidc)
		})
	}
}

// TestDiscoveryTenantPath: with an issuer URL with a path, the OpenID
// configuration is served at both forms, and the whole flow lives under
// the path (DPoP htu, cookie path, iss).
func TestDiscoveryTenantPath(t *testing.T) {
	t.Parallel()
	srv := newCustomServer(t, "/tenant1", adminToken)
	base := srv.URL + "/tenant1"
	for _, p := range []string{"/tenant1/.well-known/openid-configuration", "/.well-known/openid-configuration/tenant1"} {
		t.Run(p, func(t *testing.T) {
			m, _ := getJSON(t, srv.URL+p)
			paDiscoveryChecks(t, m, base, true)
		})
	}
	t.Run("oauth-authorization-server", func(t *testing.T) {
		m, _ := getJSON(t, srv.URL+"/.well-known/oauth-authorization-server/tenant1")
		paDiscoveryChecks(t, m, base, false)
	})
	t.Run("host-level paths are not served", func(t *testing.T) {
		for _, p := range []string{"/.well-known/openid-configuration", "/par", "/authorize"} {
			res := sendRaw(t, http.MethodGet, srv.URL+p, "", nil, nil)
			readBody(t, res)
			if res.StatusCode != http.StatusNotFound {
				t.Errorf("GET %s = %d; want 404", p, res.StatusCode)
			}
		}
	})
	t.Run("flow under the path", func(t *testing.T) {
		// A view of the same server whose URL is the tenant base, so that
		// the shared helpers address the tenant's endpoints.
		ts := &testServer{Server: &httptest.Server{URL: base}, Svc: srv.Svc, Store: srv.Store, Clock: srv.Clock}
		ts.afCreateUser(t, afUser, afPassword, map[string]any{})
		ts.afCreateClient(t, map[string]any{
			"client_id": "wallet", "token_endpoint_auth_method": "none",
			"grant_types": []string{paAuthCode}, "redirect_uris": []string{afRedirect},
		})
		w, pk := newWallet(t), newPKCE(t)
		wantError(t, ts.afPush(t, afParams("wallet", pk, nil), paDPoP(paProof(t, ts, w, srv.URL+"/par"))), http.StatusBadRequest, "invalid_dpop_proof")
		uri := paPush(t, ts, afParams("wallet", pk, nil), paDPoP(paProof(t, ts, w, base+"/par")))
		b := newBrowser(t)
		res := paAuthorize(t, ts, b, "wallet", uri)
		page := string(readBody(t, res))
		if res.StatusCode != http.StatusOK || !strings.Contains(page, `action="/tenant1/authorize/login"`) {
			t.Fatalf("GET /tenant1/authorize = %d %s; want the login page posting to /tenant1/authorize/login", res.StatusCode, page)
		}
		for _, c := range res.Cookies() {
			if c.Name == "issuer_signin" && c.Path != "/tenant1/authorize" {
				t.Errorf("cookie Path = %q; want /tenant1/authorize", c.Path)
			}
		}
		csrf := afCSRF(t, []byte(page))
		csrf = afCSRF(t, []byte(paWantConsent(t, paLogin(t, ts, b, csrf, afUser, afPassword), afUser))) // the consent form has its own token
		q := paWantRedirect(t, paDecide(t, ts, b, csrf, "approve"), afRedirect)
		if q.Get("iss") != base {
			t.Errorf("iss = %q; want %s", q.Get("iss"), base)
		}
		wantToken(t, ts.afExchange(t, "wallet", q.Get("code"), pk.Verifier, paProof(t, ts, w, base+"/token"), nil))
	})
}
