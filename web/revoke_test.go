package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"issuer/issuer"
	"issuer/issuer/oauth"
)

// Tests of POST /revoke (RFC 7009) and POST /introspect (RFC 7662):
// adversarial.md section N, checklist REV-*, INT-*, DPOP-27 and DPOP-28.

// rvWantInactive asserts that the resource server sees token as exactly
// {"active":false} (N09, INT-04).
func (e *rvEnv) rvWantInactive(t testing.TB, token string) {
	t.Helper()
	m := rvIntrospect(t, e.ts, token, rvAs(e.rs))
	if len(m) != 1 || m["active"] != false {
		t.Fatalf("introspection = %v; want exactly {\"active\":false}", m)
	}
}

// rvWantState asserts the token's state as the resource server sees it.
func (e *rvEnv) rvWantState(t testing.TB, token string, active bool) {
	t.Helper()
	if active {
		e.rvWantActive(t, token)
	} else {
		e.rvWantInactive(t, token)
	}
}

// TestRevocationRequestFormat covers REV-02, INT-01 and N06 at both
// endpoints: the strict form parser and the POST-only rule.
func TestRevocationRequestFormat(t *testing.T) {
	e := rvNewEnv(t)
	ts := e.ts
	tok := rvIssue(t, ts, rvAs(e.a), false).AccessToken
	for _, path := range []string{"/revoke", "/introspect"} {
		t.Run(strings.TrimPrefix(path, "/"), func(t *testing.T) {
			auth := http.Header{"Authorization": {basicAuth(e.a.ID, e.a.Secret)}}
			cases := []struct {
				name   string
				res    func() *http.Response
				status int
				code   string
			}{
				{"N06 GET with the token in the query", func() *http.Response {
					return sendRaw(t, http.MethodGet, ts.URL+path+"?token="+url.QueryEscape(tok), "", nil, auth)
				}, http.StatusMethodNotAllowed, "invalid_request"},
				{"N06 GET without a query", func() *http.Response {
					return sendRaw(t, http.MethodGet, ts.URL+path, "", nil, auth)
				}, http.StatusMethodNotAllowed, "invalid_request"},
				{"B JSON body", func() *http.Response {
					b, _ := json.Marshal(map[string]string{"token": tok})
					return sendRaw(t, http.MethodPost, ts.URL+path, "application/json", strings.NewReader(string(b)), auth)
				}, http.StatusBadRequest, "invalid_request"},
				{"B form body labelled text/plain", func() *http.Response {
					return sendRaw(t, http.MethodPost, ts.URL+path, "text/plain", strings.NewReader("token="+url.QueryEscape(tok)), auth)
				}, http.StatusBadRequest, "invalid_request"},
				{"B duplicate token parameter", func() *http.Response {
					body := "token=" + url.QueryEscape(tok) + "&token=" + url.QueryEscape(tok)
					return sendRaw(t, http.MethodPost, ts.URL+path, "application/x-www-form-urlencoded", strings.NewReader(body), auth)
				}, http.StatusBadRequest, "invalid_request"},
				{"B duplicate token_type_hint parameter", func() *http.Response {
					body := "token=" + url.QueryEscape(tok) + "&token_type_hint=access_token&token_type_hint=refresh_token"
					return sendRaw(t, http.MethodPost, ts.URL+path, "application/x-www-form-urlencoded", strings.NewReader(body), auth)
				}, http.StatusBadRequest, "invalid_request"},
				{"REV-02 missing token", func() *http.Response {
					return rvSend(t, ts, path, "", rvAs(e.a), url.Values{"token_type_hint": {"access_token"}})
				}, http.StatusBadRequest, "invalid_request"},
				{"REV-02 empty token", func() *http.Response {
					return rvSend(t, ts, path, "", rvAs(e.a), url.Values{"token": {""}})
				}, http.StatusBadRequest, "invalid_request"},
				{"REV-02 token only in the query of a POST", func() *http.Response {
					return sendRaw(t, http.MethodPost, ts.URL+path+"?token="+url.QueryEscape(tok), "application/x-www-form-urlencoded", strings.NewReader(""), auth)
				}, http.StatusBadRequest, "invalid_request"},
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					res := tc.res()
					e := wantError(t, res, tc.status, tc.code)
					wantSafeDescription(t, e.Description, tok)
				})
			}
		})
	}
	// None of the refused requests revoked the token.
	e.rvWantActive(t, tok)
}

