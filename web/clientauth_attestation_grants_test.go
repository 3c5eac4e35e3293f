package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"issuer/issuer"
	"issuer/issuer/oauth"
)

// The authorization code flow for an unregistered wallet that authenticates
// with its attestation at PAR and at the token endpoint (HAIP §4.3, §4.4.1):
// its redirect URIs come from the attestation, the code is bound to the
// instance key, and the refresh token too.
func TestAttestationAuthorizationCodeFlow(t *testing.T) {
	f := atSetup(t)
	ts := f.ts
	ts.afCreateUser(t, afUser, afPassword, nil)
	id := atWalletID()
	withRedirect := func(_, c map[string]any) { c["redirect_uris"] = []string{afRedirect} }
	newInstance := func() *atInstance {
		in := f.instance(t, id)
		in.Att = f.attest(t, id, in.Key, withRedirect)
		return in
	}
	push := func(in *atInstance, form url.Values) *http.Response {
		return ts.afPush(t, form, in.headers(t))
	}
	exchange := func(in *atInstance, code, verifier string) *http.Response {
		form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {afRedirect}, "code_verifier": {verifier}, "client_id": {id}}
		h := in.headers(t)
		h["DPoP"] = []string{ts.freshProof(t, in.DPoP)}
		return ts.post(t, "/token", form, h)
	}
	codeFor := func(in *atInstance, pk afPKCE) string {
		res := push(in, afParams(id, pk, nil))
		body := readBody(t, res)
		if res.StatusCode != http.StatusCreated {
			t.Fatalf("PAR with an attestation = %d %s; want 201", res.StatusCode, body)
		}
		uri := afJSONString(t, body, "request_uri")
		loc := ts.afSignIn(t, newBrowser(t), url.Values{"client_id": {id}, "request_uri": {uri}}, afUser, afPassword, true)
		return loc.Query().Get("code")
	}

	t.Run("code, token and refresh for an unregistered wallet", func(t *testing.T) {
		in, pk := newInstance(), newPKCE(t)
		tb := atWantToken(t, exchange(in, codeFor(in, pk), pk.Verifier), id)
		if tb.RefreshToken == "" {
			t.Fatal("no refresh token for the attested wallet")
		}
	})
	t.Run("another instance of the wallet cannot redeem the code", func(t *testing.T) {
		in, pk := newInstance(), newPKCE(t)
		code := codeFor(in, pk)
		wantError(t, exchange(newInstance(), code, pk.Verifier), http.StatusBadRequest, "invalid_grant")
	})
	t.Run("PAR without the attestation (HAIP-10)", func(t *testing.T) {
		wantError(t, ts.afPush(t, afParams(id, newPKCE(t), nil), nil), http.StatusUnauthorized, "invalid_client")
	})
	t.Run("PAR with client_id other than the attestation's sub (HAIP-09)", func(t *testing.T) {
		in := newInstance()
		wantError(t, push(in, afParams(atWalletID(), newPKCE(t), nil)), http.StatusUnauthorized, "invalid_client")
	})
	t.Run("a redirect URI the attestation does not list", func(t *testing.T) {
		in := newInstance()
		wantError(t, push(in, afParams(id, newPKCE(t), url.Values{"redirect_uri": {"https://evil.example/cb"}})), http.StatusBadRequest, "invalid_request")
	})
	t.Run("an attestation without redirect_uris cannot use the code flow", func(t *testing.T) {
		in := f.instance(t, id)
		wantError(t, push(in, afParams(id, newPKCE(t), nil)), http.StatusBadRequest, "invalid_request")
	})
}

// afJSONString returns the string member name of a JSON object body.
func afJSONString(t testing.TB, body []byte, name string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	s, _ := m[name].(string)
	if s == "" {
		t.Fatalf("%s has no %s", body, name)
	}
	return s
}

