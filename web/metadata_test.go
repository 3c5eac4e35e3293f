package web_test

import (
	"context"
	"encoding/json"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jwt"

	"issuer/issuer"
	"issuer/storage/memory"
	"issuer/web"
)

// newCustomServer starts a server whose public URL is the listener URL plus
// path (e.g. "/tenant1"), with the given admin token ("" disables the
// admin API). It is built by hand, as newTestServer fixes the URL.
func newCustomServer(t *testing.T, path, admin string) *testServer {
	t.Helper()
	clock := &testClock{now: time.Now().Truncate(time.Second)}
	ts := &testServer{Store: memory.New(), Clock: clock}
	var h http.Handler
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(ts.Close)
	cfg := issuer.Defaults()
	cfg.URL = ts.Server.URL + path
	cfg.Now = clock.Now
	svc, err := issuer.New(t.Context(), cfg, ts.Store, nil)
	if err != nil {
		t.Fatalf("issuer.New() = %v", err)
	}
	ts.Svc = svc
	h = web.New(svc, web.Options{AdminToken: admin})
	return ts
}

// getJSON fetches url and decodes a 200 application/json object.
func getJSON(t testing.TB, target string) (map[string]any, *http.Response) {
	t.Helper()
	res := sendRaw(t, http.MethodGet, target, "", nil, nil)
	body := readBody(t, res)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d %s; want 200", target, res.StatusCode, body)
	}
	if mt, _, err := mime.ParseMediaType(res.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		t.Errorf("GET %s Content-Type = %q; want application/json", target, res.Header.Get("Content-Type"))
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("GET %s body %s: %v", target, body, err)
	}
	return m, res
}

// strings of a JSON array member.
func stringList(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, e := range list {
		s, _ := e.(string)
		out = append(out, s)
	}
	return out
}

// TestAuthorizationServerMetadata covers RFC 8414 (META-01..06, O01, VCI-55..57).
func TestAuthorizationServerMetadata(t *testing.T) {
	ts := newTestServer(t)
	m, _ := getJSON(t, ts.URL+"/.well-known/oauth-authorization-server")
	checks := []struct {
		name string
		ok   bool
		got  any
		want string
	}{
		{"META-02 issuer equals the URL exactly", m["issuer"] == ts.URL, m["issuer"], ts.URL},
		{"token_endpoint", m["token_endpoint"] == ts.URL+"/token", m["token_endpoint"], ts.URL + "/token"},
		{"jwks_uri", m["jwks_uri"] == ts.URL+"/jwks", m["jwks_uri"], ts.URL + "/jwks"},
		{"VCI-01 grant_types_supported has the pre-authorized grant", slices.Contains(stringList(m["grant_types_supported"]), preAuth), m["grant_types_supported"], "contains " + preAuth},
		{"token_endpoint_auth_methods_supported", len(stringList(m["token_endpoint_auth_methods_supported"])) > 0 &&
			slices.Contains(stringList(m["token_endpoint_auth_methods_supported"]), "client_secret_basic"),
			m["token_endpoint_auth_methods_supported"], "a list with client_secret_basic"},
		{"dpop_signing_alg_values_supported has ES256", slices.Contains(stringList(m["dpop_signing_alg_values_supported"]), "ES256"), m["dpop_signing_alg_values_supported"], "contains ES256"},
		{"VCI-55 pre-authorized_grant_anonymous_access_supported", m["pre-authorized_grant_anonymous_access_supported"] == true, m["pre-authorized_grant_anonymous_access_supported"], "true"},
		{"VCI-57 authorization_details_types_supported", slices.Equal(stringList(m["authorization_details_types_supported"]), []string{"openid_credential"}), m["authorization_details_types_supported"], "[openid_credential]"},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if !c.ok {
				t.Fatalf("got %v; want %s", c.got, c.want)
			}
		})
	}
	t.Run("O01 no none anywhere, no symmetric algorithm outside client authentication", func(t *testing.T) {
		for k, v := range m {
			if !strings.HasSuffix(k, "_alg_values_supported") {
				continue
			}
			// HMAC algorithms belong only to client_secret_jwt, in the
			// *_endpoint_auth_signing_alg_values_supported lists.
			clientAuth := strings.HasSuffix(k, "_endpoint_auth_signing_alg_values_supported")
			for _, alg := range stringList(v) {
				if strings.EqualFold(alg, "none") || !clientAuth && strings.HasPrefix(strings.ToUpper(alg), "HS") {
					t.Errorf("%s contains %q", k, alg)
				}
			}
		}
	})
	t.Run("O02 grant types and auth methods the endpoint really supports", func(t *testing.T) {
		for _, g := range stringList(m["grant_types_supported"]) {
			res := ts.post(t, "/token", url.Values{"grant_type": {g}}, nil)
			if e := readError(t, res); e.Error == "unsupported_grant_type" {
				t.Errorf("grant_types_supported lists %q, which the token endpoint answers unsupported_grant_type", g)
			}
		}
		for _, am := range stringList(m["token_endpoint_auth_methods_supported"]) {
			if !slices.Contains([]string{"none", "client_secret_basic", "client_secret_post", "private_key_jwt", "client_secret_jwt", "tls_client_auth", "self_signed_tls_client_auth", "attest_jwt_client_auth"}, am) {
				t.Errorf("token_endpoint_auth_methods_supported lists %q, which is not implemented", am)
			}
		}
	})
}

