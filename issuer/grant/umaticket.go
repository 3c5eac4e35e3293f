package grant

import (
	"context"
	"errors"
	"time"

	"issuer/issuer/oauth"
	"issuer/issuer/token"
	"issuer/issuer/uma"
	"issuer/storage"
)

// umaTicket runs the UMA 2.0 grant (UMA Grant §3.3): it redeems a
// permission ticket for an RPT whose permissions claim lists what the
// owner's grants allow, or answers need_info, request_submitted or
// request_denied (§3.3.6).
func (e *Endpoint) umaTicket(ctx context.Context, in Request) (*token.Response, error) {
	r := &in
	req, client, proof, now := &r.TokenRequest, r.Client, r.Proof, r.Now
	ticket := req.Params["ticket"]
	if ticket == "" {
		return nil, oauth.ErrInvalidRequest("the parameter ticket is missing")
	}
	party, err := e.requestingParty(ctx, req.Params, now)
	if err != nil {
		return nil, err
	}
	t, err := e.store.GetUMATicket(ctx, uma.TicketID(ticket))
	if err == nil {
		err = storage.CheckTicket(t, now)
	}
	if err != nil {
		return nil, e.grantFailure(ctx, proof, now, redeemError(err, umaTicketAnswers))
	}
	granted, err := e.uma.Evaluate(ctx, t, ticket, req.Params["scope"], client.ID, party)
	var answer *oauth.Error
	if err != nil && !errors.As(err, &answer) {
		return nil, redeemError(err, umaTicketAnswers)
	} else if err != nil {
		return nil, err
	}
	a := token.Grant{Subject: client.ID, ClientID: client.ID, Permissions: granted}
	if party != "" {
		a.Subject = party
	}
	tok, rec, err := e.mint.Access(a, r.Binding, now)
	if err != nil {
		return nil, err
	}
	iss := storage.Issuance{Now: now, Tokens: []storage.Token{rec}}
	if proof != nil {
		iss.ReplayKey, iss.ReplayExpiry = proof.ReplayKey, proof.ReplayExpiry
	}
	if err := e.store.UseUMATicket(ctx, iss, t.ID); err != nil {
		return nil, redeemError(err, umaTicketAnswers)
	}
	resp := e.mint.Response(tok, rec, nil, now)
	upgraded := false
	resp.Upgraded = &upgraded
	return resp, nil
}

// requestingParty verifies a pushed claim token: an active access token
// this server issued, whose subject is the requesting party.
func (e *Endpoint) requestingParty(ctx context.Context, p map[string]string, now time.Time) (string, error) {
	tok, format := p["claim_token"], p["claim_token_format"]
	switch {
	case (tok == "") != (format == ""):
		return "", oauth.ErrInvalidRequest("claim_token and claim_token_format go together")
	case tok == "":
		return "", nil
	case format != uma.ClaimTokenFormat:
		return "", oauth.ErrInvalidRequest("the claim_token_format is not supported")
	}
	rec, found, err := e.tokens.Find(ctx, tok)
	if err != nil {
		return "", err
	}
	if !found || rec.Kind != "access_token" || !e.tokens.Active(rec, now) {
		return "", oauth.ErrInvalidRequest("the claim token is not an active access token of this server")
	}
	return rec.Subject, nil
}
