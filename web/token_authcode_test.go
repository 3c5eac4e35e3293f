package web_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jwt"

	"issuer/issuer"
	"issuer/issuer/oauth"
)

// The authorization code grant at /token (RFC 6749 §4.1.3, RFC 7636,
// RFC 9449 §10, OpenID Connect Core §3.1.3): adversarial.md I01–I20 and
// H01–H04, checklist PKCE-01..07, OIDC-01..05, OIDC-08, OIDC-16, OIDC-17,
// and the HTTP contract of /tmp/notes/authflow-contract.md.
//
// I18 (a code from a grant whose consent the user withdrew) does not
// apply: the server has no way to withdraw consent, so no such code can
// exist.

// acPKCEOf is the PKCE pair of an arbitrary verifier, valid or not.
func acPKCEOf(verifier string) afPKCE {
	sum := sha256.Sum256([]byte(verifier))
	return afPKCE{Verifier: verifier, Challenge: base64.RawURLEncoding.EncodeToString(sum[:])}
}

// acPARProof is a fresh proof of w for POST /par, dated by the server clock.
func (ts *testServer) acPARProof(t testing.TB, w *wallet) string {
	t.Helper()
	return proofAt(t, w, http.MethodPost, ts.URL+"/par", ts.Clock.Now())
}

// acForm is the right exchange of g by the public client clientID.
func acForm(clientID string, g acGrant) url.Values {
	return url.Values{
		"grant_type": {"authorization_code"}, "code": {g.Code}, "redirect_uri": {afRedirect},
		"code_verifier": {g.PKCE.Verifier}, "client_id": {clientID},
	}
}

// acIntrospector registers a confidential client that introspects.
func (ts *testServer) acIntrospector(t testing.TB) registeredClient {
	t.Helper()
	return ts.registerClient(t, map[string]any{
		"client_id": "ac-resource-server", "token_endpoint_auth_method": oauth.AuthClientSecretBasic, "grant_types": []string{preAuth},
	})
}

// acPostNoFatal posts a form with headers; safe off the test goroutine.
func acPostNoFatal(target string, form url.Values, hdr map[string]string) (int, []byte, error) {
	req, err := http.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	return res.StatusCode, body, err
}

// acErrorCode returns the error member of a JSON body ("" if none).
func acErrorCode(body []byte) string {
	var e oauthError
	_ = json.Unmarshal(body, &e)
	return e.Error
}

// acJWKS fetches /jwks and parses it with jwx.
func (ts *testServer) acJWKS(t testing.TB) jwk.Set {
	t.Helper()
	res, err := http.Get(ts.URL + "/jwks")
	if err != nil {
		t.Fatal(err)
	}
	body := readBody(t, res)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /jwks = %d %s", res.StatusCode, body)
	}
	set, err := jwk.Parse(body)
	if err != nil {
		t.Fatalf("jwk.Parse(/jwks) = %v", err)
	}
	return set
}

// ---------------------------------------------------------------------------

