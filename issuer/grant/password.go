package grant

import (
	"context"
	"errors"

	"issuer/issuer/limit"
	"issuer/issuer/oauth"
	"issuer/issuer/token"
	"issuer/storage"
)

// password runs the resource owner password credentials grant (RFC 6749
// §4.3) for clients registered for it. An unknown user costs the same hash
// work as a wrong password, and both give the same answer.
func (e *Endpoint) password(ctx context.Context, in Request) (*token.Response, error) {
	r := &in
	req, client, proof, now := &r.TokenRequest, r.Client, r.Proof, r.Now
	username, password := req.Params["username"], req.Params["password"]
	switch {
	case username == "":
		return nil, oauth.ErrInvalidRequest("the parameter username is missing")
	case password == "":
		return nil, oauth.ErrInvalidRequest("the parameter password is missing")
	}
	user, err := e.users.Check(ctx, username, password, passwordOrigin(client, req.RemoteIP), now)
	if err != nil {
		return nil, e.grantFailure(ctx, proof, now, err)
	}
	scope, err := grantedScope(req.Params["scope"], client.Scope)
	if err != nil {
		return nil, err
	}
	return e.issue(ctx, r, token.Grant{Subject: user.ID, ClientID: client.ID, Scope: scope, GrantID: token.NewID()}, true)
}

// passwordOrigin is where a password grant's sign-in comes from, for the
// sign-in delays: a confidential client (only its holder can use it), or a
// public client from one address (anyone may name a public client, and
// would otherwise delay its users everywhere).
func passwordOrigin(client *storage.Client, remoteIP string) string {
	if client.AuthMethod == oauth.AuthNone {
		return "client:" + client.ID + "\x00" + limit.AddressKey(remoteIP)
	}
	return "client:" + client.ID
}

// issue mints an access token (and, if withRefresh and the client may have
// one, a refresh token) for a grant that consumes no code, and records them
// with the proof's replay key.
func (e *Endpoint) issue(ctx context.Context, r *Request, a token.Grant, withRefresh bool) (*token.Response, error) {
	client, proof, now := r.Client, r.Proof, r.Now
	tok, rec, err := e.mint.Access(a, r.Binding, now)
	if err != nil {
		return nil, err
	}
	iss := storage.Issuance{Now: now, Tokens: []storage.Token{rec}}
	var refresh string
	if withRefresh {
		var rtoks []storage.Token
		if refresh, rtoks, err = e.grantRefreshToken(r, a); err != nil {
			return nil, err
		}
		iss.Tokens = append(iss.Tokens, rtoks...)
	}
	if proof != nil {
		iss.ReplayKey, iss.ReplayExpiry = proof.ReplayKey, proof.ReplayExpiry
	}
	if err := e.store.IssueTokens(ctx, iss); errors.Is(err, storage.ErrAlreadyExists) {
		return nil, oauth.ErrDPoPReplay()
	} else if err != nil {
		return nil, oauth.ErrServer(err)
	}
	e.log.InfoContext(ctx, "token issued", "client", client.ID, "token_id", rec.ID, "bound", proof != nil)
	resp := e.mint.Response(tok, rec, a.Details, now)
	resp.RefreshToken = refresh
	return resp, nil
}
