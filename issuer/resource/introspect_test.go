package resource_test

import (
	"reflect"
	"testing"
	"time"

	"issuer/issuer/oauth"
	"issuer/issuer/resource"
	"issuer/issuer/token"
)

// INT-02, INT-05: introspection is for clients that authenticate with a
// secret: no client, a public client or a wallet attestation is
// invalid_client; a missing token invalid_request.
func TestIntrospectRefused(t *testing.T) {
	cases := []struct {
		name, client, tok, code string
	}{
		{"INT-01 no token", rs, "", oauth.CodeInvalidRequest},
		{"INT-02 no client", "", "tok", oauth.CodeInvalidClient},
		{"INT-02 public client", wallet, "tok", oauth.CodeInvalidClient},
		{"INT-02 wallet attestation", attested, "tok", oauth.CodeInvalidClient},
		{"INT-05 authentication fails", "broken", "tok", oauth.CodeInvalidClient},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			tok := c.tok
			if tok != "" {
				tok, _ = e.access(t, token.Grant{Subject: aliceID, ClientID: wallet, Scope: "openid"}, oauth.Binding{})
			}
			out, err := e.Server.Introspect(t.Context(), request(c.client, tok))
			wantError(t, err, c.code)
			if !reflect.DeepEqual(out, resource.Introspection{}) {
				t.Errorf("Introspect = %+v on a refusal", out)
			}
		})
	}
}

// DPOP-27, DPOP-28, INT-07: a DPoP-bound access token is active with
// token_type DPoP and cnf.jkt, without a proof; INT-03 the members.
func TestIntrospectDPoP(t *testing.T) {
	e := newEnv(t)
	tok, rec := e.access(t, token.Grant{Subject: aliceID, ClientID: wallet, Scope: "openid pid"}, oauth.Binding{JKT: "jkt-a"})
	out, err := e.Server.Introspect(t.Context(), request(rs, tok))
	if err != nil {
		t.Fatal(err)
	}
	want := resource.Introspection{
		Active: true, Scope: "openid pid", ClientID: wallet, TokenType: "DPoP", Exp: rec.ExpiresAt.Unix(),
		Iat: rec.IssuedAt.Unix(), Sub: aliceID, Aud: issuerURL, Iss: issuerURL, Jti: rec.ID,
		Cnf: &token.Cnf{JKT: "jkt-a"},
	}
	if !reflect.DeepEqual(out, want) {
		t.Errorf("Introspect =\n %+v\nwant\n %+v", out, want)
	}
}

// An unbound access token is Bearer without cnf; INT-09 an anonymous one
// has no client_id.
func TestIntrospectBearerAnonymous(t *testing.T) {
	e := newEnv(t)
	tok, _ := e.access(t, token.Grant{Subject: aliceID}, oauth.Binding{})
	out, err := e.Server.Introspect(t.Context(), request(rs, tok))
	if err != nil {
		t.Fatal(err)
	}
	if !out.Active || out.TokenType != "Bearer" || out.Cnf != nil || out.ClientID != "" {
		t.Errorf("Introspect = %+v; want active Bearer, no cnf, no client_id", out)
	}
}

// A refresh token is active with no token_type, aud or cnf.
func TestIntrospectRefresh(t *testing.T) {
	e := newEnv(t)
	tok, rec := e.refresh(t, token.Grant{Subject: aliceID, ClientID: other, Scope: "openid"}, oauth.Binding{})
	out, err := e.Server.Introspect(t.Context(), request(rs, tok))
	if err != nil {
		t.Fatal(err)
	}
	if !out.Active || out.Jti != rec.ID || out.TokenType != "" || out.Aud != "" || out.Cnf != nil {
		t.Errorf("Introspect = %+v", out)
	}
}

// INT-04: an expired, revoked or unknown token is {"active":false} and
// nothing else.
func TestIntrospectInactive(t *testing.T) {
	cases := []struct {
		name string
		tok  func(t *testing.T, e *env) string
	}{
		{"unknown", func(*testing.T, *env) string { return "unknown" }},
		{"expired access token", func(t *testing.T, e *env) string {
			tok, _ := e.access(t, token.Grant{Subject: aliceID, ClientID: wallet}, oauth.Binding{JKT: "j"})
			e.Clock.Advance(e.Def.Tokens.AccessTokenTTL + time.Second)
			return tok
		}},
		{"revoked access token", func(t *testing.T, e *env) string {
			tok, rec := e.access(t, token.Grant{Subject: aliceID, ClientID: wallet}, oauth.Binding{JKT: "j"})
			if err := e.Store.RevokeTokens(t.Context(), []string{rec.ID}); err != nil {
				t.Fatal(err)
			}
			return tok
		}},
		{"REV-06 access token of a revoked grant", func(t *testing.T, e *env) string {
			g := token.Grant{Subject: aliceID, ClientID: other, GrantID: "g1"}
			rt, _ := e.refresh(t, g, oauth.Binding{})
			tok, _ := e.access(t, g, oauth.Binding{})
			if err := e.Server.Revoke(t.Context(), request(other, rt)); err != nil {
				t.Fatal(err)
			}
			return tok
		}},
		{"expired refresh token", func(t *testing.T, e *env) string {
			tok, _ := e.refresh(t, token.Grant{Subject: aliceID, ClientID: other}, oauth.Binding{})
			e.Clock.Advance(e.Def.Tokens.RefreshTokenTTL + time.Second)
			return tok
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			out, err := e.Server.Introspect(t.Context(), request(rs, c.tok(t, e)))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(out, resource.Introspection{}) {
				t.Errorf("Introspect = %+v; want only active:false", out)
			}
		})
	}
}

// REV-09, INT-06: a client may look up 100 unknown tokens a minute; the
// next is invalid_request with a Retry-After, known tokens do not count,
// other clients are not blocked, and a minute later the client may look
// again. Revocation shares the count.
func TestScanLimit(t *testing.T) {
	e := newEnv(t)
	known, _ := e.access(t, token.Grant{Subject: aliceID, ClientID: wallet}, oauth.Binding{JKT: "j"})
	for i := range 100 {
		if _, err := e.Server.Introspect(t.Context(), request(rs, "unknown")); err != nil {
			t.Fatalf("lookup #%d = %v", i, err)
		}
		if i%10 == 0 {
			if out, err := e.Server.Introspect(t.Context(), request(rs, known)); err != nil || !out.Active {
				t.Fatalf("known lookup = %+v, %v", out, err)
			}
		}
	}
	_, err := e.Server.Introspect(t.Context(), request(rs, known))
	if ee := wantError(t, err, oauth.CodeInvalidRequest); ee.RetryAfter <= 0 {
		t.Errorf("RetryAfter = %v; want a wait", ee.RetryAfter)
	}
	wantError(t, e.Server.Revoke(t.Context(), request(rs, known)), oauth.CodeInvalidRequest)
	if _, err := e.Server.Introspect(t.Context(), request(other, known)); err != nil {
		t.Errorf("another client is blocked: %v", err)
	}
	e.Clock.Advance(time.Minute + time.Second)
	if out, err := e.Server.Introspect(t.Context(), request(rs, known)); err != nil || !out.Active {
		t.Errorf("after the window: %+v, %v", out, err)
	}
}
