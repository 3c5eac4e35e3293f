package authz_test

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"issuer/issuer/authz"
	"issuer/issuer/clientauth"
	"issuer/issuer/oauth"
	"issuer/pkce"
	"issuer/storage"
)

// TestPARValidation: the checks of a pushed authorization request (RFC
// 9126 §2.1, RFC 7636, RFC 9449 §10, OpenID4VCI 1.0 §5.1), each refusal
// with its error and nothing stored, each accepted variant pushed. The
// outcomes are web/par_test.go's TestPARValidation.
func TestPARValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.client(t, storage.Client{ID: "preauth-only", AuthMethod: oauth.AuthNone, GrantTypes: []string{oauth.GrantPreAuthorizedCode}})
	challenge := pkce.Challenge(verifier)
	pidDetail := `{"type":"openid_credential","credential_configuration_id":"` + pid + `"}`
	details := func(d string) map[string]string { return map[string]string{"scope": "", "authorization_details": d} }
	const invReq, invAD = oauth.CodeInvalidRequest, oauth.CodeInvalidAuthorizationDetails
	for _, tc := range []struct {
		name string
		mod  map[string]string
		code string
		desc string
	}{
		{"M02 request_uri pushed", map[string]string{"request_uri": "urn:ietf:params:oauth:request_uri:x"}, invReq, "request_uri must not be pushed (RFC 9126 section 2.1)"},
		{"request object", map[string]string{"request": "eyJhbGciOiJub25lIn0.e30."}, oauth.CodeRequestNotSupported, ""},
		{"response_type missing", map[string]string{"response_type": ""}, invReq, "the parameter response_type is missing"},
		{"response_type token", map[string]string{"response_type": "token"}, oauth.CodeUnsupportedResponseType, ""},
		{"response_type code id_token", map[string]string{"response_type": "code id_token"}, oauth.CodeUnsupportedResponseType, ""},
		{"response_mode fragment", map[string]string{"response_mode": "fragment"}, invReq, "only the response_mode query is supported"},
		{"client without the authorization_code grant", map[string]string{"client_id": "preauth-only"}, oauth.CodeUnauthorizedClient, ""},
		{"M05 redirect_uri missing", map[string]string{"redirect_uri": ""}, invReq, "the parameter redirect_uri is missing"},
		{"M04 unregistered redirect_uri", map[string]string{"redirect_uri": "https://attacker.example/cb"}, invReq, "the redirect_uri is not registered for the client"},
		{"M04 redirect_uri path case", map[string]string{"redirect_uri": "https://wallet.example/CB"}, invReq, "the redirect_uri is not registered for the client"},
		{"M04 redirect_uri trailing slash", map[string]string{"redirect_uri": redirect + "/"}, invReq, "the redirect_uri is not registered for the client"},
		{"M04 redirect_uri with a query", map[string]string{"redirect_uri": redirect + "?x=1"}, invReq, "the redirect_uri is not registered for the client"},
		{"M04 redirect_uri over http", map[string]string{"redirect_uri": "http://wallet.example/cb"}, invReq, "the redirect_uri is not registered for the client"},
		{"prompt select_account", map[string]string{"prompt": "select_account"}, invReq, "prompt must be none, login or consent"},
		{"I16 code_challenge missing", map[string]string{"code_challenge": ""}, invReq, "the parameter code_challenge is missing (PKCE with S256 is required)"},
		{"I16 no PKCE at all", map[string]string{"code_challenge": "", "code_challenge_method": ""}, invReq, "the parameter code_challenge is missing (PKCE with S256 is required)"},
		{"I15 code_challenge_method missing", map[string]string{"code_challenge_method": ""}, invReq, "the parameter code_challenge_method is missing; only S256 is supported"},
		{"I14 plain", map[string]string{"code_challenge_method": "plain"}, invReq, "the code_challenge_method is not supported; only S256 is"},
		{"I14 plain with the verifier as challenge", map[string]string{"code_challenge_method": "plain", "code_challenge": verifier}, invReq, "the code_challenge_method is not supported; only S256 is"},
		{"s256 in lower case", map[string]string{"code_challenge_method": "s256"}, invReq, "the code_challenge_method is not supported; only S256 is"},
		{"code_challenge 42 characters", map[string]string{"code_challenge": challenge[:42]}, invReq, "the code_challenge is not a base64url SHA-256 value"},
		{"code_challenge padded", map[string]string{"code_challenge": challenge + "="}, invReq, "the code_challenge is not a base64url SHA-256 value"},
		{"code_challenge with +", map[string]string{"code_challenge": "+" + challenge[1:]}, invReq, "the code_challenge is not a base64url SHA-256 value"},
		{"dpop_jkt not base64url", map[string]string{"dpop_jkt": "not a thumbprint!"}, invReq, "dpop_jkt must be a base64url SHA-256 JWK thumbprint"},
		{"dpop_jkt of 16 bytes", map[string]string{"dpop_jkt": base64.RawURLEncoding.EncodeToString(make([]byte, 16))}, invReq, "dpop_jkt must be a base64url SHA-256 JWK thumbprint"},
		{"dpop_jkt padded", map[string]string{"dpop_jkt": jktA + "="}, invReq, "dpop_jkt must be a base64url SHA-256 JWK thumbprint"},
		{"max_age negative", map[string]string{"max_age": "-1"}, invReq, "max_age must be a non-negative integer"},
		{"max_age decimal", map[string]string{"max_age": "1.5"}, invReq, "max_age must be a non-negative integer"},
		{"B15 authorization_details not JSON", details(`[{"type":`), invReq, "authorization_details is not valid JSON"},
		{"B16 authorization_details an object", details(pidDetail), invAD, "authorization_details must be a JSON array"},
		{"authorization_details empty", details(`[]`), invAD, "authorization_details must not be empty"},
		{"authorization_details entry a string", details(`["openid_credential"]`), invAD, ""},
		{"B19 authorization_details other type", details(`[{"type":"payment_initiation","credential_configuration_id":"` + pid + `"}]`), invAD, "the authorization_details type is not supported"},
		{"authorization_details without type", details(`[{"credential_configuration_id":"` + pid + `"}]`), invAD, "an authorization_details entry has no type"},
		{"authorization_details entry null", details(`[null]`), invAD, "each authorization_details entry must be an object with a string type"},
		{"authorization_details type not a string", details(`[{"type":1}]`), invAD, ""},
		{"B17 authorization_details unknown configuration", details(`[{"type":"openid_credential","credential_configuration_id":"unknown"}]`), invAD, "credential_configuration_id is not in credential_configurations_supported"},
		{"authorization_details without configuration id", details(`[{"type":"openid_credential"}]`), invAD, "an openid_credential entry has no credential_configuration_id"},
		{"B20 locations of another issuer", details(`[{"type":"openid_credential","credential_configuration_id":"` + pid + `","locations":["https://other.example"]}]`), invAD, "locations does not name this credential issuer"},
		{"authorization_details one bad entry of two", details(`[` + pidDetail + `,{"type":"openid_credential","credential_configuration_id":"unknown"}]`), invAD, ""},
		{"issuer_state forged", map[string]string{"issuer_state": "forged"}, invReq, "the issuer_state is not valid or has expired"},
		{"nothing requested", map[string]string{"scope": ""}, oauth.CodeInvalidScope, ""},
		{"only unknown scope values", map[string]string{"scope": "profile email"}, oauth.CodeInvalidScope, ""},
		{"offline_access alone", map[string]string{"scope": "offline_access"}, oauth.CodeInvalidScope, ""},
		{"scope value differing in case", map[string]string{"scope": strings.ToUpper(pid)}, oauth.CodeInvalidScope, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.Store.counts()
			res, err := e.Authz.PushAuthorizationRequest(t.Context(), authz.PARRequest{Request: clientauth.Request{Params: params(tc.mod), RemoteIP: "192.0.2.9"}})
			wantError(t, err, tc.code, tc.desc)
			if res.RequestURI != "" || e.Store.counts() != before {
				t.Errorf("a refused push stored something: %+v, counts %v → %v", res, before, e.Store.counts())
			}
		})
	}
	for _, tc := range []struct {
		name string
		mod  map[string]string
	}{
		{"response_mode query", map[string]string{"response_mode": "query"}},
		{"prompt login", map[string]string{"prompt": "login"}},
		{"prompt none", map[string]string{"prompt": "none"}},
		{"max_age 0", map[string]string{"max_age": "0"}},
		{"valid dpop_jkt", map[string]string{"dpop_jkt": jktA}},
		{"openid alone", map[string]string{"scope": "openid"}},
		{"unknown scope values with a credential scope", map[string]string{"scope": "profile " + pid + " email"}},
		{"authorization_details without scope", details(`[` + pidDetail + `]`)},
		{"locations of this issuer", details(`[{"type":"openid_credential","credential_configuration_id":"` + pid + `","locations":["` + issuerURL + `"]}]`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := e.push(t, params(tc.mod))
			if !strings.HasPrefix(res.RequestURI, "urn:ietf:params:oauth:request_uri:") || res.ExpiresIn != int64(e.Cfg.RequestURITTL/time.Second) {
				t.Errorf("push = %+v; want a request_uri living %v", res, e.Cfg.RequestURITTL)
			}
		})
	}
}