// TestCredentialIssuerMetadata covers OpenID4VCI §12.2 (VCI-34, VCI-51..54,
// HAIP-11, HAIP-14).
func TestCredentialIssuerMetadata(t *testing.T) {
	ts := newTestServer(t)
	m, _ := getJSON(t, ts.URL+"/.well-known/openid-credential-issuer")
	t.Run("VCI-52 credential_issuer equals the URL exactly", func(t *testing.T) {
		if m["credential_issuer"] != ts.URL {
			t.Fatalf("credential_issuer = %v; want %s", m["credential_issuer"], ts.URL)
		}
	})
	t.Run("credential_endpoint", func(t *testing.T) {
		if ce, _ := m["credential_endpoint"].(string); !strings.HasPrefix(ce, "http") {
			t.Fatalf("credential_endpoint = %v; want an http(s) URL", m["credential_endpoint"])
		}
	})
	t.Run("VCI-34 nonce_endpoint", func(t *testing.T) {
		if m["nonce_endpoint"] != ts.URL+"/nonce" {
			t.Fatalf("nonce_endpoint = %v; want %s/nonce", m["nonce_endpoint"], ts.URL)
		}
	})
	configs, _ := m["credential_configurations_supported"].(map[string]any)
	t.Run("configurations", func(t *testing.T) {
		for id, format := range map[string]string{pidConfig: "dc+sd-jwt", mdlConfig: "mso_mdoc"} {
			c, _ := configs[id].(map[string]any)
			if c == nil || c["format"] != format {
				t.Errorf("configuration %s = %v; want format %s", id, configs[id], format)
			}
		}
	})
	t.Run("HAIP-11 every configuration has a scope", func(t *testing.T) {
		if len(configs) == 0 {
			t.Fatal("credential_configurations_supported is empty")
		}
		for id, v := range configs {
			c, _ := v.(map[string]any)
			if s, _ := c["scope"].(string); s == "" {
				t.Errorf("configuration %s has no scope", id)
			}
		}
	})
	t.Run("HAIP-14 binding methods imply a nonce_endpoint", func(t *testing.T) {
		for id, v := range configs {
			c, _ := v.(map[string]any)
			if _, ok := c["cryptographic_binding_methods_supported"]; ok && m["nonce_endpoint"] == nil {
				t.Errorf("configuration %s has cryptographic_binding_methods_supported but there is no nonce_endpoint", id)
			}
		}
	})
	t.Run("offers may name each advertised configuration", func(t *testing.T) {
		for id := range configs {
			o := ts.offer(t, map[string]any{"credential_configuration_ids": []string{id}})
			if o.CredentialOffer.CredentialIssuer != ts.URL {
				t.Errorf("offer credential_issuer = %q; want %s", o.CredentialOffer.CredentialIssuer, ts.URL)
			}
		}
	})
}