// TestRevocationClientAuthentication covers N02, N08, REV-03, INT-02 and
// INT-05: a failed client authentication is 401 invalid_client at both
// endpoints, with a Basic challenge when the Authorization header was
// used, and it has no side effect.
func TestRevocationClientAuthentication(t *testing.T) {
	e := rvNewEnv(t)
	ts := e.ts
	tok := rvIssue(t, ts, rvAs(e.a), false).AccessToken
	cases := []struct {
		name      string
		caller    rvCaller
		challenge bool
	}{
		{"C01 basic with a wrong secret", rvCaller{auth: basicAuth(e.a.ID, e.a.Secret+"x")}, true},
		{"C01 basic with an empty secret", rvCaller{auth: basicAuth(e.a.ID, "")}, true},
		{"basic for an unknown client", rvCaller{auth: basicAuth("rv-nobody", strings.Repeat("s", 40))}, true},
		{"basic that is not base64", rvCaller{auth: "Basic !!!not-base64!!!"}, true},
		{"client_secret_post with a wrong secret", rvCaller{form: url.Values{"client_id": {e.post.ID}, "client_secret": {"x" + e.post.Secret}}}, false},
		{"client_secret_post for an unknown client", rvCaller{form: url.Values{"client_id": {"rv-nobody"}, "client_secret": {strings.Repeat("s", 40)}}}, false},
		{"client_secret_basic client using client_secret_post", rvCaller{form: url.Values{"client_id": {e.a.ID}, "client_secret": {e.a.Secret}}}, false},
		{"client_secret_post client using basic", rvCaller{auth: basicAuth(e.post.ID, e.post.Secret)}, true},
		{"confidential client identifying as public", rvCaller{form: url.Values{"client_id": {e.a.ID}}}, false},
		{"public client presenting a secret", rvCaller{form: url.Values{"client_id": {e.pub.ID}, "client_secret": {strings.Repeat("s", 40)}}}, false},
		{"unknown public client_id", rvCaller{form: url.Values{"client_id": {"rv-nobody"}}}, false},
		{"basic and a different client_id in the body", rvCaller{auth: basicAuth(e.a.ID, e.a.Secret), form: url.Values{"client_id": {e.b.ID}}}, true},
	}
	for _, path := range []string{"/revoke", "/introspect"} {
		t.Run(strings.TrimPrefix(path, "/"), func(t *testing.T) {
			for _, tc := range cases {
				for _, target := range []struct{ what, token string }{{"A's token", tok}, {"a random token", randomCode()}} {
					t.Run(tc.name+" with "+target.what, func(t *testing.T) {
						res := rvSend(t, ts, path, target.token, tc.caller, nil)
						challenge := res.Header.Get("WWW-Authenticate")
						oe := wantError(t, res, http.StatusUnauthorized, "invalid_client")
						if tc.challenge && !strings.HasPrefix(challenge, "Basic") {
							t.Errorf("WWW-Authenticate = %q; want it to start with Basic", challenge)
						}
						wantSafeDescription(t, oe.Description, e.a.Secret, e.post.Secret, target.token)
					})
				}
			}
		})
	}
	t.Run("introspect needs a confidential client", func(t *testing.T) {
		cases := []struct {
			name   string
			caller rvCaller
		}{
			{"N08 no client authentication", rvAnon},
			{"INT-02 registered public client", rvAs(e.pub)},
		}
		for _, tc := range cases {
			for _, target := range []struct{ what, token string }{{"an active token", tok}, {"a random token", randomCode()}} {
				t.Run(tc.name+" with "+target.what, func(t *testing.T) {
					wantError(t, rvSend(t, ts, "/introspect", target.token, tc.caller, nil), http.StatusUnauthorized, "invalid_client")
				})
			}
		}
	})
	t.Run("revoke N02 no client authentication for a client's token", func(t *testing.T) {
		wantError(t, rvSend(t, ts, "/revoke", tok, rvAnon, nil), http.StatusUnauthorized, "invalid_client")
	})
	// No refused request revoked A's token.
	e.rvWantActive(t, tok)
}

