package web_test

import (
	"crypto/ecdsa"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"issuer/issuer"
	"issuer/issuer/oauth"
)

// TestJWKSURI covers private_key_jwt clients registered with jwks_uri: the
// set is fetched once and cached, refetched for an unknown kid (key
// rotation) at most every 30 s and after 5 minutes, and a fetch that is
// too large, too slow or holds a private key fails closed.
func TestJWKSURI(t *testing.T) {
	ts := newTestServer(t, func(c *issuer.Config) { c.ClientAuth.JWKSFetchTimeout = 300 * time.Millisecond })
	k1, k2 := asNewKey(t), asNewKey(t)
	js := newJWKSServer(t, asJWK(k1, "k1"))
	c := ts.registerClient(t, map[string]any{
		"token_endpoint_auth_method": "private_key_jwt", "jwks_uri": js.URL + "/jwks",
		"grant_types": []string{oauth.GrantClientCredentials},
	})
	sign := func(key *ecdsa.PrivateKey, kid string) string {
		return asES(t, key, kid, asClaims(ts, c.ID))
	}
	asWantClient(t, ts.asToken(t, asForm(sign(k1, "k1")), nil), c.ID)
	asWantClient(t, ts.asToken(t, asForm(sign(k1, "")), nil), c.ID)
	if n := js.fetches.Load(); n != 1 {
		t.Fatalf("fetches after two assertions = %d; want 1 (cached)", n)
	}

	js.set(t, asJWK(k2, "k2"))
	asWantRefused(t, ts.asToken(t, asForm(sign(k2, "k2")), nil), "bad client assertion signature")
	ts.Clock.Advance(31 * time.Second)
	asWantClient(t, ts.asToken(t, asForm(sign(k2, "k2")), nil), c.ID)
	if n := js.fetches.Load(); n != 2 {
		t.Fatalf("fetches after a key rotation = %d; want 2", n)
	}
	ts.Clock.Advance(6 * time.Minute)
	asWantClient(t, ts.asToken(t, asForm(sign(k2, "k2")), nil), c.ID)
	if n := js.fetches.Load(); n != 3 {
		t.Fatalf("fetches after the cache expired = %d; want 3", n)
	}

	failing := []struct {
		name  string
		setup func(js *jwksServer)
	}{
		{"document over 64 KiB", func(js *jwksServer) { js.body = `{"keys":[],"pad":"` + strings.Repeat("x", 70<<10) + `"}` }},
		{"slower than the timeout", func(js *jwksServer) { js.delay = time.Second }},
		{"a private key in the set", func(js *jwksServer) {
			priv := asJWK(k1, "k1")
			priv["d"] = "AQAB"
			b, _ := json.Marshal(map[string]any{"keys": []any{priv}})
			js.body = string(b)
		}},
		{"not a JWK set", func(js *jwksServer) { js.body = "<html>" }},
	}
	for _, tt := range failing {
		t.Run(tt.name, func(t *testing.T) {
			bad := newJWKSServer(t, asJWK(k1, "k1"))
			bad.mu.Lock()
			tt.setup(bad)
			bad.mu.Unlock()
			bc := ts.registerClient(t, map[string]any{
				"token_endpoint_auth_method": "private_key_jwt", "jwks_uri": bad.URL + "/jwks",
				"grant_types": []string{oauth.GrantClientCredentials},
			})
			asWantRefused(t, ts.asToken(t, asForm(asES(t, k1, "k1", asClaims(ts, bc.ID))), nil), "the client's keys could not be fetched")
		})
	}
}

// TestJWKSURIRegistration checks the registration rules of jwks_uri.
func TestJWKSURIRegistration(t *testing.T) {
	ts := newTestServer(t)
	k := asNewKey(t)
	for _, tt := range []struct {
		name string
		meta map[string]any
	}{
		{"plain http on another host", map[string]any{"token_endpoint_auth_method": "private_key_jwt", "jwks_uri": "http://keys.example/jwks"}},
		{"not a URL", map[string]any{"token_endpoint_auth_method": "private_key_jwt", "jwks_uri": "keys"}},
		{"both jwks and jwks_uri", map[string]any{"token_endpoint_auth_method": "private_key_jwt", "jwks_uri": "https://keys.example/jwks", "jwks": map[string]any{"keys": []any{asJWK(k, "k")}}}},
		{"jwks_uri for a secret client", map[string]any{"token_endpoint_auth_method": "client_secret_basic", "jwks_uri": "https://keys.example/jwks"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, ts.admin(t, http.MethodPost, "/admin/clients", tt.meta), 400, "invalid_client_metadata")
		})
	}
	res := ts.admin(t, http.MethodPost, "/admin/clients", map[string]any{"token_endpoint_auth_method": "private_key_jwt", "jwks_uri": "https://keys.example/jwks"})
	if body := readBody(t, res); res.StatusCode != http.StatusCreated || !strings.Contains(string(body), `"jwks_uri":"https://keys.example/jwks"`) {
		t.Fatalf("https jwks_uri = %d %s; want 201 with the jwks_uri", res.StatusCode, body)
	}
}
