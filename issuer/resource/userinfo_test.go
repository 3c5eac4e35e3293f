package resource_test

import (
	"crypto"
	"reflect"
	"testing"
	"time"

	"issuer/dpop"
	"issuer/issuer/oauth"
	"issuer/issuer/proof"
	"issuer/issuer/resource"
	"issuer/issuer/token"
)

// bound issues a DPoP-bound access token of alice with scope, bound to key.
func (e *env) bound(t testing.TB, key crypto.Signer, scope string) string {
	t.Helper()
	tok, _ := e.access(t, token.Grant{Subject: aliceID, ClientID: wallet, Scope: scope}, oauth.Binding{JKT: thumbprint(t, key)})
	return tok
}

// proofFor signs a proof of key for GET /userinfo with the ath of tok,
// changed by mod.
func (e *env) proofFor(t testing.TB, key crypto.Signer, tok string, mod func(*dpop.Claims)) string {
	t.Helper()
	c := dpop.Claims{Method: "GET", URL: userInfoURL, AccessToken: tok, IssuedAt: e.Clock.Now()}
	if mod != nil {
		mod(&c)
	}
	p, err := dpop.Sign(key, "ES256", c)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func userInfo(auth string, proofs ...string) resource.AccessRequest {
	r := resource.AccessRequest{Method: "GET", DPoP: proofs}
	if auth != "" {
		r.Authorization = []string{auth}
	}
	return r
}

var wantAlice = map[string]any{"sub": aliceID, "given_name": "Alice"}

// DPOP-45: a DPoP-bound token with a proof of its key and ath answers the
// user's claims; the proof's jti is recorded, so a replay is
// invalid_dpop_proof (DPOP-15).
func TestUserInfoDPoP(t *testing.T) {
	e := newEnv(t)
	key := newKey(t)
	tok := e.bound(t, key, "openid")
	p := e.proofFor(t, key, tok, nil)
	got, err := e.Server.UserInfo(t.Context(), userInfo("DPoP "+tok, p))
	if err != nil {
		t.Fatalf("UserInfo = %v", err)
	}
	if !reflect.DeepEqual(got, wantAlice) {
		t.Errorf("UserInfo = %v; want %v", got, wantAlice)
	}
	_, err = e.Server.UserInfo(t.Context(), userInfo("DPoP "+tok, p))
	ch := wantError(t, err, oauth.CodeInvalidDPoPProof).Challenge
	if ch == nil || ch.Scheme != oauth.SchemeDPoP {
		t.Errorf("challenge = %+v; want DPoP", ch)
	}
}

// The refusals of a DPoP-bound token, each with its code and the DPoP
// challenge (DPOP-46).
func TestUserInfoDPoPRefused(t *testing.T) {
	key, keyB := newKey(t), newKey(t)
	cases := []struct {
		name string
		req  func(e *env, tok string) resource.AccessRequest
		code string
	}{
		{"DPOP-44 Bearer scheme", func(e *env, tok string) resource.AccessRequest {
			return userInfo("Bearer "+tok, e.proofFor(t, key, tok, nil))
		}, oauth.CodeInvalidToken},
		{"DPOP-45 no proof", func(e *env, tok string) resource.AccessRequest {
			return userInfo("DPoP " + tok)
		}, oauth.CodeInvalidToken},
		{"DPOP-01 two proofs", func(e *env, tok string) resource.AccessRequest {
			return userInfo("DPoP "+tok, e.proofFor(t, key, tok, nil), e.proofFor(t, key, tok, nil))
		}, oauth.CodeInvalidDPoPProof},
		{"DPOP-45 proof of another key", func(e *env, tok string) resource.AccessRequest {
			return userInfo("DPoP "+tok, e.proofFor(t, keyB, tok, nil))
		}, oauth.CodeInvalidToken},
		{"DPOP-18 no ath", func(e *env, tok string) resource.AccessRequest {
			return userInfo("DPoP "+tok, e.proofFor(t, key, tok, func(c *dpop.Claims) { c.AccessToken = "" }))
		}, oauth.CodeInvalidDPoPProof},
		{"DPOP-18 ath of another token", func(e *env, tok string) resource.AccessRequest {
			return userInfo("DPoP "+tok, e.proofFor(t, key, tok, func(c *dpop.Claims) { c.AccessToken = "x" }))
		}, oauth.CodeInvalidDPoPProof},
		{"DPOP-10 htu of the token endpoint", func(e *env, tok string) resource.AccessRequest {
			return userInfo("DPoP "+tok, e.proofFor(t, key, tok, func(c *dpop.Claims) { c.URL = issuerURL + "/token" }))
		}, oauth.CodeInvalidDPoPProof},
		{"DPOP-09 htm POST on a GET", func(e *env, tok string) resource.AccessRequest {
			return userInfo("DPoP "+tok, e.proofFor(t, key, tok, func(c *dpop.Claims) { c.Method = "POST" }))
		}, oauth.CodeInvalidDPoPProof},
		{"DPOP-47 two Authorization headers", func(e *env, tok string) resource.AccessRequest {
			r := userInfo("DPoP "+tok, e.proofFor(t, key, tok, nil))
			r.Authorization = append(r.Authorization, "Bearer "+tok)
			return r
		}, oauth.CodeInvalidRequest},
		{"unknown scheme", func(e *env, tok string) resource.AccessRequest {
			return userInfo("Basic "+tok, e.proofFor(t, key, tok, nil))
		}, oauth.CodeInvalidToken},
		{"no token after the scheme", func(e *env, tok string) resource.AccessRequest {
			return userInfo("DPoP ", e.proofFor(t, key, tok, nil))
		}, oauth.CodeInvalidToken},
		{"forged token", func(e *env, tok string) resource.AccessRequest {
			return userInfo("DPoP "+tok+"x", e.proofFor(t, key, tok+"x", nil))
		}, oauth.CodeInvalidToken},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			tok := e.bound(t, key, "openid")
			got, err := e.Server.UserInfo(t.Context(), c.req(e, tok))
			if got != nil {
				t.Errorf("UserInfo = %v on a refusal", got)
			}
			ee := wantError(t, err, c.code)
			if c.code != oauth.CodeInvalidRequest && (ee.Challenge == nil || ee.Challenge.Scheme != oauth.SchemeDPoP || ee.Challenge.Code != c.code) {
				t.Errorf("challenge = %+v; want DPoP %s", ee.Challenge, c.code)
			}
		})
	}
}

