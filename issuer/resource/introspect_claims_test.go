package resource_test

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"issuer/issuer/oauth"
	"issuer/issuer/resource"
	"issuer/issuer/token"
	"issuer/storage"
)

// withClaims is e's server with Config.CredentialClaims set to f, for the
// client rs alone.
func (e *env) withClaims(f func(context.Context, storage.Token) (map[string]any, error)) *resource.Server {
	cfg := e.Cfg
	cfg.CredentialClaims, cfg.ClaimsClients = f, []string{rs}
	return resource.New(cfg, e.Store, e.Auth, e.Mint, e.Proofs, nil)
}

// With CredentialClaims, an active access token's introspection carries
// the claims of its record; a refresh token's and an inactive token's do
// not; a failed lookup fails the introspection.
func TestIntrospectCredentialClaims(t *testing.T) {
	e := newEnv(t)
	var asked []string
	srv := e.withClaims(func(_ context.Context, rec storage.Token) (map[string]any, error) {
		asked = append(asked, rec.ID)
		if rec.Subject == "broken" {
			return nil, oauth.ErrServer(errors.New("store down"))
		}
		return map[string]any{"given_name": "Alice", "of": rec.Subject}, nil
	})
	tok, rec := e.access(t, token.Grant{Subject: aliceID, ClientID: wallet}, oauth.Binding{JKT: "jkt-a"})
	out, err := srv.Introspect(t.Context(), request(rs, tok))
	if want := map[string]any{"given_name": "Alice", "of": aliceID}; err != nil || !reflect.DeepEqual(out.CredentialClaims, want) {
		t.Errorf("Introspect = %+v, %v; want credential_claims %v", out, err, want)
	}
	if !reflect.DeepEqual(asked, []string{rec.ID}) {
		t.Errorf("claims asked for %v; want the token's record %s", asked, rec.ID)
	}
	asked = nil
	// Another client that may introspect is no credential endpoint of the
	// issuer's: it sees the token, never the subject's claims.
	if out, err := srv.Introspect(t.Context(), request(other, tok)); err != nil || !out.Active || out.CredentialClaims != nil || asked != nil {
		t.Errorf("another client: Introspect = %+v, %v (claims asked for %v); want active without credential_claims", out, err, asked)
	}
	rtok, _ := e.refresh(t, token.Grant{Subject: aliceID, ClientID: other}, oauth.Binding{})
	if out, err := srv.Introspect(t.Context(), request(rs, rtok)); err != nil || !out.Active || out.CredentialClaims != nil || asked != nil {
		t.Errorf("refresh token: Introspect = %+v, %v (claims asked for %v); want active without credential_claims", out, err, asked)
	}
	if err := e.Store.RevokeTokens(t.Context(), []string{rec.ID}); err != nil {
		t.Fatal(err)
	}
	if out, err := srv.Introspect(t.Context(), request(rs, tok)); err != nil || !reflect.DeepEqual(out, resource.Introspection{}) || asked != nil {
		t.Errorf("revoked token: Introspect = %+v, %v (claims asked for %v); want {active:false} only", out, err, asked)
	}
	btok, _ := e.access(t, token.Grant{Subject: "broken", ClientID: wallet}, oauth.Binding{})
	out, err = srv.Introspect(t.Context(), request(rs, btok))
	wantError(t, err, oauth.CodeServerError)
	if !reflect.DeepEqual(out, resource.Introspection{}) {
		t.Errorf("failed lookup: Introspect = %+v; want nothing", out)
	}
	// Without CredentialClaims, none.
	tok, _ = e.access(t, token.Grant{Subject: aliceID, ClientID: wallet}, oauth.Binding{})
	if out, err := e.Server.Introspect(t.Context(), request(rs, tok)); err != nil || !out.Active || out.CredentialClaims != nil {
		t.Errorf("default: Introspect = %+v, %v; want no credential_claims", out, err)
	}
}
