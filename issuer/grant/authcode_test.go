package grant_test

import (
	"testing"
	"time"

	"issuer/issuer/authz"
	"issuer/issuer/oauth"
	"issuer/storage"
)

// TestAuthCodeSuccess: OA-19, DPOP-22, VCI-30. A public client's code
// with its verifier and redirect_uri gives a token bound to the proof's
// key, with the code's subject and details, and a refresh token bound to
// the same key; the code is consumed.
func TestAuthCodeSuccess(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	code := e.authCode(t, wallet, nil)
	resp := e.mustToken(t, codeParams(code), e.proof(t, e.Key))
	rec := e.record(t, resp.AccessToken)
	if rec.Subject != alice || rec.ClientID != wallet || rec.JKT != jkt(t, e.Key) || rec.GrantID != authz.CodeID(code) {
		t.Errorf("access record = %+v", rec)
	}
	if len(resp.AuthorizationDetails) != 1 || resp.AuthorizationDetails[0].CredentialIdentifiers[0] != "i-pid" {
		t.Errorf("authorization_details = %+v; want the code's", resp.AuthorizationDetails)
	}
	if resp.RefreshToken == "" {
		t.Fatal("no refresh token for a client registered for refresh_token")
	}
	if rt := e.refreshRecord(t, resp.RefreshToken); rt.JKT != jkt(t, e.Key) || rt.ClientID != wallet {
		t.Errorf("refresh record = %+v; want the wallet's, bound to the key", rt)
	}
	if c, _ := e.Store.GetAuthCode(t.Context(), authz.CodeID(code)); c.RedeemedAt.IsZero() {
		t.Error("the code is not consumed")
	}
}

// TestAuthCodeRefused: OA-04, OA-15, OA-16, OA-18, PKCE-02, DPOP-38,
// VCI-07. Each rule of the code refuses with its answer; the code is left
// unconsumed (a right request redeems it after), nothing is issued, and
// only the proof's replay key is stored once the code was looked up.
func TestAuthCodeRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	bound := func(c *storage.AuthCode) { c.DPoPJKT = jkt(t, e.Key) }
	for _, tc := range []struct {
		name    string
		mod     func(*storage.AuthCode)
		params  func(p map[string]string)
		advance time.Duration
		code    string
		desc    string
		replays int
		other   bool // the proof is made with e.Other
	}{
		{name: "OA-04 code missing", params: func(p map[string]string) { delete(p, "code") },
			code: oauth.CodeInvalidRequest, desc: "the parameter code is missing"},
		{name: "VCI-07 tx_code", params: func(p map[string]string) { p["tx_code"] = "1234" },
			code: oauth.CodeInvalidRequest, desc: "the parameter tx_code is for the pre-authorized code grant"},
		{name: "unknown code", params: func(p map[string]string) { p["code"] = "no-such-code" },
			code: oauth.CodeInvalidGrant, desc: "the authorization code is not correct", replays: 1},
		{name: "OA-15 another client's code", mod: func(c *storage.AuthCode) { c.ClientID = conf },
			code: oauth.CodeInvalidGrant, desc: "the authorization code has not been issued for the given client id " + wallet, replays: 1},
		{name: "OA-18 expired", advance: time.Minute + time.Second,
			code: oauth.CodeInvalidGrant, desc: "the authorization code is obsolete", replays: 1},
		{name: "OA-16 redirect_uri missing", params: func(p map[string]string) { delete(p, "redirect_uri") },
			code: oauth.CodeInvalidRequest, desc: "the parameter redirect_uri is missing", replays: 1},
		{name: "OA-16 redirect_uri differs", params: func(p map[string]string) { p["redirect_uri"] = redirect + "/x" },
			code: oauth.CodeInvalidGrant, desc: "the redirection url is not the same than the one passed in the authorization request", replays: 1},
		{name: "PKCE verifier missing", params: func(p map[string]string) { delete(p, "code_verifier") },
			code: oauth.CodeInvalidGrant, desc: "the parameter code_verifier is missing", replays: 1},
		{name: "PKCE-02 verifier wrong", params: func(p map[string]string) { p["code_verifier"] = verifier[1:] + "A" },
			code: oauth.CodeInvalidGrant, desc: "code_verifier is invalid", replays: 1},
		{name: "PKCE-01 verifier malformed", params: func(p map[string]string) { p["code_verifier"] = "short" },
			code: oauth.CodeInvalidGrant, desc: "code_verifier is invalid", replays: 1},
		{name: "DPOP-38 dpop_jkt of another key", mod: bound, other: true,
			code: oauth.CodeInvalidGrant, desc: "there is a mismatch between the dpop_jkt and the DPoP proof", replays: 1},
		{name: "attestation instance differs", mod: func(c *storage.AuthCode) { c.AttestationJKT = jkt(t, e.Other) },
			code: oauth.CodeInvalidGrant, desc: "the client attestation is for another wallet instance than the authorization request's", replays: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code := e.authCode(t, wallet, tc.mod)
			p := codeParams(code)
			if tc.params != nil {
				tc.params(p)
			}
			e.Clock.Advance(tc.advance)
			key := e.Key
			if tc.other {
				key = e.Other
			}
			e.refused(t, p, tc.code, tc.desc, tc.replays, e.proof(t, key))
			if c, err := e.Store.GetAuthCode(t.Context(), authz.CodeID(code)); err != nil || !c.RedeemedAt.IsZero() {
				t.Errorf("the refusal consumed the code: %+v, %v", c, err)
			}
		})
	}
}

