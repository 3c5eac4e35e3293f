package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"issuer/issuer"
)

// Refresh token grant (RFC 6749 §6) through HTTP: checklist DPOP-22,
// DPOP-23, OA-26..28, BCP-07..12, REV-06 and §7 item 4; adversarial K01–K12,
// H06, H07 and N04.

const (
	rfGrant = issuer.GrantRefreshToken
	rfDay   = 24 * time.Hour
	// Descriptions of the error catalogue.
	rfDescMissing    = "the parameter refresh_token is missing"
	rfDescInvalid    = "the refresh token is not valid"
	rfDescProofReq   = "a DPoP proof is required"
	rfDescClientAuth = "client authentication is required for the grant type 'refresh_token'"
)

// rfRotating switches refresh-token rotation on.
func rfRotating(c *issuer.Config) { c.Tokens.RotateRefreshTokens = true }

// rfBody is a token response with the members a refresh-capable response
// may carry (tokenBody has no refresh_token).
type rfBody struct {
	AccessToken          string                       `json:"access_token"`
	TokenType            string                       `json:"token_type"`
	ExpiresIn            int64                        `json:"expires_in"`
	RefreshToken         string                       `json:"refresh_token"`
	Scope                string                       `json:"scope"`
	AuthorizationDetails []issuer.AuthorizationDetail `json:"authorization_details"`
	CNonce               string                       `json:"c_nonce"`
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
	case c.Method == issuer.AuthClientSecretPost:
		form.Set("client_id", c.ID)
		form.Set("client_secret", c.Secret)
	default:
		h["Authorization"] = []string{basicAuth(c.ID, c.Secret)}
	}
}

// rfIssue redeems a new offer as client c (zero for an anonymous wallet)
// with a fresh proof of w and returns the 200 response. offer is the admin
// offer request (nil for the defaults).
func (ts *testServer) rfIssue(t testing.TB, c registeredClient, w *wallet, offer map[string]any) rfBody {
	t.Helper()
	o := ts.offer(t, offer)
	form := preAuthForm(code(o))
	h := map[string][]string{"DPoP": {ts.freshProof(t, w)}}
	rfIdentify(c, form, h)
	return rfWantToken(t, ts.post(t, "/token", form, h))
}

