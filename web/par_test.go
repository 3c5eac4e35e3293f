package web_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"issuer/dpop"
)

// paPARURL is the PAR endpoint of ts.
func paPARURL(ts *testServer) string { return ts.URL + "/par" }

// paToken asserts a 200 token response and returns it, typed and raw.
func paToken(t testing.TB, res *http.Response) (tokenBody, map[string]any) {
	t.Helper()
	body := readBody(t, res)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("token response = %d %s; want 200", res.StatusCode, body)
	}
	var tb tokenBody
	var raw map[string]any
	if err := json.Unmarshal(body, &tb); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatal(err)
	}
	return tb, raw
}

// paFlow pushes form, signs in as alice, approves, and redeems the code
// with w's key.
func paFlow(t testing.TB, s *afSetup, form url.Values, pk afPKCE, w *wallet) (tokenBody, map[string]any) {
	t.Helper()
	c := s.afCode(t, form, nil)
	return paToken(t, s.afExchange(t, s.ClientID, c, pk.Verifier, paProof(t, s.testServer, w, s.TokenURL()), nil))
}

// TestPARSuccess checks the RFC 9126 §2.2 response (PAR-06).
func TestPARSuccess(t *testing.T) {
	t.Parallel()
	s := newAuthFlow(t)
	pk := newPKCE(t)
	first := paPush(t, s.testServer, afParams(s.ClientID, pk, nil), nil)
	second := paPush(t, s.testServer, afParams(s.ClientID, pk, nil), nil)
	if first == second {
		t.Fatalf("two pushes returned the same request_uri %s", first)
	}
}

// TestPARTransport covers M01, M06 and the form rules of the PAR endpoint.
func TestPARTransport(t *testing.T) {
	t.Parallel()
	s := newAuthFlow(t)
	form := afParams(s.ClientID, newPKCE(t), nil).Encode()
	const ct = "application/x-www-form-urlencoded"
	t.Run("M01 GET", func(t *testing.T) {
		t.Parallel()
		wantError(t, sendRaw(t, http.MethodGet, paPARURL(s.testServer)+"?"+form, "", nil, nil), http.StatusMethodNotAllowed, "invalid_request")
	})
	t.Run("M06 1 MiB body", func(t *testing.T) {
		t.Parallel()
		body := form + "&pad=" + strings.Repeat("a", 1<<20)
		wantError(t, sendRaw(t, http.MethodPost, paPARURL(s.testServer), ct, strings.NewReader(body), nil), http.StatusRequestEntityTooLarge, "invalid_request")
	})
	t.Run("one byte over 64 KiB", func(t *testing.T) {
		t.Parallel()
		body := form + "&pad="
		body += strings.Repeat("a", 64<<10+1-len(body))
		wantError(t, sendRaw(t, http.MethodPost, paPARURL(s.testServer), ct, strings.NewReader(body), nil), http.StatusRequestEntityTooLarge, "invalid_request")
	})
	t.Run("chunked body", func(t *testing.T) {
		t.Parallel()
		req, err := http.NewRequest(http.MethodPost, paPARURL(s.testServer), strings.NewReader(form))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", ct)
		req.ContentLength = -1
		req.TransferEncoding = []string{"chunked"}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		wantError(t, res, http.StatusBadRequest, "invalid_request")
	})
	t.Run("repeated parameter", func(t *testing.T) {
		t.Parallel()
		body := form + "&scope=" + url.QueryEscape(mdlConfig)
		wantError(t, sendRaw(t, http.MethodPost, paPARURL(s.testServer), ct, strings.NewReader(body), nil), http.StatusBadRequest, "invalid_request")
	})
	t.Run("JSON body", func(t *testing.T) {
		t.Parallel()
		wantError(t, sendRaw(t, http.MethodPost, paPARURL(s.testServer), "application/json", strings.NewReader(`{"client_id":"wallet"}`), nil), http.StatusBadRequest, "invalid_request")
	})
	t.Run("control: the same form is accepted", func(t *testing.T) {
		t.Parallel()
		res := sendRaw(t, http.MethodPost, paPARURL(s.testServer), ct, strings.NewReader(form), nil)
		if body := readBody(t, res); res.StatusCode != http.StatusCreated {
			t.Fatalf("POST /par = %d %s; want 201", res.StatusCode, body)
		}
	})
}

