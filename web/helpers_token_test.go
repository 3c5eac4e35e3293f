package web_test

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"issuer/dpop"
	"issuer/issuer"
	"issuer/issuer/oauth"
)

// ---------------------------------------------------------------------------
// Proofs, raw requests and offers for the token endpoint, shared by the
// token, transport, client, admin and metadata tests.

// proofAt signs a valid ES256 DPoP proof for method and target, dated iat.
func proofAt(t testing.TB, w *wallet, method, target string, iat time.Time) string {
	t.Helper()
	p, err := dpop.Sign(w.Key, "ES256", dpop.Claims{Method: method, URL: target, IssuedAt: iat})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// signProofNoFatal is proofAt for code that has no testing.TB.
func signProofNoFatal(w *wallet, method, target string, iat time.Time) (string, error) {
	return dpop.Sign(w.Key, "ES256", dpop.Claims{Method: method, URL: target, IssuedAt: iat})
}

// freshProof signs a proof for POST /token dated by the server clock, so
// that it stays fresh however long the test runs.
func (ts *testServer) freshProof(t testing.TB, w *wallet) string {
	t.Helper()
	return proofAt(t, w, http.MethodPost, ts.TokenURL(), ts.Clock.Now())
}

// redeemFresh redeems code with a new wallet's fresh proof.
func (ts *testServer) redeemFresh(t testing.TB, code string, extra url.Values) *http.Response {
	t.Helper()
	return ts.redeem(t, code, ts.freshProof(t, newWallet(t)), extra)
}

// wantRedeemable asserts that code still redeems (200) with a fresh proof:
// the refused request before it had no side effect on the code.
func (ts *testServer) wantRedeemable(t testing.TB, code string, extra url.Values) tokenBody {
	t.Helper()
	res := ts.redeemFresh(t, code, extra)
	if res.StatusCode != http.StatusOK {
		body := readBody(t, res)
		t.Fatalf("redeeming the code after the refused request: got %d %s; want 200 (the code must not be consumed)", res.StatusCode, body)
	}
	return wantToken(t, res)
}

// wantSafeDescription asserts OA-25: error_description uses only
// %x20-21 / %x23-5B / %x5D-7E and echoes none of the given inputs.
func wantSafeDescription(t testing.TB, desc string, echoed ...string) {
	t.Helper()
	for _, r := range desc {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			t.Errorf("error_description %q has the character %q outside the RFC 6749 §5.2 set", desc, r)
			break
		}
	}
	for _, s := range echoed {
		if s != "" && strings.Contains(desc, s) {
			t.Errorf("error_description %q echoes the submitted %q", desc, s)
		}
	}
}

// preAuthForm is a valid anonymous pre-authorized code request body.
func preAuthForm(code string) url.Values {
	return url.Values{"grant_type": {preAuth}, "pre-authorized_code": {code}}
}

// randomCode returns 32 random bytes, base64url-encoded.
func randomCode() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// adminOfferRaw creates an offer and returns the raw decoded response.
func adminOfferRaw(t testing.TB, ts *testServer, req map[string]any) map[string]any {
	t.Helper()
	res := ts.admin(t, http.MethodPost, "/admin/offers", req)
	body := readBody(t, res)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("POST /admin/offers = %d %s; want 201", res.StatusCode, body)
	}
	var out map[string]any
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// offer creates an offer through the admin API and returns the response.
func (ts *testServer) offer(t testing.TB, req map[string]any) issuer.OfferResponse {
	t.Helper()
	if req == nil {
		req = map[string]any{}
	}
	if _, ok := req["credential_configuration_ids"]; !ok {
		req["credential_configuration_ids"] = []string{pidConfig}
	}
	if _, ok := req["subject"]; !ok {
		req["subject"] = "subject-1"
	}
	res := ts.admin(t, http.MethodPost, "/admin/offers", req)
	body := readBody(t, res)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("POST /admin/offers = %d %s; want 201", res.StatusCode, body)
	}
	var out issuer.OfferResponse
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// code returns the pre-authorized code of an offer.
func code(o issuer.OfferResponse) string {
	return o.CredentialOffer.Grants.PreAuthorizedCode.PreAuthorizedCode
}