// TestJWKS: the public keys, and nothing private.
func TestJWKS(t *testing.T) {
	ts := newTestServer(t)
	m, _ := getJSON(t, ts.URL+"/jwks")
	keys, _ := m["keys"].([]any)
	if len(keys) == 0 {
		t.Fatalf("jwks = %v; want at least one key", m)
	}
	for i, k := range keys {
		key, _ := k.(map[string]any)
		if kid, _ := key["kid"].(string); kid == "" {
			t.Errorf("key %d has no kid: %v", i, key)
		}
		if key["kty"] != "EC" || key["crv"] != "P-256" {
			t.Errorf("key %d = %v; want kty EC, crv P-256", i, key)
		}
		for _, private := range []string{"d", "p", "q", "dp", "dq", "qi", "k"} {
			if _, ok := key[private]; ok {
				t.Errorf("key %d has the private member %q", i, private)
			}
		}
	}
	// The advertised key is the one that signs access tokens.
	o := ts.offer(t, nil)
	tb := wantToken(t, ts.redeemFresh(t, code(o), nil))
	h, _ := jwtParts(t, tb.AccessToken)
	first, _ := keys[0].(map[string]any)
	if h["kid"] != first["kid"] {
		t.Errorf("access token kid = %v; want the JWKS kid %v", h["kid"], first["kid"])
	}
}

// TestNonceEndpoint covers VCI-35..37 and L01.
func TestNonceEndpoint(t *testing.T) {
	ts := newTestServer(t)
	post := func(t *testing.T) string {
		t.Helper()
		res := sendRaw(t, http.MethodPost, ts.URL+"/nonce", "", nil, nil) // Content-Length: 0, no Authorization
		body := readBody(t, res)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("POST /nonce = %d %s; want 200", res.StatusCode, body)
		}
		if mt, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type")); mt != "application/json" {
			t.Errorf("Content-Type = %q; want application/json", res.Header.Get("Content-Type"))
		}
		if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("Cache-Control = %q; want no-store", cc)
		}
		var out map[string]any
		if err := json.Unmarshal(body, &out); err != nil {
			t.Fatal(err)
		}
		n, _ := out["c_nonce"].(string)
		if n == "" {
			t.Fatalf("body %s has no c_nonce string", body)
		}
		return n
	}
	t.Run("VCI-36 two calls differ", func(t *testing.T) {
		a, b := post(t), post(t)
		if a == b {
			t.Fatalf("two c_nonce values are equal: %q", a)
		}
		if len(a) < 22 { // 128 bits, base64url
			t.Errorf("c_nonce %q is shorter than 128 bits", a)
		}
	})
	t.Run("L01 GET /nonce", func(t *testing.T) {
		res := sendRaw(t, http.MethodGet, ts.URL+"/nonce", "", nil, nil)
		allow := res.Header.Get("Allow")
		wantError(t, res, http.StatusMethodNotAllowed, "invalid_request")
		if !strings.Contains(allow, http.MethodPost) {
			t.Errorf("Allow = %q; want it to contain POST", allow)
		}
	})
}