// TestPARValidation covers every validation row of the PAR contract: the
// pushed parameters are checked as an authorization request (PAR-04,
// M02, M04, M05, I14-I16, RFC 9396, OpenID4VCI 1.0 §5.1).
func TestPARValidation(t *testing.T) {
	t.Parallel()
	s := newAuthFlow(t)
	s.afCreateClient(t, map[string]any{
		"client_id": "preauth-only", "token_endpoint_auth_method": "none",
		"grant_types": []string{preAuth}, "redirect_uris": []string{afRedirect},
	})
	pk := newPKCE(t)
	jkt := newWallet(t).JKT
	details := func(entries string) url.Values {
		return url.Values{"scope": {""}, "authorization_details": {entries}}
	}
	pidDetail := `{"type":"openid_credential","credential_configuration_id":"` + pidConfig + `"}`
	tests := []struct {
		name   string
		client string
		extra  url.Values
		status int
		code   string
	}{
		{name: "M02 request_uri pushed", extra: url.Values{"request_uri": {"urn:ietf:params:oauth:request_uri:" + paRandom43()}}, status: 400, code: "invalid_request"},
		{name: "request object", extra: url.Values{"request": {"eyJhbGciOiJub25lIn0.eyJzY29wZSI6Im9wZW5pZCJ9."}}, status: 400, code: "request_not_supported"},
		{name: "response_type missing", extra: url.Values{"response_type": {""}}, status: 400, code: "invalid_request"},
		{name: "response_type token", extra: url.Values{"response_type": {"token"}}, status: 400, code: "unsupported_response_type"},
		{name: "response_type code id_token", extra: url.Values{"response_type": {"code id_token"}}, status: 400, code: "unsupported_response_type"},
		{name: "response_mode fragment", extra: url.Values{"response_mode": {"fragment"}}, status: 400, code: "invalid_request"},
		{name: "response_mode form_post", extra: url.Values{"response_mode": {"form_post"}}, status: 400, code: "invalid_request"},
		{name: "client without the authorization_code grant", client: "preauth-only", status: 400, code: "unauthorized_client"},
		{name: "M05 redirect_uri missing", extra: url.Values{"redirect_uri": {""}}, status: 400, code: "invalid_request"},
		{name: "M04 unregistered redirect_uri", extra: url.Values{"redirect_uri": {"https://attacker.example/cb"}}, status: 400, code: "invalid_request"},
		{name: "M04 redirect_uri path case", extra: url.Values{"redirect_uri": {"https://wallet.example/CB"}}, status: 400, code: "invalid_request"},
		{name: "M04 redirect_uri host case", extra: url.Values{"redirect_uri": {"https://WALLET.example/cb"}}, status: 400, code: "invalid_request"},
		{name: "M04 redirect_uri trailing slash", extra: url.Values{"redirect_uri": {afRedirect + "/"}}, status: 400, code: "invalid_request"},
		{name: "M04 redirect_uri with a query", extra: url.Values{"redirect_uri": {afRedirect + "?x=1"}}, status: 400, code: "invalid_request"},
		{name: "M04 redirect_uri prefix", extra: url.Values{"redirect_uri": {"https://wallet.example/c"}}, status: 400, code: "invalid_request"},
		{name: "M04 redirect_uri over http", extra: url.Values{"redirect_uri": {"http://wallet.example/cb"}}, status: 400, code: "invalid_request"},
		{name: "prompt select_account", extra: url.Values{"prompt": {"select_account"}}, status: 400, code: "invalid_request"},
		{name: "prompt with two values", extra: url.Values{"prompt": {"login consent"}}, status: 400, code: "invalid_request"},
		{name: "I16 code_challenge missing", extra: url.Values{"code_challenge": {""}}, status: 400, code: "invalid_request"},
		{name: "I16 no PKCE at all", extra: url.Values{"code_challenge": {""}, "code_challenge_method": {""}}, status: 400, code: "invalid_request"},
		{name: "I15 code_challenge_method missing", extra: url.Values{"code_challenge_method": {""}}, status: 400, code: "invalid_request"},
		{name: "I14 code_challenge_method plain", extra: url.Values{"code_challenge_method": {"plain"}}, status: 400, code: "invalid_request"},
		{name: "I14 plain with a verifier as challenge", extra: url.Values{"code_challenge_method": {"plain"}, "code_challenge": {pk.Verifier}}, status: 400, code: "invalid_request"},
		{name: "code_challenge_method s256 in lower case", extra: url.Values{"code_challenge_method": {"s256"}}, status: 400, code: "invalid_request"},
		{name: "code_challenge 42 characters", extra: url.Values{"code_challenge": {pk.Challenge[:42]}}, status: 400, code: "invalid_request"},
		{name: "code_challenge 44 characters", extra: url.Values{"code_challenge": {pk.Challenge + "A"}}, status: 400, code: "invalid_request"},
		{name: "code_challenge padded", extra: url.Values{"code_challenge": {pk.Challenge + "="}}, status: 400, code: "invalid_request"},
		{name: "code_challenge with +", extra: url.Values{"code_challenge": {"+" + pk.Challenge[1:]}}, status: 400, code: "invalid_request"},
		{name: "dpop_jkt not base64url", extra: url.Values{"dpop_jkt": {"not a thumbprint!"}}, status: 400, code: "invalid_request"},
		{name: "dpop_jkt of 16 bytes", extra: url.Values{"dpop_jkt": {base64.RawURLEncoding.EncodeToString(make([]byte, 16))}}, status: 400, code: "invalid_request"},
		{name: "dpop_jkt padded", extra: url.Values{"dpop_jkt": {jkt + "="}}, status: 400, code: "invalid_request"},
		{name: "dpop_jkt in standard base64", extra: url.Values{"dpop_jkt": {base64.StdEncoding.EncodeToString(make([]byte, 32))}}, status: 400, code: "invalid_request"},
		{name: "max_age negative", extra: url.Values{"max_age": {"-1"}}, status: 400, code: "invalid_request"},
		{name: "max_age not a number", extra: url.Values{"max_age": {"abc"}}, status: 400, code: "invalid_request"},
		{name: "max_age decimal", extra: url.Values{"max_age": {"1.5"}}, status: 400, code: "invalid_request"},
		{name: "authorization_details not JSON", extra: details(`[{"type":`), status: 400, code: "invalid_request"},
		{name: "authorization_details an object", extra: details(pidDetail), status: 400, code: "invalid_authorization_details"},
		{name: "authorization_details a string", extra: details(`"openid_credential"`), status: 400, code: "invalid_authorization_details"},
		{name: "authorization_details empty", extra: details(`[]`), status: 400, code: "invalid_authorization_details"},
		{name: "authorization_details entry a string", extra: details(`["openid_credential"]`), status: 400, code: "invalid_authorization_details"},
		{name: "authorization_details other type", extra: details(`[{"type":"payment_initiation","credential_configuration_id":"` + pidConfig + `"}]`), status: 400, code: "invalid_authorization_details"},
		{name: "authorization_details without type", extra: details(`[{"credential_configuration_id":"` + pidConfig + `"}]`), status: 400, code: "invalid_authorization_details"},
		{name: "authorization_details type not a string", extra: details(`[{"type":1,"credential_configuration_id":"` + pidConfig + `"}]`), status: 400, code: "invalid_authorization_details"},
		{name: "authorization_details unknown configuration", extra: details(`[{"type":"openid_credential","credential_configuration_id":"unknown"}]`), status: 400, code: "invalid_authorization_details"},
		{name: "authorization_details without configuration id", extra: details(`[{"type":"openid_credential"}]`), status: 400, code: "invalid_authorization_details"},
		{name: "authorization_details one bad entry of two", extra: details(`[` + pidDetail + `,{"type":"openid_credential","credential_configuration_id":"unknown"}]`), status: 400, code: "invalid_authorization_details"},
		{name: "issuer_state forged", extra: url.Values{"issuer_state": {paRandom43()}}, status: 400, code: "invalid_request"},
		{name: "nothing requested", extra: url.Values{"scope": {""}}, status: 400, code: "invalid_scope"},
		{name: "only unknown scope values", extra: url.Values{"scope": {"profile email"}}, status: 400, code: "invalid_scope"},
		{name: "offline_access alone", extra: url.Values{"scope": {"offline_access"}}, status: 400, code: "invalid_scope"},
		{name: "scope value differing in case", extra: url.Values{"scope": {strings.ToUpper(pidConfig)}}, status: 400, code: "invalid_scope"},
		// Accepted variants: each shows that the rows above fail for their
		// own reason.
		{name: "response_mode query", extra: url.Values{"response_mode": {"query"}}, status: 201},
		{name: "prompt login", extra: url.Values{"prompt": {"login"}}, status: 201},
		{name: "prompt consent", extra: url.Values{"prompt": {"consent"}}, status: 201},
		{name: "prompt none", extra: url.Values{"prompt": {"none"}}, status: 201},
		{name: "max_age 0", extra: url.Values{"max_age": {"0"}}, status: 201},
		{name: "valid dpop_jkt", extra: url.Values{"dpop_jkt": {jkt}}, status: 201},
		{name: "nonce", extra: url.Values{"nonce": {"n-0S6_WzA2Mj"}}, status: 201},
		{name: "openid alone", extra: url.Values{"scope": {"openid"}}, status: 201},
		{name: "unknown scope values with a credential scope", extra: url.Values{"scope": {"profile " + pidConfig + " email"}}, status: 201},
		{name: "authorization_details without scope", extra: details(`[` + pidDetail + `]`), status: 201},
		{name: "authorization_details with locations of this issuer", extra: details(`[{"type":"openid_credential","credential_configuration_id":"` + pidConfig + `","locations":["` + s.URL + `"]}]`), status: 201},
		{name: "both credentials by scope", extra: url.Values{"scope": {pidConfig + " " + mdlConfig + " openid offline_access"}}, status: 201},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			client := tc.client
			if client == "" {
				client = s.ClientID
			}
			form := afParams(client, pk, tc.extra)
			if tc.status == http.StatusCreated {
				paPush(t, s.testServer, form, nil)
				return
			}
			e := wantError(t, s.afPush(t, form, nil), tc.status, tc.code)
			if e.Description == "" {
				t.Errorf("error %s has no error_description", e.Error)
			}
		})
	}
}

