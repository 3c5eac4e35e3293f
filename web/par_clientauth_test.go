package web_test

import (
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"issuer/issuer"
	"issuer/issuer/oauth"
)

// Client authentication at the pushed authorization request endpoint
// (RFC 9126 §2: "the same client authentication as the token endpoint"),
// for every method, through HTTP: client_secret_basic, client_secret_post,
// private_key_jwt and client_secret_jwt (RFC 7523, with the assertion
// audience rules of issuer/assertion.go), tls_client_auth and
// self_signed_tls_client_auth (RFC 8705) and none. Attestation-based
// authentication at PAR is in clientauth_attestation_grants_test.go.

// pcRequestURI is a request_uri as PAR issues it.
var pcRequestURI = regexp.MustCompile(`^urn:ietf:params:oauth:request_uri:[A-Za-z0-9_-]{43}$`)

// pcCase is one request at POST /par and what it must get.
type pcCase struct {
	name    string
	form    url.Values
	headers map[string][]string
	cert    *tls.Certificate // client certificate (TLS servers only)
	// twice sends the identical request first, which must get 201, so
	// that the checked request is its replay.
	twice  bool
	status int    // 201 or the error status
	code   string // the error code when status is not 201
	desc   string // the exact error_description, when not ""
	basic  bool   // a WWW-Authenticate Basic challenge is required
}

// pcClient registers a client for the authorization code flow with
// redirect URI afRedirect; meta adds the method and its credentials.
func pcClient(t testing.TB, ts *testServer, meta map[string]any) map[string]any {
	t.Helper()
	m := map[string]any{"grant_types": []string{oauth.GrantAuthorizationCode}, "redirect_uris": []string{afRedirect}}
	for k, v := range meta {
		m[k] = v
	}
	return ts.registerTLS(t, m)
}

// pcSecret is the client_secret of a registration.
func pcSecret(t testing.TB, reg map[string]any) string {
	t.Helper()
	s, _ := reg["client_secret"].(string)
	if s == "" {
		t.Fatalf("registration %v has no client_secret", reg)
	}
	return s
}