// TestTenantPath covers META-01 and VCI-51: an issuer URL with a path puts
// the well-known segment between host and path, and every endpoint lives
// under the path.
func TestTenantPath(t *testing.T) {
	ts := newCustomServer(t, "/tenant1", adminToken)
	base := ts.URL + "/tenant1"

	t.Run("META-01 authorization server metadata", func(t *testing.T) {
		m, _ := getJSON(t, ts.URL+"/.well-known/oauth-authorization-server/tenant1")
		if m["issuer"] != base {
			t.Errorf("issuer = %v; want %s", m["issuer"], base)
		}
		if m["token_endpoint"] != base+"/token" || m["jwks_uri"] != base+"/jwks" {
			t.Errorf("token_endpoint = %v, jwks_uri = %v; want under %s", m["token_endpoint"], m["jwks_uri"], base)
		}
	})
	t.Run("VCI-51 credential issuer metadata", func(t *testing.T) {
		m, _ := getJSON(t, ts.URL+"/.well-known/openid-credential-issuer/tenant1")
		if m["credential_issuer"] != base {
			t.Errorf("credential_issuer = %v; want %s", m["credential_issuer"], base)
		}
		if m["nonce_endpoint"] != base+"/nonce" {
			t.Errorf("nonce_endpoint = %v; want %s/nonce", m["nonce_endpoint"], base)
		}
	})
	t.Run("host-level paths are not served", func(t *testing.T) {
		for _, p := range []string{
			"/.well-known/oauth-authorization-server",
			"/tenant1/.well-known/oauth-authorization-server",
			"/.well-known/openid-credential-issuer",
			"/jwks",
		} {
			wantError(t, sendRaw(t, http.MethodGet, ts.URL+p, "", nil, nil), http.StatusNotFound, "not_found")
		}
		wantError(t, sendRaw(t, http.MethodPost, ts.URL+"/token", "application/x-www-form-urlencoded", strings.NewReader("grant_type=x"), nil),
			http.StatusNotFound, "not_found")
	})
	t.Run("token endpoint under the path", func(t *testing.T) {
		res := ts.admin(t, http.MethodPost, "/tenant1/admin/offers", map[string]any{
			"credential_configuration_ids": []string{pidConfig}, "subject": "tenant-user",
		})
		body := readBody(t, res)
		if res.StatusCode != http.StatusCreated {
			t.Fatalf("POST /tenant1/admin/offers = %d %s; want 201", res.StatusCode, body)
		}
		var o issuer.OfferResponse
		if err := json.Unmarshal(body, &o); err != nil {
			t.Fatal(err)
		}
		if o.CredentialOffer.CredentialIssuer != base {
			t.Errorf("offer credential_issuer = %q; want %s", o.CredentialOffer.CredentialIssuer, base)
		}
		w := newWallet(t)
		proof := proofAt(t, w, http.MethodPost, base+"/token", ts.Clock.Now())
		tb := wantToken(t, ts.post(t, "/tenant1/token", url.Values{"grant_type": {preAuth}, "pre-authorized_code": {code(o)}},
			map[string][]string{"DPoP": {proof}}))
		_, claims := jwtParts(t, tb.AccessToken)
		if claims["iss"] != base || claims["aud"] != base {
			t.Errorf("iss = %v, aud = %v; want %s", claims["iss"], claims["aud"], base)
		}
		set, err := jwk.Fetch(context.Background(), base+"/jwks")
		if err != nil {
			t.Fatalf("jwk.Fetch(%s/jwks) = %v", base, err)
		}
		if _, err := jwt.Parse([]byte(tb.AccessToken), jwt.WithKeySet(set)); err != nil {
			t.Errorf("jwt.Parse = %v; want a valid signature", err)
		}
	})
	t.Run("a proof for the host-level token URL is refused", func(t *testing.T) {
		res := ts.admin(t, http.MethodPost, "/tenant1/admin/offers", map[string]any{
			"credential_configuration_ids": []string{pidConfig}, "subject": "tenant-user",
		})
		var o issuer.OfferResponse
		if err := json.Unmarshal(readBody(t, res), &o); err != nil {
			t.Fatal(err)
		}
		proof := proofAt(t, newWallet(t), http.MethodPost, ts.URL+"/token", ts.Clock.Now())
		wantError(t, ts.post(t, "/tenant1/token", preAuthForm(code(o)), map[string][]string{"DPoP": {proof}}),
			http.StatusBadRequest, "invalid_dpop_proof")
	})
	t.Run("nonce under the path", func(t *testing.T) {
		res := sendRaw(t, http.MethodPost, base+"/nonce", "", nil, nil)
		if body := readBody(t, res); res.StatusCode != http.StatusOK {
			t.Fatalf("POST %s/nonce = %d %s; want 200", base, res.StatusCode, body)
		}
	})
}

// readError decodes an error body without asserting its status.
func readError(t testing.TB, res *http.Response) oauthError {
	t.Helper()
	var e oauthError
	_ = json.Unmarshal(readBody(t, res), &e)
	return e
}

// TestEndpointAuthSigningAlgs: revocation and introspection take the same
// client assertions as the token endpoint, and say so (RFC 8414 §2).
func TestEndpointAuthSigningAlgs(t *testing.T) {
	ts := newTestServer(t)
	m, _ := getJSON(t, ts.URL+"/.well-known/oauth-authorization-server")
	want := stringList(m["token_endpoint_auth_signing_alg_values_supported"])
	if !slices.Contains(want, "ES256") || !slices.Contains(want, "HS256") || slices.Contains(want, "none") {
		t.Fatalf("token_endpoint_auth_signing_alg_values_supported = %v", want)
	}
	for _, k := range []string{"revocation_endpoint_auth_signing_alg_values_supported", "introspection_endpoint_auth_signing_alg_values_supported"} {
		if got := stringList(m[k]); !slices.Equal(got, want) {
			t.Errorf("%s = %v; want %v", k, got, want)
		}
	}
}
