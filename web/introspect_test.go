package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"testing"

	"issuer/issuer"
)

// TestIntrospectActive covers N10, DPOP-27, DPOP-28, INT-03, INT-07..09:
// the members of an active token's introspection.
func TestIntrospectActive(t *testing.T) {
	e := rvNewEnv(t)
	be := rvNewEnv(t, func(c *issuer.Config) { c.DPoP.Policy = issuer.DPoPOptional })
	cases := []struct {
		name     string
		env      *rvEnv
		owner    func(*rvEnv) rvCaller
		clientID func(*rvEnv) string // "" when the token is anonymous
		caller   func(*rvEnv) rvCaller
		bearer   bool
	}{
		{name: "N10 DPoP token of a basic client seen by the resource server", env: e,
			owner: func(e *rvEnv) rvCaller { return rvAs(e.a) }, clientID: func(e *rvEnv) string { return e.a.ID },
			caller: func(e *rvEnv) rvCaller { return rvAs(e.rs) }},
		{name: "N10 DPoP token of a post client seen by the resource server", env: e,
			owner: func(e *rvEnv) rvCaller { return rvAs(e.post) }, clientID: func(e *rvEnv) string { return e.post.ID },
			caller: func(e *rvEnv) rvCaller { return rvAs(e.rs) }},
		{name: "N10 DPoP token of a public client", env: e,
			owner: func(e *rvEnv) rvCaller { return rvAs(e.pub) }, clientID: func(e *rvEnv) string { return e.pub.ID },
			caller: func(e *rvEnv) rvCaller { return rvAs(e.rs) }},
		{name: "INT-09 anonymous wallet's DPoP token has no client_id", env: e,
			owner: func(*rvEnv) rvCaller { return rvAnon }, clientID: func(*rvEnv) string { return "" },
			caller: func(e *rvEnv) rvCaller { return rvAs(e.rs) }},
		{name: "caller authenticated with client_secret_post", env: e,
			owner: func(e *rvEnv) rvCaller { return rvAs(e.a) }, clientID: func(e *rvEnv) string { return e.a.ID },
			caller: func(e *rvEnv) rvCaller { return rvAs(e.post) }},
		{name: "client introspects its own token", env: e,
			owner: func(e *rvEnv) rvCaller { return rvAs(e.a) }, clientID: func(e *rvEnv) string { return e.a.ID },
			caller: func(e *rvEnv) rvCaller { return rvAs(e.a) }},
		{name: "Bearer token of a client", env: be, bearer: true,
			owner: func(e *rvEnv) rvCaller { return rvAs(e.a) }, clientID: func(e *rvEnv) string { return e.a.ID },
			caller: func(e *rvEnv) rvCaller { return rvAs(e.rs) }},
		{name: "INT-09 Bearer token of an anonymous wallet", env: be, bearer: true,
			owner: func(*rvEnv) rvCaller { return rvAnon }, clientID: func(*rvEnv) string { return "" },
			caller: func(e *rvEnv) rvCaller { return rvAs(e.rs) }},
		{name: "DPoP token on a server where DPoP is optional", env: be,
			owner: func(e *rvEnv) rvCaller { return rvAs(e.a) }, clientID: func(e *rvEnv) string { return e.a.ID },
			caller: func(e *rvEnv) rvCaller { return rvAs(e.rs) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts := tc.env.ts
			tok := rvIssue(t, ts, tc.owner(tc.env), tc.bearer)
			wantType := "DPoP"
			if tc.bearer {
				wantType = "Bearer"
			}
			if tok.TokenType != wantType {
				t.Fatalf("token response token_type = %q; want %s", tok.TokenType, wantType)
			}
			_, claims := jwtParts(t, tok.AccessToken)

			// DPOP-28: no DPoP header on the introspection request.
			m := rvIntrospect(t, ts, tok.AccessToken, tc.caller(tc.env))
			if m["active"] != true {
				t.Fatalf("introspection = %v; want active:true", m)
			}
			if m["token_type"] != wantType {
				t.Errorf("token_type = %v; want %s (DPOP-27, INT-07)", m["token_type"], wantType)
			}
			cnf, hasCnf := m["cnf"]
			if tc.bearer {
				if hasCnf {
					t.Errorf("cnf = %v; want none for a Bearer token", cnf)
				}
			} else if c, _ := cnf.(map[string]any); c == nil || c["jkt"] != tok.Wallet.JKT {
				t.Errorf("cnf = %v; want {\"jkt\":%q} (DPOP-27)", cnf, tok.Wallet.JKT)
			}
			if m["sub"] != tok.Subject {
				t.Errorf("sub = %v; want %s", m["sub"], tok.Subject)
			}
			if m["iss"] != ts.URL {
				t.Errorf("iss = %v; want %s", m["iss"], ts.URL)
			}
			if m["aud"] != ts.URL {
				t.Errorf("aud = %v; want %s", m["aud"], ts.URL)
			}
			for _, k := range []string{"exp", "iat"} {
				v, ok := m[k].(float64)
				if !ok || v != claims[k] {
					t.Errorf("%s = %v; want the number %v of the JWT", k, m[k], claims[k])
				}
			}
			if exp, _ := m["exp"].(float64); int64(exp) <= ts.Clock.Now().Unix() {
				t.Errorf("exp = %v; want after now %d", m["exp"], ts.Clock.Now().Unix())
			}
			if jti, _ := m["jti"].(string); jti == "" || jti != claims["jti"] {
				t.Errorf("jti = %v; want the JWT's %v", m["jti"], claims["jti"])
			}
			var wantDetails any
			b, _ := json.Marshal(tok.AuthorizationDetails)
			_ = json.Unmarshal(b, &wantDetails)
			if len(tok.AuthorizationDetails) == 0 {
				t.Fatalf("token response has no authorization_details to compare")
			}
			if !reflect.DeepEqual(m["authorization_details"], wantDetails) {
				t.Errorf("authorization_details = %v; want the token response's %v (INT-08)", m["authorization_details"], wantDetails)
			}
			if want := tc.clientID(tc.env); want == "" {
				if v, ok := m["client_id"]; ok {
					t.Errorf("client_id = %v; want absent for an anonymous wallet's token (INT-09)", v)
				}
			} else if m["client_id"] != want {
				t.Errorf("client_id = %v; want %s", m["client_id"], want)
			}
			if v, ok := m["username"]; ok {
				t.Errorf("username = %v; want absent (this server has no user names)", v)
			}
		})
	}

	t.Run("DPOP-28 introspection ignores a DPoP header", func(t *testing.T) {
		tok := rvIssue(t, e.ts, rvAs(e.a), false)
		res := e.ts.post(t, "/introspect", url.Values{"token": {tok.AccessToken}}, map[string][]string{
			"Authorization": {basicAuth(e.rs.ID, e.rs.Secret)},
			"DPoP":          {rvProof(t, e.ts, newWallet(t))},
		})
		body := readBody(t, res)
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		if res.StatusCode != http.StatusOK || m["active"] != true {
			t.Fatalf("got %d %s; want 200 active:true", res.StatusCode, body)
		}
	})
}