// DPOP-46, DPOP-47: no Authorization at all is a DPoP challenge with no
// error and the algs.
func TestUserInfoNoToken(t *testing.T) {
	e := newEnv(t)
	_, err := e.Server.UserInfo(t.Context(), userInfo(""))
	ch := wantError(t, err, oauth.CodeInvalidRequest).Challenge
	if ch == nil || ch.Scheme != oauth.SchemeDPoP || ch.Code != "" || len(ch.Algs) == 0 {
		t.Errorf("challenge = %+v; want DPoP with algs and no error", ch)
	}
}

// Expired or revoked tokens are invalid_token.
func TestUserInfoInactive(t *testing.T) {
	e := newEnv(t)
	key := newKey(t)
	tok := e.bound(t, key, "openid")
	e.Clock.Advance(e.Def.Tokens.AccessTokenTTL + time.Second)
	_, err := e.Server.UserInfo(t.Context(), userInfo("DPoP "+tok, e.proofFor(t, key, tok, nil)))
	wantError(t, err, oauth.CodeInvalidToken)

	e = newEnv(t)
	tok, rec := e.access(t, token.Grant{Subject: aliceID, ClientID: wallet, Scope: "openid"}, oauth.Binding{JKT: thumbprint(t, key)})
	if err := e.Store.RevokeTokens(t.Context(), []string{rec.ID}); err != nil {
		t.Fatal(err)
	}
	_, err = e.Server.UserInfo(t.Context(), userInfo("DPoP "+tok, e.proofFor(t, key, tok, nil)))
	wantError(t, err, oauth.CodeInvalidToken)
}

// A token without the openid scope is insufficient_scope naming openid;
// a token whose user is gone is invalid_token.
func TestUserInfoScopeAndUser(t *testing.T) {
	e := newEnv(t)
	key := newKey(t)
	tok := e.bound(t, key, "eu.europa.ec.eudi.pid_vc_sd_jwt")
	_, err := e.Server.UserInfo(t.Context(), userInfo("DPoP "+tok, e.proofFor(t, key, tok, nil)))
	if ch := wantError(t, err, oauth.CodeInsufficientScope).Challenge; ch == nil || ch.Scope != oauth.ScopeOpenID {
		t.Errorf("challenge = %+v; want scope openid", ch)
	}
	tok, _ = e.access(t, token.Grant{Subject: "gone", ClientID: wallet, Scope: "openid"}, oauth.Binding{JKT: thumbprint(t, key)})
	_, err = e.Server.UserInfo(t.Context(), userInfo("DPoP "+tok, e.proofFor(t, key, tok, nil)))
	wantError(t, err, oauth.CodeInvalidToken)
}

// An unbound token is used with Bearer (any case) and no proof; under the
// DPoP scheme it is invalid_token with a Bearer challenge.
func TestUserInfoBearer(t *testing.T) {
	e := newEnv(t)
	tok, _ := e.access(t, token.Grant{Subject: aliceID, ClientID: wallet, Scope: "openid"}, oauth.Binding{})
	for _, scheme := range []string{"Bearer ", "bearer "} {
		got, err := e.Server.UserInfo(t.Context(), userInfo(scheme+tok))
		if err != nil || !reflect.DeepEqual(got, wantAlice) {
			t.Errorf("UserInfo(%q) = %v, %v", scheme, got, err)
		}
	}
	key := newKey(t)
	_, err := e.Server.UserInfo(t.Context(), userInfo("DPoP "+tok, e.proofFor(t, key, tok, nil)))
	if ch := wantError(t, err, oauth.CodeInvalidToken).Challenge; ch == nil || ch.Scheme != oauth.SchemeBearer {
		t.Errorf("challenge = %+v; want Bearer", ch)
	}
}

// DPOP-35: with server nonces on, a proof without a nonce is
// use_dpop_nonce with a fresh nonce on the error, and the retry with it
// passes.
func TestUserInfoNonce(t *testing.T) {
	e := newEnv(t, func(c *proof.Config) { c.UseNonce = true })
	key := newKey(t)
	tok := e.bound(t, key, "openid")
	_, err := e.Server.UserInfo(t.Context(), userInfo("DPoP "+tok, e.proofFor(t, key, tok, nil)))
	ee := wantError(t, err, oauth.CodeUseDPoPNonce)
	if ee.DPoPNonce == "" || ee.Challenge == nil || ee.Challenge.Code != oauth.CodeUseDPoPNonce {
		t.Fatalf("error = %+v; want a nonce and a use_dpop_nonce challenge", ee)
	}
	p := e.proofFor(t, key, tok, func(c *dpop.Claims) { c.Nonce = ee.DPoPNonce })
	if _, err := e.Server.UserInfo(t.Context(), userInfo("DPoP "+tok, p)); err != nil {
		t.Fatalf("retry = %v", err)
	}
}