// TestPARClient: M03, a push needs a client; a public client must name
// itself with client_id (RFC 9126 §2.1).
func TestPARClient(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	push := func(p map[string]string, authorization string) error {
		_, err := e.Authz.PushAuthorizationRequest(t.Context(), authz.PARRequest{Request: clientauth.Request{Params: p, Authorization: authorization}})
		return err
	}
	wantError(t, push(params(map[string]string{"client_id": "nobody"}), ""), oauth.CodeInvalidClient, "client authentication is required")
	wantError(t, push(params(map[string]string{"client_id": ""}), walletID), oauth.CodeInvalidRequest, "the parameter client_id is missing")
	e.client(t, storage.Client{ID: "backend", AuthMethod: oauth.AuthClientSecretBasic})
	if err := push(params(map[string]string{"client_id": ""}), "backend"); err != nil {
		t.Errorf("a confidential client without client_id: %v; want the push accepted", err)
	}
	if e.Store.counts()[0] != 1 {
		t.Errorf("sessions stored = %d; want 1", e.Store.counts()[0])
	}
}

// TestPARDPoP: DPOP-39, DPOP-40 (H01-H03). A DPoP header at PAR is
// verified with the PAR URL, its jti recorded, and it binds the code as
// dpop_jkt does; dpop_jkt and a header of another key are refused.
func TestPARDPoP(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, tc := range []struct {
		name    string
		jkt     string
		proofs  []string
		wantJKT string
	}{
		{"no binding", "", nil, ""},
		{"H01 dpop_jkt", jktA, nil, jktA},
		{"H02 a DPoP header", "", []string{jktA + "#1"}, jktA},
		{"dpop_jkt and a header of the same key", jktA, []string{jktA + "#2"}, jktA},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := e.codeOf(t, e.push(t, params(map[string]string{"dpop_jkt": tc.jkt}), tc.proofs...).RequestURI)
			if c.DPoPJKT != tc.wantJKT {
				t.Errorf("code bound to %q; want %q", c.DPoPJKT, tc.wantJKT)
			}
		})
	}
	e.Proofs.mu.Lock()
	calls := e.Proofs.calls
	e.Proofs.mu.Unlock()
	if len(calls) != 2 || calls[0].method != http.MethodPost || calls[0].url != parURL {
		t.Errorf("proof verifications = %+v; want 2, POST %s", calls, parURL)
	}
	for _, tc := range []struct {
		name, jkt string
		proofs    []string
		code      string
		desc      string
	}{
		{"H03 dpop_jkt and a header of another key", jktA, []string{jktB + "#3"}, oauth.CodeInvalidRequest, "dpop_jkt does not match the key of the DPoP proof"},
		{"two DPoP headers", "", []string{jktA + "#4", jktA + "#5"}, oauth.CodeInvalidDPoPProof, "too many DPoP parameters are passed in the header"},
		{"a proof the verifier refuses", "", []string{"bad"}, oauth.CodeInvalidDPoPProof, "bad proof"},
		{"a replayed proof", "", []string{jktA + "#1"}, oauth.CodeInvalidDPoPProof, "the DPoP proof was used before (jti replay)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.Store.counts()
			_, err := e.Authz.PushAuthorizationRequest(t.Context(), authz.PARRequest{Request: clientauth.Request{Params: params(map[string]string{"dpop_jkt": tc.jkt})}, DPoP: tc.proofs})
			wantError(t, err, tc.code, tc.desc)
			if after := e.Store.counts(); after[0] != before[0] {
				t.Errorf("a refused push stored a session")
			}
		})
	}
}

