package web_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"testing"
	"time"

	"issuer/issuer"
	"issuer/issuer/oauth"
)

// The external credential endpoint mode: with credential_endpoint set to
// the issuer's own URL, /credential is not served and introspection gives
// that endpoint, an authenticated resource-server client, what it needs
// to issue: authorization_details with the credential identifiers, sub,
// cnf, client_id, and the claims under credential_claims.

const icEndpoint = "https://credentials.example.com/credential"

// icExternal is the mode: a credential endpoint of the issuer's own, the
// client credential-endpoint (icResourceServer), which alone may see the
// subjects' claims.
func icExternal(c *issuer.Config) {
	c.CredentialEndpoint = icEndpoint
	c.Credential.IntrospectionClients = []string{"credential-endpoint"}
}

// icResourceServer registers the issuer's credential endpoint as a client
// that authenticates with a secret, and returns how it authenticates.
func icResourceServer(t testing.TB, ts *testServer) rvCaller {
	t.Helper()
	c := ts.registerClient(t, map[string]any{"client_id": "credential-endpoint", "token_endpoint_auth_method": oauth.AuthClientSecretBasic,
		"grant_types": []string{"client_credentials"}})
	c.Method = oauth.AuthClientSecretBasic
	return rvAs(c)
}

// icJSON is v as it travels in JSON.
func icJSON(t testing.TB, v any) any {
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

// icWantIssuable asserts what an active access token's introspection
// gives the credential endpoint: sub, cnf.jkt, client_id (none when ""),
// the token response's authorization_details and, when claims is not
// nil, credential_claims equal to it (none when nil).
func icWantIssuable(t testing.TB, m map[string]any, sub, jkt, clientID string, details []oauth.AuthorizationDetail, claims map[string]any) {
	t.Helper()
	if m["active"] != true || m["sub"] != sub {
		t.Fatalf("introspection %v; want active with sub %s", m, sub)
	}
	if cnf, _ := m["cnf"].(map[string]any); cnf["jkt"] != jkt {
		t.Errorf("cnf = %v; want jkt %s", m["cnf"], jkt)
	}
	if got, ok := m["client_id"]; clientID == "" && ok || clientID != "" && got != clientID {
		t.Errorf("client_id = %v; want %q (none when empty)", got, clientID)
	}
	if got, want := m["authorization_details"], icJSON(t, details); len(details) > 0 && !reflect.DeepEqual(got, want) {
		t.Errorf("authorization_details = %v; want the token response's %v", got, want)
	}
	got, ok := m["credential_claims"]
	switch {
	case claims == nil && ok:
		t.Errorf("credential_claims = %v; want none", got)
	case claims != nil && !reflect.DeepEqual(got, icJSON(t, claims)):
		t.Errorf("credential_claims = %v; want %v", got, claims)
	}
}

// TestIntrospectCredentialClaims: in the external mode the introspection
// of an active access token carries the grant's claims: the offer's for a
// pre-authorized code, the user's for the authorization code flow; not in
// the default mode.
func TestIntrospectCredentialClaims(t *testing.T) {
	t.Run("external mode, pre-authorized code: the offer's claims", func(t *testing.T) {
		ts := newTestServer(t, icExternal)
		rs := icResourceServer(t, ts)
		h := ts.crHolderFor(t, "erika", nil)
		if len(h.Token.AuthorizationDetails) != 2 || len(h.Token.AuthorizationDetails[0].CredentialIdentifiers) == 0 {
			t.Fatalf("token authorization_details %+v; want two with identifiers", h.Token.AuthorizationDetails)
		}
		icWantIssuable(t, rvIntrospect(t, ts, h.AT, rs), "erika", h.wallet.JKT, "", h.Token.AuthorizationDetails, crPIDClaims())
		// Our credential endpoint is not served.
		res := ts.crRequest(t, h, crBody(h.identifier(t, pidConfig), ts.crFreshProof(t, crNewKey(t))))
		if body := readBody(t, res); res.StatusCode != http.StatusNotFound {
			t.Errorf("POST /credential = %d %s; want 404 in the external mode", res.StatusCode, body)
		}
	})
	t.Run("external mode, authorization code: the user's claims", func(t *testing.T) {
		s := newAuthFlow(t, icExternal)
		rs := icResourceServer(t, s.testServer)
		w := newWallet(t)
		tok := s.acRedeemAs(t, w, afUser, afPassword, pidConfig)
		icWantIssuable(t, rvIntrospect(t, s.testServer, tok.AccessToken, rs), s.UserID, w.JKT, s.ClientID, tok.AuthorizationDetails,
			map[string]any{"given_name": "Alice"})
	})
	t.Run("external mode, another client that may introspect: no credential_claims", func(t *testing.T) {
		ts := newTestServer(t, icExternal)
		partner := ts.registerClient(t, map[string]any{"client_id": "unrelated-partner", "token_endpoint_auth_method": oauth.AuthClientSecretBasic,
			"grant_types": []string{"client_credentials"}})
		partner.Method = oauth.AuthClientSecretBasic
		h := ts.crHolderFor(t, "erika", nil)
		icWantIssuable(t, rvIntrospect(t, ts, h.AT, rvAs(partner)), "erika", h.wallet.JKT, "", h.Token.AuthorizationDetails, nil)
	})
	t.Run("external mode, a subject without claims: no credential_claims", func(t *testing.T) {
		ts := newTestServer(t, icExternal)
		rs := icResourceServer(t, ts)
		w := newWallet(t)
		tok := wantToken(t, ts.redeem(t, code(ts.offer(t, map[string]any{"subject": "nobody"})), rvProof(t, ts, w), nil))
		icWantIssuable(t, rvIntrospect(t, ts, tok.AccessToken, rs), "nobody", w.JKT, "", nil, nil)
	})
	t.Run("default mode: no credential_claims", func(t *testing.T) {
		ts := newTestServer(t)
		rs := icResourceServer(t, ts)
		h := ts.crHolderFor(t, "erika", nil)
		icWantIssuable(t, rvIntrospect(t, ts, h.AT, rs), "erika", h.wallet.JKT, "", h.Token.AuthorizationDetails, nil)
		s := newAuthFlow(t)
		rs = icResourceServer(t, s.testServer)
		w := newWallet(t)
		tok := s.acRedeemAs(t, w, afUser, afPassword, pidConfig)
		icWantIssuable(t, rvIntrospect(t, s.testServer, tok.AccessToken, rs), s.UserID, w.JKT, s.ClientID, tok.AuthorizationDetails, nil)
	})
}

// TestIntrospectCredentialClaimsInactive: an expired or revoked token is
// {"active":false} and nothing else in the external mode too; a client
// that may not introspect learns nothing.
func TestIntrospectCredentialClaimsInactive(t *testing.T) {
	ts := newTestServer(t, icExternal)
	rs := icResourceServer(t, ts)
	wantInactive := func(t *testing.T, tok string) {
		t.Helper()
		if m := rvIntrospect(t, ts, tok, rs); len(m) != 1 || m["active"] != false {
			t.Errorf("introspection = %v; want exactly {\"active\":false}", m)
		}
	}
	t.Run("revoked", func(t *testing.T) {
		h := ts.crHolderFor(t, "erika", nil)
		rvRevoke(t, ts, h.AT, rvAnon, nil)
		wantInactive(t, h.AT)
	})
	t.Run("expired", func(t *testing.T) {
		h := ts.crHolderFor(t, "erika", nil)
		ts.Clock.Advance(6 * time.Minute) // access tokens live 5 minutes
		wantInactive(t, h.AT)
	})
	t.Run("a public client may not introspect", func(t *testing.T) {
		h := ts.crHolderFor(t, "erika", nil)
		pub := ts.registerClient(t, map[string]any{"client_id": "public-wallet", "token_endpoint_auth_method": oauth.AuthNone, "grant_types": []string{preAuth}})
		pub.Method = oauth.AuthNone
		wantError(t, rvSend(t, ts, "/introspect", h.AT, rvAs(pub), nil), http.StatusUnauthorized, "invalid_client")
	})
}