// TestRevoke covers RFC 7009 (REV-03..05, REV-10) and N01..N05: who may
// revoke which token, and that revocation shows at /introspect at once.
func TestRevoke(t *testing.T) {
	e := rvNewEnv(t)
	ts := e.ts
	anon := rvAnon
	cases := []struct {
		name       string
		owner      *registeredClient // nil: an anonymous wallet's token
		caller     rvCaller
		extra      url.Values
		status     int    // 200 or the error status
		code       string // error code when status != 200
		wantActive bool   // the token's state afterwards
	}{
		{name: "REV-03 owner with client_secret_basic", owner: &e.a, caller: rvAs(e.a), status: 200},
		{name: "REV-03 owner with client_secret_post", owner: &e.post, caller: rvAs(e.post), status: 200},
		{name: "REV-03 public owner with its client_id", owner: &e.pub, caller: rvAs(e.pub), status: 200},
		{name: "N02 basic client's token without client authentication", owner: &e.a, caller: anon,
			status: 401, code: "invalid_client", wantActive: true},
		{name: "N02 post client's token without client authentication", owner: &e.post, caller: anon,
			status: 401, code: "invalid_client", wantActive: true},
		{name: "N02 public client's token without its client_id", owner: &e.pub, caller: anon,
			status: 401, code: "invalid_client", wantActive: true},
		{name: "N03 client B revokes client A's token", owner: &e.a, caller: rvAs(e.b), status: 200, wantActive: true},
		{name: "N03 post client revokes client A's token", owner: &e.a, caller: rvAs(e.post), status: 200, wantActive: true},
		{name: "N03 public client revokes client A's token", owner: &e.a, caller: rvAs(e.pub), status: 200, wantActive: true},
		{name: "N03 client A revokes the public client's token", owner: &e.pub, caller: rvAs(e.a), status: 200, wantActive: true},
		{name: "N03 resource server revokes client A's token", owner: &e.a, caller: rvAs(e.rs), status: 200, wantActive: true},
		{name: "anonymous wallet revokes its token without client authentication", owner: nil, caller: anon, status: 200},
		{name: "authenticated client revokes an anonymous wallet's token", owner: nil, caller: rvAs(e.a), status: 200, wantActive: true},
		{name: "public client revokes an anonymous wallet's token", owner: nil, caller: rvAs(e.pub), status: 200, wantActive: true},
		{name: "N04 token_type_hint refresh_token on an access token", owner: &e.a, caller: rvAs(e.a),
			extra: url.Values{"token_type_hint": {"refresh_token"}}, status: 200},
		{name: "N05 token_type_hint banana", owner: &e.a, caller: rvAs(e.a),
			extra: url.Values{"token_type_hint": {"banana"}}, status: 200},
		{name: "REV-04 token_type_hint access_token", owner: &e.a, caller: rvAs(e.a),
			extra: url.Values{"token_type_hint": {"access_token"}}, status: 200},
		{name: "N05 anonymous wallet with token_type_hint banana", owner: nil, caller: anon,
			extra: url.Values{"token_type_hint": {"banana"}}, status: 200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			issuedAs := anon
			if tc.owner != nil {
				issuedAs = rvAs(*tc.owner)
			}
			tok := rvIssue(t, ts, issuedAs, false)
			_, claims := jwtParts(t, tok.AccessToken)
			if tc.owner == nil && claims["client_id"] != nil {
				t.Fatalf("anonymous wallet's token has client_id %v; want none", claims["client_id"])
			}
			if tc.owner != nil && claims["client_id"] != tc.owner.ID {
				t.Fatalf("token client_id = %v; want %s", claims["client_id"], tc.owner.ID)
			}
			// A second token of the same owner is never affected.
			other := rvIssue(t, ts, issuedAs, false)
			e.rvWantActive(t, tok.AccessToken)

			res := rvSend(t, ts, "/revoke", tok.AccessToken, tc.caller, tc.extra)
			if tc.status == http.StatusOK {
				rvWantRevoke200(t, res)
			} else {
				oe := wantError(t, res, tc.status, tc.code)
				wantSafeDescription(t, oe.Description, tok.AccessToken)
			}
			// REV-10: visible at once.
			e.rvWantState(t, tok.AccessToken, tc.wantActive)
			e.rvWantActive(t, other.AccessToken)
			if tc.wantActive {
				// A refused or ignored request changed nothing: the owner
				// (or, for an anonymous token, its holder) can still revoke it.
				owner := anon
				if tc.owner != nil {
					owner = rvAs(*tc.owner)
				}
				rvRevoke(t, ts, tok.AccessToken, owner, nil)
				e.rvWantInactive(t, tok.AccessToken)
			}
		})
	}

	t.Run("N01 unknown and malformed tokens", func(t *testing.T) {
		real := rvIssue(t, ts, rvAs(e.a), false).AccessToken
		tokens := []struct{ name, token string }{
			{"N01 random string", randomCode()},
			{"N01 short word", "banana"},
			{"N01 three dots", "a.b.c"},
			{"N01 payload byte flipped", rvFlipPayloadByte(t, real)},
			{"N01 signed by another key", rvResign(t, real)},
			{"N01 alg none", rvAlgNone(t, real)},
			{"N01 very long", strings.Repeat("x", 8000)},
		}
		for _, tk := range tokens {
			for _, c := range []struct {
				name   string
				caller rvCaller
			}{{"anonymous", anon}, {"client A", rvAs(e.a)}, {"client B", rvAs(e.b)}, {"public client", rvAs(e.pub)}} {
				t.Run(tk.name+" by "+c.name, func(t *testing.T) {
					rvRevoke(t, ts, tk.token, c.caller, nil)
				})
			}
		}
		// None of the forgeries revoked the real token they were made from.
		e.rvWantActive(t, real)
	})

	t.Run("REV-05 revoke twice", func(t *testing.T) {
		for _, c := range []struct {
			name   string
			owner  rvCaller
			caller rvCaller
		}{{"client token", rvAs(e.a), rvAs(e.a)}, {"anonymous token", anon, anon}} {
			t.Run(c.name, func(t *testing.T) {
				tok := rvIssue(t, ts, c.owner, false).AccessToken
				rvRevoke(t, ts, tok, c.caller, nil)
				e.rvWantInactive(t, tok)
				rvRevoke(t, ts, tok, c.caller, nil)
				e.rvWantInactive(t, tok)
			})
		}
	})

	t.Run("REV-05 already revoked token by another client", func(t *testing.T) {
		tok := rvIssue(t, ts, rvAs(e.a), false).AccessToken
		rvRevoke(t, ts, tok, rvAs(e.a), nil)
		rvRevoke(t, ts, tok, rvAs(e.b), nil)
		e.rvWantInactive(t, tok)
	})

	t.Run("revoked by its owner then introspected by the owner", func(t *testing.T) {
		tok := rvIssue(t, ts, rvAs(e.a), false).AccessToken
		if m := rvIntrospect(t, ts, tok, rvAs(e.a)); m["active"] != true {
			t.Fatalf("introspection by the owner = %v; want active:true", m)
		}
		rvRevoke(t, ts, tok, rvAs(e.a), nil)
		if m := rvIntrospect(t, ts, tok, rvAs(e.a)); len(m) != 1 || m["active"] != false {
			t.Fatalf("introspection by the owner after revocation = %v; want exactly {\"active\":false}", m)
		}
	})

	t.Run("Bearer token revocable by its client", func(t *testing.T) {
		be := rvNewEnv(t, func(c *issuer.Config) { c.DPoP.Policy = issuer.DPoPOptional })
		for _, c := range []struct {
			name  string
			owner rvCaller
		}{{"client A", rvAs(be.a)}, {"anonymous wallet", rvAnon}} {
			t.Run(c.name, func(t *testing.T) {
				tok := rvIssue(t, be.ts, c.owner, true)
				if tok.TokenType != "Bearer" {
					t.Fatalf("token_type = %q; want Bearer", tok.TokenType)
				}
				be.rvWantActive(t, tok.AccessToken)
				rvRevoke(t, be.ts, tok.AccessToken, c.owner, nil)
				be.rvWantInactive(t, tok.AccessToken)
			})
		}
	})
}

