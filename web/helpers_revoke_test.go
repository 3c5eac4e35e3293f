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
	"strings"
	"testing"

	"issuer/dpop"
	"issuer/issuer"
	"issuer/issuer/oauth"
)

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
		a:    reg("rv-client-a", oauth.AuthClientSecretBasic),
		b:    reg("rv-client-b", oauth.AuthClientSecretBasic),
		post: reg("rv-client-post", oauth.AuthClientSecretPost),
		pub:  reg("rv-client-public", oauth.AuthNone),
		rs:   reg("rv-resource-server", oauth.AuthClientSecretBasic),
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
	case oauth.AuthClientSecretBasic:
		return rvCaller{auth: basicAuth(c.ID, c.Secret)}
	case oauth.AuthClientSecretPost:
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

// rvWantActive asserts that the resource server sees token as active.
func (e *rvEnv) rvWantActive(t testing.TB, token string) map[string]any {
	t.Helper()
	m := rvIntrospect(t, e.ts, token, rvAs(e.rs))
	if m["active"] != true {
		t.Fatalf("introspection = %v; want active:true", m)
	}
	return m
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
