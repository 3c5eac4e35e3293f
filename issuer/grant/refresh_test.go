package grant_test

import (
	"testing"

	"issuer/issuer/grant"
	"issuer/issuer/oauth"
	"issuer/storage"
)

func refreshParams(client, rt string) map[string]string {
	return map[string]string{"grant_type": oauth.GrantRefreshToken, "client_id": client, "refresh_token": rt}
}

// walletRefresh is a refresh token of the public wallet, bound to e.Key.
func (e *env) walletRefresh(t testing.TB) string {
	t.Helper()
	return e.mustToken(t, codeParams(e.authCode(t, wallet, nil)), e.proof(t, e.Key)).RefreshToken
}

// confRefresh is a refresh token of the confidential client for the
// scope "read write", unbound.
func (e *env) confRefresh(t testing.TB) string {
	t.Helper()
	code := e.authCode(t, conf, func(c *storage.AuthCode) { c.Scope = "read write" })
	return e.mustToken(t, confParams(codeParams(code)), e.proof(t, e.Key)).RefreshToken
}

// TestRefreshSuccess: OA-26, DPOP-22, DPOP-23. A public client's refresh
// token works with a proof of its key and gives a token bound to it; a
// confidential client's is bound through its authentication and its
// scope can be narrowed, never widened.
func TestRefreshSuccess(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rt := e.walletRefresh(t)
	resp := e.mustToken(t, refreshParams(wallet, rt), e.proof(t, e.Key))
	if rec := e.record(t, resp.AccessToken); rec.JKT != jkt(t, e.Key) || rec.Subject != alice || rec.ClientID != wallet {
		t.Errorf("access record = %+v", rec)
	}
	if resp.RefreshToken != "" {
		t.Errorf("a refresh without rotation returned a refresh token")
	}

	crt := e.confRefresh(t)
	p := confParams(refreshParams(conf, crt))
	p["scope"] = "read"
	if got := e.mustToken(t, p, e.proof(t, e.Other)); e.record(t, got.AccessToken).Scope != "read" {
		t.Errorf("narrowed scope = %q; want read", e.record(t, got.AccessToken).Scope)
	}
	delete(p, "scope")
	if got := e.mustToken(t, p, e.proof(t, e.Other)); e.record(t, got.AccessToken).Scope != "read write" {
		t.Errorf("scope = %q; want the grant's", e.record(t, got.AccessToken).Scope)
	}
}

// TestRefreshRefused: OA-26, OA-27, DPOP-22, B12, B14. A token of another
// client, a proof of another key or none, a scope never granted, another
// resource, an unknown token: each refused, issuing nothing, leaving the
// refresh token usable (only the proof's replay key is stored once the
// token was looked up).
func TestRefreshRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	opt := newEnv(t, dpopOptional)
	rt, crt := e.walletRefresh(t), e.confRefresh(t)
	with := func(p map[string]string, k, v string) map[string]string { p[k] = v; return p }

	e.refused(t, refreshParams(wallet, ""), oauth.CodeInvalidRequest, "the parameter refresh_token is missing", 0, e.proof(t, e.Key))
	e.refused(t, refreshParams(wallet, "no-such-token"), oauth.CodeInvalidGrant, "the refresh token is not valid", 1, e.proof(t, e.Key))
	e.refused(t, refreshParams(wallet, crt), oauth.CodeInvalidGrant,
		"the token has not been issued for the given client id 'wallet'", 1, e.proof(t, e.Key))
	e.refused(t, refreshParams(wallet, rt), oauth.CodeInvalidGrant,
		"the DPoP proof is not made with the key the refresh token is bound to", 1, e.proof(t, e.Other))
	e.refused(t, confParams(with(refreshParams(conf, crt), "scope", "read admin")), oauth.CodeInvalidScope,
		"unauthorized to scopes : admin", 0, e.proof(t, e.Key))
	e.refused(t, confParams(with(refreshParams(conf, crt), "resource", "https://other.example")), "invalid_target",
		"the resource is not covered by the refresh token", 0, e.proof(t, e.Key))
	// Both still work.
	e.mustToken(t, refreshParams(wallet, rt), e.proof(t, e.Key))
	e.mustToken(t, confParams(with(refreshParams(conf, crt), "resource", issuerURL)), e.proof(t, e.Key))

	ort := opt.walletRefresh(t)
	opt.refused(t, refreshParams(wallet, ort), oauth.CodeInvalidGrant,
		"the refresh token is bound to a DPoP key: send a proof made with that key", 0)
}

// TestRefreshRotation: OA-28. With rotation, each refresh returns a
// successor that keeps the grant's scope (not the narrowed one) and the
// old token's binding; the old token is replaced.
func TestRefreshRotation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *grant.Config) { c.RotateRefresh = true })
	crt := e.confRefresh(t)
	p := confParams(refreshParams(conf, crt))
	p["scope"] = "read"
	resp := e.mustToken(t, p, e.proof(t, e.Key))
	if resp.RefreshToken == "" || resp.RefreshToken == crt {
		t.Fatalf("refresh token = %q; want a successor", resp.RefreshToken)
	}
	next := e.refreshRecord(t, resp.RefreshToken)
	if next.Scope != "read write" || next.ClientID != conf || next.JKT != "" {
		t.Errorf("successor = %+v; want the grant's scope, the client, unbound", next)
	}
	if old := e.refreshRecord(t, crt); old.SuccessorID != next.ID || old.RotatedAt.IsZero() {
		t.Errorf("old record = %+v; want rotated to %s", old, next.ID)
	}

	rt := e.walletRefresh(t)
	resp = e.mustToken(t, refreshParams(wallet, rt), e.proof(t, e.Key))
	if next := e.refreshRecord(t, resp.RefreshToken); next.JKT != jkt(t, e.Key) {
		t.Errorf("successor bound to %q; want the wallet's key", next.JKT)
	}
	e.Clock.Advance(e.Cfg.RefreshGrace + 1)
	e.refused(t, refreshParams(wallet, rt), oauth.CodeInvalidGrant, "", 0, e.proof(t, e.Key))
}
