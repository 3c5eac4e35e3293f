package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"issuer/issuer/oauth"
)

// TestClientCredentials covers the grant's rules through HTTP (RFC 6749
// §4.4, OA-32, OA-33, OA-35, B08, B12).
func TestClientCredentials(t *testing.T) {
	ts := newTestServer(t)
	w := newWallet(t)
	basic := ts.ccClient(t, "client_secret_basic", "status read")
	proof := func() string { return w.Proof(t, ts.TokenURL(), "") }

	t.Run("OA-35 no scope requested gives the registered scope", func(t *testing.T) {
		tb := wantToken(t, ts.ccRequest(t, basic, proof(), nil))
		_, claims := jwtParts(t, tb.AccessToken)
		if claims["scope"] != "status read" || tb.TokenType != "DPoP" || tb.CNonce != "" || len(tb.AuthorizationDetails) != 0 {
			t.Fatalf("response %+v, scope claim %v; want scope 'status read', DPoP, no c_nonce or authorization_details", tb, claims["scope"])
		}
	})
	t.Run("narrower scope", func(t *testing.T) {
		res := ts.ccRequest(t, basic, proof(), url.Values{"scope": {"read"}})
		body := readBody(t, res)
		if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `"scope":"read"`) {
			t.Fatalf("got %d %s; want 200 with scope read", res.StatusCode, body)
		}
	})
	t.Run("client_secret_post", func(t *testing.T) {
		c := ts.ccClient(t, "client_secret_post", "read")
		form := url.Values{"grant_type": {oauth.GrantClientCredentials}, "client_id": {c.ID}, "client_secret": {c.Secret}}
		wantToken(t, ts.post(t, "/token", form, map[string][]string{"DPoP": {proof()}}))
	})

	tests := []struct {
		name   string
		res    func() *http.Response
		status int
		code   string
	}{
		{"B12 scope never registered", func() *http.Response {
			return ts.ccRequest(t, basic, proof(), url.Values{"scope": {"read admin"}})
		}, 400, "invalid_scope"},
		{"malformed scope", func() *http.Response {
			return ts.ccRequest(t, basic, proof(), url.Values{"scope": {"read \"x"}})
		}, 400, "invalid_scope"},
		{"no client authentication", func() *http.Response {
			return ts.post(t, "/token", url.Values{"grant_type": {oauth.GrantClientCredentials}}, map[string][]string{"DPoP": {proof()}})
		}, 401, "invalid_client"},
		{"wrong secret", func() *http.Response {
			return ts.ccRequest(t, registeredClient{ID: basic.ID, Secret: basic.Secret + "x"}, proof(), nil)
		}, 401, "invalid_client"},
		{"B08 public client", func() *http.Response {
			c := ts.ccClient(t, "none", "read")
			form := url.Values{"grant_type": {oauth.GrantClientCredentials}, "client_id": {c.ID}}
			return ts.post(t, "/token", form, map[string][]string{"DPoP": {proof()}})
		}, 400, "unauthorized_client"},
		{"client not registered for the grant", func() *http.Response {
			c := ts.registerClient(t, map[string]any{"token_endpoint_auth_method": "client_secret_basic", "grant_types": []string{preAuth}})
			return ts.ccRequest(t, c, proof(), nil)
		}, 400, "unauthorized_client"},
		{"HAIP-04 no DPoP proof", func() *http.Response {
			return ts.ccRequest(t, basic, "", nil)
		}, 400, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, tt.res(), tt.status, tt.code)
		})
	}

	t.Run("wrong secret challenges with Basic", func(t *testing.T) {
		res := ts.ccRequest(t, registeredClient{ID: basic.ID, Secret: "nope"}, proof(), nil)
		if got := res.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Basic") {
			t.Errorf("WWW-Authenticate = %q; want Basic", got)
		}
		wantError(t, res, 401, "invalid_client")
	})
	t.Run("unauthorized_client names the client and the grant", func(t *testing.T) {
		c := ts.registerClient(t, map[string]any{"token_endpoint_auth_method": "client_secret_basic", "grant_types": []string{preAuth}})
		e := wantError(t, ts.ccRequest(t, c, proof(), nil), 400, "unauthorized_client")
		want := "the client " + c.ID + " doesn't support the grant type client_credentials"
		if e.Description != want {
			t.Errorf("error_description = %q; want %q", e.Description, want)
		}
	})
	t.Run("F18 proof replay", func(t *testing.T) {
		p := proof()
		wantToken(t, ts.ccRequest(t, basic, p, nil))
		wantError(t, ts.ccRequest(t, basic, p, nil), 400, "invalid_dpop_proof")
	})
	t.Run("revocable by its client, visible at introspection", func(t *testing.T) {
		tb := wantToken(t, ts.ccRequest(t, basic, proof(), nil))
		intro := func() map[string]any {
			res := ts.post(t, "/introspect", url.Values{"token": {tb.AccessToken}}, map[string][]string{"Authorization": {basicAuth(basic.ID, basic.Secret)}})
			var m map[string]any
			if err := json.Unmarshal(readBody(t, res), &m); err != nil {
				t.Fatal(err)
			}
			return m
		}
		if m := intro(); m["active"] != true || m["client_id"] != basic.ID || m["scope"] != "status read" || m["token_type"] != "DPoP" {
			t.Fatalf("introspection = %v; want active DPoP token of %s with scope", m, basic.ID)
		}
		res := ts.post(t, "/revoke", url.Values{"token": {tb.AccessToken}}, map[string][]string{"Authorization": {basicAuth(basic.ID, basic.Secret)}})
		if res.StatusCode != http.StatusOK {
			t.Fatalf("revoke = %d; want 200", res.StatusCode)
		}
		if m := intro(); m["active"] != false || len(m) != 1 {
			t.Fatalf("introspection after revocation = %v; want only active:false", m)
		}
	})
}

// TestTokenScanningThrottled covers N11: a client that looks up 100 unknown
// tokens in a minute at /introspect or /revoke gets 429 until the minute
// ends, and other clients are not affected.
func TestTokenScanningThrottled(t *testing.T) {
	ts := newTestServer(t)
	scanner, other := ts.ccClient(t, "client_secret_basic", ""), ts.ccClient(t, "client_secret_basic", "")
	lookup := func(c registeredClient, path, token string) *http.Response {
		return ts.post(t, path, url.Values{"token": {token}}, map[string][]string{"Authorization": {basicAuth(c.ID, c.Secret)}})
	}
	for i := range 100 {
		path := []string{"/introspect", "/revoke"}[i%2]
		if res := lookup(scanner, path, "random-"+strconv.Itoa(i)); res.StatusCode != http.StatusOK {
			t.Fatalf("lookup %d at %s = %d; want 200", i, path, res.StatusCode)
		}
	}
	for _, path := range []string{"/introspect", "/revoke"} {
		res := lookup(scanner, path, "random-more")
		if res.Header.Get("Retry-After") == "" {
			t.Errorf("%s: no Retry-After", path)
		}
		wantError(t, res, http.StatusTooManyRequests, "invalid_request")
	}
	if res := lookup(other, "/introspect", "random"); res.StatusCode != http.StatusOK {
		t.Fatalf("another client = %d; want 200", res.StatusCode)
	}
	ts.Clock.Advance(time.Minute)
	if res := lookup(scanner, "/introspect", "random"); res.StatusCode != http.StatusOK {
		t.Fatalf("after a minute = %d; want 200", res.StatusCode)
	}
}