// TestAttestationClient covers the client an attestation authenticates:
// without registration a wallet with the pre-authorized, refresh and
// authorization code grants whose tokens must be DPoP-bound; a registered
// attest_jwt_client_auth client keeps its registration.
func TestAttestationClient(t *testing.T) {
	f := atSetup(t, func(c *issuer.Config) { c.DPoP.Policy = issuer.DPoPOptional })
	t.Run("no DPoP proof, although the policy is optional", func(t *testing.T) {
		in := f.instance(t, atWalletID())
		atWantError(t, in.redeem(t, map[string][]string{hdrAtt: {in.Att}, hdrPoP: {in.pop(t, nil)}, "DPoP": nil}, nil),
			http.StatusBadRequest, "invalid_request", "the client is registered with dpop_bound_access_tokens and sent no DPoP proof")
	})
	t.Run("client_credentials is not a wallet's grant", func(t *testing.T) {
		in := f.instance(t, atWalletID())
		res := f.ts.post(t, "/token", url.Values{"grant_type": {oauth.GrantClientCredentials}},
			map[string][]string{hdrAtt: {in.Att}, hdrPoP: {in.pop(t, nil)}, "DPoP": {f.ts.freshProof(t, in.DPoP)}})
		wantError(t, res, http.StatusBadRequest, "unauthorized_client")
	})
	t.Run("a registered attest_jwt_client_auth client keeps its grant types", func(t *testing.T) {
		c := f.ts.registerClient(t, map[string]any{"client_id": atWalletID(), "token_endpoint_auth_method": oauth.AuthAttestJWT,
			"grant_types": []string{preAuth}})
		if c.Secret != "" || c.Method != oauth.AuthAttestJWT {
			t.Fatalf("registered client = %+v; want method %s and no secret", c, oauth.AuthAttestJWT)
		}
		in := f.instance(t, c.ID)
		b := atWantToken(t, in.redeem(t, in.headers(t), nil), c.ID)
		if b.RefreshToken != "" {
			t.Errorf("refresh_token issued to a client registered without the refresh_token grant")
		}
	})
	t.Run("two instances of one wallet share the client_id", func(t *testing.T) {
		id := atWalletID()
		for range 2 {
			in := f.instance(t, id)
			atWantToken(t, in.redeem(t, in.headers(t), nil), id)
		}
	})
}

// atRefresh sends a refresh_token request with the given attestation
// headers (none when nil) and a fresh proof of w.
func (f *atFixture) atRefresh(t testing.TB, rt string, hdr map[string][]string, w *wallet) *http.Response {
	t.Helper()
	h := map[string][]string{"DPoP": {f.ts.freshProof(t, w)}}
	for k, v := range hdr {
		h[k] = v
	}
	return f.ts.post(t, "/token", url.Values{"grant_type": {oauth.GrantRefreshToken}, "refresh_token": {rt}}, h)
}

// TestAttestationRefresh covers H08, ATT-14 and checklist §7 item 4: a
// refresh token issued under attestation auth is bound to the instance key.
func TestAttestationRefresh(t *testing.T) {
	for _, rotate := range []bool{false, true} {
		name := "no rotation"
		if rotate {
			name = "rotation"
		}
		t.Run(name, func(t *testing.T) {
			f := atSetup(t, func(c *issuer.Config) { c.Tokens.RotateRefreshTokens = rotate })
			in := f.instance(t, atWalletID())
			rt := atWantToken(t, in.redeem(t, in.headers(t), nil), in.ID).RefreshToken
			if rt == "" {
				t.Fatal("no refresh_token")
			}
			// Another instance of the same wallet: valid attestation, same sub,
			// another cnf key.
			twin := f.instance(t, in.ID)
			atWantError(t, f.atRefresh(t, rt, twin.headers(t), twin.DPoP), http.StatusBadRequest, "invalid_grant",
				"the refresh token is bound to the key of another client instance (the attestation's cnf)")
			atWantError(t, f.atRefresh(t, rt, nil, in.DPoP), http.StatusUnauthorized, "invalid_client", "")
			other := f.instance(t, atWalletID())
			wantError(t, f.atRefresh(t, rt, other.headers(t), other.DPoP), http.StatusBadRequest, "invalid_grant")
			// The instance itself, with a new DPoP key: the refusals burned nothing.
			b := atWantToken(t, f.atRefresh(t, rt, in.headers(t), newWallet(t)), in.ID)
			if rotate {
				if b.RefreshToken == "" || b.RefreshToken == rt {
					t.Fatalf("rotation gave refresh_token %q", b.RefreshToken)
				}
				atWantError(t, f.atRefresh(t, b.RefreshToken, twin.headers(t), twin.DPoP), http.StatusBadRequest, "invalid_grant",
					"the refresh token is bound to the key of another client instance (the attestation's cnf)")
				atWantToken(t, f.atRefresh(t, b.RefreshToken, in.headers(t), in.DPoP), in.ID)
			}
		})
	}
}

