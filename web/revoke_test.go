package web_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"issuer/dpop"
	"issuer/issuer"
)

// Tests of POST /revoke (RFC 7009) and POST /introspect (RFC 7662):
// adversarial.md section N, checklist REV-*, INT-*, DPOP-27 and DPOP-28.

// rvEnv is a server with one registered client per authentication method,
// plus a resource server that introspects.
type rvEnv struct {
	ts   *testServer
	a    registeredClient // client_secret_basic
	b    registeredClient // client_secret_basic, another client
	post registeredClient // client_secret_post
	pub  registeredClient // none (public)
	rs   registeredClient // client_secret_basic, the resource server
}

func rvNewEnv(t testing.TB, opts ...func(*issuer.Config)) *rvEnv {
	t.Helper()
	ts := newTestServer(t, opts...)
	reg := func(id, method string) registeredClient {
		c := ts.registerClient(t, map[string]any{
			"client_id": id, "token_endpoint_auth_method": method, "grant_types": []string{preAuth},
		})
		c.Method = method
		return c
	}
	return &rvEnv{
		ts:   ts,
		a:    reg("rv-client-a", issuer.AuthClientSecretBasic),
		b:    reg("rv-client-b", issuer.AuthClientSecretBasic),
		post: reg("rv-client-post", issuer.AuthClientSecretPost),
		pub:  reg("rv-client-public", issuer.AuthNone),
		rs:   reg("rv-resource-server", issuer.AuthClientSecretBasic),
	}
}

// rvCaller is how a request authenticates its client: an Authorization
// header, form parameters, or nothing.
type rvCaller struct {
	auth string
	form url.Values
}

// rvAnon is a request without client authentication.
var rvAnon = rvCaller{}

// rvAs authenticates as c with its registered method.
func rvAs(c registeredClient) rvCaller {
	switch c.Method {
	case issuer.AuthClientSecretBasic:
		return rvCaller{auth: basicAuth(c.ID, c.Secret)}
	case issuer.AuthClientSecretPost:
		return rvCaller{form: url.Values{"client_id": {c.ID}, "client_secret": {c.Secret}}}
	default:
		return rvCaller{form: url.Values{"client_id": {c.ID}}}
	}
}

// rvIssued is a token the server issued, with what it was issued for.
type rvIssued struct {
	tokenBody
	Subject string
	Wallet  *wallet
}

// rvProof is a fresh DPoP proof for POST /token, dated by the server clock.
func rvProof(t testing.TB, ts *testServer, w *wallet) string {
	t.Helper()
	p, err := dpop.Sign(w.Key, "ES256", dpop.Claims{Method: http.MethodPost, URL: ts.TokenURL(), IssuedAt: ts.Clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// rvRedeem sends a pre-authorized code token request as caller, with a
// DPoP proof of w (none when w is nil).
func rvRedeem(t testing.TB, ts *testServer, codeValue string, w *wallet, caller rvCaller) *http.Response {
	t.Helper()
	form := preAuthForm(codeValue)
	for k, v := range caller.form {
		form[k] = v
	}
	h := map[string][]string{}
	if w != nil {
		h["DPoP"] = []string{rvProof(t, ts, w)}
	}
	if caller.auth != "" {
		h["Authorization"] = []string{caller.auth}
	}
	return ts.post(t, "/token", form, h)
}

// rvIssue redeems a new offer as caller (rvAnon for an anonymous wallet),
// DPoP-bound to a new wallet unless bearer is set.
func rvIssue(t testing.TB, ts *testServer, caller rvCaller, bearer bool) rvIssued {
	t.Helper()
	sub := "rv-subject-" + randomJTI()[:12]
	o := ts.offer(t, map[string]any{"subject": sub})
	var w *wallet
	if !bearer {
		w = newWallet(t)
	}
	tb := wantToken(t, rvRedeem(t, ts, code(o), w, caller))
	return rvIssued{tokenBody: tb, Subject: sub, Wallet: w}
}

// rvSend posts token (omitted when "") to path as caller, with extra
// form parameters.
func rvSend(t testing.TB, ts *testServer, path, token string, caller rvCaller, extra url.Values) *http.Response {
	t.Helper()
	form := url.Values{}
	if token != "" {
		form.Set("token", token)
	}
	for k, v := range caller.form {
		form[k] = v
	}
	for k, v := range extra {
		form[k] = v
	}
	h := map[string][]string{}
	if caller.auth != "" {
		h["Authorization"] = []string{caller.auth}
	}
	return ts.post(t, path, form, h)
}

// rvWantRevoke200 asserts the RFC 7009 §2.2 success: 200, empty body,
// Cache-Control: no-store.
func rvWantRevoke200(t testing.TB, res *http.Response) {
	t.Helper()
	body := readBody(t, res)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("POST /revoke: got %d %s; want 200 with an empty body", res.StatusCode, body)
	}
	if len(body) != 0 {
		t.Errorf("POST /revoke body = %q; want empty", body)
	}
	if got := res.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("POST /revoke Cache-Control = %q; want no-store", got)
	}
}

// rvRevoke revokes token as caller and asserts 200.
func rvRevoke(t testing.TB, ts *testServer, token string, caller rvCaller, extra url.Values) {
	t.Helper()
	rvWantRevoke200(t, rvSend(t, ts, "/revoke", token, caller, extra))
}

// rvIntrospect introspects token as caller and asserts a 200 JSON response
// with Cache-Control: no-store; it returns the decoded members.
func rvIntrospect(t testing.TB, ts *testServer, token string, caller rvCaller) map[string]any {
	t.Helper()
	res := rvSend(t, ts, "/introspect", token, caller, nil)
	body := readBody(t, res)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("POST /introspect: got %d %s; want 200", res.StatusCode, body)
	}
	if got := res.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("POST /introspect Cache-Control = %q; want no-store", got)
	}
	if mt, _, err := mime.ParseMediaType(res.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		t.Errorf("POST /introspect Content-Type = %q; want application/json", res.Header.Get("Content-Type"))
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("POST /introspect body %s is not a JSON object: %v", body, err)
	}
	if _, ok := m["active"].(bool); !ok {
		t.Fatalf("POST /introspect body %s: active = %v; want a boolean (INT-03)", body, m["active"])
	}
	return m
}

