package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"issuer/issuer"
)

// ccClient registers a confidential client for client_credentials.
func (ts *testServer) ccClient(t testing.TB, method, scope string) registeredClient {
	t.Helper()
	return ts.registerClient(t, map[string]any{
		"token_endpoint_auth_method": method, "scope": scope,
		"grant_types": []string{issuer.GrantClientCredentials},
	})
}

// ccRequest posts a client_credentials request authenticated with Basic.
func (ts *testServer) ccRequest(t testing.TB, c registeredClient, proof string, extra url.Values) *http.Response {
	t.Helper()
	form := url.Values{"grant_type": {issuer.GrantClientCredentials}}
	for k, v := range extra {
		form[k] = v
	}
	h := map[string][]string{"Authorization": {basicAuth(c.ID, c.Secret)}}
	if proof != "" {
		h["DPoP"] = []string{proof}
	}
	return ts.post(t, "/token", form, h)
}

// TestClientCredentialsOAuth2Library obtains a token with
// golang.org/x/oauth2/clientcredentials, a real client library, over a
// transport that adds a DPoP proof to each request.
func TestClientCredentialsOAuth2Library(t *testing.T) {
	ts := newTestServer(t)
	c := ts.ccClient(t, "client_secret_basic", "status read")
	w := newWallet(t)
	hc := &http.Client{Transport: &dpopTransport{w: w, now: ts.Clock.Now, base: http.DefaultTransport}}
	ctx := context.WithValue(t.Context(), oauth2.HTTPClient, hc)
	conf := clientcredentials.Config{ClientID: c.ID, ClientSecret: c.Secret, TokenURL: ts.TokenURL(), Scopes: []string{"read"}, AuthStyle: oauth2.AuthStyleInHeader}
	tok, err := conf.Token(ctx)
	if err != nil {
		t.Fatalf("clientcredentials Token() = %v", err)
	}
	if tok.Type() != "DPoP" || tok.RefreshToken != "" || tok.Extra("scope") != "read" || tok.Extra("c_nonce") != nil {
		t.Fatalf("token = type %q, refresh %q, scope %v, c_nonce %v; want DPoP, none, read, none", tok.Type(), tok.RefreshToken, tok.Extra("scope"), tok.Extra("c_nonce"))
	}
	_, claims := jwtParts(t, tok.AccessToken)
	cnf, _ := claims["cnf"].(map[string]any)
	if claims["sub"] != c.ID || claims["client_id"] != c.ID || claims["scope"] != "read" || cnf["jkt"] != w.JKT {
		t.Fatalf("claims = %v; want sub and client_id %s, scope read, cnf.jkt %s", claims, c.ID, w.JKT)
	}
	conf.Scopes = []string{"admin"}
	_, err = conf.Token(ctx)
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_scope" {
		t.Fatalf("escalated scope: %v; want a RetrieveError invalid_scope", err)
	}
}

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
		form := url.Values{"grant_type": {issuer.GrantClientCredentials}, "client_id": {c.ID}, "client_secret": {c.Secret}}
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
			return ts.post(t, "/token", url.Values{"grant_type": {issuer.GrantClientCredentials}}, map[string][]string{"DPoP": {proof()}})
		}, 401, "invalid_client"},
		{"wrong secret", func() *http.Response {
			return ts.ccRequest(t, registeredClient{ID: basic.ID, Secret: basic.Secret + "x"}, proof(), nil)
		}, 401, "invalid_client"},
		{"B08 public client", func() *http.Response {
			c := ts.ccClient(t, "none", "read")
			form := url.Values{"grant_type": {issuer.GrantClientCredentials}, "client_id": {c.ID}}
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
		want := "the client '" + c.ID + "' doesn't support the grant type 'client_credentials'"
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

// TestClientSecretThrottling covers C04 / OA-13: after 20 wrong secrets
// from one address, the client's requests from that address wait (1 s,
// doubling per further failure), even with the right secret, while the
// client from another address is served: a client_id is no secret, so
// guessing slows down but locks nobody out.
func TestClientSecretThrottling(t *testing.T) {
	ts := newTestServer(t)
	c := ts.ccClient(t, "client_secret_basic", "read")
	w := newWallet(t)
	guesser := &http.Client{Transport: fromAddress("127.0.0.2")}
	as := func(hc *http.Client, rc registeredClient) *http.Response {
		h := map[string][]string{
			"Authorization": {basicAuth(rc.ID, rc.Secret)},
			"DPoP":          {proofAt(t, w, http.MethodPost, ts.TokenURL(), ts.Clock.Now())},
		}
		return ts.postVia(t, hc, "/token", url.Values{"grant_type": {issuer.GrantClientCredentials}}, h)
	}
	wrong := registeredClient{ID: c.ID, Secret: "not-the-secret"}
	wantDelayed := func(t *testing.T, res *http.Response, seconds string) {
		t.Helper()
		if got := res.Header.Get("Retry-After"); got != seconds {
			t.Errorf("Retry-After = %q; want %q", got, seconds)
		}
		if e := wantError(t, res, 401, "invalid_client"); e.Description != "too many failed authentications; try again later" {
			t.Fatalf("error_description = %q; want the delay", e.Description)
		}
	}
	for range 20 {
		e := wantError(t, as(guesser, wrong), 401, "invalid_client")
		if e.Description != "the client secret is invalid" {
			t.Fatalf("error_description = %q", e.Description)
		}
	}
	wantDelayed(t, as(guesser, c), "1")
	wantToken(t, as(http.DefaultClient, c)) // the client, from its own address
	ts.Clock.Advance(time.Second)
	wantError(t, as(guesser, wrong), 401, "invalid_client")
	wantDelayed(t, as(guesser, wrong), "2")
	ts.Clock.Advance(2 * time.Second)
	wantToken(t, as(guesser, c)) // a success from the address forgets its failures
	wantError(t, as(guesser, wrong), 401, "invalid_client")
	wantToken(t, as(guesser, c))
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
