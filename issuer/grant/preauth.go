package grant

import (
	"context"
	"crypto/sha256"
	"errors"

	"issuer/issuer/oauth"
	"issuer/issuer/token"
	"issuer/storage"
)

// preAuthorized runs the pre-authorized code grant (OpenID4VCI 1.0 §6.1):
// validate everything, then consume the code and record the token in one
// transaction.
func (e *Endpoint) preAuthorized(ctx context.Context, in Request) (*token.Response, error) {
	r := &in
	req, client, proof, now := &r.TokenRequest, r.Client, r.Proof, r.Now
	code := req.Params["pre-authorized_code"]
	if code == "" {
		return nil, oauth.ErrInvalidRequest("the parameter pre-authorized_code is missing")
	}
	codeHash := sha256.Sum256([]byte(code))
	offer, err := e.store.GetOfferByCode(ctx, codeHash[:])
	if errors.Is(err, storage.ErrNotFound) {
		return nil, e.grantFailure(ctx, proof, now, oauth.ErrInvalidGrant("either the pre-authorized code has expired or is invalid"))
	} else if err != nil {
		return nil, oauth.ErrServer(err)
	}
	if err := e.offers.Check(ctx, offer, req.Params, now); err != nil {
		return nil, e.grantFailure(ctx, proof, now, err)
	}
	details, err := e.authz.GrantedDetails(offer.ConfigurationIDs, offer.CredentialIdentifiers, req.Params["authorization_details"])
	if err != nil {
		return nil, err
	}
	a := token.Grant{Subject: offer.Subject, GrantID: offer.ID, Details: details}
	if client != nil {
		a.ClientID = client.ID
	}
	tok, rec, err := e.mint.Access(a, r.Binding, now)
	if err != nil {
		return nil, err
	}
	red := storage.Redemption{CodeHash: codeHash[:], Now: now, Tokens: []storage.Token{rec}, Offer: &offer}
	refresh, rtoks, err := e.grantRefreshToken(r, a)
	if err != nil {
		return nil, err
	}
	red.Tokens = append(red.Tokens, rtoks...)
	if proof != nil {
		red.ReplayKey, red.ReplayExpiry, red.JKT = proof.ReplayKey, proof.ReplayExpiry, proof.JKT
	}
	if err := e.store.Redeem(ctx, red); err != nil {
		return nil, redeemError(err, preAuthorizedAnswers)
	}
	e.log.InfoContext(ctx, "pre-authorized code redeemed", "offer", offer.ID, "token_id", rec.ID, "bound", proof != nil)
	resp := e.mint.Response(tok, rec, details, now)
	resp.RefreshToken = refresh
	return resp, nil
}
