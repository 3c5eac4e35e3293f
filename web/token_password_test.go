package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"issuer/issuer"
	"issuer/issuer/oauth"
)

// TestPasswordGrant covers RFC 6749 §4.3 through HTTP.
func TestPasswordGrant(t *testing.T) {
	ts := newTestServer(t)
	c, userID := pwSetup(t, ts)
	w := newWallet(t)

	t.Run("success", func(t *testing.T) {
		res := ts.signIn(t, c, w, "alice", "correct horse")
		body := readBody(t, res)
		var tb struct {
			AccessToken  string `json:"access_token"`
			TokenType    string `json:"token_type"`
			RefreshToken string `json:"refresh_token"`
			Scope        string `json:"scope"`
		}
		if err := json.Unmarshal(body, &tb); err != nil || res.StatusCode != 200 || tb.TokenType != "DPoP" || tb.RefreshToken == "" || tb.Scope != "profile" {
			t.Fatalf("got %d %s; want 200, DPoP, a refresh token, scope profile", res.StatusCode, body)
		}
		_, claims := jwtParts(t, tb.AccessToken)
		if claims["sub"] != userID || claims["client_id"] != c.ID {
			t.Fatalf("claims = %v; want sub %s and client_id %s", claims, userID, c.ID)
		}
		form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tb.RefreshToken}}
		wantToken(t, ts.post(t, "/token", form, map[string][]string{"Authorization": {basicAuth(c.ID, c.Secret)}, "DPoP": {w.Proof(t, ts.TokenURL(), "")}}))
	})
	for _, tt := range []struct {
		name, username, password, desc string
	}{
		{"wrong password", "alice", "wrong horse", "the username or password is invalid"},
		{"unknown user", "mallory", "correct horse", "the username or password is invalid"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := wantError(t, ts.signIn(t, c, w, tt.username, tt.password), 400, "invalid_grant")
			if e.Description != tt.desc {
				t.Errorf("error_description = %q; want %q", e.Description, tt.desc)
			}
		})
	}
	t.Run("missing username", func(t *testing.T) {
		form := url.Values{"grant_type": {oauth.GrantPassword}, "password": {"x"}}
		e := wantError(t, ts.post(t, "/token", form, map[string][]string{"Authorization": {basicAuth(c.ID, c.Secret)}, "DPoP": {w.Proof(t, ts.TokenURL(), "")}}), 400, "invalid_request")
		if e.Description != "the parameter username is missing" {
			t.Errorf("error_description = %q", e.Description)
		}
	})
	t.Run("client not registered for the grant", func(t *testing.T) {
		other := ts.registerClient(t, map[string]any{"token_endpoint_auth_method": "client_secret_basic", "grant_types": []string{preAuth}})
		e := wantError(t, ts.signIn(t, other, w, "alice", "correct horse"), 400, "unauthorized_client")
		if want := "the client " + other.ID + " doesn't support the grant type password"; e.Description != want {
			t.Errorf("error_description = %q; want %q", e.Description, want)
		}
	})
	t.Run("anonymous", func(t *testing.T) {
		form := url.Values{"grant_type": {oauth.GrantPassword}, "username": {"alice"}, "password": {"correct horse"}}
		wantError(t, ts.post(t, "/token", form, map[string][]string{"DPoP": {w.Proof(t, ts.TokenURL(), "")}}), 401, "invalid_client")
	})
	t.Run("scope beyond the client's", func(t *testing.T) {
		form := url.Values{"grant_type": {oauth.GrantPassword}, "username": {"alice"}, "password": {"correct horse"}, "scope": {"admin"}}
		wantError(t, ts.post(t, "/token", form, map[string][]string{"Authorization": {basicAuth(c.ID, c.Secret)}, "DPoP": {w.Proof(t, ts.TokenURL(), "")}}), 400, "invalid_scope")
	})
}

// TestPasswordThrottling checks that failed sign-ins slow down (never
// lock) the username for the client after 5 failures and the client after
// 20, with Retry-After, so that the endpoint is no password oracle: while
// the wait lasts even the right password is refused, and after it the
// right password works.
func TestPasswordThrottling(t *testing.T) {
	ts := newTestServer(t)
	c, _ := pwSetup(t, ts)
	w := newWallet(t)
	delayed := func(res *http.Response, secs int) {
		t.Helper()
		if ra := res.Header.Get("Retry-After"); ra != strconv.Itoa(secs) {
			t.Errorf("Retry-After = %q; want %d", ra, secs)
		}
		e := wantError(t, res, 400, "invalid_grant")
		if want := "too many failed sign-ins; try again in " + strconv.Itoa(secs) + " second"; !strings.HasPrefix(e.Description, want) {
			t.Errorf("error_description = %q; want %q…", e.Description, want)
		}
	}
	for range 5 {
		wantError(t, ts.signIn(t, c, w, "alice", "wrong horse"), 400, "invalid_grant")
	}
	delayed(ts.signIn(t, c, w, "alice", "correct horse"), 1)
	ts.Clock.Advance(time.Second)
	wantToken(t, ts.signIn(t, c, w, "alice", "correct horse"))

	// Per client: 20 failures over many usernames slow the client down,
	// except for alice, who signed in through it before.
	for i := range 20 {
		wantError(t, ts.signIn(t, c, w, "user"+strconv.Itoa(i), "x"), 400, "invalid_grant")
	}
	delayed(ts.signIn(t, c, w, "mallory", "x"), 1)
	wantToken(t, ts.signIn(t, c, w, "alice", "correct horse"))
	ts.Clock.Advance(time.Second)
	wantError(t, ts.signIn(t, c, w, "mallory", "x"), 400, "invalid_grant")
}

// TestNoUnboundRefreshTokenForPublicClients checks BCP-07: under the
// optional DPoP policy, a public client that redeems without a proof gets
// no refresh token, since there is no key to bind it to.
func TestNoUnboundRefreshTokenForPublicClients(t *testing.T) {
	ts := newTestServer(t, func(c *issuer.Config) { c.DPoP.Policy = issuer.DPoPOptional })
	c := ts.registerClient(t, map[string]any{"token_endpoint_auth_method": "none", "grant_types": []string{preAuth, oauth.GrantRefreshToken}})
	redeem := func(proof string) map[string]any {
		o := ts.offer(t, nil)
		form := url.Values{"grant_type": {preAuth}, "pre-authorized_code": {code(o)}, "client_id": {c.ID}}
		h := map[string][]string{}
		if proof != "" {
			h["DPoP"] = []string{proof}
		}
		res := ts.post(t, "/token", form, h)
		var m map[string]any
		if err := json.Unmarshal(readBody(t, res), &m); err != nil || res.StatusCode != 200 {
			t.Fatalf("redeem = %d %v", res.StatusCode, m)
		}
		return m
	}
	if m := redeem(""); m["refresh_token"] != nil || m["token_type"] != "Bearer" {
		t.Fatalf("without a proof: %v; want a Bearer token and no refresh token", m)
	}
	w := newWallet(t)
	if m := redeem(w.Proof(t, ts.TokenURL(), "")); m["refresh_token"] == nil {
		t.Fatalf("with a proof: %v; want a refresh token bound to the key", m)
	}
}