// TestAuthCodeDPoPJKT: DPOP-38, DPOP-41. A code bound to a key (dpop_jkt)
// needs a proof of that key, even under the optional policy.
func TestAuthCodeDPoPJKT(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dpopOptional)
	e.client(t, storage.Client{ID: "pub", AuthMethod: oauth.AuthNone, GrantTypes: []string{oauth.GrantAuthorizationCode}})
	code := e.authCode(t, "pub", func(c *storage.AuthCode) { c.DPoPJKT = jkt(t, e.Key) })
	p := codeParams(code)
	p["client_id"] = "pub"
	e.refused(t, p, oauth.CodeInvalidGrant, "the authorization code is bound to a DPoP key and the request has no DPoP proof", 0)
	resp := e.mustToken(t, p, e.proof(t, e.Key))
	if rec := e.record(t, resp.AccessToken); rec.JKT != jkt(t, e.Key) {
		t.Errorf("token bound to %q; want the code's key", rec.JKT)
	}
}

// TestAuthCodeReuse: OA-17. A code presented again, with everything else
// right, is refused and revokes every token the first redemption issued,
// the refresh token included; the reuse issues nothing.
func TestAuthCodeReuse(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	code := e.authCode(t, wallet, nil)
	first := e.mustToken(t, codeParams(code), e.proof(t, e.Key))
	e.refused(t, codeParams(code), oauth.CodeInvalidGrant,
		"the authorization code was already used; the tokens issued for it are revoked", 0, e.proof(t, e.Key))
	if rec := e.record(t, first.AccessToken); !rec.Revoked {
		t.Error("the first access token is not revoked")
	}
	if rt := e.refreshRecord(t, first.RefreshToken); !rt.Revoked {
		t.Error("the first refresh token is not revoked")
	}
}

// TestAuthCodeConfidential: DPOP-23, OA-15. A confidential client
// redeems its own code without a proof under the optional policy and
// gets an unbound refresh token; the public wallet cannot redeem it.
func TestAuthCodeConfidential(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dpopOptional)
	code := e.authCode(t, conf, nil)
	p := codeParams(code)
	e.refused(t, p, oauth.CodeInvalidGrant, "the authorization code has not been issued for the given client id "+wallet, 0)
	resp := e.mustToken(t, confParams(p))
	if resp.RefreshToken == "" || resp.TokenType != "Bearer" {
		t.Fatalf("response = %+v; want a Bearer token and a refresh token", resp)
	}
	if rt := e.refreshRecord(t, resp.RefreshToken); rt.JKT != "" || rt.ClientID != conf {
		t.Errorf("refresh record = %+v; want the conf client's, unbound", rt)
	}
}

// TestAuthCodeNoUnboundPublicRefresh: DPOP-22 (BCP-07). Under the optional
// policy a public client that redeems without a proof gets a Bearer token
// and no refresh token: there is no key to bind it to.
func TestAuthCodeNoUnboundPublicRefresh(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dpopOptional)
	resp := e.mustToken(t, codeParams(e.authCode(t, wallet, nil)))
	if resp.TokenType != "Bearer" || resp.RefreshToken != "" {
		t.Errorf("response = %s with refresh %q; want Bearer and no refresh token", resp.TokenType, resp.RefreshToken)
	}
}
