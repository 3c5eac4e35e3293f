package grant_test

import (
	"testing"

	"issuer/dpop"
	"issuer/issuer/grant"
	"issuer/issuer/oauth"
	"issuer/storage"
)

func dpopOptional(c *grant.Config) { c.RequireDPoP = false }

// TestGrantType: B01, B02, B06, B09, OA-34. A missing grant type is
// invalid_request, an unknown one unsupported_grant_type, before the
// client is even authenticated; nothing is stored.
func TestGrantType(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, tc := range []struct {
		name, grantType, code, desc string
	}{
		{"B01 missing", "", oauth.CodeInvalidRequest, "the parameter grant_type is missing"},
		{"B06 unknown URI", "urn:example:unknown", oauth.CodeUnsupportedGrantType, "the grant type is not supported"},
		{"B09 implicit", "implicit", oauth.CodeUnsupportedGrantType, "the grant type is not supported"},
		{"case differs", "Authorization_Code", oauth.CodeUnsupportedGrantType, "the grant type is not supported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := map[string]string{"client_id": conf, "client_secret": "wrong"}
			if tc.grantType != "" {
				p["grant_type"] = tc.grantType
			}
			// A wrong secret: the grant type is checked first.
			e.refused(t, p, tc.code, tc.desc, 0, e.proof(t, e.Key))
		})
	}
}

// TestTypes: grant_types_supported lists the served grants, sorted.
func TestTypes(t *testing.T) {
	t.Parallel()
	want := []string{oauth.GrantAuthorizationCode, oauth.GrantClientCredentials, oauth.GrantPassword,
		oauth.GrantRefreshToken, oauth.GrantPreAuthorizedCode, oauth.GrantUMATicket}
	got := grant.Types()
	if len(got) != len(want) {
		t.Fatalf("Types() = %v; want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Types() = %v; want %v", got, want)
		}
	}
}

// TestWhoMayUseTheGrant: VCI-11, VCI-12, OA-32, B08. Anonymous requests
// only for the pre-authorized code when anonymous access is on; a client
// only for the grant types it registered; client_credentials only for
// confidential clients. Each refusal stores nothing, not even the proof.
func TestWhoMayUseTheGrant(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	closed := newEnv(t, func(c *grant.Config) { c.AnonymousAccess = false })
	e.client(t, storage.Client{ID: "public-cc", AuthMethod: oauth.AuthNone, GrantTypes: []string{oauth.GrantClientCredentials}})

	t.Run("VCI-11 anonymous pre-authorized code", func(t *testing.T) {
		code, _ := e.offerCode(t, false)
		resp := e.mustToken(t, map[string]string{"grant_type": oauth.GrantPreAuthorizedCode, "pre-authorized_code": code}, e.proof(t, e.Key))
		if rec := e.record(t, resp.AccessToken); rec.ClientID != "" || rec.Subject != alice {
			t.Errorf("record = %+v; want alice's and no client", rec)
		}
	})
	t.Run("VCI-12 anonymous access off", func(t *testing.T) {
		code, _ := closed.offerCode(t, false)
		closed.refused(t, map[string]string{"grant_type": oauth.GrantPreAuthorizedCode, "pre-authorized_code": code},
			oauth.CodeInvalidClient, "client authentication is required for the grant type '"+oauth.GrantPreAuthorizedCode+"'", 0, closed.proof(t, closed.Key))
		// The wallet, identified, may.
		closed.mustToken(t, map[string]string{"grant_type": oauth.GrantPreAuthorizedCode, "pre-authorized_code": code, "client_id": wallet}, closed.proof(t, closed.Key))
	})
	for _, gt := range []string{oauth.GrantAuthorizationCode, oauth.GrantRefreshToken, oauth.GrantClientCredentials, oauth.GrantPassword} {
		t.Run("anonymous "+gt, func(t *testing.T) {
			e.refused(t, map[string]string{"grant_type": gt}, oauth.CodeInvalidClient,
				"client authentication is required for the grant type '"+gt+"'", 0, e.proof(t, e.Key))
		})
	}
	t.Run("unauthorized_client: grant not registered", func(t *testing.T) {
		e.refused(t, map[string]string{"grant_type": oauth.GrantPassword, "client_id": wallet, "username": alice, "password": password},
			oauth.CodeUnauthorizedClient, "the client wallet doesn't support the grant type password", 0, e.proof(t, e.Key))
		code, _ := e.offerCode(t, false)
		e.refused(t, confParams(map[string]string{"grant_type": oauth.GrantPreAuthorizedCode, "pre-authorized_code": code}),
			oauth.CodeUnauthorizedClient, "the client conf doesn't support the grant type "+oauth.GrantPreAuthorizedCode, 0, e.proof(t, e.Key))
	})
	t.Run("OA-32 B08 client_credentials from a public client", func(t *testing.T) {
		e.refused(t, map[string]string{"grant_type": oauth.GrantClientCredentials, "client_id": "public-cc"},
			oauth.CodeUnauthorizedClient, "the grant type 'client_credentials' is for confidential clients only", 0, e.proof(t, e.Key))
	})
	t.Run("OA-08 wrong secret", func(t *testing.T) {
		p := confParams(map[string]string{"grant_type": oauth.GrantClientCredentials})
		p["client_secret"] = "wrong"
		e.refused(t, p, oauth.CodeInvalidClient, "", 0, e.proof(t, e.Key))
	})
}