// TestPARQuota: M07, 300 pushes per quota key and minute, then 429 with
// the rest of the window to wait; a public client's quota is per address,
// so another address is not held up, and the next window is open.
func TestPARQuota(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	push := func(ip string) error {
		_, err := e.Authz.PushAuthorizationRequest(t.Context(), authz.PARRequest{Request: clientauth.Request{Params: params(nil), RemoteIP: ip}})
		return err
	}
	for i := range 300 {
		if err := push("192.0.2.1"); err != nil {
			t.Fatalf("push %d: %v", i+1, err)
		}
	}
	e.Clock.Advance(30 * time.Second)
	before := e.Store.counts()
	err := wantError(t, push("192.0.2.1"), oauth.CodeInvalidRequest, "too many pushed authorization requests; try again later")
	if err.Status != http.StatusTooManyRequests || err.RetryAfter <= 0 || err.RetryAfter > 30*time.Second {
		t.Errorf("status %d, retry after %v; want 429 and at most 30s", err.Status, err.RetryAfter)
	}
	if e.Store.counts() != before {
		t.Error("a push over the quota stored something")
	}
	if err := push("192.0.2.2"); err != nil {
		t.Errorf("another address: %v", err)
	}
	e.Clock.Advance(31 * time.Second)
	if err := push("192.0.2.1"); err != nil {
		t.Errorf("the next window: %v", err)
	}
}