// TestAuthCodeSuccess checks a full OpenID flow: the token response, the
// access token and the ID token (verified against /jwks with jwx).
func TestAuthCodeSuccess(t *testing.T) {
	s := newAuthFlow(t)
	w := newWallet(t)
	pk := newPKCE(t)
	form := afParams(s.ClientID, pk, url.Values{"scope": {"openid profile " + pidConfig}, "nonce": {acNonce}})
	uri := s.afPushOK(t, form, nil)
	signedIn := s.Clock.Now()
	loc := s.afSignIn(t, newBrowser(t), url.Values{"client_id": {s.ClientID}, "request_uri": {uri}}, afUser, afPassword, true)
	q := loc.Query()
	if q.Get("iss") != s.URL || q.Get("state") != "state-123" || len(q.Get("code")) != 43 {
		t.Fatalf("redirect %s; want code (43 chars), iss=%s and state=state-123", loc, s.URL)
	}
	// The exchange happens later than the sign-in, so that auth_time and
	// iat differ.
	s.Clock.Advance(7 * time.Second)
	issued := s.Clock.Now()
	b := s.acRedeem(t, acGrant{Code: q.Get("code"), PKCE: pk}, w)

	t.Run("response", func(t *testing.T) {
		if b.ExpiresIn != 300 {
			t.Errorf("expires_in = %d; want 300", b.ExpiresIn)
		}
		if b.Scope != acScope {
			t.Errorf("scope = %q; want %q (the known values of the requested scope)", b.Scope, acScope)
		}
		if b.CNonce == "" || b.CNonceExpiresIn <= 0 {
			t.Errorf("c_nonce = %q, c_nonce_expires_in = %d; want both", b.CNonce, b.CNonceExpiresIn)
		}
		if b.RefreshToken == "" || b.RefreshToken == b.AccessToken {
			t.Errorf("refresh_token = %q; want a distinct refresh token (the client has the refresh_token grant)", b.RefreshToken)
		}
		if b.IDToken == "" {
			t.Errorf("response %s has no id_token; want one for scope openid", b.raw)
		}
		if len(b.AuthorizationDetails) != 1 {
			t.Fatalf("authorization_details = %+v; want one entry", b.AuthorizationDetails)
		}
		d := b.AuthorizationDetails[0]
		if d.Type != "openid_credential" || d.CredentialConfigurationID != pidConfig || len(d.CredentialIdentifiers) != 1 || d.CredentialIdentifiers[0] == "" {
			t.Errorf("authorization_details[0] = %+v; want openid_credential for %s with one credential identifier", d, pidConfig)
		}
	})

	t.Run("access token", func(t *testing.T) {
		set := s.acJWKS(t)
		if _, err := jwt.Parse([]byte(b.AccessToken), jwt.WithKeySet(set), jwt.WithValidate(false)); err != nil {
			t.Fatalf("jwt.Parse(access token) = %v; want a valid signature by a key of /jwks", err)
		}
		h, claims := jwtParts(t, b.AccessToken)
		if h["typ"] != "at+jwt" {
			t.Errorf("typ = %v; want at+jwt", h["typ"])
		}
		if cnf, _ := claims["cnf"].(map[string]any); cnf["jkt"] != w.JKT {
			t.Errorf("cnf = %v; want jkt %s", claims["cnf"], w.JKT)
		}
		for k, want := range map[string]any{"sub": s.UserID, "client_id": s.ClientID, "scope": acScope, "iss": s.URL} {
			if claims[k] != want {
				t.Errorf("%s = %v; want %v", k, claims[k], want)
			}
		}
		if got, want := acDetailsJSON(t, claims["authorization_details"]), acDetailsJSON(t, b.AuthorizationDetails); !reflect.DeepEqual(got, want) || len(b.AuthorizationDetails) == 0 {
			t.Errorf("authorization_details claim = %v; want the response's %v", got, want)
		}
	})

	t.Run("ID token", func(t *testing.T) {
		set := s.acJWKS(t)
		tok, err := jwt.Parse([]byte(b.IDToken), jwt.WithKeySet(set), jwt.WithValidate(true),
			jwt.WithClock(jwt.ClockFunc(s.Clock.Now)), jwt.WithIssuer(s.URL), jwt.WithAudience(s.ClientID), jwt.WithSubject(s.UserID))
		if err != nil {
			t.Fatalf("jwt.Parse(id_token) = %v; want a valid token signed by a key of /jwks", err)
		}
		h, claims := jwtParts(t, b.IDToken)
		if h["alg"] != "ES256" || h["typ"] != "JWT" {
			t.Errorf("header = %v; want alg ES256, typ JWT", h)
		}
		if kid, _ := h["kid"].(string); kid == "" {
			t.Errorf("header has no kid: %v", h)
		} else if _, ok := set.LookupKeyID(kid); !ok {
			t.Errorf("kid %q is not in /jwks", kid)
		}
		if tok.Issuer() != s.URL || tok.Subject() != s.UserID {
			t.Errorf("iss, sub = %q, %q; want %q, %q", tok.Issuer(), tok.Subject(), s.URL, s.UserID)
		}
		if aud, ok := claims["aud"].(string); !ok || aud != s.ClientID {
			t.Errorf("aud = %#v; want the string %q", claims["aud"], s.ClientID)
		}
		if claims["azp"] != s.ClientID {
			t.Errorf("azp = %v; want %s", claims["azp"], s.ClientID)
		}
		if !tok.IssuedAt().Equal(issued) || !tok.Expiration().Equal(issued.Add(300*time.Second)) {
			t.Errorf("iat, exp = %v, %v; want %v and 300 s later", tok.IssuedAt(), tok.Expiration(), issued)
		}
		if at, _ := claims["auth_time"].(float64); int64(at) != signedIn.Unix() {
			t.Errorf("auth_time = %v; want the sign-in time %d (not the exchange time %d)", claims["auth_time"], signedIn.Unix(), issued.Unix())
		}
		if n, _ := claims["nonce"].(string); n != acNonce {
			t.Errorf("nonce = %q; want %q byte for byte", n, acNonce)
		}
		if claims["at_hash"] != acAtHash(b.AccessToken) {
			t.Errorf("at_hash = %v; want %s", claims["at_hash"], acAtHash(b.AccessToken))
		}
	})
}