// TestDPoPPolicy: DPOP-01, DPOP-19, DPOP-21, DPOP-24, DPOP-25. Under the
// required policy a request without a proof is invalid_request; under
// the optional one it gets a Bearer token, unless the client registered
// dpop_bound_access_tokens. Two proofs, or a bad one, are
// invalid_dpop_proof. A refusal before the grant runs stores nothing.
func TestDPoPPolicy(t *testing.T) {
	t.Parallel()
	req := newEnv(t)
	opt := newEnv(t, dpopOptional)
	for _, e := range []*env{req, opt} {
		e.client(t, storage.Client{ID: "bound", AuthMethod: oauth.AuthNone, DPoPBound: true, GrantTypes: []string{oauth.GrantPreAuthorizedCode}})
	}
	pre := func(e *env, client string) map[string]string {
		code, _ := e.offerCode(t, false)
		p := map[string]string{"grant_type": oauth.GrantPreAuthorizedCode, "pre-authorized_code": code}
		if client != "" {
			p["client_id"] = client
		}
		return p
	}

	t.Run("required, no proof", func(t *testing.T) {
		req.refused(t, pre(req, ""), oauth.CodeInvalidRequest, "the DPOP Proof is missing", 0)
	})
	t.Run("required, proof", func(t *testing.T) {
		resp := req.mustToken(t, pre(req, ""), req.proof(t, req.Key))
		if rec := req.record(t, resp.AccessToken); rec.JKT != jkt(t, req.Key) || resp.TokenType != "DPoP" {
			t.Errorf("token %s bound to %q; want DPoP bound to the proof's key", resp.TokenType, rec.JKT)
		}
	})
	t.Run("DPOP-21 optional, no proof", func(t *testing.T) {
		resp := opt.mustToken(t, pre(opt, ""))
		if rec := opt.record(t, resp.AccessToken); rec.JKT != "" || resp.TokenType != "Bearer" {
			t.Errorf("token %s bound to %q; want an unbound Bearer token", resp.TokenType, rec.JKT)
		}
	})
	t.Run("DPOP-25 dpop_bound client, no proof", func(t *testing.T) {
		for _, e := range []*env{req, opt} {
			e.refused(t, pre(e, "bound"), oauth.CodeInvalidRequest,
				"the client is registered with dpop_bound_access_tokens and sent no DPoP proof", 0)
		}
		opt.mustToken(t, pre(opt, "bound"), opt.proof(t, opt.Key))
	})
	t.Run("DPOP-01 two proofs", func(t *testing.T) {
		for _, e := range []*env{req, opt} {
			e.refused(t, pre(e, ""), oauth.CodeInvalidDPoPProof, "too many DPoP parameters are passed in the header", 0, e.proof(t, e.Key), e.proof(t, e.Key))
		}
	})
	t.Run("DPOP-10 proof for another URL", func(t *testing.T) {
		for _, e := range []*env{req, opt} {
			other, err := dpop.Sign(e.Key, "ES256", dpop.Claims{Method: "POST", URL: issuerURL + "/par", IssuedAt: e.Clock.Now()})
			if err != nil {
				t.Fatal(err)
			}
			e.refused(t, pre(e, ""), oauth.CodeInvalidDPoPProof, "", 0, other)
			e.refused(t, pre(e, ""), oauth.CodeInvalidDPoPProof, "", 0, "not.a.proof")
		}
	})
	t.Run("DPOP-15 replayed proof", func(t *testing.T) {
		p := req.proof(t, req.Key)
		req.mustToken(t, pre(req, ""), p)
		req.refused(t, pre(req, ""), oauth.CodeInvalidDPoPProof, "", 0, p)
	})
}
