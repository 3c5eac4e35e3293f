package grant_test

import (
	"testing"
	"time"

	"issuer/issuer/oauth"
)

// TestClientCredentials: OA-32, OA-33, OA-35. The token's subject is the
// client; its scope is the requested one, each value registered, or all
// the client registered; no refresh token. A scope not registered or
// malformed is invalid_scope and issues nothing.
func TestClientCredentials(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, tc := range []struct{ scope, want string }{
		{"", "read write admin"},
		{"write", "write"},
		{"read read write", "read write"},
	} {
		p := confParams(map[string]string{"grant_type": oauth.GrantClientCredentials})
		if tc.scope != "" {
			p["scope"] = tc.scope
		}
		resp := e.mustToken(t, p, e.proof(t, e.Key))
		rec := e.record(t, resp.AccessToken)
		if rec.Scope != tc.want || rec.Subject != conf || rec.ClientID != conf || resp.RefreshToken != "" {
			t.Errorf("scope %q: record %+v, refresh %q; want scope %q for conf and no refresh token", tc.scope, rec, resp.RefreshToken, tc.want)
		}
	}
	for _, tc := range []struct{ scope, desc string }{
		{"read openid", "unauthorized to scopes : openid"},
		{"read \"x", "the scope parameter is malformed"},
	} {
		p := confParams(map[string]string{"grant_type": oauth.GrantClientCredentials, "scope": tc.scope})
		e.refused(t, p, oauth.CodeInvalidScope, tc.desc, 0, e.proof(t, e.Key))
	}
}

func passwordParams(username, pw string) map[string]string {
	return confParams(map[string]string{"grant_type": oauth.GrantPassword, "username": username, "password": pw})
}

// TestPassword: OA-31. Right credentials give alice's token and a refresh
// token; a missing parameter is invalid_request; a wrong password and an
// unknown user get the same invalid_grant, and store only the proof.
func TestPassword(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	resp := e.mustToken(t, passwordParams(alice, password), e.proof(t, e.Key))
	if rec := e.record(t, resp.AccessToken); rec.ClientID != conf || rec.Scope != "read write admin" || rec.GrantID == "" || resp.RefreshToken == "" {
		t.Errorf("record %+v, refresh %q", rec, resp.RefreshToken)
	}
	e.refused(t, passwordParams("", password), oauth.CodeInvalidRequest, "the parameter username is missing", 0, e.proof(t, e.Key))
	e.refused(t, passwordParams(alice, ""), oauth.CodeInvalidRequest, "the parameter password is missing", 0, e.proof(t, e.Key))
	e.refused(t, passwordParams(alice, "wrong"), oauth.CodeInvalidGrant, "the username or password is invalid", 1, e.proof(t, e.Key))
	e.refused(t, passwordParams("bob", password), oauth.CodeInvalidGrant, "the username or password is invalid", 1, e.proof(t, e.Key))
	p := passwordParams(alice, password)
	p["scope"] = "admin root"
	e.refused(t, p, oauth.CodeInvalidScope, "unauthorized to scopes : root", 0, e.proof(t, e.Key))
}

// TestPasswordDelays: OA-13, OA-31 (C04). Failed sign-ins of a username
// through a client delay the next ones, right password included, with
// the wait in the description, until the clock has moved on.
func TestPasswordDelays(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for range 5 {
		e.refused(t, passwordParams(alice, "wrong"), oauth.CodeInvalidGrant, "the username or password is invalid", 1, e.proof(t, e.Key))
	}
	before := e.Store.writes()
	_, err := e.token(t, passwordParams(alice, password), e.proof(t, e.Key))
	if oe := wantError(t, err, oauth.CodeInvalidGrant, "too many failed sign-ins; try again in 1 second"); oe.RetryAfter <= 0 {
		t.Errorf("the delay has no Retry-After: %+v", oe)
	}
	if w := e.Store.writes(); w.Issued != before.Issued {
		t.Errorf("a delayed sign-in issued tokens")
	}
	e.Clock.Advance(time.Second)
	e.mustToken(t, passwordParams(alice, password), e.proof(t, e.Key))
}