// TestRevokeExpired covers REV-05 for an expired token and N09 / INT-04
// for expiry at /introspect.
func TestRevokeExpired(t *testing.T) {
	e := rvNewEnv(t)
	ts := e.ts
	clientTok := rvIssue(t, ts, rvAs(e.a), false).AccessToken
	anonTok := rvIssue(t, ts, rvAnon, false).AccessToken
	revokeLater := rvIssue(t, ts, rvAs(e.a), false).AccessToken
	_, claims := jwtParts(t, clientTok)
	exp, _ := claims["exp"].(float64)
	if exp == 0 {
		t.Fatalf("token exp = %v; want a number", claims["exp"])
	}
	// One second before exp the token is still active.
	ts.Clock.Advance(time.Unix(int64(exp), 0).Sub(ts.Clock.Now()) - time.Second)
	e.rvWantActive(t, clientTok)

	ts.Clock.Advance(2 * time.Second) // past exp, and past 5 minutes
	t.Run("N09 expired token introspects as inactive", func(t *testing.T) {
		e.rvWantInactive(t, clientTok)
		e.rvWantInactive(t, anonTok)
		if m := rvIntrospect(t, ts, clientTok, rvAs(e.a)); len(m) != 1 || m["active"] != false {
			t.Fatalf("introspection by the owner = %v; want exactly {\"active\":false}", m)
		}
	})
	t.Run("REV-05 expired client token revoked by its owner", func(t *testing.T) {
		rvRevoke(t, ts, revokeLater, rvAs(e.a), nil)
		e.rvWantInactive(t, revokeLater)
	})
	t.Run("REV-05 expired anonymous token", func(t *testing.T) {
		rvRevoke(t, ts, anonTok, rvAnon, nil)
		e.rvWantInactive(t, anonTok)
	})
	t.Run("REV-05 expired client token by another client", func(t *testing.T) {
		rvRevoke(t, ts, clientTok, rvAs(e.b), nil)
	})
	t.Run("REV-05 expired token a day later", func(t *testing.T) {
		ts.Clock.Advance(24 * time.Hour)
		rvRevoke(t, ts, clientTok, rvAs(e.a), nil)
		e.rvWantInactive(t, clientTok)
	})
}

