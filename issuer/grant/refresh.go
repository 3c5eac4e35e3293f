package grant

import (
	"context"
	"encoding/json"
	"errors"
	"slices"

	"issuer/dpop"
	"issuer/issuer/oauth"
	"issuer/issuer/token"
	"issuer/storage"
)

// issuesRefresh reports whether a grant gives client a refresh token: the
// client registered the refresh_token grant, and a public client's token
// can be bound to its DPoP key (RFC 9449 §5, RFC 9700 §4.14.2).
func issuesRefresh(client *storage.Client, proof *dpop.Proof) bool {
	return client != nil && slices.Contains(client.GrantTypes, oauth.GrantRefreshToken) &&
		(client.AuthMethod != oauth.AuthNone || proof != nil)
}

// grantRefreshToken mints the refresh token a grant gives client, if any
// (issuesRefresh), for the access token rec: bound to the DPoP key for a
// public client, and to the instance key for an attested one. It returns
// "" and no record when the client gets none.
func (e *Endpoint) grantRefreshToken(r *Request, a token.Grant) (string, []storage.Token, error) {
	if !issuesRefresh(r.Client, r.Proof) {
		return "", nil, nil
	}
	tok, rrec, err := token.NewRefresh(a, r.Client.AuthMethod == oauth.AuthNone, r.Binding, r.Now, r.Now.Add(e.cfg.RefreshTTL))
	if err != nil {
		return "", nil, err
	}
	return tok, []storage.Token{rrec}, nil
}

// refreshToken runs the refresh_token grant (RFC 6749 §6): every check
// first (binding to the client, to the DPoP key for public clients, scope,
// resource), then one transaction that re-checks the token's state and
// records the new tokens, so that a refused request never burns the token.
func (e *Endpoint) refreshToken(ctx context.Context, in Request) (*token.Response, error) {
	r := &in
	req, client, proof, now := &r.TokenRequest, r.Client, r.Proof, r.Now
	raw := req.Params["refresh_token"]
	if raw == "" {
		return nil, oauth.ErrInvalidRequest("the parameter refresh_token is missing")
	}
	rt, err := e.store.GetToken(ctx, token.RefreshID(raw))
	switch {
	case errors.Is(err, storage.ErrNotFound) || err == nil && rt.Kind != token.KindRefresh:
		return nil, e.grantFailure(ctx, proof, now, oauth.ErrInvalidGrant("the refresh token is not valid"))
	case err != nil:
		return nil, oauth.ErrServer(err)
	}
	if err := e.checkRefreshBinding(rt, client, r.Binding, proof); err != nil {
		return nil, e.grantFailure(ctx, proof, now, err)
	}
	a, err := e.refreshedGrant(rt, req.Params)
	if err != nil {
		return nil, err
	}
	tok, rec, err := e.mint.Access(a, r.Binding, now)
	if err != nil {
		return nil, err
	}
	use := storage.RefreshUse{
		TokenID: rt.ID, Now: now, IdleTimeout: e.cfg.RefreshIdleTTL,
		Rotate: e.cfg.RotateRefresh, Grace: e.cfg.RefreshGrace, Tokens: []storage.Token{rec},
	}
	var next string
	if use.Rotate {
		// The successor keeps the grant's scope (OA-28), not the narrowed
		// scope of this access token.
		next = e.mint.Successor(raw)
		kept := a
		kept.Scope = rt.Scope
		nrec, err := token.RefreshRecord(next, kept, rt.JKT != "", oauth.Binding{JKT: rt.JKT, Instance: rt.AttestationJKT}, now, rt.ExpiresAt)
		if err != nil {
			return nil, err
		}
		use.Successor = &nrec
	}
	if proof != nil {
		use.ReplayKey, use.ReplayExpiry = proof.ReplayKey, proof.ReplayExpiry
	}
	if err := e.store.UseRefreshToken(ctx, use); err != nil {
		return nil, redeemError(err, refreshAnswers)
	}
	e.log.InfoContext(ctx, "token refreshed", "client", client.ID, "token_id", rec.ID, "rotated", use.Rotate)
	resp := e.mint.Response(tok, rec, a.Details, now)
	resp.RefreshToken = next
	if !a.AuthTime.IsZero() && oauth.HasScope(a.Scope, oauth.ScopeOpenID) {
		// OpenID Connect Core §12.2: same iss, sub and aud, the original
		// auth_time, a new iat, no nonce.
		if resp.IDToken, err = e.mint.IDToken(a.Subject, client.ID, "", a.AuthTime, tok, now); err != nil {
			return nil, err
		}
	}
	return resp, nil
}

// checkRefreshBinding checks that the refresh token belongs to the client
// and, for a public client's token, to the key of the proof (RFC 9449 §5);
// an attested client's token, to the instance key of the attestation it
// authenticated with (attestation-based client auth -07 §10.3).
func (e *Endpoint) checkRefreshBinding(rt storage.Token, client *storage.Client, b oauth.Binding, proof *dpop.Proof) error {
	switch {
	case rt.ClientID != client.ID:
		return oauth.ErrInvalidGrant("the token has not been issued for the given client id '%s'", safeText(client.ID))
	case rt.JKT != "" && proof == nil:
		return oauth.ErrInvalidGrant("the refresh token is bound to a DPoP key: send a proof made with that key")
	case rt.JKT != "" && proof.JKT != rt.JKT:
		return oauth.ErrInvalidGrant("the DPoP proof is not made with the key the refresh token is bound to")
	case rt.AttestationJKT != "" && b.Instance != rt.AttestationJKT:
		return oauth.ErrInvalidGrant("the refresh token is bound to the key of another client instance (the attestation's cnf)")
	}
	return nil
}

// refreshedGrant is what the new access token grants: the refresh token's
// grant, narrowed by the request's scope (RFC 6749 §6; never widened).
func (e *Endpoint) refreshedGrant(rt storage.Token, params map[string]string) (token.Grant, error) {
	if r := params["resource"]; r != "" && r != e.cfg.URL {
		return token.Grant{}, oauth.New(400, "invalid_target", "the resource is not covered by the refresh token")
	}
	scope, err := grantedScope(params["scope"], rt.Scope)
	if err != nil {
		return token.Grant{}, err
	}
	a := token.Grant{Subject: rt.Subject, ClientID: rt.ClientID, Scope: scope, GrantID: rt.GrantID, AuthTime: rt.AuthTime}
	if len(rt.AuthorizationDetails) > 0 {
		if err := json.Unmarshal(rt.AuthorizationDetails, &a.Details); err != nil {
			return token.Grant{}, oauth.ErrServer(err)
		}
	}
	return a, nil
}

// safeText returns a client ID (visible ASCII, checked at registration)
// if it may stand in an error_description, which excludes '"' and '\'
// (RFC 6749 §5.2), or a neutral word.
func safeText(s string) string {
	if !oauth.ValidScopeToken(s) {
		return "(unprintable)"
	}
	return s
}
