package issuer

import (
	"context"
	"crypto/sha256"
	"errors"
	"slices"
	"time"

	"issuer/dpop"
	"issuer/issuer/clientauth"
	"issuer/issuer/oauth"
	"issuer/issuer/token"
	"issuer/nonce"
	"issuer/storage"
)

// TokenRequest is a token request as the web layer parsed it: the form
// parameters (each appeared once; empty values were dropped, RFC 6749 §3.2)
// and the Authorization header, plus the values of every DPoP header.
type TokenRequest struct {
	ClientRequest
	DPoP []string
}

// grant is one grant type of the token endpoint.
type grant struct {
	// confidential grants are for clients that authenticate with a secret.
	confidential bool
	// anonymous reports whether a request without client identification
	// may use the grant.
	anonymous func(*Service) bool
	run       func(s *Service, ctx context.Context, r grantRequest) (*token.Response, error)
}

// grantRequest is what a grant runs on: the token request, its client (nil
// when anonymous), its verified DPoP proof (nil without one), what the
// tokens are bound to, and the time of the request.
type grantRequest struct {
	TokenRequest
	Client  *storage.Client
	Proof   *dpop.Proof
	Binding oauth.Binding
	Now     time.Time
}

// grants are the grant types the token endpoint serves.
var grants = map[string]grant{
	oauth.GrantPreAuthorizedCode: {anonymous: (*Service).anonymousPreAuth, run: (*Service).preAuthorized},
	oauth.GrantAuthorizationCode: {run: (*Service).authorizationCode},
	oauth.GrantClientCredentials: {confidential: true, run: (*Service).clientCredentials},
	oauth.GrantRefreshToken:      {run: (*Service).refreshToken},
	oauth.GrantPassword:          {run: (*Service).password},
	oauth.GrantUMATicket:         {run: (*Service).umaTicket},
}

func (s *Service) anonymousPreAuth() bool { return s.cfg.AnonymousAccess() }

// Token handles a token request (RFC 6749 §3.2): it checks the grant type,
// authenticates the client, verifies the DPoP proof and runs the grant.
func (s *Service) Token(ctx context.Context, req TokenRequest) (*token.Response, error) {
	now := s.cfg.Now()
	grantType := req.Params["grant_type"]
	if grantType == "" {
		return nil, oauth.ErrInvalidRequest("the parameter grant_type is missing")
	}
	g, ok := grants[grantType]
	if !ok {
		return nil, oauth.ErrUnsupportedGrantType("the grant type is not supported")
	}
	client, bind, err := s.ClientAuth.Authenticate(ctx, req.ClientRequest)
	if err != nil {
		return nil, err
	}
	if err := g.allows(s, client, grantType); err != nil {
		return nil, err
	}
	r := grantRequest{TokenRequest: req, Client: client, Binding: bind, Now: now}
	if r.Binding.X5T, err = clientauth.CertificateBinding(req.ClientRequest, client); err != nil {
		return nil, err
	}
	if r.Proof, err = s.checkDPoP(ctx, req, client, now); err != nil {
		return nil, err
	}
	if r.Proof != nil {
		r.Binding.JKT = r.Proof.JKT
	}
	return g.run(s, ctx, r)
}

// allows checks that client (nil when anonymous) may use the grant.
func (g grant) allows(s *Service, client *storage.Client, grantType string) error {
	switch {
	case client == nil && (g.anonymous == nil || !g.anonymous(s)):
		return oauth.ErrInvalidClient("client authentication is required for the grant type '%s'", grantType)
	case client == nil:
		return nil
	case !slices.Contains(client.GrantTypes, grantType):
		return oauth.ErrUnauthorizedClient("the client '%s' doesn't support the grant type '%s'", client.ID, grantType)
	case g.confidential && client.AuthMethod == oauth.AuthNone:
		return oauth.ErrUnauthorizedClient("the grant type '%s' is for confidential clients only", grantType)
	}
	return nil
}

// checkDPoP verifies the request's proof (RFC 9449 §4.3, §5). It returns
// nil when there is no proof and the policy allows that.
func (s *Service) checkDPoP(ctx context.Context, req TokenRequest, client *storage.Client, now time.Time) (*dpop.Proof, error) {
	switch {
	case len(req.DPoP) > 1:
		return nil, oauth.ErrInvalidDPoPProof("the request has more than one DPoP header")
	case len(req.DPoP) == 0 && client != nil && client.DPoPBound:
		return nil, oauth.ErrInvalidRequest("the client is registered with dpop_bound_access_tokens and sent no DPoP proof")
	case len(req.DPoP) == 0 && s.cfg.DPoP.Policy == DPoPRequired:
		return nil, oauth.ErrInvalidRequest("a DPoP proof is required")
	case len(req.DPoP) == 0:
		return nil, nil
	}
	return s.verifyProof(ctx, req.DPoP[0], "POST", s.tokenURL, now, "")
}