// redeem posts a pre-authorized code token request with a DPoP proof ("" for none).
func (ts *testServer) redeem(t testing.TB, code, proof string, extra url.Values) *http.Response {
	t.Helper()
	form := url.Values{"grant_type": {preAuth}, "pre-authorized_code": {code}}
	for k, v := range extra {
		form[k] = v
	}
	h := map[string][]string{}
	if proof != "" {
		h["DPoP"] = []string{proof}
	}
	return ts.post(t, "/token", form, h)
}

// oauthError is an RFC 6749 §5.2 error body.
type oauthError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// wantError asserts status, error code and the no-store headers of an error
// response, and returns the decoded body.
func wantError(t testing.TB, res *http.Response, status int, code string) oauthError {
	t.Helper()
	body := readBody(t, res)
	var e oauthError
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body %q is not JSON: %v", body, err)
	}
	if res.StatusCode != status || e.Error != code {
		t.Fatalf("response = %d %s; want %d with error %q", res.StatusCode, body, status, code)
	}
	if got := res.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q; want no-store", got)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q; want application/json", ct)
	}
	return e
}

// tokenBody is a successful token response.
type tokenBody struct {
	AccessToken          string                      `json:"access_token"`
	TokenType            string                      `json:"token_type"`
	ExpiresIn            int64                       `json:"expires_in"`
	CNonce               string                      `json:"c_nonce"`
	CNonceExpiresIn      int64                       `json:"c_nonce_expires_in"`
	AuthorizationDetails []oauth.AuthorizationDetail `json:"authorization_details"`
}

// wantToken asserts a 200 token response with its cache headers.
func wantToken(t testing.TB, res *http.Response) tokenBody {
	t.Helper()
	body := readBody(t, res)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("token response = %d %s; want 200", res.StatusCode, body)
	}
	if res.Header.Get("Cache-Control") != "no-store" || res.Header.Get("Pragma") != "no-cache" {
		t.Errorf("cache headers = %q, %q; want no-store, no-cache", res.Header.Get("Cache-Control"), res.Header.Get("Pragma"))
	}
	var tb tokenBody
	if err := json.Unmarshal(body, &tb); err != nil {
		t.Fatal(err)
	}
	return tb
}

const (
	rfGrant = oauth.GrantRefreshToken
	rfDay   = 24 * time.Hour
	// Descriptions of the error catalogue.
	rfDescMissing    = "the parameter refresh_token is missing"
	rfDescInvalid    = "the refresh token is not valid"
	rfDescProofReq   = "the DPOP Proof is missing"
	rfDescClientAuth = "client authentication is required for the grant type 'refresh_token'"
)

// rfBody is a token response with the members a refresh-capable response
// may carry (tokenBody has no refresh_token).
type rfBody struct {
	AccessToken          string                      `json:"access_token"`
	TokenType            string                      `json:"token_type"`
	ExpiresIn            int64                       `json:"expires_in"`
	RefreshToken         string                      `json:"refresh_token"`
	Scope                string                      `json:"scope"`
	AuthorizationDetails []oauth.AuthorizationDetail `json:"authorization_details"`
	CNonce               string                      `json:"c_nonce"`
	// members holds every member of the body, to tell absent from empty.
	members map[string]json.RawMessage
	raw     []byte
}

// has reports whether the body has the member name.
func (b rfBody) has(name string) bool {
	_, ok := b.members[name]
	return ok
}