// TestAttestationRevokeIntrospect covers attestation authentication at
// /revoke (the instance revokes its tokens, another instance of the wallet
// cannot) and /introspect (refused: it is for resource servers).
func TestAttestationRevokeIntrospect(t *testing.T) {
	f := atSetup(t)
	ts := f.ts
	t.Run("another instance's revocation is a no-op, the instance's own works", func(t *testing.T) {
		in := f.instance(t, atWalletID())
		rt := atWantToken(t, in.redeem(t, in.headers(t), nil), in.ID).RefreshToken
		twin := f.instance(t, in.ID)
		rvWantRevoke200(t, ts.post(t, "/revoke", url.Values{"token": {rt}}, twin.headers(t)))
		atWantToken(t, f.atRefresh(t, rt, in.headers(t), in.DPoP), in.ID)
		rvWantRevoke200(t, ts.post(t, "/revoke", url.Values{"token": {rt}, "token_type_hint": {"refresh_token"}}, in.headers(t)))
		atWantError(t, f.atRefresh(t, rt, in.headers(t), in.DPoP), http.StatusBadRequest, "invalid_grant", "the refresh token is not valid")
	})
	t.Run("the instance revokes its access token", func(t *testing.T) {
		in := f.instance(t, atWalletID())
		at := atWantToken(t, in.redeem(t, in.headers(t), nil), in.ID).AccessToken
		rvWantRevoke200(t, ts.post(t, "/revoke", url.Values{"token": {at}}, in.headers(t)))
		rs := ts.ccClient(t, "client_secret_basic", "")
		if m := rvIntrospect(t, ts, at, rvAs(rs)); m["active"] != false {
			t.Fatalf("introspection after revocation = %v; want inactive", m)
		}
	})
	for _, path := range []string{"/revoke", "/introspect"} {
		t.Run("D10 PoP for the token endpoint at "+path, func(t *testing.T) {
			in := f.instance(t, atWalletID())
			h := atHeaders(in.Att, in.pop(t, func(_, c map[string]any) { c["aud"] = ts.URL + path }))
			atWantError(t, ts.post(t, path, url.Values{"token": {"some-token"}}, h), http.StatusUnauthorized, "invalid_client", atBadAud)
		})
		t.Run("D05 trust anchor in x5c at "+path, func(t *testing.T) {
			in := f.instance(t, atWalletID())
			att := f.attest(t, in.ID, in.Key, func(h, _ map[string]any) { h["x5c"] = atX5C(f.Leaf.Cert, f.Inter.Cert, f.Root.Cert) })
			atWantError(t, ts.post(t, path, url.Values{"token": {"some-token"}}, atHeaders(att, in.pop(t, nil))), http.StatusUnauthorized, "invalid_client", atAnchor)
		})
		t.Run("C02 attestation and Basic at "+path, func(t *testing.T) {
			in := f.instance(t, atWalletID())
			h := in.headers(t)
			h["Authorization"] = []string{basicAuth("rs", strings.Repeat("s", 40))}
			atWantError(t, ts.post(t, path, url.Values{"token": {"some-token"}}, h), http.StatusBadRequest, "invalid_request", atTwoAuth)
		})
	}
	t.Run("HAIP-08 token scanning is throttled per instance, not per client_id", func(t *testing.T) {
		scanner := f.instance(t, atWalletID())
		twin := f.instance(t, scanner.ID)
		for i := range 100 {
			if res := ts.post(t, "/revoke", url.Values{"token": {"unknown-" + randomJTI()}}, scanner.headers(t)); res.StatusCode != http.StatusOK {
				t.Fatalf("lookup %d = %d; want 200", i, res.StatusCode)
			}
		}
		wantError(t, ts.post(t, "/revoke", url.Values{"token": {"unknown"}}, scanner.headers(t)), http.StatusTooManyRequests, "invalid_request")
		rvWantRevoke200(t, ts.post(t, "/revoke", url.Values{"token": {"unknown"}}, twin.headers(t)))
	})
	t.Run("a valid attestation does not authenticate an introspecting client", func(t *testing.T) {
		in := f.instance(t, atWalletID())
		at := atWantToken(t, in.redeem(t, in.headers(t), nil), in.ID).AccessToken
		atWantError(t, ts.post(t, "/introspect", url.Values{"token": {at}}, in.headers(t)), http.StatusUnauthorized, "invalid_client",
			"introspection is for resource servers; a wallet attestation does not authenticate one")
	})
}

