package resource_test

import (
	"testing"

	"issuer/issuer/oauth"
	"issuer/issuer/token"
	"issuer/storage"
)

// REV-02: a request without token is invalid_request.
func TestRevokeMissingToken(t *testing.T) {
	e := newEnv(t)
	wantError(t, e.Server.Revoke(t.Context(), request(rs, "")), oauth.CodeInvalidRequest)
}

// A failed client authentication is the authenticator's error, and the
// token stays active.
func TestRevokeAuthFails(t *testing.T) {
	e := newEnv(t)
	tok, rec := e.access(t, token.Grant{Subject: aliceID, ClientID: rs}, oauth.Binding{})
	wantError(t, e.Server.Revoke(t.Context(), request("broken", tok)), oauth.CodeInvalidClient)
	e.unchanged(t, rec)
}

// REV-01: the owner client revokes its access token (only that one) and
// its refresh token; REV-04: the hint is not needed.
func TestRevokeByOwner(t *testing.T) {
	e := newEnv(t)
	at, atRec := e.access(t, token.Grant{Subject: aliceID, ClientID: other, GrantID: "g1"}, oauth.Binding{})
	_, sibling := e.access(t, token.Grant{Subject: aliceID, ClientID: other, GrantID: "g1"}, oauth.Binding{})
	if err := e.Server.Revoke(t.Context(), request(other, at)); err != nil {
		t.Fatalf("Revoke(access) = %v", err)
	}
	if !e.revoked(t, atRec.ID) {
		t.Error("the access token is not revoked")
	}
	if e.revoked(t, sibling.ID) {
		t.Error("revoking an access token revoked another token of its grant")
	}
	rt, rtRec := e.refresh(t, token.Grant{Subject: aliceID, ClientID: other, GrantID: "g2"}, oauth.Binding{})
	if err := e.Server.Revoke(t.Context(), request(other, rt)); err != nil {
		t.Fatalf("Revoke(refresh) = %v", err)
	}
	if !e.revoked(t, rtRec.ID) {
		t.Error("the refresh token is not revoked")
	}
}

// REV-06: revoking a refresh token revokes its grant: the access tokens
// issued from it too; another grant's tokens stay.
func TestRevokeRefreshRevokesGrant(t *testing.T) {
	e := newEnv(t)
	g := token.Grant{Subject: aliceID, ClientID: other, GrantID: "g1"}
	rt, rtRec := e.refresh(t, g, oauth.Binding{})
	_, atRec := e.access(t, g, oauth.Binding{})
	_, otherGrant := e.access(t, token.Grant{Subject: aliceID, ClientID: other, GrantID: "g2"}, oauth.Binding{})
	if err := e.Server.Revoke(t.Context(), request(other, rt)); err != nil {
		t.Fatalf("Revoke = %v", err)
	}
	if !e.revoked(t, rtRec.ID) || !e.revoked(t, atRec.ID) {
		t.Error("the grant's tokens are not all revoked")
	}
	if e.revoked(t, otherGrant.ID) {
		t.Error("another grant's token was revoked")
	}
}

// REV-03 and checklist decision 13: another client's request is a silent
// no-op and the token stays active; without client authentication a
// client's token is invalid_client.
func TestRevokeOnlyByOwner(t *testing.T) {
	cases := []struct {
		name   string
		owner  string
		caller string
		code   string // "" for the silent no-op
	}{
		{"REV-03 another client", other, rs, ""},
		{"REV-03 another client's refresh token", other, rs, ""},
		{"REV-03 no client authentication", other, "", oauth.CodeInvalidClient},
		{"anonymous token, a client asks", "", rs, ""},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			g := token.Grant{Subject: aliceID, ClientID: c.owner, GrantID: "g1"}
			tok, rec := e.access(t, g, oauth.Binding{})
			if i == 1 {
				tok, rec = e.refresh(t, g, oauth.Binding{})
			}
			err := e.Server.Revoke(t.Context(), request(c.caller, tok))
			if c.code == "" {
				if err != nil {
					t.Fatalf("Revoke = %v; want the silent no-op", err)
				}
			} else {
				wantError(t, err, c.code)
			}
			e.unchanged(t, rec)
		})
	}
}

// An anonymous wallet's token is revoked by presenting it alone.
func TestRevokeAnonymous(t *testing.T) {
	e := newEnv(t)
	tok, rec := e.access(t, token.Grant{Subject: aliceID}, oauth.Binding{})
	if err := e.Server.Revoke(t.Context(), request("", tok)); err != nil {
		t.Fatalf("Revoke = %v", err)
	}
	if !e.revoked(t, rec.ID) {
		t.Error("the anonymous token is not revoked")
	}
}

// An attested wallet's refresh token is revoked only by the instance it
// is bound to; another instance of the same wallet is a silent no-op.
func TestRevokeAttestedInstance(t *testing.T) {
	t.Run("refresh token", func(t *testing.T) {
		e := newEnv(t)
		g := token.Grant{Subject: aliceID, ClientID: attested, GrantID: "g1"}
		tok, rec := e.refresh(t, g, oauth.Binding{Instance: "instance-a"})
		revokeByInstances(t, e, tok, rec)
	})
	t.Run("access token", func(t *testing.T) {
		e := newEnv(t)
		g := token.Grant{Subject: aliceID, ClientID: attested, GrantID: "g2"}
		tok, rec := e.access(t, g, oauth.Binding{JKT: "jkt-a", Instance: "instance-a"})
		revokeByInstances(t, e, tok, rec)
	})
}

// revokeByInstances: another instance of the wallet revokes nothing; the
// token's own instance revokes it.
func revokeByInstances(t *testing.T, e *env, tok string, rec storage.Token) {
	t.Helper()
	e.Auth.Binding = oauth.Binding{Instance: "instance-b"}
	if err := e.Server.Revoke(t.Context(), request(attested, tok)); err != nil {
		t.Fatalf("Revoke by another instance = %v", err)
	}
	e.unchanged(t, rec)
	e.Auth.Binding = oauth.Binding{Instance: "instance-a"}
	if err := e.Server.Revoke(t.Context(), request(attested, tok)); err != nil {
		t.Fatalf("Revoke by the instance = %v", err)
	}
	if !e.revoked(t, rec.ID) {
		t.Error("the instance's token is not revoked")
	}
}

// REV-05: unknown, malformed and already revoked tokens answer success.
func TestRevokeNoOracle(t *testing.T) {
	e := newEnv(t)
	for _, tok := range []string{"unknown", "a.b.c", "eyJhbGciOiJub25lIn0.e30."} {
		if err := e.Server.Revoke(t.Context(), request(rs, tok)); err != nil {
			t.Errorf("Revoke(%q) = %v; want success", tok, err)
		}
	}
	tok, rec := e.access(t, token.Grant{Subject: aliceID, ClientID: rs}, oauth.Binding{})
	for i := range 2 {
		if err := e.Server.Revoke(t.Context(), request(rs, tok)); err != nil {
			t.Errorf("Revoke #%d = %v", i, err)
		}
	}
	if !e.revoked(t, rec.ID) {
		t.Error("not revoked")
	}
}