// acDetailsJSON normalizes authorization_details (from a response or a
// claim) to a generic JSON value.
func acDetailsJSON(t testing.TB, v any) any {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestAuthCodeIDTokenPresence covers OIDC-01 and the nonce being optional:
// no openid, no id_token; openid without nonce, an ID token without nonce.
func TestAuthCodeIDTokenPresence(t *testing.T) {
	s := newAuthFlow(t)
	t.Run("OIDC-01 no openid, no id_token", func(t *testing.T) {
		w := newWallet(t)
		b := s.acRedeem(t, s.acNewCode(t, url.Values{"nonce": {"abc"}}, nil), w)
		if b.has("id_token") {
			t.Fatalf("response %s has id_token; want none without scope openid", b.raw)
		}
		if b.Scope != pidConfig {
			t.Errorf("scope = %q; want %q", b.Scope, pidConfig)
		}
	})
	t.Run("openid without nonce", func(t *testing.T) {
		w := newWallet(t)
		b := s.acRedeem(t, s.acNewCode(t, url.Values{"scope": {acScope}}, nil), w)
		_, claims := jwtParts(t, b.IDToken)
		if v, ok := claims["nonce"]; ok {
			t.Errorf("nonce = %v; want absent when the request had none", v)
		}
		if claims["at_hash"] != acAtHash(b.AccessToken) {
			t.Errorf("at_hash = %v; want %s", claims["at_hash"], acAtHash(b.AccessToken))
		}
	})
	t.Run("openid alone", func(t *testing.T) {
		w := newWallet(t)
		b := s.acRedeem(t, s.acNewCode(t, url.Values{"scope": {"openid"}}, nil), w)
		if b.IDToken == "" || b.Scope != "openid" {
			t.Fatalf("response %s; want an id_token and scope openid", b.raw)
		}
	})
}

// TestAuthCodeRefused covers I04–I12, I17, I19, I20 and the checks before
// the code: each request changes one thing of a right exchange and gets
// the exact status and error; unless the change made the code unusable,
// the right request then still redeems it (a refusal consumes nothing).
func TestAuthCodeRefused(t *testing.T) {
	s := newAuthFlow(t)
	otherPublic := "ac-wallet-b"
	s.afCreateClient(t, map[string]any{
		"client_id": otherPublic, "token_endpoint_auth_method": "none",
		"grant_types": []string{"authorization_code"}, "redirect_uris": []string{afRedirect},
	})
	otherConf := s.registerClient(t, map[string]any{
		"client_id": "ac-confidential-b", "token_endpoint_auth_method": oauth.AuthClientSecretBasic,
		"grant_types": []string{"authorization_code"}, "redirect_uris": []string{afRedirect},
	})
	preOnly := "ac-preauth-only"
	s.afCreateClient(t, map[string]any{"client_id": preOnly, "token_endpoint_auth_method": "none", "grant_types": []string{preAuth}})

	valid := newPKCE(t).Verifier
	type change func(t testing.TB, g acGrant, form url.Values, h map[string][]string)
	set := func(k, v string) change {
		return func(_ testing.TB, _ acGrant, form url.Values, _ map[string][]string) { form.Set(k, v) }
	}
	del := func(k string) change {
		return func(_ testing.TB, _ acGrant, form url.Values, _ map[string][]string) { form.Del(k) }
	}
	cases := []struct {
		name   string
		pkce   afPKCE // zero: a fresh valid pair
		change change
		status int
		code   string
		// burned: the code cannot be redeemed afterwards by design (its
		// verifier is itself malformed), so only the refusal is checked.
		burned bool
	}{
		{name: "grant not registered for the client", change: set("client_id", preOnly), status: 400, code: "unauthorized_client"},
		{name: "no client identification", change: del("client_id"), status: 401, code: "invalid_client"},
		{name: "unknown client", change: set("client_id", "ac-nobody"), status: 401, code: "invalid_client"},
		{name: "no DPoP proof", change: func(_ testing.TB, _ acGrant, _ url.Values, h map[string][]string) { delete(h, "DPoP") }, status: 400, code: "invalid_request"},
		{name: "DPoP proof for another URL", change: func(t testing.TB, _ acGrant, _ url.Values, h map[string][]string) {
			h["DPoP"] = []string{proofAt(t, newWallet(t), http.MethodPost, s.URL+"/par", s.Clock.Now())}
		}, status: 400, code: "invalid_dpop_proof"},
		{name: "code missing", change: del("code"), status: 400, code: "invalid_request"},
		{name: "I19 tx_code added", change: set("tx_code", "123456"), status: 400, code: "invalid_request"},
		{name: "I17 random 43-character code", change: set("code", randomCode()), status: 400, code: "invalid_grant"},
		{name: "I20 first byte altered", change: func(_ testing.TB, g acGrant, form url.Values, _ map[string][]string) {
			form.Set("code", rfFlip(g.Code, 0))
		}, status: 400, code: "invalid_grant"},
		{name: "I20 last byte altered", change: func(_ testing.TB, g acGrant, form url.Values, _ map[string][]string) {
			form.Set("code", rfFlip(g.Code, len(g.Code)-1))
		}, status: 400, code: "invalid_grant"},
		{name: "I20 last byte cut off", change: func(_ testing.TB, g acGrant, form url.Values, _ map[string][]string) {
			form.Set("code", g.Code[:len(g.Code)-1])
		}, status: 400, code: "invalid_grant"},
		{name: "I20 one byte appended", change: func(_ testing.TB, g acGrant, form url.Values, _ map[string][]string) {
			form.Set("code", g.Code+"A")
		}, status: 400, code: "invalid_grant"},
		{name: "I04 code of another public client", change: set("client_id", otherPublic), status: 400, code: "invalid_grant"},
		{name: "I04 code of an authenticated confidential client", change: func(_ testing.TB, _ acGrant, form url.Values, h map[string][]string) {
			form.Del("client_id")
			h["Authorization"] = []string{basicAuth(otherConf.ID, otherConf.Secret)}
		}, status: 400, code: "invalid_grant"},
		{name: "I05 redirect_uri with a trailing slash", change: set("redirect_uri", afRedirect+"/"), status: 400, code: "invalid_grant"},
		{name: "I05 redirect_uri host in upper case", change: set("redirect_uri", "https://WALLET.example/cb"), status: 400, code: "invalid_grant"},
		{name: "I05 redirect_uri path in upper case", change: set("redirect_uri", "https://wallet.example/CB"), status: 400, code: "invalid_grant"},
		{name: "I05 redirect_uri one character changed", change: set("redirect_uri", "https://wallet.example/cc"), status: 400, code: "invalid_grant"},
		{name: "I05 redirect_uri with a query", change: set("redirect_uri", afRedirect+"?x=1"), status: 400, code: "invalid_grant"},
		{name: "I05 redirect_uri over http", change: set("redirect_uri", "http://wallet.example/cb"), status: 400, code: "invalid_grant"},
		{name: "I06 redirect_uri missing", change: del("redirect_uri"), status: 400, code: "invalid_request"},
		{name: "I07 code_verifier missing", change: del("code_verifier"), status: 400, code: "invalid_grant"},
		{name: "I08 code_verifier wrong", change: set("code_verifier", valid), status: 400, code: "invalid_grant"},
		{name: "I09 code_verifier of 42 characters (the right one cut)", change: func(_ testing.TB, g acGrant, form url.Values, _ map[string][]string) {
			form.Set("code_verifier", g.PKCE.Verifier[:42])
		}, status: 400, code: "invalid_grant"},
		{name: "I09 code_verifier of 42 characters that hashes to the challenge", pkce: acPKCEOf(strings.Repeat("a", 42)),
			status: 400, code: "invalid_grant", burned: true},
		{name: "I10 code_verifier of 129 characters (the right one extended)", change: func(_ testing.TB, g acGrant, form url.Values, _ map[string][]string) {
			form.Set("code_verifier", g.PKCE.Verifier+strings.Repeat("x", 129-len(g.PKCE.Verifier)))
		}, status: 400, code: "invalid_grant"},
		{name: "I10 code_verifier of 129 characters that hashes to the challenge", pkce: acPKCEOf(strings.Repeat("b", 129)),
			status: 400, code: "invalid_grant", burned: true},
		{name: "I11 code_verifier with + that hashes to the challenge", pkce: acPKCEOf(valid[:20] + "+" + valid[21:]),
			status: 400, code: "invalid_grant", burned: true},
		{name: "I11 code_verifier with / that hashes to the challenge", pkce: acPKCEOf(valid[:20] + "/" + valid[21:]),
			status: 400, code: "invalid_grant", burned: true},
		{name: "I11 code_verifier with = that hashes to the challenge", pkce: acPKCEOf(valid + "="),
			status: 400, code: "invalid_grant", burned: true},
		{name: "I11 code_verifier with a space that hashes to the challenge", pkce: acPKCEOf(valid[:20] + " " + valid[21:]),
			status: 400, code: "invalid_grant", burned: true},
		{name: "I11 code_verifier with + (the right one changed)", change: func(_ testing.TB, g acGrant, form url.Values, _ map[string][]string) {
			form.Set("code_verifier", g.PKCE.Verifier[:10]+"+"+g.PKCE.Verifier[11:])
		}, status: 400, code: "invalid_grant"},
		{name: "I12 the code_challenge sent as the verifier", change: func(_ testing.TB, g acGrant, form url.Values, _ map[string][]string) {
			form.Set("code_verifier", g.PKCE.Challenge)
		}, status: 400, code: "invalid_grant"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pk := tc.pkce
			if pk.Verifier == "" {
				pk = newPKCE(t)
			}
			g := acGrant{Code: s.afCode(t, afParams(s.ClientID, pk, nil), nil), PKCE: pk}
			w := newWallet(t)
			form := acForm(s.ClientID, g)
			h := map[string][]string{"DPoP": {s.freshProof(t, w)}}
			if tc.change != nil {
				tc.change(t, g, form, h)
			}
			e := wantError(t, s.post(t, "/token", form, h), tc.status, tc.code)
			wantSafeDescription(t, e.Description, g.Code, g.PKCE.Verifier)
			if tc.burned {
				return
			}
			s.acRedeem(t, g, w)
		})
	}
}