// TestPARRateLimit covers M07: 300 pushes per client per minute, then 429
// with Retry-After; other clients are not affected, and the next window
// is open again.
func TestPARRateLimit(t *testing.T) {
	t.Parallel()
	s := newAuthFlow(t)
	s.afCreateClient(t, map[string]any{
		"client_id": "other", "token_endpoint_auth_method": "none",
		"grant_types": []string{paAuthCode}, "redirect_uris": []string{afRedirect},
	})
	pk := newPKCE(t)
	form := afParams(s.ClientID, pk, nil)
	for i := range 300 {
		res := s.afPush(t, form, nil)
		if body := readBody(t, res); res.StatusCode != http.StatusCreated {
			t.Fatalf("push %d = %d %s; want 201", i+1, res.StatusCode, body)
		}
	}
	s.Clock.Advance(30 * time.Second)
	res := s.afPush(t, form, nil)
	retry := res.Header.Get("Retry-After")
	wantError(t, res, http.StatusTooManyRequests, "invalid_request")
	if n, err := strconv.Atoi(retry); err != nil || n < 1 || n > 31 {
		t.Errorf("Retry-After = %q; want the seconds left in the window (at most 31)", retry)
	}
	paPush(t, s.testServer, afParams("other", pk, nil), nil)
	s.Clock.Advance(31 * time.Second)
	paPush(t, s.testServer, form, nil)
}

