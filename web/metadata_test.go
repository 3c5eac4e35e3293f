package web_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jwt"

	"issuer/dpop"
	"issuer/issuer"
)

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

// TestDPoPMetadataAlgs covers DPOP-42 (and O02): every algorithm listed in
// dpop_signing_alg_values_supported is accepted, and others are refused.
func TestDPoPMetadataAlgs(t *testing.T) {
	ts := newTestServer(t)
	res, err := http.Get(ts.URL + issuer.WellKnownOAuth)
	if err != nil {
		t.Fatal(err)
	}
	body := readBody(t, res)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d %s; want 200", issuer.WellKnownOAuth, res.StatusCode, body)
	}
	var meta struct {
		Algs []string `json:"dpop_signing_alg_values_supported"`
	}
	if err := json.Unmarshal(body, &meta); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(meta.Algs, "ES256") {
		t.Errorf("dpop_signing_alg_values_supported = %q; want ES256 among them (HAIP)", meta.Algs)
	}

	keyFor := func(t *testing.T, alg string) crypto.Signer {
		var k crypto.Signer
		var err error
		switch alg {
		case "ES256":
			k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		case "ES384":
			k, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
		case "PS256", "RS256":
			k = dpRSA2048()
		case "EdDSA":
			_, k, err = ed25519.GenerateKey(rand.Reader)
		default:
			t.Fatalf("the metadata lists %q, which this test cannot sign", alg)
		}
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	for _, alg := range meta.Algs {
		t.Run("DPOP-42 listed "+alg+" accepted", func(t *testing.T) {
			k := keyFor(t, alg)
			p := dpSign(t, ts, k, alg, dpop.Claims{})
			dpWantDPoPToken(t, ts.redeem(t, code(ts.offer(t, nil)), p, nil), dpThumbprint(t, k.Public()))
		})
	}

	t.Run("E10 ES512 not listed, refused", func(t *testing.T) {
		if slices.Contains(meta.Algs, "ES512") {
			t.Fatalf("dpop_signing_alg_values_supported = %q; ES512 is not expected by default", meta.Algs)
		}
		o := ts.offer(t, nil)
		wantError(t, ts.redeem(t, code(o), dpES512Proof(t, ts), nil), http.StatusBadRequest, dpInvalidProof)
		dpStillRedeems(t, ts, code(o), "")
	})

	t.Run("DPOP-42 RS256 not listed, refused", func(t *testing.T) {
		if slices.Contains(meta.Algs, "RS256") {
			t.Fatalf("dpop_signing_alg_values_supported = %q; RS256 is not in the default list", meta.Algs)
		}
		o := ts.offer(t, nil)
		p := dpSign(t, ts, dpRSA2048(), "RS256", dpop.Claims{})
		wantError(t, ts.redeem(t, code(o), p, nil), http.StatusBadRequest, dpInvalidProof)
		dpStillRedeems(t, ts, code(o), "")
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

// TestCredentialIssuerMetadataAroundIssuance: the notification and
// deferred endpoints and the response encryption are advertised with our
// credential endpoint (encryption_required follows the config), and not
// with a credential endpoint of the issuer's own, which serves its own.
func TestCredentialIssuerMetadataAroundIssuance(t *testing.T) {
	for _, required := range []bool{false, true} {
		ts := newTestServer(t, func(c *issuer.Config) { c.Credential.RequireEncryption = required })
		m, _ := getJSON(t, ts.URL+"/.well-known/openid-credential-issuer")
		if m["notification_endpoint"] != ts.URL+"/notification" || m["deferred_credential_endpoint"] != ts.URL+"/deferred_credential" {
			t.Errorf("notification_endpoint %v, deferred_credential_endpoint %v", m["notification_endpoint"], m["deferred_credential_endpoint"])
		}
		enc, _ := m["credential_response_encryption"].(map[string]any)
		if enc == nil || strings.Join(stringList(enc["alg_values_supported"]), " ") != "ECDH-ES" ||
			strings.Join(stringList(enc["enc_values_supported"]), " ") != "A128GCM A256GCM" || enc["encryption_required"] != required {
			t.Errorf("credential_response_encryption = %v; want ECDH-ES, A128GCM A256GCM, encryption_required %v", m["credential_response_encryption"], required)
		}
	}
	ts := newTestServer(t, func(c *issuer.Config) { c.CredentialEndpoint = "https://ci.example/credential" })
	m, _ := getJSON(t, ts.URL+"/.well-known/openid-credential-issuer")
	for _, k := range []string{"notification_endpoint", "deferred_credential_endpoint", "credential_response_encryption"} {
		if _, ok := m[k]; ok {
			t.Errorf("%s = %v with an external credential endpoint; want none", k, m[k])
		}
	}
	for _, path := range []string{"/notification", "/deferred_credential"} {
		res := ts.rsPost(t, path, nil, map[string]any{})
		crWantError(t, res, http.StatusNotFound, "not_found")
	}
}