// TestRequestURI: PAR-08, PAR-09 (M08-M10). A request_uri is used once,
// by the client that pushed it, before it expires.
func TestRequestURI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.client(t, storage.Client{ID: "other", AuthMethod: oauth.AuthNone})
	const bad = "the request_uri is not valid, has expired or was used already"
	authorize := func(client, uri string) error {
		_, err := e.Authz.Authorize(t.Context(), map[string]string{"client_id": client, "request_uri": uri})
		return err
	}
	uri := e.push(t, params(nil)).RequestURI
	wantError(t, authorize("other", uri), oauth.CodeInvalidRequest, bad)  // M08
	e.open(t, uri)                                                        // not used up by the other client
	wantError(t, authorize(walletID, uri), oauth.CodeInvalidRequest, bad) // M10
	wantError(t, authorize(walletID, "urn:ietf:params:oauth:request_uri:forged"), oauth.CodeInvalidRequest, bad)
	wantError(t, authorize("", uri), oauth.CodeInvalidRequest, "the parameter client_id is missing")
	late := e.push(t, params(nil)).RequestURI
	e.Clock.Advance(e.Cfg.RequestURITTL + time.Second)
	wantError(t, authorize(walletID, late), oauth.CodeInvalidRequest, bad) // M09
}

// TestAuthorizeWithoutPAR: with PAR required a plain request goes back to
// the client as invalid_request; an unknown client or redirect URI gets
// no redirect. Without the setting the request is validated as at PAR.
func TestAuthorizeWithoutPAR(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, err := e.Authz.Authorize(t.Context(), params(nil))
	var re *authz.RedirectError
	if !asRedirect(err, &re) || re.Err.Code != oauth.CodeInvalidRequest {
		t.Fatalf("Authorize(plain) = %v; want a redirect with invalid_request", err)
	}
	if q := redirectQuery(t, re.URL); q.Get("error") != oauth.CodeInvalidRequest || q.Get("state") != "st" {
		t.Errorf("redirect query = %v", q)
	}
	_, err = e.Authz.Authorize(t.Context(), params(map[string]string{"redirect_uri": "https://attacker.example/cb"}))
	if asRedirect(err, &re) {
		t.Errorf("a request with an unregistered redirect URI was redirected to %s", re.URL)
	}
	wantError(t, err, oauth.CodeInvalidRequest, "the redirect_uri is not registered for the client")
	_, err = e.Authz.Authorize(t.Context(), params(map[string]string{"client_id": "nobody"}))
	wantError(t, err, oauth.CodeInvalidRequest, "the client doesn't exist")

	open := newEnv(t, func(c *authz.Config) { c.RequirePAR = false })
	if res, err := open.Authz.Authorize(t.Context(), params(nil)); err != nil || res.Page == nil {
		t.Errorf("Authorize(plain) without RequirePAR = %+v, %v; want the login page", res, err)
	}
	_, err = open.Authz.Authorize(t.Context(), params(map[string]string{"code_challenge_method": "plain"}))
	if !asRedirect(err, &re) || re.Err.Code != oauth.CodeInvalidRequest {
		t.Errorf("Authorize(plain PKCE) = %v; want a redirect with invalid_request", err)
	}
}