// rfIssueRT is rfIssue for a client that must get a refresh token.
func (ts *testServer) rfIssueRT(t testing.TB, c registeredClient, w *wallet) rfBody {
	t.Helper()
	b := ts.rfIssue(t, c, w, nil)
	if b.RefreshToken == "" {
		t.Fatalf("redemption by %s = %s; want a refresh_token", c.ID, b.raw)
	}
	return b
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

// rfStillWorks asserts that rt still refreshes for its client and key after
// a refused request: a refusal never burns a refresh token.
func (ts *testServer) rfStillWorks(t testing.TB, c registeredClient, rt string, w *wallet) rfBody {
	t.Helper()
	res := ts.rfRefresh(t, c, rt, ts.freshProof(t, w), nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("refreshing after the refused request: got %d %s; want 200 (a refusal must not burn the refresh token)", res.StatusCode, readBody(t, res))
	}
	return rfWantToken(t, res)
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

// rfResult is a refresh response read without testing.TB, for goroutines.
type rfResult struct {
	status int
	body   []byte
	err    error
}

// rfRefreshNoFatal refreshes rt as c with a fresh proof of w; safe to call
// from any goroutine.
func (ts *testServer) rfRefreshNoFatal(c registeredClient, rt string, w *wallet) rfResult {
	proof, err := signProofNoFatal(w, http.MethodPost, ts.TokenURL(), ts.Clock.Now())
	if err != nil {
		return rfResult{err: err}
	}
	form := url.Values{"grant_type": {rfGrant}, "refresh_token": {rt}}
	h := map[string][]string{"DPoP": {proof}}
	rfIdentify(c, form, h)
	req, err := http.NewRequest(http.MethodPost, ts.TokenURL(), strings.NewReader(form.Encode()))
	if err != nil {
		return rfResult{err: err}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range h {
		req.Header.Set(k, v[0])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return rfResult{err: err}
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	return rfResult{status: res.StatusCode, body: body, err: err}
}

// rfKind is a client kind the grant treats differently.
type rfKind struct {
	name   string
	method string
}

var rfKinds = []rfKind{
	{"public", issuer.AuthNone},
	{"confidential", issuer.AuthClientSecretBasic},
}

// rfRefusal returns, for a client of the given kind, a refused refresh of
// rt (another key for a public client, a wrong secret for a confidential
// one) and the status and code it must get.
func (ts *testServer) rfRefusal(t testing.TB, c registeredClient, rt string) (*http.Response, int, string) {
	t.Helper()
	if c.Secret == "" {
		return ts.rfRefresh(t, c, rt, ts.freshProof(t, newWallet(t)), nil), http.StatusBadRequest, "invalid_grant"
	}
	bad := c
	bad.Secret += "x"
	return ts.rfRefresh(t, bad, rt, ts.freshProof(t, newWallet(t)), nil), http.StatusUnauthorized, "invalid_client"
}

// ---------------------------------------------------------------------------

// TestRefreshIssuance checks who gets a refresh token (BCP-11): only a
// registered client with the refresh_token grant, and never through
// client_credentials.
func TestRefreshIssuance(t *testing.T) {
	ts := newTestServer(t)
	cases := []struct {
		name   string
		client registeredClient
		want   bool
	}{
		{"anonymous wallet", registeredClient{}, false},
		{"public client with the refresh_token grant", ts.rfRegister(t, "rf-public", issuer.AuthNone, preAuth, rfGrant), true},
		{"client_secret_basic client with the refresh_token grant", ts.rfRegister(t, "rf-basic", issuer.AuthClientSecretBasic, preAuth, rfGrant), true},
		{"client_secret_post client with the refresh_token grant", ts.rfRegister(t, "rf-post", issuer.AuthClientSecretPost, preAuth, rfGrant), true},
		{"public client without the refresh_token grant", ts.rfRegister(t, "rf-public-no-rt", issuer.AuthNone, preAuth), false},
		{"confidential client without the refresh_token grant", ts.rfRegister(t, "rf-basic-no-rt", issuer.AuthClientSecretBasic, preAuth), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := ts.rfIssue(t, tc.client, newWallet(t), nil)
			switch {
			case tc.want && b.RefreshToken == "":
				t.Fatalf("token response %s; want a refresh_token", b.raw)
			case tc.want && b.RefreshToken == b.AccessToken:
				t.Fatalf("refresh_token equals the access token; want a distinct token")
			case !tc.want && b.has("refresh_token"):
				t.Fatalf("token response %s; want no refresh_token", b.raw)
			}
		})
	}
	t.Run("client_credentials never gives one", func(t *testing.T) {
		c := ts.registerClient(t, map[string]any{
			"client_id": "rf-cc", "token_endpoint_auth_method": issuer.AuthClientSecretBasic, "scope": "read",
			"grant_types": []string{issuer.GrantClientCredentials, rfGrant},
		})
		b := rfWantToken(t, ts.ccRequest(t, c, ts.freshProof(t, newWallet(t)), nil))
		if b.has("refresh_token") {
			t.Fatalf("client_credentials response %s; want no refresh_token", b.raw)
		}
	})
}

// TestRefreshSuccess checks the refreshed token (DPOP-22, DPOP-23, K06):
// a new DPoP token bound to the refresh proof's key, for the same subject,
// credentials and client, and with rotation off, no new refresh token and
// an old one that keeps working.
func TestRefreshSuccess(t *testing.T) {
	ts := newTestServer(t)
	clients := []registeredClient{
		ts.rfRegister(t, "rf-public", issuer.AuthNone, preAuth, rfGrant),
		ts.rfRegister(t, "rf-basic", issuer.AuthClientSecretBasic, preAuth, rfGrant),
		ts.rfRegister(t, "rf-post", issuer.AuthClientSecretPost, preAuth, rfGrant),
	}
	for _, c := range clients {
		t.Run(c.ID, func(t *testing.T) {
			w := newWallet(t)
			subject := "subject-" + c.ID
			first := ts.rfIssue(t, c, w, map[string]any{"subject": subject, "credential_configuration_ids": []string{pidConfig, mdlConfig}})
			if first.RefreshToken == "" {
				t.Fatalf("redemption = %s; want a refresh_token", first.raw)
			}
			firstClaims := rfClaims(t, first.AccessToken)
			rt := first.RefreshToken

			// check asserts a refreshed response against the redemption.
			check := func(t *testing.T, b rfBody, key *wallet) {
				t.Helper()
				if b.TokenType != "DPoP" {
					t.Errorf("token_type = %q; want DPoP", b.TokenType)
				}
				if b.ExpiresIn != 300 {
					t.Errorf("expires_in = %d; want 300", b.ExpiresIn)
				}
				if b.AccessToken == "" || b.AccessToken == first.AccessToken {
					t.Errorf("access_token = %q; want a new access token", b.AccessToken)
				}
				if b.has("refresh_token") {
					t.Errorf("response has refresh_token %q; want none with rotation off", b.RefreshToken)
				}
				if b.Scope != "" {
					t.Errorf("scope = %q; want none (a pre-authorized grant carries no scope)", b.Scope)
				}
				if !reflect.DeepEqual(b.AuthorizationDetails, first.AuthorizationDetails) {
					t.Errorf("authorization_details = %+v; want the original %+v", b.AuthorizationDetails, first.AuthorizationDetails)
				}
				if len(b.AuthorizationDetails) != 2 {
					t.Errorf("authorization_details has %d entries; want 2", len(b.AuthorizationDetails))
				}
				for _, d := range b.AuthorizationDetails {
					if len(d.CredentialIdentifiers) == 0 {
						t.Errorf("authorization_details entry %+v has no credential_identifiers", d)
					}
				}
				claims := rfClaims(t, b.AccessToken)
				if claims["sub"] != subject || claims["sub"] != firstClaims["sub"] {
					t.Errorf("sub = %v; want %s, the original subject", claims["sub"], subject)
				}
				if claims["client_id"] != c.ID {
					t.Errorf("client_id claim = %v; want %s", claims["client_id"], c.ID)
				}
				if !reflect.DeepEqual(claims["authorization_details"], firstClaims["authorization_details"]) {
					t.Errorf("authorization_details claim = %v; want the original %v", claims["authorization_details"], firstClaims["authorization_details"])
				}
				if claims["scope"] != firstClaims["scope"] {
					t.Errorf("scope claim = %v; want the original %v", claims["scope"], firstClaims["scope"])
				}
				if claims["jti"] == firstClaims["jti"] {
					t.Errorf("jti = %v; want a new token ID", claims["jti"])
				}
				if got := rfJKT(t, b.AccessToken); got != key.JKT {
					t.Errorf("cnf.jkt = %q; want %q, the key of the refresh proof", got, key.JKT)
				}
			}

			t.Run("refresh with the redemption key", func(t *testing.T) {
				check(t, ts.rfRefreshOK(t, c, rt, w), w)
			})
			t.Run("K06 the same refresh token again", func(t *testing.T) {
				check(t, ts.rfRefreshOK(t, c, rt, w), w)
			})
			t.Run("resource equal to the server URL", func(t *testing.T) {
				b := rfWantToken(t, ts.rfRefresh(t, c, rt, ts.freshProof(t, w), url.Values{"resource": {ts.URL}}))
				check(t, b, w)
			})
			if c.Secret != "" {
				t.Run("DPOP-23 confidential client refreshes with a new key", func(t *testing.T) {
					w2 := newWallet(t)
					check(t, ts.rfRefreshOK(t, c, rt, w2), w2)
					// Bound to the client, not to a key: the first key works too.
					check(t, ts.rfRefreshOK(t, c, rt, w), w)
				})
			}
		})
	}
}

// TestRefreshRefused covers the refused refresh requests (K01, K07..K12,
// H06, H07, DPOP-22, OA-26, OA-27, BCP-09, BCP-10). After each refusal the
// refresh token still works for its client and key.
func TestRefreshRefused(t *testing.T) {
	ts := newTestServer(t)
	public := ts.rfRegister(t, "rf-public", issuer.AuthNone, preAuth, rfGrant)
	public2 := ts.rfRegister(t, "rf-public-2", issuer.AuthNone, preAuth, rfGrant)
	a := ts.rfRegister(t, "rf-client-a", issuer.AuthClientSecretBasic, preAuth, rfGrant)
	b := ts.rfRegister(t, "rf-client-b", issuer.AuthClientSecretBasic, preAuth, rfGrant)
	noGrant := ts.rfRegister(t, "rf-no-refresh", issuer.AuthClientSecretBasic, preAuth)
	wp, wa, other := newWallet(t), newWallet(t), newWallet(t)
	pub := ts.rfIssueRT(t, public, wp)
	conf := ts.rfIssueRT(t, a, wa)
	wrongSecret := a
	wrongSecret.Secret += "x"

	type owner struct {
		c  registeredClient
		rt string
		w  *wallet
	}
	ownerP := owner{public, pub.RefreshToken, wp}
	ownerA := owner{a, conf.RefreshToken, wa}

	cases := []struct {
		name   string
		owner  owner            // whose refresh token is at stake
		client registeredClient // who sends the request
		rt     string           // "" leaves the parameter out
		key    *wallet          // nil sends no DPoP header
		extra  url.Values
		status int
		code   string
		desc   string // exact error_description when not ""
	}{
		{name: "K11 refresh_token missing", owner: ownerA, client: a, key: wa,
			status: 400, code: "invalid_request", desc: rfDescMissing},
		{name: "K11 refresh_token missing, public client", owner: ownerP, client: public, key: wp,
			status: 400, code: "invalid_request", desc: rfDescMissing},
		{name: "unknown refresh token", owner: ownerA, client: a, rt: randomCode(), key: wa,
			status: 400, code: "invalid_grant", desc: rfDescInvalid},
		{name: "K09 first byte changed", owner: ownerA, client: a, rt: rfFlip(conf.RefreshToken, 0), key: wa,
			status: 400, code: "invalid_grant", desc: rfDescInvalid},
		{name: "K09 middle byte changed", owner: ownerA, client: a, rt: rfFlip(conf.RefreshToken, len(conf.RefreshToken)/2), key: wa,
			status: 400, code: "invalid_grant", desc: rfDescInvalid},
		// The last character of unpadded base64url may carry only padding
		// bits; the one before it always carries data.
		{name: "K09 byte before the last changed", owner: ownerA, client: a, rt: rfFlip(conf.RefreshToken, len(conf.RefreshToken)-2), key: wa,
			status: 400, code: "invalid_grant", desc: rfDescInvalid},
		{name: "K09 public client's token with a byte changed", owner: ownerP, client: public, rt: rfFlip(pub.RefreshToken, len(pub.RefreshToken)/2), key: wp,
			status: 400, code: "invalid_grant", desc: rfDescInvalid},
		{name: "K10 access token as refresh_token", owner: ownerA, client: a, rt: conf.AccessToken, key: wa,
			status: 400, code: "invalid_grant", desc: rfDescInvalid},
		{name: "K10 public client's access token as refresh_token", owner: ownerP, client: public, rt: pub.AccessToken, key: wp,
			status: 400, code: "invalid_grant", desc: rfDescInvalid},
		{name: "H06 K08 public client with another key", owner: ownerP, client: public, rt: pub.RefreshToken, key: other,
			status: 400, code: "invalid_grant"},
		{name: "H07 DPOP-22 public client without DPoP header", owner: ownerP, client: public, rt: pub.RefreshToken,
			status: 400, code: "invalid_request", desc: rfDescProofReq},
		{name: "confidential client without DPoP header", owner: ownerA, client: a, rt: conf.RefreshToken,
			status: 400, code: "invalid_request", desc: rfDescProofReq},
		{name: "public client's token without client identification", owner: ownerP, client: registeredClient{}, rt: pub.RefreshToken, key: wp,
			status: 401, code: "invalid_client", desc: rfDescClientAuth},
		{name: "confidential client's token without client authentication", owner: ownerA, client: registeredClient{}, rt: conf.RefreshToken, key: wa,
			status: 401, code: "invalid_client", desc: rfDescClientAuth},
		{name: "K01 OA-27 client B presents client A's token", owner: ownerA, client: b, rt: conf.RefreshToken, key: wa,
			status: 400, code: "invalid_grant", desc: "the token has not been issued for the given client id '" + b.ID + "'"},
		{name: "K01 client B with a new key presents client A's token", owner: ownerA, client: b, rt: conf.RefreshToken, key: other,
			status: 400, code: "invalid_grant", desc: "the token has not been issued for the given client id '" + b.ID + "'"},
		{name: "K01 another public client presents the token with its key", owner: ownerP, client: public2, rt: pub.RefreshToken, key: wp,
			status: 400, code: "invalid_grant"},
		{name: "K01 confidential client presents a public client's token", owner: ownerP, client: a, rt: pub.RefreshToken, key: wp,
			status: 400, code: "invalid_grant"},
		{name: "C01 wrong secret", owner: ownerA, client: wrongSecret, rt: conf.RefreshToken, key: wa,
			status: 401, code: "invalid_client"},
		{name: "BCP-11 client not registered for refresh_token", owner: ownerA, client: noGrant, rt: conf.RefreshToken, key: wa,
			status: 400, code: "unauthorized_client"},
		{name: "OA-26 K07 scope of a credential configuration", owner: ownerA, client: a, rt: conf.RefreshToken, key: wa,
			extra: url.Values{"scope": {pidConfig}}, status: 400, code: "invalid_scope"},
		{name: "OA-26 K07 scope openid", owner: ownerA, client: a, rt: conf.RefreshToken, key: wa,
			extra: url.Values{"scope": {"openid"}}, status: 400, code: "invalid_scope"},
		{name: "OA-26 K07 public client asks for a scope", owner: ownerP, client: public, rt: pub.RefreshToken, key: wp,
			extra: url.Values{"scope": {pidConfig + " " + mdlConfig}}, status: 400, code: "invalid_scope"},
		{name: "K12 BCP-10 resource of another server", owner: ownerA, client: a, rt: conf.RefreshToken, key: wa,
			extra: url.Values{"resource": {"https://attacker.example"}}, status: 400, code: "invalid_target"},
		{name: "K12 BCP-10 resource that is a URN", owner: ownerP, client: public, rt: pub.RefreshToken, key: wp,
			extra: url.Values{"resource": {"urn:example:other-resource"}}, status: 400, code: "invalid_target"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			proof := ""
			if tc.key != nil {
				proof = ts.freshProof(t, tc.key)
			}
			e := wantError(t, ts.rfRefresh(t, tc.client, tc.rt, proof, tc.extra), tc.status, tc.code)
			if tc.desc != "" && e.Description != tc.desc {
				t.Errorf("error_description = %q; want %q", e.Description, tc.desc)
			}
			wantSafeDescription(t, e.Description, tc.rt, a.Secret, b.Secret)
			ts.rfStillWorks(t, tc.owner.c, tc.owner.rt, tc.owner.w)
		})
	}
}

// TestRefreshDPoPOptional covers H07 under the optional DPoP policy: a
// key-bound refresh token still needs its key.
func TestRefreshDPoPOptional(t *testing.T) {
	ts := newTestServer(t, func(c *issuer.Config) { c.DPoP.Policy = issuer.DPoPOptional })
	public := ts.rfRegister(t, "rf-public", issuer.AuthNone, preAuth, rfGrant)
	w := newWallet(t)
	rt := ts.rfIssueRT(t, public, w).RefreshToken
	t.Run("H07 public client without DPoP header", func(t *testing.T) {
		wantError(t, ts.rfRefresh(t, public, rt, "", nil), http.StatusBadRequest, "invalid_grant")
		ts.rfStillWorks(t, public, rt, w)
	})
	t.Run("H06 public client with another key", func(t *testing.T) {
		wantError(t, ts.rfRefresh(t, public, rt, ts.freshProof(t, newWallet(t)), nil), http.StatusBadRequest, "invalid_grant")
		ts.rfStillWorks(t, public, rt, w)
	})
}

// TestRefreshProofReplay: a DPoP proof is single-use on the refresh grant
// too, and a replay does not burn the refresh token.
func TestRefreshProofReplay(t *testing.T) {
	ts := newTestServer(t)
	for _, k := range rfKinds {
		t.Run(k.name, func(t *testing.T) {
			c := ts.rfRegister(t, "rf-"+k.name, k.method, preAuth, rfGrant)
			w := newWallet(t)
			rt := ts.rfIssueRT(t, c, w).RefreshToken
			t.Run("same proof for two refreshes", func(t *testing.T) {
				p := ts.freshProof(t, w)
				rfWantToken(t, ts.rfRefresh(t, c, rt, p, nil))
				wantError(t, ts.rfRefresh(t, c, rt, p, nil), http.StatusBadRequest, "invalid_dpop_proof")
				ts.rfStillWorks(t, c, rt, w)
			})
			t.Run("redemption proof replayed on refresh", func(t *testing.T) {
				o := ts.offer(t, nil)
				p := ts.freshProof(t, w)
				form := preAuthForm(code(o))
				h := map[string][]string{"DPoP": {p}}
				rfIdentify(c, form, h)
				rt2 := rfWantToken(t, ts.post(t, "/token", form, h)).RefreshToken
				wantError(t, ts.rfRefresh(t, c, rt2, p, nil), http.StatusBadRequest, "invalid_dpop_proof")
				ts.rfStillWorks(t, c, rt2, w)
			})
		})
	}
}

// TestRefreshLifetime covers K03 (absolute lifetime, 14 days by default)
// and K04/BCP-12 (idle timeout, 7 days by default). Each step advances
// the server clock and then refreshes.
func TestRefreshLifetime(t *testing.T) {
	type step struct {
		advance time.Duration
		ok      bool
	}
	cases := []struct {
		name  string
		opt   func(*issuer.Config)
		steps []step
	}{
		{"K03 past the default 14 days", nil, []step{{15 * rfDay, false}}},
		{"K03 used every 6 days, refused on day 15", nil, []step{{6 * rfDay, true}, {6 * rfDay, true}, {3 * rfDay, false}}},
		{"K03 used every 6 days, works on day 13", nil, []step{{6 * rfDay, true}, {6 * rfDay, true}, {rfDay, true}}},
		{"K03 configured lifetime of an hour", func(c *issuer.Config) { c.Tokens.RefreshTokenTTL, c.Tokens.RefreshTokenIdleTTL = time.Hour, time.Hour },
			[]step{{59 * time.Minute, true}, {2 * time.Minute, false}}},
		{"K04 idle past the default 7 days", nil, []step{{8 * rfDay, false}}},
		{"K04 used on day 5 and day 10", nil, []step{{5 * rfDay, true}, {5 * rfDay, true}}},
		{"K04 configured idle timeout of an hour", func(c *issuer.Config) { c.Tokens.RefreshTokenIdleTTL = time.Hour },
			[]step{{50 * time.Minute, true}, {50 * time.Minute, true}, {61 * time.Minute, false}}},
	}
	for _, tc := range cases {
		for _, k := range rfKinds {
			t.Run(tc.name+"/"+k.name, func(t *testing.T) {
				var opts []func(*issuer.Config)
				if tc.opt != nil {
					opts = append(opts, tc.opt)
				}
				ts := newTestServer(t, opts...)
				c := ts.rfRegister(t, "rf-"+k.name, k.method, preAuth, rfGrant)
				w := newWallet(t)
				rt := ts.rfIssueRT(t, c, w).RefreshToken
				var elapsed time.Duration
				for _, s := range tc.steps {
					ts.Clock.Advance(s.advance)
					elapsed += s.advance
					res := ts.rfRefresh(t, c, rt, ts.freshProof(t, w), nil)
					if s.ok {
						if res.StatusCode != http.StatusOK {
							t.Fatalf("refresh after %v: got %d %s; want 200", elapsed, res.StatusCode, readBody(t, res))
						}
						rfWantToken(t, res)
						continue
					}
					if res.StatusCode != http.StatusBadRequest {
						t.Fatalf("refresh after %v: got %d %s; want 400 invalid_grant", elapsed, res.StatusCode, readBody(t, res))
					}
					wantError(t, res, http.StatusBadRequest, "invalid_grant")
				}
			})
		}
	}
}

// TestRefreshRevocation covers K02, REV-06 and N04: a revoked refresh token
// is refused, and the access tokens of its grant are revoked with it.
func TestRefreshRevocation(t *testing.T) {
	ts := newTestServer(t)
	rs := ts.rfRegister(t, "rf-resource-server", issuer.AuthClientSecretBasic, issuer.GrantClientCredentials)
	clients := map[string]registeredClient{}
	for _, k := range rfKinds {
		clients[k.name] = ts.rfRegister(t, "rf-"+k.name, k.method, preAuth, rfGrant)
	}
	cases := []struct {
		name string
		kind string
		hint url.Values
	}{
		{"K02 REV-06 confidential client", "confidential", nil},
		{"K02 REV-06 public client", "public", nil},
		{"K02 hint refresh_token", "confidential", url.Values{"token_type_hint": {"refresh_token"}}},
		{"N04 hint access_token, confidential client", "confidential", url.Values{"token_type_hint": {"access_token"}}},
		{"N04 hint access_token, public client", "public", url.Values{"token_type_hint": {"access_token"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := clients[tc.kind]
			w := newWallet(t)
			first := ts.rfIssueRT(t, c, w)
			rt := first.RefreshToken
			ats := map[string]string{
				"the redemption's access token":     first.AccessToken,
				"the first refresh's access token":  ts.rfRefreshOK(t, c, rt, w).AccessToken,
				"the second refresh's access token": ts.rfRefreshOK(t, c, rt, w).AccessToken,
			}
			ts.rfWantActive(t, rs, ats)
			ts.rfRevoke(t, c, rt, tc.hint)
			wantError(t, ts.rfRefresh(t, c, rt, ts.freshProof(t, w), nil), http.StatusBadRequest, "invalid_grant")
			ts.rfWantInactive(t, rs, ats)
			// Revoking again is still 200 (RFC 7009 §2.2).
			ts.rfRevoke(t, c, rt, tc.hint)
		})
	}
	t.Run("another client's revocation leaves the token working", func(t *testing.T) {
		a := clients["confidential"]
		w := newWallet(t)
		first := ts.rfIssueRT(t, a, w)
		ts.rfRevoke(t, rs, first.RefreshToken, nil)
		ts.rfStillWorks(t, a, first.RefreshToken, w)
		ts.rfWantActive(t, rs, map[string]string{"the redemption's access token": first.AccessToken})
	})
}

// TestRefreshRotation covers rotation (OA-28, BCP-08, K05, checklist §7
// item 4): with it on, each refresh returns a new refresh token; reusing a
// rotated one after the grace window revokes the family, within it is a
// benign retry.
func TestRefreshRotation(t *testing.T) {
	for _, k := range rfKinds {
		t.Run(k.name, func(t *testing.T) {
			setup := func(t *testing.T, opts ...func(*issuer.Config)) (*testServer, registeredClient, registeredClient, *wallet, rfBody) {
				ts := newTestServer(t, append([]func(*issuer.Config){rfRotating}, opts...)...)
				rs := ts.rfRegister(t, "rf-resource-server", issuer.AuthClientSecretBasic, issuer.GrantClientCredentials)
				c := ts.rfRegister(t, "rf-"+k.name, k.method, preAuth, rfGrant)
				w := newWallet(t)
				return ts, rs, c, w, ts.rfIssueRT(t, c, w)
			}

			t.Run("BCP-08 each refresh returns a new refresh token", func(t *testing.T) {
				ts, _, c, w, first := setup(t)
				seen := map[string]bool{first.RefreshToken: true}
				rt := first.RefreshToken
				for i := range 3 {
					b := ts.rfRefreshOK(t, c, rt, w)
					if b.RefreshToken == "" || seen[b.RefreshToken] {
						t.Fatalf("refresh %d: refresh_token = %q; want a new refresh token", i+1, b.RefreshToken)
					}
					seen[b.RefreshToken] = true
					rt = b.RefreshToken
				}
			})
			t.Run("K05 reuse after rotation past the grace window", func(t *testing.T) {
				ts, rs, c, w, first := setup(t)
				rt1 := first.RefreshToken
				second := ts.rfRefreshOK(t, c, rt1, w)
				rt2 := second.RefreshToken
				if rt2 == "" || rt2 == rt1 {
					t.Fatalf("refresh_token = %q; want a new refresh token", rt2)
				}
				ats := map[string]string{"the redemption's access token": first.AccessToken, "the refresh's access token": second.AccessToken}
				ts.rfWantActive(t, rs, ats)
				ts.Clock.Advance(31 * time.Second)
				wantError(t, ts.rfRefresh(t, c, rt1, ts.freshProof(t, w), nil), http.StatusBadRequest, "invalid_grant")
				wantError(t, ts.rfRefresh(t, c, rt2, ts.freshProof(t, w), nil), http.StatusBadRequest, "invalid_grant")
				ts.rfWantInactive(t, rs, ats)
			})
			t.Run("K05 reuse past a configured grace of 5s", func(t *testing.T) {
				ts, _, c, w, first := setup(t, func(c *issuer.Config) { c.Tokens.RefreshGrace = 5 * time.Second })
				rt2 := ts.rfRefreshOK(t, c, first.RefreshToken, w).RefreshToken
				ts.Clock.Advance(6 * time.Second)
				wantError(t, ts.rfRefresh(t, c, first.RefreshToken, ts.freshProof(t, w), nil), http.StatusBadRequest, "invalid_grant")
				wantError(t, ts.rfRefresh(t, c, rt2, ts.freshProof(t, w), nil), http.StatusBadRequest, "invalid_grant")
			})
			t.Run("benign retry within the grace window", func(t *testing.T) {
				ts, _, c, w, first := setup(t)
				rt1 := first.RefreshToken
				second := ts.rfRefreshOK(t, c, rt1, w)
				rt2 := second.RefreshToken
				ts.Clock.Advance(20 * time.Second)
				retry := ts.rfRefreshOK(t, c, rt1, w)
				if retry.AccessToken == second.AccessToken || retry.AccessToken == first.AccessToken {
					t.Errorf("retry access_token is not new")
				}
				// The retry gets the same successor: the family stays one line.
				if retry.RefreshToken != rt2 {
					t.Errorf("retry refresh_token = %q; want RT2 %q, the one successor of RT1", retry.RefreshToken, rt2)
				}
				if rt3 := ts.rfRefreshOK(t, c, rt2, w).RefreshToken; rt3 == "" || rt3 == rt2 {
					t.Errorf("refresh_token from RT2 = %q; want a new refresh token", rt3)
				}
			})
			t.Run("a refused refresh does not rotate the token", func(t *testing.T) {
				ts, _, c, w, first := setup(t)
				res, status, code := ts.rfRefusal(t, c, first.RefreshToken)
				wantError(t, res, status, code)
				// Had the refusal rotated RT1, its use past the grace would revoke it.
				ts.Clock.Advance(31 * time.Second)
				if b := ts.rfStillWorks(t, c, first.RefreshToken, w); b.RefreshToken == "" {
					t.Errorf("refresh response %s; want a new refresh_token", b.raw)
				}
			})
		})
	}
}

// TestRefreshConcurrency: 32 concurrent refreshes of one refresh token all
// succeed and none is a 500. With rotation off the token stays valid; with
// it on they are retries inside the grace window, which all get the same
// successor: the family stays one line (the successor works, and once the
// window has passed, a use of the superseded token revokes the family,
// successor included).
func TestRefreshConcurrency(t *testing.T) {
	const n = 32
	for _, rotate := range []bool{false, true} {
		for _, k := range rfKinds {
			t.Run(fmt.Sprintf("rotation %t/%s", rotate, k.name), func(t *testing.T) {
				ts := newTestServer(t, func(c *issuer.Config) { c.Tokens.RotateRefreshTokens = rotate })
				rs := ts.rfRegister(t, "rf-resource-server", issuer.AuthClientSecretBasic, issuer.GrantClientCredentials)
				c := ts.rfRegister(t, "rf-"+k.name, k.method, preAuth, rfGrant)
				w := newWallet(t)
				rt := ts.rfIssueRT(t, c, w).RefreshToken
				bodies := rfRace(t, ts, c, rt, w, n)
				if t.Failed() {
					return
				}
				ats := map[string]string{}
				rts := map[string]bool{}
				for i, b := range bodies {
					ats[fmt.Sprintf("access token of request %d", i)] = b.AccessToken
					switch {
					case rotate && (b.RefreshToken == "" || b.RefreshToken == rt):
						t.Errorf("request %d: refresh_token = %q; want the successor", i, b.RefreshToken)
					case rotate:
						rts[b.RefreshToken] = true
					case b.has("refresh_token"):
						t.Errorf("request %d: refresh_token = %q; want none with rotation off", i, b.RefreshToken)
					}
				}
				if len(ats) != n {
					t.Errorf("%d distinct access tokens; want %d", len(ats), n)
				}
				if !rotate {
					ts.rfRefreshOK(t, c, rt, w)
					return
				}
				if len(rts) != 1 {
					t.Fatalf("%d distinct refresh tokens among the %d responses; want 1, the one successor", len(rts), n)
				}
				next := slices.Collect(maps.Keys(rts))[0]
				ts.rfWantActive(t, rs, ats)
				ts.Clock.Advance(31 * time.Second)
				if b := ts.rfRefreshOK(t, c, next, w); b.RefreshToken == "" || b.RefreshToken == next {
					t.Errorf("refresh with the successor: %s; want a new refresh_token", b.raw)
				}
				ts.Clock.Advance(31 * time.Second)
				wantError(t, ts.rfRefresh(t, c, rt, ts.freshProof(t, w), nil), http.StatusBadRequest, "invalid_grant")
				wantError(t, ts.rfRefresh(t, c, next, ts.freshProof(t, w), nil), http.StatusBadRequest, "invalid_grant")
				ts.rfWantInactive(t, rs, ats)
			})
		}
	}
}

// rfRace refreshes rt as c with n concurrent requests, each with its own
// proof of w, and returns the 200 bodies; any other answer fails t.
func rfRace(t *testing.T, ts *testServer, c registeredClient, rt string, w *wallet, n int) []rfBody {
	t.Helper()
	results := make([]rfResult, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			results[i] = ts.rfRefreshNoFatal(c, rt, w)
		})
	}
	close(start)
	wg.Wait()
	bodies := make([]rfBody, 0, n)
	for i, r := range results {
		if r.err != nil {
			t.Fatalf("request %d: %v", i, r.err)
		}
		if r.status != http.StatusOK {
			t.Errorf("request %d: got %d %s; want 200", i, r.status, r.body)
			continue
		}
		b, err := rfDecode(r.body)
		if err != nil {
			t.Fatal(err)
		}
		if got := rfJKT(t, b.AccessToken); got != w.JKT {
			t.Errorf("request %d: cnf.jkt = %q; want %q", i, got, w.JKT)
		}
		bodies = append(bodies, b)
	}
	return bodies
}

// TestRefreshOAuth2Library refreshes with golang.org/x/oauth2: the library
// sends the refresh request itself once the token has expired.
func TestRefreshOAuth2Library(t *testing.T) {
	for _, rotate := range []bool{false, true} {
		t.Run(fmt.Sprintf("rotation %t", rotate), func(t *testing.T) {
			ts := newTestServer(t, func(c *issuer.Config) { c.Tokens.RotateRefreshTokens = rotate })
			client := ts.rfRegister(t, "rf-lib-wallet", issuer.AuthClientSecretBasic, preAuth, rfGrant)
			conf := oauth2.Config{
				ClientID: client.ID, ClientSecret: client.Secret,
				Endpoint: oauth2.Endpoint{TokenURL: ts.TokenURL(), AuthStyle: oauth2.AuthStyleInHeader},
			}
			w := newWallet(t)
			hc := &http.Client{Transport: &dpopTransport{w: w, now: ts.Clock.Now, base: http.DefaultTransport}}
			ctx := context.WithValue(t.Context(), oauth2.HTTPClient, hc)
			o := ts.offer(t, nil)
			tok, err := conf.Exchange(ctx, "", oauth2.SetAuthURLParam("grant_type", preAuth), oauth2.SetAuthURLParam("pre-authorized_code", code(o)))
			if err != nil {
				t.Fatalf("Exchange() = %v; want success", err)
			}
			if tok.RefreshToken == "" {
				t.Fatalf("Exchange() token has no refresh token")
			}
			firstAT, firstRT := tok.AccessToken, tok.RefreshToken
			for i := range 2 {
				tok.Expiry = time.Now().Add(-time.Minute)
				next, err := conf.TokenSource(ctx, tok).Token()
				if err != nil {
					t.Fatalf("refresh %d: TokenSource().Token() = %v; want success", i+1, err)
				}
				if next.AccessToken == tok.AccessToken || next.AccessToken == firstAT {
					t.Errorf("refresh %d: access token unchanged; want a new one", i+1)
				}
				if next.Type() != "DPoP" {
					t.Errorf("refresh %d: Type() = %q; want DPoP", i+1, next.Type())
				}
				if got := rfJKT(t, next.AccessToken); got != w.JKT {
					t.Errorf("refresh %d: cnf.jkt = %q; want %q", i+1, got, w.JKT)
				}
				if d := time.Until(next.Expiry); d < 4*time.Minute || d > 6*time.Minute {
					t.Errorf("refresh %d: Expiry is %v from now; want about 5 minutes", i+1, d)
				}
				switch {
				case rotate && (next.RefreshToken == "" || next.RefreshToken == tok.RefreshToken || next.RefreshToken == firstRT):
					t.Errorf("refresh %d: RefreshToken = %q; want the new rotated refresh token", i+1, next.RefreshToken)
				case !rotate && next.RefreshToken != firstRT:
					t.Errorf("refresh %d: RefreshToken = %q; want the original %q kept", i+1, next.RefreshToken, firstRT)
				}
				tok = next
			}
		})
	}
}

// TestRefreshRotationKeepsScope covers OA-28: a refresh narrowed to part
// of the grant's scope narrows that access token only; the successor
// refresh token keeps the whole scope.
func TestRefreshRotationKeepsScope(t *testing.T) {
	ts := newTestServer(t, rfRotating)
	c := ts.registerClient(t, map[string]any{
		"token_endpoint_auth_method": issuer.AuthClientSecretBasic, "scope": "profile email",
		"grant_types": []string{issuer.GrantPassword, rfGrant},
	})
	if res := ts.admin(t, http.MethodPost, "/admin/users", map[string]any{"username": "alice", "password": "correct horse"}); res.StatusCode != http.StatusCreated {
		t.Fatalf("POST /admin/users = %d %s; want 201", res.StatusCode, readBody(t, res))
	}
	w := newWallet(t)
	first := rfWantToken(t, ts.signIn(t, c, w, "alice", "correct horse"))
	if first.Scope != "profile email" || first.RefreshToken == "" {
		t.Fatalf("sign-in = %s; want scope \"profile email\" and a refresh token", first.raw)
	}
	narrowed := rfWantToken(t, ts.rfRefresh(t, c, first.RefreshToken, ts.freshProof(t, w), url.Values{"scope": {"profile"}}))
	if narrowed.Scope != "profile" || narrowed.RefreshToken == "" {
		t.Fatalf("narrowed refresh = %s; want scope profile and the successor", narrowed.raw)
	}
	if b := ts.rfRefreshOK(t, c, narrowed.RefreshToken, w); b.Scope != "profile email" {
		t.Errorf("refresh with the successor: scope %q; want the grant's \"profile email\"", b.Scope)
	}
}