// rfDecode decodes a 200 token response body.
func rfDecode(body []byte) (rfBody, error) {
	var b rfBody
	if err := json.Unmarshal(body, &b); err != nil {
		return b, fmt.Errorf("token response %q: %w", body, err)
	}
	if err := json.Unmarshal(body, &b.members); err != nil {
		return b, fmt.Errorf("token response %q: %w", body, err)
	}
	b.raw = body
	return b, nil
}

// rfWantToken asserts a 200 token response with its cache headers.
func rfWantToken(t testing.TB, res *http.Response) rfBody {
	t.Helper()
	body := readBody(t, res)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("got %d %s; want 200", res.StatusCode, body)
	}
	if res.Header.Get("Cache-Control") != "no-store" || res.Header.Get("Pragma") != "no-cache" {
		t.Errorf("cache headers = %q, %q; want no-store, no-cache", res.Header.Get("Cache-Control"), res.Header.Get("Pragma"))
	}
	b, err := rfDecode(body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rfRegister registers a client with the given authentication method and
// grant types.
func (ts *testServer) rfRegister(t testing.TB, id, method string, grants ...string) registeredClient {
	t.Helper()
	return ts.registerClient(t, map[string]any{"client_id": id, "token_endpoint_auth_method": method, "grant_types": grants})
}

// rfIdentify adds the identification of client c to a request: nothing for
// the zero client (an anonymous wallet), client_id in the form for a public
// client, client_id and client_secret in the form for client_secret_post,
// and a Basic header otherwise.
func rfIdentify(c registeredClient, form url.Values, h map[string][]string) {
	switch {
	case c.ID == "":
	case c.Secret == "":
		form.Set("client_id", c.ID)
	case c.Method == oauth.AuthClientSecretPost:
		form.Set("client_id", c.ID)
		form.Set("client_secret", c.Secret)
	default:
		h["Authorization"] = []string{basicAuth(c.ID, c.Secret)}
	}
}

// rfRefresh posts a refresh request as client c. rt "" leaves the
// parameter out; proof "" sends no DPoP header.
func (ts *testServer) rfRefresh(t testing.TB, c registeredClient, rt, proof string, extra url.Values) *http.Response {
	t.Helper()
	form := url.Values{"grant_type": {rfGrant}}
	if rt != "" {
		form.Set("refresh_token", rt)
	}
	for k, v := range extra {
		form[k] = v
	}
	h := map[string][]string{}
	if proof != "" {
		h["DPoP"] = []string{proof}
	}
	rfIdentify(c, form, h)
	return ts.post(t, "/token", form, h)
}

// rfRefreshOK refreshes rt as c with a fresh proof of w and asserts a 200
// DPoP token bound to w.
func (ts *testServer) rfRefreshOK(t testing.TB, c registeredClient, rt string, w *wallet) rfBody {
	t.Helper()
	b := rfWantToken(t, ts.rfRefresh(t, c, rt, ts.freshProof(t, w), nil))
	if b.TokenType != "DPoP" {
		t.Errorf("token_type = %q; want DPoP", b.TokenType)
	}
	if got := rfJKT(t, b.AccessToken); got != w.JKT {
		t.Errorf("cnf.jkt = %q; want %q, the key of the refresh request's proof", got, w.JKT)
	}
	return b
}

// rfClaims returns the claims of an access token.
func rfClaims(t testing.TB, at string) map[string]any {
	t.Helper()
	_, claims := jwtParts(t, at)
	return claims
}

// rfJKT returns cnf.jkt of an access token ("" when unbound).
func rfJKT(t testing.TB, at string) string {
	t.Helper()
	cnf, _ := rfClaims(t, at)["cnf"].(map[string]any)
	jkt, _ := cnf["jkt"].(string)
	return jkt
}

// rfIntrospect introspects tok as the confidential client rs.
func (ts *testServer) rfIntrospect(t testing.TB, rs registeredClient, tok string) map[string]any {
	t.Helper()
	res := ts.post(t, "/introspect", url.Values{"token": {tok}}, map[string][]string{"Authorization": {basicAuth(rs.ID, rs.Secret)}})
	body := readBody(t, res)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("introspection: got %d %s; want 200", res.StatusCode, body)
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("introspection body %q: %v", body, err)
	}
	return m
}