// TestAttestationMetadata covers ATT-12, ATT-13 and HAIP-06.
func TestAttestationMetadata(t *testing.T) {
	ts := newTestServer(t)
	m, _ := getJSON(t, ts.URL+"/.well-known/oauth-authorization-server")
	for _, member := range []string{"token_endpoint_auth_methods_supported", "revocation_endpoint_auth_methods_supported"} {
		if !slices.Contains(stringList(m[member]), oauth.AuthAttestJWT) {
			t.Errorf("%s = %v; want %s", member, m[member], oauth.AuthAttestJWT)
		}
	}
	if slices.Contains(stringList(m["introspection_endpoint_auth_methods_supported"]), oauth.AuthAttestJWT) {
		t.Errorf("introspection_endpoint_auth_methods_supported lists %s, which introspection refuses", oauth.AuthAttestJWT)
	}
	for _, member := range []string{"client_attestation_signing_alg_values_supported", "client_attestation_pop_signing_alg_values_supported"} {
		algs := stringList(m[member])
		if !slices.Contains(algs, "ES256") {
			t.Errorf("%s = %v; want ES256 (HAIP-15)", member, m[member])
		}
		for _, a := range algs {
			if a == "none" || strings.HasPrefix(a, "HS") {
				t.Errorf("%s lists %s", member, a)
			}
		}
	}
	if _, ok := m["challenge_endpoint"]; ok || m["client_attestation_pop_nonce_required"] != false {
		t.Errorf("challenge_endpoint = %v, client_attestation_pop_nonce_required = %v; want none and false when no challenge is required",
			m["challenge_endpoint"], m["client_attestation_pop_nonce_required"])
	}
	ts = newTestServer(t, func(c *issuer.Config) { c.ClientAttestation.RequireChallenge = true })
	m, _ = getJSON(t, ts.URL+"/.well-known/oauth-authorization-server")
	if m["challenge_endpoint"] != ts.URL+"/challenge" || m["client_attestation_pop_nonce_required"] != true {
		t.Errorf("challenge_endpoint = %v, client_attestation_pop_nonce_required = %v; want %s and true",
			m["challenge_endpoint"], m["client_attestation_pop_nonce_required"], ts.URL+"/challenge")
	}
}