// verifyProof verifies a DPoP proof for method and url (and, when
// accessToken is set, its ath), with the server nonce when nonces are on.
// Replay is the caller's to record.
func (s *Service) verifyProof(ctx context.Context, raw, method, url string, now time.Time, accessToken string) (*dpop.Proof, error) {
	in := dpop.Input{Proof: raw, Method: method, URL: url, Now: now, AccessToken: accessToken}
	if s.cfg.DPoP.UseNonce {
		in.CheckNonce = func(n string) bool { return n != "" && s.nonces.Check(nonce.DPoP, n, now) == nil }
	}
	proof, err := s.verifier.Verify(ctx, in)
	switch {
	case errors.Is(err, dpop.ErrUseNonce):
		return nil, oauth.ErrUseDPoPNonce("the DPoP proof must carry the nonce in the DPoP-Nonce header").
			WithDPoPNonce(s.DPoPNonce())
	case errors.Is(err, dpop.ErrInvalidProof):
		return nil, oauth.ErrInvalidDPoPProof("%s", err.Error()).WithCause(err)
	case err != nil:
		return nil, oauth.ErrServer(err)
	}
	return proof, nil
}

// preAuthorized runs the pre-authorized code grant (OpenID4VCI 1.0 §6.1):
// validate everything, then consume the code and record the token in one
// transaction.
func (s *Service) preAuthorized(ctx context.Context, in grantRequest) (*token.Response, error) {
	r := &in
	req, client, proof, now := &r.TokenRequest, r.Client, r.Proof, r.Now
	code := req.Params["pre-authorized_code"]
	if code == "" {
		return nil, oauth.ErrInvalidRequest("the parameter pre-authorized_code is missing")
	}
	codeHash := sha256.Sum256([]byte(code))
	offer, err := s.store.GetOfferByCode(ctx, codeHash[:])
	if errors.Is(err, storage.ErrNotFound) {
		return nil, s.grantFailure(ctx, proof, now, oauth.ErrInvalidGrant("the pre-authorized code is invalid"))
	} else if err != nil {
		return nil, oauth.ErrServer(err)
	}
	if err := s.Offers.Check(ctx, offer, req.Params, now); err != nil {
		return nil, s.grantFailure(ctx, proof, now, err)
	}
	details, err := s.Authz.GrantedDetails(offer.ConfigurationIDs, offer.CredentialIdentifiers, req.Params["authorization_details"])
	if err != nil {
		return nil, err
	}
	a := token.Grant{Subject: offer.Subject, GrantID: offer.ID, Details: details}
	if client != nil {
		a.ClientID = client.ID
	}
	tok, rec, err := s.mint.Access(a, r.Binding, now)
	if err != nil {
		return nil, err
	}
	red := storage.Redemption{CodeHash: codeHash[:], Now: now, Tokens: []storage.Token{rec}}
	refresh, rtoks, err := s.grantRefreshToken(r, a)
	if err != nil {
		return nil, err
	}
	red.Tokens = append(red.Tokens, rtoks...)
	if proof != nil {
		red.ReplayKey, red.ReplayExpiry, red.JKT = proof.ReplayKey, proof.ReplayExpiry, proof.JKT
	}
	if err := s.store.Redeem(ctx, red); err != nil {
		return nil, redeemError(err, preAuthorizedAnswers)
	}
	s.log.InfoContext(ctx, "pre-authorized code redeemed", "offer", offer.ID, "token_id", rec.ID, "bound", proof != nil)
	resp := s.mint.Response(tok, rec, details, now)
	resp.RefreshToken = refresh
	return resp, nil
}

// grantFailure records the proof of a request refused for its grant, so
// that the proof cannot be replayed either, and reports a replayed proof in
// preference to the grant error (the proof is checked before the grant).
func (s *Service) grantFailure(ctx context.Context, proof *dpop.Proof, now time.Time, grantErr error) error {
	if proof == nil {
		return grantErr
	}
	err := s.store.UseReplayKey(ctx, proof.ReplayKey, proof.ReplayExpiry, now)
	switch {
	case errors.Is(err, storage.ErrAlreadyExists):
		return oauth.ErrDPoPReplay()
	case err != nil:
		return oauth.ErrServer(err)
	}
	return grantErr
}