// TestPARDPoP covers DPOP-39, DPOP-40 and H01-H03: a DPoP header at PAR is
// verified with htu the PAR URL, its jti recorded, and it binds the code
// like dpop_jkt.
func TestPARDPoP(t *testing.T) {
	t.Parallel()
	s := newAuthFlow(t)
	ts := s.testServer
	a, b := newWallet(t), newWallet(t)
	redeem := func(t *testing.T, c string, pk afPKCE, w *wallet) *http.Response {
		t.Helper()
		return s.afExchange(t, s.ClientID, c, pk.Verifier, paProof(t, ts, w, ts.TokenURL()), nil)
	}
	wantBound := func(t *testing.T, c string, pk afPKCE) {
		t.Helper()
		wantError(t, redeem(t, c, pk, b), http.StatusBadRequest, "invalid_grant")
		tb := wantToken(t, redeem(t, c, pk, a))
		_, claims := jwtParts(t, tb.AccessToken)
		if cnf, _ := claims["cnf"].(map[string]any); cnf["jkt"] != a.JKT {
			t.Errorf("cnf = %v; want jkt %s", claims["cnf"], a.JKT)
		}
	}
	t.Run("control: an unbound code redeems with any key", func(t *testing.T) {
		t.Parallel()
		pk := newPKCE(t)
		wantToken(t, redeem(t, s.afCode(t, afParams(s.ClientID, pk, nil), nil), pk, b))
	})
	t.Run("H02 a DPoP header at PAR binds the code", func(t *testing.T) {
		t.Parallel()
		pk := newPKCE(t)
		wantBound(t, s.afCode(t, afParams(s.ClientID, pk, nil), paDPoP(paProof(t, ts, a, paPARURL(ts)))), pk)
	})
	t.Run("H01 dpop_jkt binds the code", func(t *testing.T) {
		t.Parallel()
		pk := newPKCE(t)
		wantBound(t, s.afCode(t, afParams(s.ClientID, pk, url.Values{"dpop_jkt": {a.JKT}}), nil), pk)
	})
	t.Run("dpop_jkt and a header of the same key", func(t *testing.T) {
		t.Parallel()
		pk := newPKCE(t)
		wantBound(t, s.afCode(t, afParams(s.ClientID, pk, url.Values{"dpop_jkt": {a.JKT}}), paDPoP(paProof(t, ts, a, paPARURL(ts)))), pk)
	})
	refused := []struct {
		name    string
		extra   url.Values
		headers func(t *testing.T) map[string][]string
		code    string
	}{
		{"H03 dpop_jkt of A with a proof of B", url.Values{"dpop_jkt": {a.JKT}}, func(t *testing.T) map[string][]string {
			return paDPoP(paProof(t, ts, b, paPARURL(ts)))
		}, "invalid_request"},
		{"proof for the token endpoint", nil, func(t *testing.T) map[string][]string {
			return paDPoP(paProof(t, ts, a, ts.TokenURL()))
		}, "invalid_dpop_proof"},
		{"proof for GET", nil, func(t *testing.T) map[string][]string {
			return paDPoP(paProofMethod(t, ts, a, http.MethodGet, paPARURL(ts)))
		}, "invalid_dpop_proof"},
		{"proof for another host", nil, func(t *testing.T) map[string][]string {
			return paDPoP(paProof(t, ts, a, "https://other.example/par"))
		}, "invalid_dpop_proof"},
		{"proof too old", nil, func(t *testing.T) map[string][]string {
			p, err := dpop.Sign(a.Key, "ES256", dpop.Claims{Method: http.MethodPost, URL: paPARURL(ts), IssuedAt: ts.Clock.Now().Add(-10 * time.Minute)})
			if err != nil {
				t.Fatal(err)
			}
			return paDPoP(p)
		}, "invalid_dpop_proof"},
		{"not a JWT", nil, func(t *testing.T) map[string][]string { return paDPoP("not-a-jwt") }, "invalid_dpop_proof"},
		{"two DPoP headers", nil, func(t *testing.T) map[string][]string {
			return paDPoP(paProof(t, ts, a, paPARURL(ts)), paProof(t, ts, a, paPARURL(ts)))
		}, "invalid_dpop_proof"},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			wantError(t, s.afPush(t, afParams(s.ClientID, newPKCE(t), tc.extra), tc.headers(t)), http.StatusBadRequest, tc.code)
		})
	}
	t.Run("replayed PAR proof", func(t *testing.T) {
		t.Parallel()
		proof := paProof(t, ts, a, paPARURL(ts))
		paPush(t, ts, afParams(s.ClientID, newPKCE(t), nil), paDPoP(proof))
		wantError(t, s.afPush(t, afParams(s.ClientID, newPKCE(t), nil), paDPoP(proof)), http.StatusBadRequest, "invalid_dpop_proof")
	})
}