// pcWith returns a copy of form with the extra values set.
func pcWith(form url.Values, extra url.Values) url.Values {
	out := url.Values{}
	for k, v := range form {
		out[k] = v
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

// pcAssertion is form authenticated by a client assertion.
func pcAssertion(form url.Values, assertion string) url.Values {
	return pcWith(form, url.Values{"client_assertion_type": {asType}, "client_assertion": {assertion}})
}

// pcBasic is an Authorization header with Basic credentials.
func pcBasic(id, secret string) map[string][]string {
	return map[string][]string{"Authorization": {basicAuth(id, secret)}}
}

// pcWantCreated asserts a PAR success: 201, no-store, a request_uri of
// the documented form and expires_in 60. It returns the request_uri.
func pcWantCreated(t testing.TB, res *http.Response) string {
	t.Helper()
	body := readBody(t, res)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("POST /par = %d %s; want 201", res.StatusCode, body)
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q; want no-store", cc)
	}
	var out struct {
		RequestURI string `json:"request_uri"`
		ExpiresIn  int64  `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("PAR response %s: %v", body, err)
	}
	if !pcRequestURI.MatchString(out.RequestURI) || out.ExpiresIn != 60 {
		t.Fatalf("PAR response %s; want a urn:ietf:params:oauth:request_uri: with 43 characters and expires_in 60", body)
	}
	return out.RequestURI
}

// pcCheck sends tc to ts and asserts its outcome.
func pcCheck(t *testing.T, ts *testServer, tc pcCase) {
	t.Helper()
	if tc.twice {
		pcWantCreated(t, ts.postCert(t, tc.cert, "/par", tc.form, tc.headers))
	}
	res := ts.postCert(t, tc.cert, "/par", tc.form, tc.headers)
	if tc.status == http.StatusCreated {
		pcWantCreated(t, res)
		return
	}
	www := res.Header.Get("WWW-Authenticate")
	e := wantError(t, res, tc.status, tc.code)
	if tc.desc != "" && e.Description != tc.desc {
		t.Errorf("error_description = %q; want %q", e.Description, tc.desc)
	}
	if tc.basic && !strings.HasPrefix(www, "Basic") {
		t.Errorf("WWW-Authenticate = %q; want a Basic challenge", www)
	}
}

// pcRun runs each case as a subtest, in order.
func pcRun(t *testing.T, ts *testServer, cases []pcCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { pcCheck(t, ts, tc) })
	}
}

// pcSign signs valid assertion claims of client id (aud the issuer, dated
// by the server clock) with key as ES256 with kid, after mod changes them.
func pcSign(t testing.TB, ts *testServer, key *ecdsa.PrivateKey, kid, id string, mod func(map[string]any)) string {
	t.Helper()
	c := asClaims(ts, id)
	if mod != nil {
		mod(c)
	}
	return asES(t, key, kid, c)
}

const (
	pcDescSecret   = "bad client credential"
	pcDescAudience = "the audience passed in JWT is not correct"
	pcDescSig      = "bad client assertion signature"
	// pcDescOtherClient (+ the client_id) is the token endpoint's refusal of a code issued
	// to another client.
	pcDescOtherClient = "the authorization code has not been issued for the given client id "
)

// TestPARClientSecretMethods: client_secret_basic and client_secret_post
// at PAR, each with its right secret, a wrong one, and the other method.
func TestPARClientSecretMethods(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	basic := pcClient(t, ts, map[string]any{"client_id": "pc-basic", "token_endpoint_auth_method": oauth.AuthClientSecretBasic})
	post := pcClient(t, ts, map[string]any{"client_id": "pc-post", "token_endpoint_auth_method": oauth.AuthClientSecretPost})
	bs, ps := pcSecret(t, basic), pcSecret(t, post)
	pk := newPKCE(t)
	bForm, pForm := afParams("pc-basic", pk, nil), afParams("pc-post", pk, nil)
	pcRun(t, ts, []pcCase{
		{name: "client_secret_basic, right secret", form: bForm, headers: pcBasic("pc-basic", bs), status: 201},
		{name: "client_secret_basic, right secret, no client_id in the body", form: afParams("x", pk, url.Values{"client_id": {""}}), headers: pcBasic("pc-basic", bs), status: 201},
		{name: "client_secret_basic, wrong secret", form: bForm, headers: pcBasic("pc-basic", bs+"x"),
			status: 401, code: "invalid_client", desc: pcDescSecret, basic: true},
		{name: "client_secret_basic client using client_secret_post", form: pcWith(bForm, url.Values{"client_secret": {bs}}),
			status: 401, code: "invalid_client", desc: "the client cannot be authenticated with client_secret_post"},
		{name: "client_secret_basic client without any secret", form: bForm,
			status: 401, code: "invalid_client", desc: "the client cannot be authenticated with none"},
		{name: "Basic and client_secret in the body", form: pcWith(bForm, url.Values{"client_secret": {bs}}), headers: pcBasic("pc-basic", bs),
			status: 400, code: "invalid_request", desc: "the client used more than one authentication method"},
		{name: "client_secret_post, right secret", form: pcWith(pForm, url.Values{"client_secret": {ps}}), status: 201},
		{name: "client_secret_post, wrong secret", form: pcWith(pForm, url.Values{"client_secret": {ps + "x"}}),
			status: 401, code: "invalid_client", desc: pcDescSecret},
		{name: "client_secret_post client using client_secret_basic", form: pForm, headers: pcBasic("pc-post", ps),
			status: 401, code: "invalid_client", desc: "the client cannot be authenticated with client_secret_basic", basic: true},
		{name: "another client's secret", form: pcWith(pForm, url.Values{"client_secret": {bs}}),
			status: 401, code: "invalid_client", desc: pcDescSecret},
	})
}

// TestPARClientNone: a public client identifies itself with client_id
// only; sending a client_secret is refused.
func TestPARClientNone(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	pcClient(t, ts, map[string]any{"client_id": "pc-public", "token_endpoint_auth_method": oauth.AuthNone})
	form := afParams("pc-public", newPKCE(t), nil)
	pcRun(t, ts, []pcCase{
		{name: "client_id", form: form, status: 201},
		{name: "client_id and a client_secret", form: pcWith(form, url.Values{"client_secret": {strings.Repeat("s", 43)}}),
			status: 401, code: "invalid_client", desc: "the client cannot be authenticated with client_secret_post"},
		{name: "unknown client_id", form: afParams("pc-nobody", newPKCE(t), nil),
			status: 401, code: "invalid_client", desc: "the client doesn't exist"},
	})
}

// TestPARClientAssertion: private_key_jwt and client_secret_jwt at PAR.
// The audience is the issuer identifier; the PAR and token endpoint URLs
// only with client_auth.permissive_assertion_audience. Expired, replayed
// and wrongly signed assertions are refused.
func TestPARClientAssertion(t *testing.T) {
	t.Parallel()
	key, other := asNewKey(t), asNewKey(t)
	servers := map[bool]*testServer{
		false: newTestServer(t),
		true:  newTestServer(t, func(c *issuer.Config) { c.ClientAuth.PermissiveAssertionAudience = true }),
	}
	sjSecret := strings.Repeat("k", 40)
	for _, ts := range servers {
		pcClient(t, ts, map[string]any{"client_id": "pc-pkjwt", "token_endpoint_auth_method": oauth.AuthPrivateKeyJWT,
			"jwks": map[string]any{"keys": []any{asJWK(key, "k1")}}})
		pcClient(t, ts, map[string]any{"client_id": "pc-sjwt", "token_endpoint_auth_method": oauth.AuthClientSecretJWT, "client_secret": sjSecret})
	}
	// An assertion builder gets the server (for its URL and clock) and the
	// claims to change.
	type mod func(ts *testServer, c map[string]any)
	pkjwt := func(signer *ecdsa.PrivateKey, kid string, m mod) func(*testing.T, *testServer) string {
		return func(t *testing.T, ts *testServer) string {
			return pcSign(t, ts, signer, kid, "pc-pkjwt", func(c map[string]any) {
				if m != nil {
					m(ts, c)
				}
			})
		}
	}
	sjwt := func(secret string, m mod) func(*testing.T, *testServer) string {
		return func(t *testing.T, ts *testServer) string {
			c := asClaims(ts, "pc-sjwt")
			if m != nil {
				m(ts, c)
			}
			return asHS(t, []byte(secret), nil, c)
		}
	}
	aud := func(f func(ts *testServer) any) mod {
		return func(ts *testServer, c map[string]any) { c["aud"] = f(ts) }
	}
	parURL := aud(func(ts *testServer) any { return ts.URL + "/par" })
	parURLArray := aud(func(ts *testServer) any { return []string{ts.URL + "/par"} })
	tokenURL := aud(func(ts *testServer) any { return ts.TokenURL() })
	revokeURL := aud(func(ts *testServer) any { return ts.URL + "/revoke" })
	foreign := aud(func(*testServer) any { return "https://other.example" })
	expired := func(ts *testServer, c map[string]any) {
		now := ts.Clock.Now()
		c["iat"], c["exp"] = now.Add(-5*time.Minute).Unix(), now.Add(-time.Minute).Unix()
	}
	tests := []struct {
		name       string
		permissive bool
		client     string
		assertion  func(*testing.T, *testServer) string
		twice      bool
		status     int
		desc       string
	}{
		{name: "private_key_jwt, aud the issuer", client: "pc-pkjwt", assertion: pkjwt(key, "k1", nil), status: 201},
		{name: "private_key_jwt, aud the issuer, permissive", permissive: true, client: "pc-pkjwt", assertion: pkjwt(key, "k1", nil), status: 201},
		{name: "private_key_jwt, aud the PAR URL", client: "pc-pkjwt", assertion: pkjwt(key, "k1", parURL), status: 401, desc: pcDescAudience},
		{name: "private_key_jwt, aud the PAR URL, permissive", permissive: true, client: "pc-pkjwt", assertion: pkjwt(key, "k1", parURL), status: 201},
		{name: "private_key_jwt, aud [the PAR URL], permissive", permissive: true, client: "pc-pkjwt", assertion: pkjwt(key, "k1", parURLArray), status: 201},
		{name: "private_key_jwt, aud the token URL", client: "pc-pkjwt", assertion: pkjwt(key, "k1", tokenURL), status: 401, desc: pcDescAudience},
		{name: "private_key_jwt, aud the token URL, permissive", permissive: true, client: "pc-pkjwt", assertion: pkjwt(key, "k1", tokenURL), status: 201},
		{name: "private_key_jwt, aud the revocation URL, permissive", permissive: true, client: "pc-pkjwt", assertion: pkjwt(key, "k1", revokeURL), status: 401, desc: pcDescAudience},
		{name: "private_key_jwt, aud another server, permissive", permissive: true, client: "pc-pkjwt", assertion: pkjwt(key, "k1", foreign), status: 401, desc: pcDescAudience},
		{name: "private_key_jwt, expired", client: "pc-pkjwt", assertion: pkjwt(key, "k1", expired), status: 401, desc: "the received JWT has expired"},
		{name: "private_key_jwt, replayed jti", client: "pc-pkjwt", assertion: pkjwt(key, "k1", nil), twice: true, status: 401, desc: "the jwt token has already been used"},
		{name: "private_key_jwt, signed by another key", client: "pc-pkjwt", assertion: pkjwt(other, "k1", nil), status: 401, desc: pcDescSig},
		{name: "private_key_jwt, signed by another key without kid", client: "pc-pkjwt", assertion: pkjwt(other, "", nil), status: 401, desc: pcDescSig},
		{name: "client_secret_jwt, right secret", client: "pc-sjwt", assertion: sjwt(sjSecret, nil), status: 201},
		{name: "client_secret_jwt, aud the PAR URL, permissive", permissive: true, client: "pc-sjwt", assertion: sjwt(sjSecret, parURL), status: 201},
		{name: "client_secret_jwt, aud the PAR URL", client: "pc-sjwt", assertion: sjwt(sjSecret, parURL), status: 401, desc: pcDescAudience},
		{name: "client_secret_jwt, HS256 with a wrong secret", client: "pc-sjwt", assertion: sjwt(sjSecret+"x", nil), status: 401, desc: pcDescSig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := servers[tt.permissive]
			tc := pcCase{form: pcAssertion(afParams(tt.client, newPKCE(t), nil), tt.assertion(t, ts)), twice: tt.twice, status: tt.status, desc: tt.desc}
			if tt.status != http.StatusCreated {
				tc.code = "invalid_client"
			}
			pcCheck(t, ts, tc)
		})
	}
}

// TestPARClientMTLS: tls_client_auth and self_signed_tls_client_auth at
// PAR over HTTPS: the registered certificate is accepted; no certificate
// or another one is refused.
func TestPARClientMTLS(t *testing.T) {
	t.Parallel()
	ca, otherCA := newTestCA(t, "Client CA"), newTestCA(t, "Client CA")
	ts := newMTLSServer(t, ca)
	subject := pkix.Name{CommonName: "backend-1", OrganizationalUnit: []string{"Issuance"}, Organization: []string{"Example Wallets"}, Country: []string{"DE"}}
	dnCert := ca.Issue(t, &x509.Certificate{Subject: subject})
	wrongDN := ca.Issue(t, &x509.Certificate{Subject: pkix.Name{CommonName: "backend-2", OrganizationalUnit: []string{"Issuance"}, Organization: []string{"Example Wallets"}, Country: []string{"DE"}}})
	foreign := otherCA.Issue(t, &x509.Certificate{Subject: subject})
	ssCert := selfSigned(t, &x509.Certificate{Subject: pkix.Name{CommonName: "pc self-signed"}})
	otherSS := selfSigned(t, &x509.Certificate{Subject: pkix.Name{CommonName: "pc self-signed"}})
	pcClient(t, ts, map[string]any{"client_id": "pc-tls", "token_endpoint_auth_method": oauth.AuthTLSClientAuth, "tls_client_auth_subject_dn": clientDN})
	pcClient(t, ts, map[string]any{"client_id": "pc-ss", "token_endpoint_auth_method": oauth.AuthSelfSignedTLSClientAuth,
		"jwks": map[string]any{"keys": []any{certJWK(ssCert)}}})
	pk := newPKCE(t)
	tlsForm, ssForm := afParams("pc-tls", pk, nil), afParams("pc-ss", pk, nil)
	const notRegistered = "the client certificate is not one the client registered"
	pcRun(t, ts, []pcCase{
		{name: "tls_client_auth, registered subject", form: tlsForm, cert: &dnCert, status: 201},
		{name: "tls_client_auth, no certificate", form: tlsForm, status: 401, code: "invalid_client",
			desc: "the client cannot be authenticated with tls_client_auth without a client certificate"},
		{name: "tls_client_auth, another subject", form: tlsForm, cert: &wrongDN, status: 401, code: "invalid_client",
			desc: "the client certificate does not match the registered tls_client_auth_subject_dn"},
		{name: "tls_client_auth, the subject from another CA", form: tlsForm, cert: &foreign, status: 401, code: "invalid_client",
			desc: "the client certificate is not issued by a trusted client CA"},
		{name: "tls_client_auth, the self-signed client's certificate", form: tlsForm, cert: &ssCert, status: 401, code: "invalid_client",
			desc: "the client certificate is not issued by a trusted client CA"},
		{name: "self_signed_tls_client_auth, registered certificate", form: ssForm, cert: &ssCert, status: 201},
		{name: "self_signed_tls_client_auth, no certificate", form: ssForm, status: 401, code: "invalid_client",
			desc: "the client cannot be authenticated with self_signed_tls_client_auth without a client certificate"},
		{name: "self_signed_tls_client_auth, another self-signed certificate", form: ssForm, cert: &otherSS, status: 401, code: "invalid_client", desc: notRegistered},
		{name: "self_signed_tls_client_auth, a CA-issued certificate", form: ssForm, cert: &dnCert, status: 401, code: "invalid_client", desc: notRegistered},
	})
}

// TestPARClientPrivateKeyJWTFlow runs the authorization code flow of a
// private_key_jwt client: PAR with an assertion, sign-in, and the code
// exchange with a fresh assertion and a DPoP proof. Other confidential
// clients, properly authenticated, cannot redeem its code, and neither
// can the client without authenticating; none of these uses the code up.
func TestPARClientPrivateKeyJWTFlow(t *testing.T) {
	t.Parallel()
	s := newAuthFlow(t)
	ts := s.testServer
	key, otherKey := asNewKey(t), asNewKey(t)
	pcClient(t, ts, map[string]any{"client_id": "pc-flow", "token_endpoint_auth_method": oauth.AuthPrivateKeyJWT,
		"jwks": map[string]any{"keys": []any{asJWK(key, "k1")}}})
	pcClient(t, ts, map[string]any{"client_id": "pc-flow-other", "token_endpoint_auth_method": oauth.AuthPrivateKeyJWT,
		"jwks": map[string]any{"keys": []any{asJWK(otherKey, "k1")}}})
	basic := pcClient(t, ts, map[string]any{"client_id": "pc-flow-basic", "token_endpoint_auth_method": oauth.AuthClientSecretBasic})

	pk, w := newPKCE(t), newWallet(t)
	uri := pcWantCreated(t, ts.postCert(t, nil, "/par", pcAssertion(afParams("pc-flow", pk, nil), pcSign(t, ts, key, "k1", "pc-flow", nil)), nil))
	loc := ts.afSignIn(t, newBrowser(t), url.Values{"client_id": {"pc-flow"}, "request_uri": {uri}}, afUser, afPassword, true)
	code := loc.Query().Get("code")
	if code == "" || loc.Query().Get("iss") != ts.URL {
		t.Fatalf("redirect %s; want a code and iss %s", loc, ts.URL)
	}
	exchangeAs := func(t *testing.T, clientID string, form url.Values, headers map[string][]string) *http.Response {
		t.Helper()
		h := map[string][]string{"DPoP": {ts.freshProof(t, w)}}
		for k, v := range headers {
			h[k] = v
		}
		f := url.Values{"grant_type": {oauth.GrantAuthorizationCode}, "code": {code}, "redirect_uri": {afRedirect}, "code_verifier": {pk.Verifier}, "client_id": {clientID}}
		for k, v := range form {
			f[k] = v
		}
		return ts.post(t, "/token", f, h)
	}
	refusals := []struct {
		name, client string
		form         func(*testing.T) url.Values
		headers      map[string][]string
		status       int
		code, desc   string
	}{
		{name: "another private_key_jwt client", client: "pc-flow-other", status: 400, code: "invalid_grant", desc: pcDescOtherClient + "pc-flow-other",
			form: func(t *testing.T) url.Values {
				return pcAssertion(nil, pcSign(t, ts, otherKey, "k1", "pc-flow-other", nil))
			}},
		{name: "a client_secret_basic client", client: "pc-flow-basic", headers: pcBasic("pc-flow-basic", pcSecret(t, basic)),
			status: 400, code: "invalid_grant", desc: pcDescOtherClient + "pc-flow-basic", form: func(*testing.T) url.Values { return nil }},
		{name: "the client, without authentication", client: "pc-flow", status: 401, code: "invalid_client", desc: "the client cannot be authenticated with none",
			form: func(*testing.T) url.Values { return nil }},
		{name: "the client, with an assertion signed by another key", client: "pc-flow", status: 401, code: "invalid_client", desc: pcDescSig,
			form: func(t *testing.T) url.Values { return pcAssertion(nil, pcSign(t, ts, otherKey, "k1", "pc-flow", nil)) }},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			if e := wantError(t, exchangeAs(t, tc.client, tc.form(t), tc.headers), tc.status, tc.code); e.Description != tc.desc {
				t.Errorf("error_description = %q; want %q", e.Description, tc.desc)
			}
		})
	}
	t.Run("the client with a fresh assertion and a DPoP proof", func(t *testing.T) {
		tb := wantToken(t, exchangeAs(t, "pc-flow", pcAssertion(nil, pcSign(t, ts, key, "k1", "pc-flow", nil)), nil))
		_, claims := jwtParts(t, tb.AccessToken)
		cnf, _ := claims["cnf"].(map[string]any)
		if tb.TokenType != "DPoP" || claims["client_id"] != "pc-flow" || claims["sub"] != s.UserID || cnf["jkt"] != w.JKT {
			t.Fatalf("token_type %q, claims %v; want a DPoP token of pc-flow for %s bound to %s", tb.TokenType, claims, s.UserID, w.JKT)
		}
		if len(tb.AuthorizationDetails) != 1 || tb.AuthorizationDetails[0].CredentialConfigurationID != pidConfig {
			t.Errorf("authorization_details = %+v; want the PID configuration", tb.AuthorizationDetails)
		}
	})
	t.Run("the code is used up", func(t *testing.T) {
		res := exchangeAs(t, "pc-flow", pcAssertion(nil, pcSign(t, ts, key, "k1", "pc-flow", nil)), nil)
		if e := wantError(t, res, http.StatusBadRequest, "invalid_grant"); e.Description != "the authorization code was already used; the tokens issued for it are revoked" {
			t.Errorf("error_description = %q; want the already-used description", e.Description)
		}
	})
}

// TestPARClientAuthentication covers M03, HAIP-05 and PAR-02: clients
// authenticate at PAR exactly as at the token endpoint.
func TestPARClientAuthentication(t *testing.T) {
	t.Parallel()
	s := newAuthFlow(t)
	conf := s.afCreateClient(t, map[string]any{
		"client_id": "confidential", "token_endpoint_auth_method": "client_secret_basic",
		"grant_types": []string{paAuthCode}, "redirect_uris": []string{afRedirect},
	})
	secret, _ := conf["client_secret"].(string)
	if secret == "" {
		t.Fatalf("registration %v has no client_secret", conf)
	}
	pk := newPKCE(t)
	basic := func(id, secret string) map[string][]string {
		return map[string][]string{"Authorization": {basicAuth(id, secret)}}
	}
	tests := []struct {
		name      string
		form      url.Values
		headers   map[string][]string
		status    int
		code      string
		challenge string // WWW-Authenticate prefix, when one is required
	}{
		{name: "M03 no client identification", form: afParams(s.ClientID, pk, url.Values{"client_id": {""}}), status: 401, code: "invalid_client"},
		{name: "unknown client_id", form: afParams("nobody", pk, nil), status: 401, code: "invalid_client"},
		{name: "unknown client in Basic", form: afParams("x", pk, url.Values{"client_id": {""}}), headers: basic("nobody", secret), status: 401, code: "invalid_client", challenge: "Basic"},
		{name: "confidential client, right secret", form: afParams("x", pk, url.Values{"client_id": {""}}), headers: basic("confidential", secret), status: 201},
		{name: "confidential client, right secret and its client_id", form: afParams("confidential", pk, nil), headers: basic("confidential", secret), status: 201},
		{name: "confidential client, wrong secret", form: afParams("x", pk, url.Values{"client_id": {""}}), headers: basic("confidential", secret+"x"), status: 401, code: "invalid_client", challenge: "Basic"},
		{name: "confidential client without its secret", form: afParams("confidential", pk, nil), status: 401, code: "invalid_client"},
		{name: "client_id differs from Basic", form: afParams(s.ClientID, pk, nil), headers: basic("confidential", secret), status: 401, code: "invalid_client"},
		{name: "public client with a secret", form: afParams("x", pk, url.Values{"client_id": {""}}), headers: basic(s.ClientID, secret), status: 401, code: "invalid_client"},
		{name: "public client with its client_id", form: afParams(s.ClientID, pk, nil), status: 201},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.status == http.StatusCreated {
				paPush(t, s.testServer, tc.form, tc.headers)
				return
			}
			res := s.afPush(t, tc.form, tc.headers)
			www := res.Header.Get("WWW-Authenticate")
			wantError(t, res, tc.status, tc.code)
			if tc.challenge != "" && !strings.HasPrefix(www, tc.challenge) {
				t.Errorf("WWW-Authenticate = %q; want a %s challenge", www, tc.challenge)
			}
		})
	}
	t.Run("the confidential client's request_uri opens the login page", func(t *testing.T) {
		t.Parallel()
		uri := paPush(t, s.testServer, afParams("confidential", pk, nil), basic("confidential", secret))
		paLoginPage(t, s.testServer, newBrowser(t), "confidential", uri)
	})
}