// TestAuthCodePKCELengths checks the accepted verifier lengths of
// PKCE-01 at their bounds: 43 and 128 characters of every allowed kind.
func TestAuthCodePKCELengths(t *testing.T) {
	s := newAuthFlow(t)
	const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
	for name, v := range map[string]string{"43 characters": chars[:43], "128 characters": (chars + chars)[:128], "43 tildes": strings.Repeat("~", 43)} {
		t.Run(name, func(t *testing.T) {
			pk := acPKCEOf(v)
			g := acGrant{Code: s.afCode(t, afParams(s.ClientID, pk, nil), nil), PKCE: pk}
			s.acRedeem(t, g, newWallet(t))
		})
	}
}

// TestAuthCodePKCEAtPAR covers I13–I16: a request without S256 PKCE gets
// no code at all, pushed or (when PAR is optional) plain; so no code
// without a challenge exists that a verifier could be "added" to (I13).
func TestAuthCodePKCEAtPAR(t *testing.T) {
	s := newAuthFlow(t)
	pk := newPKCE(t)
	cases := []struct {
		name  string
		extra url.Values
	}{
		{"I14 code_challenge_method plain", url.Values{"code_challenge_method": {"plain"}, "code_challenge": {pk.Verifier}}},
		{"I15 code_challenge without a method", url.Values{"code_challenge_method": {""}}},
		{"I16 no code_challenge", url.Values{"code_challenge": {""}}},
		{"I16 no code_challenge nor method", url.Values{"code_challenge": {""}, "code_challenge_method": {""}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, s.afPush(t, afParams(s.ClientID, pk, tc.extra), nil), http.StatusBadRequest, "invalid_request")
		})
	}
	t.Run("I13 plain request without a challenge gets no code", func(t *testing.T) {
		open := newAuthFlow(t, func(c *issuer.Config) { c.Authorization.RequirePAR = false })
		q := afParams(open.ClientID, pk, url.Values{"code_challenge": {""}, "code_challenge_method": {""}})
		res := newBrowser(t).get(t, open.URL+"/authorize?"+q.Encode())
		readBody(t, res)
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("GET /authorize = %d; want 303 back to the client with an error", res.StatusCode)
		}
		loc, err := url.Parse(res.Header.Get("Location"))
		if err != nil {
			t.Fatal(err)
		}
		if lq := loc.Query(); lq.Get("error") != "invalid_request" || lq.Has("code") || lq.Get("state") != "state-123" {
			t.Fatalf("redirect %s; want error=invalid_request with state and no code", loc)
		}
	})
}