// TestPARScope checks what a granted scope is: unknown values are ignored
// (OpenID4VCI 1.0 §5.1.2), openid alone is a request, and credentials come
// from scope or authorization_details.
func TestPARScope(t *testing.T) {
	t.Parallel()
	s := newAuthFlow(t)
	w := newWallet(t)
	t.Run("unknown scope values are ignored", func(t *testing.T) {
		t.Parallel()
		pk := newPKCE(t)
		tb, raw := paFlow(t, s, afParams(s.ClientID, pk, url.Values{"scope": {"profile " + pidConfig + " email"}}), pk, w)
		if raw["scope"] != pidConfig {
			t.Errorf("scope = %v; want %s", raw["scope"], pidConfig)
		}
		if ids := paIdentifiers(t, tb.AuthorizationDetails); len(ids) != 1 || ids[pidConfig] == "" {
			t.Errorf("authorization_details = %+v; want the PID only", tb.AuthorizationDetails)
		}
		if _, ok := raw["id_token"]; ok {
			t.Errorf("token response has an id_token without openid in the scope")
		}
	})
	t.Run("openid alone", func(t *testing.T) {
		t.Parallel()
		pk := newPKCE(t)
		tb, raw := paFlow(t, s, afParams(s.ClientID, pk, url.Values{"scope": {"openid"}}), pk, w)
		if raw["scope"] != "openid" || raw["id_token"] == nil {
			t.Errorf("token response %v; want scope openid and an id_token", raw)
		}
		if len(tb.AuthorizationDetails) != 0 {
			t.Errorf("authorization_details = %+v; want none", tb.AuthorizationDetails)
		}
	})
	t.Run("authorization_details and scope together", func(t *testing.T) {
		t.Parallel()
		pk := newPKCE(t)
		tb, _ := paFlow(t, s, afParams(s.ClientID, pk, url.Values{
			"authorization_details": {`[{"type":"openid_credential","credential_configuration_id":"` + mdlConfig + `"}]`},
		}), pk, w)
		if ids := paIdentifiers(t, tb.AuthorizationDetails); len(ids) != 2 || ids[pidConfig] == "" || ids[mdlConfig] == "" {
			t.Errorf("authorization_details = %+v; want the PID and the mDL", tb.AuthorizationDetails)
		}
	})
}

