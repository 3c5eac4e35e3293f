package grant

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"issuer/dpop"
	"issuer/issuer/authz"
	"issuer/issuer/oauth"
	"issuer/issuer/token"
	"issuer/pkce"
	"issuer/storage"
)

// authorizationCode runs the authorization code grant (RFC 6749 §4.1.3,
// RFC 7636 §4.6, RFC 9449 §10): every check first, then the code is
// consumed and the tokens recorded in one transaction. A code presented
// again, with everything else right, revokes what it issued (RFC 6749
// §4.1.2).
func (e *Endpoint) authorizationCode(ctx context.Context, in Request) (*token.Response, error) {
	r := &in
	req, client, proof, now := &r.TokenRequest, r.Client, r.Proof, r.Now
	p := req.Params
	switch {
	case p["code"] == "":
		return nil, oauth.ErrInvalidRequest("the parameter code is missing")
	case p["tx_code"] != "":
		return nil, oauth.ErrInvalidRequest("the parameter tx_code is for the pre-authorized code grant")
	}
	c, err := e.store.GetAuthCode(ctx, authz.CodeID(p["code"]))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, e.grantFailure(ctx, proof, now, oauth.ErrInvalidGrant("the authorization code is not correct"))
	} else if err != nil {
		return nil, oauth.ErrServer(err)
	}
	if err := checkCode(c, client, r.Binding, p, proof, now); err != nil {
		return nil, e.grantFailure(ctx, proof, now, err)
	}
	var ids, identifiers []string
	var stored []oauth.AuthorizationDetail
	if err := json.Unmarshal(c.AuthorizationDetails, &stored); err != nil {
		return nil, oauth.ErrServer(err)
	}
	for _, d := range stored {
		ids, identifiers = append(ids, d.CredentialConfigurationID), append(identifiers, d.CredentialIdentifiers[0])
	}
	details, err := e.authz.GrantedDetails(ids, identifiers, p["authorization_details"])
	if err != nil {
		return nil, err
	}
	a := token.Grant{Subject: c.Subject, ClientID: client.ID, Scope: c.Scope, GrantID: c.ID, Details: details}
	if oauth.HasScope(c.Scope, oauth.ScopeOpenID) {
		a.AuthTime = c.AuthTime // kept on the refresh token, for the ID tokens of refreshes
	}
	return e.redeemCode(ctx, r, c, a)
}

// checkCode applies the rules of a stored code to the token request. A
// code redeemed before is let through when everything else matches:
// RedeemAuthCode refuses it and revokes its tokens.
func checkCode(c storage.AuthCode, client *storage.Client, b oauth.Binding, p map[string]string, proof *dpop.Proof, now time.Time) error {
	switch {
	case c.ClientID != client.ID:
		return oauth.ErrInvalidGrant("the authorization code has not been issued for the given client id %s", safeText(client.ID))
	case c.RedeemedAt.IsZero() && now.After(c.ExpiresAt):
		return oauth.ErrInvalidGrant("the authorization code is obsolete")
	case p["redirect_uri"] == "":
		return oauth.ErrInvalidRequest("the parameter redirect_uri is missing")
	case p["redirect_uri"] != c.RedirectURI:
		return oauth.ErrInvalidGrant("the redirection url is not the same than the one passed in the authorization request")
	case p["code_verifier"] == "":
		return oauth.ErrInvalidGrant("the parameter code_verifier is missing")
	case pkce.Verify(c.CodeChallenge, p["code_verifier"]) != nil:
		// One answer for a malformed and a wrong verifier: no oracle.
		return oauth.ErrInvalidGrant("code_verifier is invalid")
	case c.DPoPJKT != "" && proof == nil:
		return oauth.ErrInvalidGrant("the authorization code is bound to a DPoP key and the request has no DPoP proof")
	case c.DPoPJKT != "" && proof.JKT != c.DPoPJKT:
		return oauth.ErrInvalidGrant("there is a mismatch between the dpop_jkt and the DPoP proof")
	case c.AttestationJKT != b.Instance:
		return oauth.ErrInvalidGrant("the client attestation is for another wallet instance than the authorization request's")
	}
	return nil
}

// redeemCode mints the tokens of a code and consumes it.
//
// The response carries authorization_details with the credential
// identifiers whenever credentials were granted, whether the request named
// them by authorization_details, by scope or through an offer: OpenID4VCI
// 1.0 §6.2 requires them in the first case and allows them in the others.
func (e *Endpoint) redeemCode(ctx context.Context, r *Request, c storage.AuthCode, a token.Grant) (*token.Response, error) {
	client, proof, now := r.Client, r.Proof, r.Now
	tok, rec, err := e.mint.Access(a, r.Binding, now)
	if err != nil {
		return nil, err
	}
	// The code's offer (issuer_state) is checked and marked in the same
	// transaction: an offer is for one issuance.
	red := storage.Redemption{CodeID: c.ID, Now: now, Tokens: []storage.Token{rec}, OfferID: c.OfferID}
	refresh, rtoks, err := e.grantRefreshToken(r, a)
	if err != nil {
		return nil, err
	}
	red.Tokens = append(red.Tokens, rtoks...)
	var idToken string
	if oauth.HasScope(c.Scope, oauth.ScopeOpenID) {
		if idToken, err = e.mint.IDToken(c.Subject, client.ID, c.Nonce, c.AuthTime, tok, now); err != nil {
			return nil, err
		}
	}
	if proof != nil {
		red.ReplayKey, red.ReplayExpiry, red.JKT = proof.ReplayKey, proof.ReplayExpiry, proof.JKT
	}
	if err := e.store.RedeemAuthCode(ctx, red); err != nil {
		return nil, e.codeRedeemError(ctx, c, err)
	}
	e.log.InfoContext(ctx, "authorization code redeemed", "client_id", client.ID, "token_id", rec.ID, "bound", proof != nil)
	resp := e.mint.Response(tok, rec, a.Details, now)
	resp.RefreshToken, resp.IDToken = refresh, idToken
	return resp, nil
}

// codeRedeemError maps RedeemAuthCode's errors. For a reused code the store
// has revoked every token of its grant, refreshed ones included, in the
// redeeming transaction.
func (e *Endpoint) codeRedeemError(ctx context.Context, c storage.AuthCode, err error) error {
	if errors.Is(err, storage.ErrConsumed) {
		e.log.WarnContext(ctx, "authorization code reused; its tokens are revoked", "client_id", c.ClientID)
	}
	return redeemError(err, authCodeAnswers)
}