// TestAuthCodeReuse covers I01 and OIDC-16: a code presented again with
// everything right is refused, and every token of the first redemption
// (access, refresh, and those refreshed from it) is revoked: introspection
// says active:false, /userinfo 401, the refresh token no longer refreshes.
func TestAuthCodeReuse(t *testing.T) {
	s := newAuthFlow(t)
	rs := s.acIntrospector(t)
	pub := registeredClient{ID: s.ClientID}
	w := newWallet(t)
	g := s.acNewCode(t, url.Values{"scope": {acScope}}, nil)
	first := s.acRedeem(t, g, w)
	if first.RefreshToken == "" {
		t.Fatalf("first redemption %s; want a refresh_token", first.raw)
	}
	refreshed := s.rfRefreshOK(t, pub, first.RefreshToken, w)
	tokens := map[string]string{"access token": first.AccessToken, "refresh token": first.RefreshToken, "refreshed access token": refreshed.AccessToken}
	s.rfWantActive(t, rs, tokens)
	uiWantClaims(t, s.uiCall(t, http.MethodGet, first.AccessToken, w))

	wantError(t, s.afExchange(t, s.ClientID, g.Code, g.PKCE.Verifier, s.freshProof(t, w), nil), http.StatusBadRequest, "invalid_grant")

	s.rfWantInactive(t, rs, tokens)
	for name, at := range map[string]string{"first": first.AccessToken, "refreshed": refreshed.AccessToken} {
		t.Run("userinfo with the "+name+" access token", func(t *testing.T) {
			uiWantRefused(t, s.uiCall(t, http.MethodGet, at, w), http.StatusUnauthorized, "invalid_token")
		})
	}
	wantError(t, s.rfRefresh(t, pub, first.RefreshToken, s.freshProof(t, w), nil), http.StatusBadRequest, "invalid_grant")
	// A third presentation is refused too.
	wantError(t, s.afExchange(t, s.ClientID, g.Code, g.PKCE.Verifier, s.freshProof(t, newWallet(t)), nil), http.StatusBadRequest, "invalid_grant")
	// Another code's tokens are untouched.
	other := s.acRedeem(t, s.acNewCode(t, nil, nil), w)
	s.rfWantActive(t, rs, map[string]string{"another code's token": other.AccessToken})
}

// TestAuthCodeConcurrentRedemption covers I02 and X-02: 16 simultaneous
// redemptions of one code give exactly one 200, the others invalid_grant;
// the losers are reuses, so the winner's tokens end up revoked (I01).
func TestAuthCodeConcurrentRedemption(t *testing.T) {
	s := newAuthFlow(t)
	rs := s.acIntrospector(t)
	g := s.acNewCode(t, nil, nil)
	const n = 16
	proofs := make([]string, n)
	for i := range proofs {
		proofs[i] = s.freshProof(t, newWallet(t))
	}
	type result struct {
		status int
		body   []byte
		err    error
	}
	results := make([]result, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			st, body, err := acPostNoFatal(s.TokenURL(), acForm(s.ClientID, g), map[string]string{"DPoP": proofs[i]})
			results[i] = result{st, body, err}
		})
	}
	close(start)
	wg.Wait()
	var winner []byte
	for i, r := range results {
		switch {
		case r.err != nil:
			t.Fatalf("request %d: %v", i, r.err)
		case r.status == http.StatusOK && winner != nil:
			t.Errorf("request %d also got 200: %s", i, r.body)
		case r.status == http.StatusOK:
			winner = r.body
		case r.status != http.StatusBadRequest || acErrorCode(r.body) != "invalid_grant":
			t.Errorf("request %d = %d %s; want 200 or 400 invalid_grant", i, r.status, r.body)
		}
	}
	if winner == nil {
		t.Fatal("no redemption succeeded")
	}
	var b acToken
	if err := json.Unmarshal(winner, &b); err != nil {
		t.Fatal(err)
	}
	s.rfWantInactive(t, rs, map[string]string{"winner's access token": b.AccessToken, "winner's refresh token": b.RefreshToken})
}