// rfWantActive asserts each named access token introspects active.
func (ts *testServer) rfWantActive(t testing.TB, rs registeredClient, tokens map[string]string) {
	t.Helper()
	for name, tok := range tokens {
		if m := ts.rfIntrospect(t, rs, tok); m["active"] != true {
			t.Errorf("introspection of %s = %v; want active", name, m)
		}
	}
}

// rfWantInactive asserts each named access token introspects as exactly
// {"active":false}.
func (ts *testServer) rfWantInactive(t testing.TB, rs registeredClient, tokens map[string]string) {
	t.Helper()
	for name, tok := range tokens {
		if m := ts.rfIntrospect(t, rs, tok); m["active"] != false || len(m) != 1 {
			t.Errorf("introspection of %s = %v; want only active:false", name, m)
		}
	}
}

// rfRevoke revokes tok as client c and asserts 200.
func (ts *testServer) rfRevoke(t testing.TB, c registeredClient, tok string, extra url.Values) {
	t.Helper()
	form := url.Values{"token": {tok}}
	for k, v := range extra {
		form[k] = v
	}
	h := map[string][]string{}
	rfIdentify(c, form, h)
	res := ts.post(t, "/revoke", form, h)
	if body := readBody(t, res); res.StatusCode != http.StatusOK {
		t.Fatalf("revocation: got %d %s; want 200", res.StatusCode, body)
	}
}

// rfFlip changes the byte at i of s to another URL-safe character.
func rfFlip(s string, i int) string {
	b := []byte(s)
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

// uiProof signs a proof of w for method /userinfo, dated by the server
// clock, with ath over at ("" for none) and the server nonce ("" for none).
func (ts *testServer) uiProof(t testing.TB, w *wallet, method, at, nonce string) string {
	t.Helper()
	p, err := dpop.Sign(w.Key, "ES256", dpop.Claims{Method: method, URL: ts.URL + "/userinfo", AccessToken: at, Nonce: nonce, IssuedAt: ts.Clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// uiRequest sends method /userinfo (without a body) with the header lines
// of h; a key may repeat by giving several values.
func (ts *testServer) uiRequest(t testing.TB, method string, h map[string][]string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+"/userinfo", nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range h {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// uiCall presents at with the DPoP scheme and a fresh proof of w.
func (ts *testServer) uiCall(t testing.TB, method, at string, w *wallet) *http.Response {
	t.Helper()
	return ts.uiRequest(t, method, map[string][]string{"Authorization": {"DPoP " + at}, "DPoP": {ts.uiProof(t, w, method, at, "")}})
}

// uiWantClaims asserts a 200 JSON answer with Cache-Control no-store and
// returns its members.
func uiWantClaims(t testing.TB, res *http.Response) map[string]any {
	t.Helper()
	body := readBody(t, res)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /userinfo = %d %s (WWW-Authenticate %q); want 200", res.StatusCode, body, res.Header.Get("WWW-Authenticate"))
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q; want application/json", ct)
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q; want no-store", cc)
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("userinfo body %q: %v", body, err)
	}
	return m
}

// uiWantRefused asserts status and error (in the JSON body and as the
// error attribute of a DPoP WWW-Authenticate challenge) and returns the
// challenge.
func uiWantRefused(t testing.TB, res *http.Response, status int, code string) string {
	t.Helper()
	wantError(t, res, status, code)
	ch := res.Header.Get("WWW-Authenticate")
	if !strings.HasPrefix(ch, "DPoP ") || !strings.Contains(ch, `error="`+code+`"`) {
		t.Errorf("WWW-Authenticate = %q; want a DPoP challenge with error=%q", ch, code)
	}
	return ch
}