// rvWantInactive asserts that the resource server sees token as exactly
// {"active":false} (N09, INT-04).
func (e *rvEnv) rvWantInactive(t testing.TB, token string) {
	t.Helper()
	m := rvIntrospect(t, e.ts, token, rvAs(e.rs))
	if len(m) != 1 || m["active"] != false {
		t.Fatalf("introspection = %v; want exactly {\"active\":false}", m)
	}
}

// rvWantActive asserts that the resource server sees token as active.
func (e *rvEnv) rvWantActive(t testing.TB, token string) map[string]any {
	t.Helper()
	m := rvIntrospect(t, e.ts, token, rvAs(e.rs))
	if m["active"] != true {
		t.Fatalf("introspection = %v; want active:true", m)
	}
	return m
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

// rvSegments splits a compact JWS into its three base64url segments.
func rvSegments(t testing.TB, tok string) (header, payload, sig string) {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts; want 3", len(parts))
	}
	return parts[0], parts[1], parts[2]
}

// rvFlipPayloadByte flips one bit of one byte of the decoded payload (the
// first character of the sub value, so the jti still names a real token)
// and keeps the original signature.
func rvFlipPayloadByte(t testing.TB, tok string) string {
	t.Helper()
	h, p, s := rvSegments(t, tok)
	raw, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(string(raw), `"sub":"`)
	if i < 0 {
		t.Fatalf("payload %s has no sub", raw)
	}
	raw[i+len(`"sub":"`)] ^= 0x01
	return h + "." + base64.RawURLEncoding.EncodeToString(raw) + "." + s
}

// rvResign keeps the header and payload of tok verbatim and signs them with
// a new P-256 key: a well-formed ES256 JWT naming a real jti, signed by
// another key.
func rvResign(t testing.TB, tok string) string {
	t.Helper()
	h, p, _ := rvSegments(t, tok)
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return h + "." + p + "." + base64.RawURLEncoding.EncodeToString(es256(t, k, []byte(h+"."+p)))
}

// rvAlgNone replaces the header of tok with alg none and drops the signature.
func rvAlgNone(t testing.TB, tok string) string {
	t.Helper()
	_, p, _ := rvSegments(t, tok)
	h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"at+jwt"}`))
	return h + "." + p + "."
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
		for _, want := range []string{issuer.AuthClientSecretBasic, issuer.AuthClientSecretPost} {
			if !slices.Contains(got, want) {
				t.Errorf("%s = %v; want it to contain %s", member, got, want)
			}
		}
	}
	if got := stringList(m["introspection_endpoint_auth_methods_supported"]); slices.Contains(got, issuer.AuthNone) {
		t.Errorf("introspection_endpoint_auth_methods_supported = %v; must not contain none (INT-02)", got)
	}
}