// TestAuthCodeExpiry covers I03: the code lives 60 seconds.
func TestAuthCodeExpiry(t *testing.T) {
	s := newAuthFlow(t)
	t.Run("59 s after issue", func(t *testing.T) {
		g := s.acNewCode(t, nil, nil)
		s.Clock.Advance(59 * time.Second)
		s.acRedeem(t, g, newWallet(t))
	})
	t.Run("I03 61 s after issue", func(t *testing.T) {
		g := s.acNewCode(t, nil, nil)
		s.Clock.Advance(61 * time.Second)
		w := newWallet(t)
		wantError(t, s.afExchange(t, s.ClientID, g.Code, g.PKCE.Verifier, s.freshProof(t, w), nil), http.StatusBadRequest, "invalid_grant")
		wantError(t, s.afExchange(t, s.ClientID, g.Code, g.PKCE.Verifier, s.freshProof(t, w), nil), http.StatusBadRequest, "invalid_grant")
	})
}

// TestAuthCodeDPoPBinding covers H01–H04 (DPOP-38..40): a code bound to
// key A by dpop_jkt or by the PAR request's proof is redeemed only with
// a proof of A.
func TestAuthCodeDPoPBinding(t *testing.T) {
	s := newAuthFlow(t)
	t.Run("H01 dpop_jkt of A, proof of B", func(t *testing.T) {
		a, b := newWallet(t), newWallet(t)
		g := s.acNewCode(t, url.Values{"dpop_jkt": {a.JKT}}, nil)
		wantError(t, s.afExchange(t, s.ClientID, g.Code, g.PKCE.Verifier, s.freshProof(t, b), nil), http.StatusBadRequest, "invalid_grant")
	})
	t.Run("dpop_jkt of A, proof of A", func(t *testing.T) {
		a := newWallet(t)
		s.acRedeem(t, s.acNewCode(t, url.Values{"dpop_jkt": {a.JKT}}, nil), a)
	})
	t.Run("H02 PAR proof of A, token proof of B", func(t *testing.T) {
		a, b := newWallet(t), newWallet(t)
		g := s.acNewCode(t, nil, map[string][]string{"DPoP": {s.acPARProof(t, a)}})
		wantError(t, s.afExchange(t, s.ClientID, g.Code, g.PKCE.Verifier, s.freshProof(t, b), nil), http.StatusBadRequest, "invalid_grant")
	})
	t.Run("PAR proof of A, token proof of A", func(t *testing.T) {
		a := newWallet(t)
		s.acRedeem(t, s.acNewCode(t, nil, map[string][]string{"DPoP": {s.acPARProof(t, a)}}), a)
	})
	t.Run("PAR proof and dpop_jkt of A, token proof of B", func(t *testing.T) {
		a, b := newWallet(t), newWallet(t)
		g := s.acNewCode(t, url.Values{"dpop_jkt": {a.JKT}}, map[string][]string{"DPoP": {s.acPARProof(t, a)}})
		wantError(t, s.afExchange(t, s.ClientID, g.Code, g.PKCE.Verifier, s.freshProof(t, b), nil), http.StatusBadRequest, "invalid_grant")
	})
	t.Run("H03 dpop_jkt of A with a PAR proof of B", func(t *testing.T) {
		a, b := newWallet(t), newWallet(t)
		res := s.afPush(t, afParams(s.ClientID, newPKCE(t), url.Values{"dpop_jkt": {a.JKT}}), map[string][]string{"DPoP": {s.acPARProof(t, b)}})
		wantError(t, res, http.StatusBadRequest, "invalid_request")
	})

	optional := newAuthFlow(t, func(c *issuer.Config) { c.DPoP.Policy = issuer.DPoPOptional })
	t.Run("H04 dpop_jkt-bound code without any proof", func(t *testing.T) {
		a := newWallet(t)
		g := optional.acNewCode(t, url.Values{"dpop_jkt": {a.JKT}}, nil)
		wantError(t, optional.afExchange(t, optional.ClientID, g.Code, g.PKCE.Verifier, "", nil), http.StatusBadRequest, "invalid_grant")
	})
	t.Run("H04 PAR-proof-bound code without any proof", func(t *testing.T) {
		a := newWallet(t)
		g := optional.acNewCode(t, nil, map[string][]string{"DPoP": {optional.acPARProof(t, a)}})
		wantError(t, optional.afExchange(t, optional.ClientID, g.Code, g.PKCE.Verifier, "", nil), http.StatusBadRequest, "invalid_grant")
	})
	t.Run("unbound code without a proof when DPoP is optional", func(t *testing.T) {
		g := optional.acNewCode(t, nil, nil)
		b := acWantToken(t, optional.afExchange(t, optional.ClientID, g.Code, g.PKCE.Verifier, "", nil))
		if b.TokenType != "Bearer" || rfJKT(t, b.AccessToken) != "" {
			t.Fatalf("token_type = %q, cnf.jkt = %q; want an unbound Bearer token", b.TokenType, rfJKT(t, b.AccessToken))
		}
		if b.has("refresh_token") {
			t.Errorf("a public client's unbound redemption got a refresh_token; want none (it could not be bound)")
		}
	})
}

