package web_test

import (
	"crypto/sha256"
	"encoding/base64"
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

	"issuer/issuer"
	"issuer/issuer/oauth"
)

// Refresh token grant (RFC 6749 §6) through HTTP: checklist DPOP-22,
// DPOP-23, OA-26..28, BCP-07..12, REV-06 and §7 item 4; adversarial K01–K12,
// H06, H07 and N04.

// rfRotating switches refresh-token rotation on.
func rfRotating(c *issuer.Config) { c.Tokens.RotateRefreshTokens = true }

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
	{"public", oauth.AuthNone},
	{"confidential", oauth.AuthClientSecretBasic},
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
		{"public client with the refresh_token grant", ts.rfRegister(t, "rf-public", oauth.AuthNone, preAuth, rfGrant), true},
		{"client_secret_basic client with the refresh_token grant", ts.rfRegister(t, "rf-basic", oauth.AuthClientSecretBasic, preAuth, rfGrant), true},
		{"client_secret_post client with the refresh_token grant", ts.rfRegister(t, "rf-post", oauth.AuthClientSecretPost, preAuth, rfGrant), true},
		{"public client without the refresh_token grant", ts.rfRegister(t, "rf-public-no-rt", oauth.AuthNone, preAuth), false},
		{"confidential client without the refresh_token grant", ts.rfRegister(t, "rf-basic-no-rt", oauth.AuthClientSecretBasic, preAuth), false},
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
			"client_id": "rf-cc", "token_endpoint_auth_method": oauth.AuthClientSecretBasic, "scope": "read",
			"grant_types": []string{oauth.GrantClientCredentials, rfGrant},
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
		ts.rfRegister(t, "rf-public", oauth.AuthNone, preAuth, rfGrant),
		ts.rfRegister(t, "rf-basic", oauth.AuthClientSecretBasic, preAuth, rfGrant),
		ts.rfRegister(t, "rf-post", oauth.AuthClientSecretPost, preAuth, rfGrant),
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
	public := ts.rfRegister(t, "rf-public", oauth.AuthNone, preAuth, rfGrant)
	public2 := ts.rfRegister(t, "rf-public-2", oauth.AuthNone, preAuth, rfGrant)
	a := ts.rfRegister(t, "rf-client-a", oauth.AuthClientSecretBasic, preAuth, rfGrant)
	b := ts.rfRegister(t, "rf-client-b", oauth.AuthClientSecretBasic, preAuth, rfGrant)
	noGrant := ts.rfRegister(t, "rf-no-refresh", oauth.AuthClientSecretBasic, preAuth)
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
	public := ts.rfRegister(t, "rf-public", oauth.AuthNone, preAuth, rfGrant)
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
	rs := ts.rfRegister(t, "rf-resource-server", oauth.AuthClientSecretBasic, oauth.GrantClientCredentials)
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
				rs := ts.rfRegister(t, "rf-resource-server", oauth.AuthClientSecretBasic, oauth.GrantClientCredentials)
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
				rs := ts.rfRegister(t, "rf-resource-server", oauth.AuthClientSecretBasic, oauth.GrantClientCredentials)
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

// TestRefreshRotationKeepsScope covers OA-28: a refresh narrowed to part
// of the grant's scope narrows that access token only; the successor
// refresh token keeps the whole scope.
func TestRefreshRotationKeepsScope(t *testing.T) {
	ts := newTestServer(t, rfRotating)
	c := ts.registerClient(t, map[string]any{
		"token_endpoint_auth_method": oauth.AuthClientSecretBasic, "scope": "profile email",
		"grant_types": []string{oauth.GrantPassword, rfGrant},
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

// idtBody is a token response with the members this test reads.
type idtBody struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	IDToken      string `json:"id_token"`
}

func idtToken(t *testing.T, res *http.Response) idtBody {
	t.Helper()
	body := readBody(t, res)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("token response = %d %s; want 200", res.StatusCode, body)
	}
	var b idtBody
	if err := json.Unmarshal(body, &b); err != nil {
		t.Fatal(err)
	}
	return b
}

// A refresh of an OpenID grant returns a new ID token with the same iss,
// sub, aud and auth_time, a new iat, no nonce, and the at_hash of the new
// access token (OpenID Connect Core §12.2); a refresh narrowed to exclude
// openid returns none.
func TestRefreshIDToken(t *testing.T) {
	s := newAuthFlow(t)
	pk, w := newPKCE(t), newWallet(t)
	c := s.afCode(t, afParams(s.ClientID, pk, url.Values{"scope": {"openid " + pidConfig}, "nonce": {"n-1"}}), nil)
	first := idtToken(t, s.afExchange(t, s.ClientID, c, pk.Verifier, w.Proof(t, s.TokenURL(), ""), nil))
	_, orig := jwtParts(t, first.IDToken)
	if first.RefreshToken == "" {
		t.Fatal("no refresh token")
	}
	s.Clock.Advance(90 * time.Second)
	refresh := func(scope string) idtBody {
		form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {first.RefreshToken}, "client_id": {s.ClientID}}
		if scope != "" {
			form.Set("scope", scope)
		}
		return idtToken(t, s.post(t, "/token", form, map[string][]string{"DPoP": {s.freshProof(t, w)}}))
	}
	next := refresh("")
	if next.IDToken == "" {
		t.Fatal("the refresh of an OpenID grant returned no id_token")
	}
	_, got := jwtParts(t, next.IDToken)
	for _, k := range []string{"iss", "sub", "aud", "auth_time"} {
		if got[k] != orig[k] {
			t.Errorf("%s = %v; want the original %v", k, got[k], orig[k])
		}
	}
	if got["iat"] == orig["iat"] || got["iat"].(float64) != float64(s.Clock.Now().Unix()) {
		t.Errorf("iat = %v; want the refresh time %d", got["iat"], s.Clock.Now().Unix())
	}
	if _, ok := got["nonce"]; ok {
		t.Errorf("the refreshed ID token has a nonce: %v", got["nonce"])
	}
	sum := sha256.Sum256([]byte(next.AccessToken))
	if got["at_hash"] != base64.RawURLEncoding.EncodeToString(sum[:16]) {
		t.Errorf("at_hash = %v; want the hash of the new access token", got["at_hash"])
	}
	if narrowed := refresh(pidConfig); narrowed.IDToken != "" {
		t.Errorf("a refresh narrowed to %s returned an id_token", pidConfig)
	}
}