// TestRevocationMetadata covers RFC 8414 §2 for both endpoints.
func TestRevocationMetadata(t *testing.T) {
	ts := newTestServer(t)
	m, _ := getJSON(t, ts.URL+"/.well-known/oauth-authorization-server")
	for _, c := range []struct{ member, want string }{
		{"revocation_endpoint", ts.URL + "/revoke"},
		{"introspection_endpoint", ts.URL + "/introspect"},
	} {
		if m[c.member] != c.want {
			t.Errorf("%s = %v; want %s", c.member, m[c.member], c.want)
		}
	}
	for _, member := range []string{"revocation_endpoint_auth_methods_supported", "introspection_endpoint_auth_methods_supported"} {
		got := stringList(m[member])
		if len(got) == 0 {
			t.Errorf("%s = %v; want a non-empty list", member, m[member])
			continue
		}
		for _, want := range []string{oauth.AuthClientSecretBasic, oauth.AuthClientSecretPost} {
			if !slices.Contains(got, want) {
				t.Errorf("%s = %v; want it to contain %s", member, got, want)
			}
		}
	}
	if got := stringList(m["introspection_endpoint_auth_methods_supported"]); slices.Contains(got, oauth.AuthNone) {
		t.Errorf("introspection_endpoint_auth_methods_supported = %v; must not contain none (INT-02)", got)
	}
}