// TestAuthCodeRefreshToken checks the refresh token of a public client:
// bound to the redeeming DPoP key (DPOP-22, H06).
func TestAuthCodeRefreshToken(t *testing.T) {
	s := newAuthFlow(t)
	pub := registeredClient{ID: s.ClientID}
	w := newWallet(t)
	first := s.acRedeem(t, s.acNewCode(t, url.Values{"scope": {acScope}}, nil), w)
	if first.RefreshToken == "" {
		t.Fatalf("response %s; want a refresh_token", first.raw)
	}
	t.Run("H06 another key", func(t *testing.T) {
		wantError(t, s.rfRefresh(t, pub, first.RefreshToken, s.freshProof(t, newWallet(t)), nil), http.StatusBadRequest, "invalid_grant")
	})
	t.Run("same key", func(t *testing.T) {
		b := s.rfRefreshOK(t, pub, first.RefreshToken, w)
		claims := rfClaims(t, b.AccessToken)
		if claims["sub"] != s.UserID || claims["client_id"] != s.ClientID {
			t.Errorf("refreshed sub, client_id = %v, %v; want %s, %s", claims["sub"], claims["client_id"], s.UserID, s.ClientID)
		}
		if !reflect.DeepEqual(b.AuthorizationDetails, first.AuthorizationDetails) {
			t.Errorf("refreshed authorization_details = %+v; want %+v", b.AuthorizationDetails, first.AuthorizationDetails)
		}
	})
	t.Run("client without the refresh_token grant", func(t *testing.T) {
		s.afCreateClient(t, map[string]any{
			"client_id": "ac-no-refresh", "token_endpoint_auth_method": "none",
			"grant_types": []string{"authorization_code"}, "redirect_uris": []string{afRedirect},
		})
		pk := newPKCE(t)
		c := s.afCode(t, afParams("ac-no-refresh", pk, nil), nil)
		b := acWantToken(t, s.afExchange(t, "ac-no-refresh", c, pk.Verifier, s.freshProof(t, w), nil))
		if b.has("refresh_token") {
			t.Fatalf("response %s; want no refresh_token", b.raw)
		}
	})
}

// TestAuthCodeConfidentialClient runs the flow for a client_secret_basic
// client: PAR and /token with Basic authentication; a wrong secret is 401.
func TestAuthCodeConfidentialClient(t *testing.T) {
	s := newAuthFlow(t)
	c := s.registerClient(t, map[string]any{
		"client_id": "ac-confidential", "token_endpoint_auth_method": oauth.AuthClientSecretBasic,
		"grant_types": []string{"authorization_code", "refresh_token"}, "redirect_uris": []string{afRedirect},
	})
	basic := map[string][]string{"Authorization": {basicAuth(c.ID, c.Secret)}}
	wrong := map[string][]string{"Authorization": {basicAuth(c.ID, c.Secret+"x")}}
	pk := newPKCE(t)
	par := afParams(c.ID, pk, url.Values{"client_id": {""}})

	t.Run("PAR with a wrong secret", func(t *testing.T) {
		wantError(t, s.afPush(t, par, wrong), http.StatusUnauthorized, "invalid_client")
	})
	t.Run("PAR with client_id only", func(t *testing.T) {
		wantError(t, s.afPush(t, afParams(c.ID, pk, nil), nil), http.StatusUnauthorized, "invalid_client")
	})

	uri := s.afPushOK(t, par, basic)
	loc := s.afSignIn(t, newBrowser(t), url.Values{"client_id": {c.ID}, "request_uri": {uri}}, afUser, afPassword, true)
	code := loc.Query().Get("code")
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {afRedirect}, "code_verifier": {pk.Verifier}}
	w := newWallet(t)
	with := func(h map[string][]string) map[string][]string {
		out := map[string][]string{"DPoP": {s.freshProof(t, w)}}
		for k, v := range h {
			out[k] = v
		}
		return out
	}

	t.Run("token request with a wrong secret", func(t *testing.T) {
		wantError(t, s.post(t, "/token", form, with(wrong)), http.StatusUnauthorized, "invalid_client")
	})
	t.Run("token request without authentication", func(t *testing.T) {
		f := url.Values{"client_id": {c.ID}}
		for k, v := range form {
			f[k] = v
		}
		wantError(t, s.post(t, "/token", f, with(nil)), http.StatusUnauthorized, "invalid_client")
	})
	t.Run("token request with Basic", func(t *testing.T) {
		b := acWantToken(t, s.post(t, "/token", form, with(basic)))
		claims := rfClaims(t, b.AccessToken)
		if claims["client_id"] != c.ID || claims["sub"] != s.UserID {
			t.Errorf("client_id, sub = %v, %v; want %s, %s", claims["client_id"], claims["sub"], c.ID, s.UserID)
		}
		if b.TokenType != "DPoP" || rfJKT(t, b.AccessToken) != w.JKT {
			t.Errorf("token_type %q cnf.jkt %q; want DPoP bound to %s", b.TokenType, rfJKT(t, b.AccessToken), w.JKT)
		}
		if b.RefreshToken == "" {
			t.Errorf("response %s; want a refresh_token", b.raw)
		}
	})
}