// TestIntrospectInactive covers N09 and INT-04: whatever the reason, an
// inactive token is 200 with exactly {"active":false}.
func TestIntrospectInactive(t *testing.T) {
	e := rvNewEnv(t)
	ts := e.ts
	other := rvNewEnv(t)
	cases := []struct {
		name  string
		token func(t *testing.T) string
	}{
		{"N09 revoked by its client", func(t *testing.T) string {
			tok := rvIssue(t, ts, rvAs(e.a), false).AccessToken
			rvRevoke(t, ts, tok, rvAs(e.a), nil)
			return tok
		}},
		{"N09 revoked by its anonymous wallet", func(t *testing.T) string {
			tok := rvIssue(t, ts, rvAnon, false).AccessToken
			rvRevoke(t, ts, tok, rvAnon, nil)
			return tok
		}},
		{"N09 random string", func(*testing.T) string { return randomCode() }},
		{"N09 three dots", func(*testing.T) string { return "a.b.c" }},
		{"N09 one byte of the payload flipped", func(t *testing.T) string {
			return rvFlipPayloadByte(t, rvIssue(t, ts, rvAs(e.a), false).AccessToken)
		}},
		{"N09 one byte of an anonymous token's payload flipped", func(t *testing.T) string {
			return rvFlipPayloadByte(t, rvIssue(t, ts, rvAnon, false).AccessToken)
		}},
		{"N09 well-formed JWT signed by another key", func(t *testing.T) string {
			return rvResign(t, rvIssue(t, ts, rvAs(e.a), false).AccessToken)
		}},
		{"N09 alg none", func(t *testing.T) string {
			return rvAlgNone(t, rvIssue(t, ts, rvAs(e.a), false).AccessToken)
		}},
		{"N09 signature cut off", func(t *testing.T) string {
			h, p, _ := rvSegments(t, rvIssue(t, ts, rvAs(e.a), false).AccessToken)
			return h + "." + p + "."
		}},
		{"N09 token of another server", func(t *testing.T) string {
			return rvIssue(t, other.ts, rvAs(other.a), false).AccessToken
		}},
		{"N09 a DPoP proof instead of an access token", func(t *testing.T) string {
			return rvProof(t, ts, newWallet(t))
		}},
		{"N09 code redeemed a second time revokes the first token", func(t *testing.T) string {
			o := ts.offer(t, nil)
			w := newWallet(t)
			first := wantToken(t, rvRedeem(t, ts, code(o), w, rvAnon)).AccessToken
			e.rvWantActive(t, first)
			wantError(t, rvRedeem(t, ts, code(o), w, rvAnon), http.StatusBadRequest, "invalid_grant")
			return first
		}},
		{"N09 client's code redeemed a second time revokes the first token", func(t *testing.T) string {
			o := ts.offer(t, nil)
			first := wantToken(t, rvRedeem(t, ts, code(o), newWallet(t), rvAs(e.a))).AccessToken
			wantError(t, rvRedeem(t, ts, code(o), newWallet(t), rvAs(e.a)), http.StatusBadRequest, "invalid_grant")
			return first
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tok := tc.token(t)
			for _, c := range []struct {
				name   string
				caller rvCaller
			}{{"resource server", rvAs(e.rs)}, {"client A", rvAs(e.a)}, {"post client", rvAs(e.post)}} {
				m := rvIntrospect(t, ts, tok, c.caller)
				if len(m) != 1 || m["active"] != false {
					t.Errorf("introspection by %s = %v; want exactly {\"active\":false}", c.name, m)
				}
			}
		})
	}
}