// TestPARIssuerStateErrors covers VCI-23 at PAR: an issuer_state that is
// forged, expired, or used to ask for more than its offer is refused.
func TestPARIssuerStateErrors(t *testing.T) {
	t.Parallel()
	t.Run("forged", func(t *testing.T) {
		t.Parallel()
		s := newAuthFlow(t)
		paIssuerState(t, paAuthCodeOffer(t, s.testServer, afUser, []string{paAuthCode}))
		e := wantError(t, s.afPush(t, afParams(s.ClientID, newPKCE(t), url.Values{"issuer_state": {paRandom43()}}), nil), http.StatusBadRequest, "invalid_request")
		if e.Description != "the issuer_state is not valid or has expired" {
			t.Errorf("error_description = %q", e.Description)
		}
	})
	t.Run("the pre-authorized code is no issuer_state", func(t *testing.T) {
		t.Parallel()
		s := newAuthFlow(t)
		o := paAuthCodeOffer(t, s.testServer, afUser, []string{paAuthCode, preAuth})
		wantError(t, s.afPush(t, afParams(s.ClientID, newPKCE(t), url.Values{"issuer_state": {code(o)}}), nil), http.StatusBadRequest, "invalid_request")
	})
	t.Run("expired offer", func(t *testing.T) {
		t.Parallel()
		s := newAuthFlow(t)
		o := s.offer(t, map[string]any{"subject": afUser, "grants": []string{paAuthCode}, "expires_in": 60})
		state := paIssuerState(t, o)
		s.Clock.Advance(50 * time.Second)
		paPush(t, s.testServer, afParams(s.ClientID, newPKCE(t), url.Values{"issuer_state": {state}}), nil)
		s.Clock.Advance(11 * time.Second)
		e := wantError(t, s.afPush(t, afParams(s.ClientID, newPKCE(t), url.Values{"issuer_state": {state}}), nil), http.StatusBadRequest, "invalid_request")
		if e.Description != "the issuer_state is not valid or has expired" {
			t.Errorf("error_description = %q", e.Description)
		}
	})
	t.Run("credential outside the offer", func(t *testing.T) {
		t.Parallel()
		s := newAuthFlow(t)
		state := paIssuerState(t, paAuthCodeOffer(t, s.testServer, afUser, []string{paAuthCode}, pidConfig))
		for _, extra := range []url.Values{
			{"scope": {mdlConfig}},
			{"scope": {pidConfig + " " + mdlConfig}},
			{"scope": {""}, "authorization_details": {`[{"type":"openid_credential","credential_configuration_id":"` + mdlConfig + `"}]`}},
		} {
			extra["issuer_state"] = []string{state}
			wantError(t, s.afPush(t, afParams(s.ClientID, newPKCE(t), extra), nil), http.StatusBadRequest, "invalid_request")
		}
		// Control: the offered credential by scope is accepted.
		paPush(t, s.testServer, afParams(s.ClientID, newPKCE(t), url.Values{"issuer_state": {state}, "scope": {pidConfig}}), nil)
	})
}

// The PAR quota of an attested wallet counts per instance: one instance
// using it up does not block another (security review M2).
func TestPARQuotaPerWalletInstance(t *testing.T) {
	f := atSetup(t)
	ts := f.ts
	id := atWalletID()
	withRedirect := func(_, c map[string]any) { c["redirect_uris"] = []string{afRedirect} }
	instance := func() *atInstance {
		in := f.instance(t, id)
		in.Att = f.attest(t, id, in.Key, withRedirect)
		return in
	}
	a, b := instance(), instance()
	for range 300 {
		res := ts.afPush(t, url.Values{"client_id": {id}}, a.headers(t))
		readBody(t, res)
	}
	wantError(t, ts.afPush(t, afParams(id, newPKCE(t), nil), a.headers(t)), http.StatusTooManyRequests, "invalid_request")
	res := ts.afPush(t, afParams(id, newPKCE(t), nil), b.headers(t))
	if body := readBody(t, res); res.StatusCode != http.StatusCreated {
		t.Fatalf("another instance's PAR = %d %s; want 201", res.StatusCode, body)
	}
}