// TestAuthCodeAuthorizationDetails checks the credentials of the grant:
// narrowing at the token request, a configuration outside the grant, and
// the offer's identifiers for an issuer_state request.
func TestAuthCodeAuthorizationDetails(t *testing.T) {
	s := newAuthFlow(t)
	detail := func(id string) string {
		return `[{"type":"openid_credential","credential_configuration_id":"` + id + `"}]`
	}
	t.Run("narrowed to a subset", func(t *testing.T) {
		w := newWallet(t)
		g := s.acNewCode(t, url.Values{"scope": {pidConfig + " " + mdlConfig}}, nil)
		res := s.afExchange(t, s.ClientID, g.Code, g.PKCE.Verifier, s.freshProof(t, w), url.Values{"authorization_details": {detail(mdlConfig)}})
		b := acWantToken(t, res)
		if len(b.AuthorizationDetails) != 1 || b.AuthorizationDetails[0].CredentialConfigurationID != mdlConfig || len(b.AuthorizationDetails[0].CredentialIdentifiers) != 1 {
			t.Fatalf("authorization_details = %+v; want only %s with its identifier", b.AuthorizationDetails, mdlConfig)
		}
		if got, want := acDetailsJSON(t, rfClaims(t, b.AccessToken)["authorization_details"]), acDetailsJSON(t, b.AuthorizationDetails); !reflect.DeepEqual(got, want) {
			t.Errorf("access token authorization_details = %v; want %v", got, want)
		}
	})
	t.Run("a configuration that was not granted", func(t *testing.T) {
		w := newWallet(t)
		g := s.acNewCode(t, nil, nil) // PID only
		res := s.afExchange(t, s.ClientID, g.Code, g.PKCE.Verifier, s.freshProof(t, w), url.Values{"authorization_details": {detail(mdlConfig)}})
		wantError(t, res, http.StatusBadRequest, "invalid_authorization_details")
		b := s.acRedeem(t, g, w)
		if len(b.AuthorizationDetails) != 1 || b.AuthorizationDetails[0].CredentialConfigurationID != pidConfig {
			t.Errorf("authorization_details = %+v; want PID only", b.AuthorizationDetails)
		}
	})
	t.Run("requested by authorization_details at PAR", func(t *testing.T) {
		w := newWallet(t)
		g := s.acNewCode(t, url.Values{"scope": {""}, "authorization_details": {detail(mdlConfig)}}, nil)
		b := s.acRedeem(t, g, w)
		if len(b.AuthorizationDetails) != 1 || b.AuthorizationDetails[0].CredentialConfigurationID != mdlConfig || len(b.AuthorizationDetails[0].CredentialIdentifiers) != 1 {
			t.Fatalf("authorization_details = %+v; want %s with an identifier", b.AuthorizationDetails, mdlConfig)
		}
	})
	t.Run("issuer_state of an offer", func(t *testing.T) {
		o := s.offer(t, map[string]any{"subject": afUser, "credential_configuration_ids": []string{pidConfig, mdlConfig}, "grants": []string{"authorization_code"}})
		ac := o.CredentialOffer.Grants.AuthorizationCode
		if ac == nil || ac.IssuerState == "" {
			t.Fatalf("offer %+v has no issuer_state", o.CredentialOffer.Grants)
		}
		stored, err := s.Store.GetOffer(t.Context(), o.OfferID)
		if err != nil {
			t.Fatal(err)
		}
		w := newWallet(t)
		g := s.acNewCode(t, url.Values{"scope": {""}, "issuer_state": {ac.IssuerState}}, nil)
		b := s.acRedeem(t, g, w)
		var want []oauth.AuthorizationDetail
		for i, id := range stored.ConfigurationIDs {
			want = append(want, oauth.AuthorizationDetail{Type: "openid_credential", CredentialConfigurationID: id, CredentialIdentifiers: []string{stored.CredentialIdentifiers[i]}})
		}
		if !reflect.DeepEqual(acDetailsJSON(t, b.AuthorizationDetails), acDetailsJSON(t, want)) {
			t.Errorf("authorization_details = %+v; want the offer's %+v", b.AuthorizationDetails, want)
		}
	})
}

// TestAuthCodeUnauthorizedClient: a client registered without the
// authorization_code grant is refused at /token before the code is
// looked at, whether public or confidential.
func TestAuthCodeUnauthorizedClient(t *testing.T) {
	s := newAuthFlow(t)
	g := s.acNewCode(t, nil, nil)
	conf := s.registerClient(t, map[string]any{
		"client_id": "ac-cc-only", "token_endpoint_auth_method": oauth.AuthClientSecretBasic,
		"grant_types": []string{oauth.GrantClientCredentials}, "scope": "read",
	})
	s.afCreateClient(t, map[string]any{"client_id": "ac-pre-only", "token_endpoint_auth_method": "none", "grant_types": []string{preAuth}})
	w := newWallet(t)
	t.Run("public", func(t *testing.T) {
		wantError(t, s.afExchange(t, "ac-pre-only", g.Code, g.PKCE.Verifier, s.freshProof(t, w), nil), http.StatusBadRequest, "unauthorized_client")
	})
	t.Run("confidential", func(t *testing.T) {
		form := acForm("", g)
		form.Del("client_id")
		res := s.post(t, "/token", form, map[string][]string{"DPoP": {s.freshProof(t, w)}, "Authorization": {basicAuth(conf.ID, conf.Secret)}})
		wantError(t, res, http.StatusBadRequest, "unauthorized_client")
	})
	s.acRedeem(t, g, w)
}
