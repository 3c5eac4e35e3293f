package grant

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"slices"
	"time"

	"issuer/dpop"
	"issuer/issuer/authz"
	"issuer/issuer/clientauth"
	"issuer/issuer/oauth"
	"issuer/issuer/offer"
	"issuer/issuer/proof"
	"issuer/issuer/token"
	"issuer/issuer/uma"
	"issuer/storage"
)

// Config is what the token endpoint needs of the server's configuration.
type Config struct {
	// URL is the issuer identifier, the resource a refresh may name;
	// TokenURL the htu of a token request's proof.
	URL, TokenURL string
	// RequireDPoP refuses token requests without a DPoP proof.
	RequireDPoP bool
	// AnonymousAccess lets a wallet redeem a pre-authorized code without
	// identifying as a client.
	AnonymousAccess bool
	// RefreshTTL is the life of a refresh token; RefreshIdleTTL how long it
	// may go unused; RotateRefresh replaces it at each use, the old one
	// staying usable for RefreshGrace.
	RefreshTTL, RefreshIdleTTL, RefreshGrace time.Duration
	RotateRefresh                            bool
	// Refused are grant types answered as unsupported (the haip profile
	// refuses password, FAPI 2.0 §5.3.2.1).
	Refused []string
	// Now is the clock.
	Now func() time.Time
}

// Store is what the grants read and redeem in the store: the artifacts
// they consume (pre-authorized codes, authorization codes, refresh tokens,
// permission tickets), the tokens they record and the proofs' replay keys.
type Store interface {
	GetOfferByCode(ctx context.Context, codeHash []byte) (storage.Offer, error)
	Redeem(ctx context.Context, r storage.Redemption) error
	GetAuthCode(ctx context.Context, id string) (storage.AuthCode, error)
	RedeemAuthCode(ctx context.Context, r storage.Redemption) error
	GetToken(ctx context.Context, id string) (storage.Token, error)
	IssueTokens(ctx context.Context, r storage.Issuance) error
	UseRefreshToken(ctx context.Context, u storage.RefreshUse) error
	GetUMATicket(ctx context.Context, id string) (storage.UMATicket, error)
	UseUMATicket(ctx context.Context, u storage.Issuance, ticketID string) error
	storage.Replay
}

// TokenFinder finds the tokens this server issued: the UMA grant checks a
// pushed claim token with it. Package resource implements it.
type TokenFinder interface {
	// Find returns the record of a token this server issued; found is
	// false for anything else.
	Find(ctx context.Context, tok string) (rec storage.Token, found bool, err error)
	// Active reports whether a token record is usable at now.
	Active(rec storage.Token, now time.Time) bool
}

// Parts are the other parts the grants call.
type Parts struct {
	Auth   *clientauth.Authenticator
	Proofs *proof.Checker
	Mint   *token.Minter
	Offers *offer.Offers
	Authz  *authz.Authz
	Users  *authz.Users
	UMA    *uma.UMA
	Tokens TokenFinder
}

// Endpoint is the token endpoint (RFC 6749 §3.2). Create it with [New]; it
// is safe for concurrent use.
type Endpoint struct {
	cfg    Config
	store  Store
	log    *slog.Logger
	auth   *clientauth.Authenticator
	proofs *proof.Checker
	mint   *token.Minter
	offers *offer.Offers
	authz  *authz.Authz
	users  *authz.Users
	uma    *uma.UMA
	tokens TokenFinder
}

// New returns the token endpoint over store and the parts p.
func New(cfg Config, store Store, p Parts, log *slog.Logger) *Endpoint {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Endpoint{
		cfg: cfg, store: store, log: log, auth: p.Auth, proofs: p.Proofs, mint: p.Mint,
		offers: p.Offers, authz: p.Authz, users: p.Users, uma: p.UMA, tokens: p.Tokens,
	}
}

// TokenRequest is a token request as the web layer parsed it: the form
// parameters (each appeared once; empty values were dropped, RFC 6749 §3.2)
// and the Authorization header, plus the values of every DPoP header.
type TokenRequest struct {
	clientauth.Request
	DPoP []string
}

// Request is what a grant runs on: the token request, its client (nil
// when anonymous), its verified DPoP proof (nil without one), what the
// tokens are bound to, and the time of the request. It is passed by value:
// through the grant table's function values, a pointer would move it to
// the heap on every request.
type Request struct {
	TokenRequest
	Client  *storage.Client
	Proof   *dpop.Proof
	Binding oauth.Binding
	Now     time.Time
}

// grant is one grant type of the token endpoint.
type grant struct {
	// confidential grants are for clients that authenticate with a secret.
	confidential bool
	// anonymous reports whether a request without client identification
	// may use the grant.
	anonymous func(*Endpoint) bool
	run       func(e *Endpoint, ctx context.Context, r Request) (*token.Response, error)
}

// grants are the grant types the token endpoint serves.
var grants = map[string]grant{
	oauth.GrantPreAuthorizedCode: {anonymous: (*Endpoint).anonymousPreAuth, run: (*Endpoint).preAuthorized},
	oauth.GrantAuthorizationCode: {run: (*Endpoint).authorizationCode},
	oauth.GrantClientCredentials: {confidential: true, run: (*Endpoint).clientCredentials},
	oauth.GrantRefreshToken:      {run: (*Endpoint).refreshToken},
	oauth.GrantPassword:          {run: (*Endpoint).password},
	oauth.GrantUMATicket:         {run: (*Endpoint).umaTicket},
}

// Types lists the grant types the token endpoint serves, sorted, for
// grant_types_supported.
func Types() []string { return slices.Sorted(maps.Keys(grants)) }

func (e *Endpoint) anonymousPreAuth() bool { return e.cfg.AnonymousAccess }

// Token handles a token request (RFC 6749 §3.2): it checks the grant type,
// authenticates the client, verifies the DPoP proof and runs the grant.
func (e *Endpoint) Token(ctx context.Context, req TokenRequest) (*token.Response, error) {
	now := e.cfg.Now()
	grantType := req.Params["grant_type"]
	if grantType == "" {
		return nil, oauth.ErrInvalidRequest("the parameter grant_type is missing")
	}
	g, ok := grants[grantType]
	if !ok || slices.Contains(e.cfg.Refused, grantType) {
		return nil, oauth.ErrUnsupportedGrantType("the grant type is not supported")
	}
	client, bind, err := e.auth.Authenticate(ctx, req.Request)
	if err != nil {
		return nil, err
	}
	if err := g.allows(e, client, grantType); err != nil {
		return nil, err
	}
	r := Request{TokenRequest: req, Client: client, Binding: bind, Now: now}
	if r.Binding.X5T, err = clientauth.CertificateBinding(req.Request, client); err != nil {
		return nil, err
	}
	if r.Proof, err = e.checkDPoP(ctx, req, client, now); err != nil {
		return nil, err
	}
	if r.Proof != nil {
		r.Binding.JKT = r.Proof.JKT
	}
	return g.run(e, ctx, r)
}

// allows checks that client (nil when anonymous) may use the grant.
func (g grant) allows(e *Endpoint, client *storage.Client, grantType string) error {
	switch {
	case client == nil && (g.anonymous == nil || !g.anonymous(e)):
		return oauth.ErrInvalidClient("client authentication is required for the grant type '%s'", grantType)
	case client == nil:
		return nil
	case !slices.Contains(client.GrantTypes, grantType):
		return oauth.ErrUnauthorizedClient("the client %s doesn't support the grant type %s", safeText(client.ID), grantType)
	case g.confidential && client.AuthMethod == oauth.AuthNone:
		return oauth.ErrUnauthorizedClient("the grant type '%s' is for confidential clients only", grantType)
	}
	return nil
}

// checkDPoP verifies the request's proof (RFC 9449 §4.3, §5). It returns
// nil when there is no proof and the policy allows that.
func (e *Endpoint) checkDPoP(ctx context.Context, req TokenRequest, client *storage.Client, now time.Time) (*dpop.Proof, error) {
	switch {
	case len(req.DPoP) > 1:
		return nil, oauth.ErrInvalidDPoPProof("too many DPoP parameters are passed in the header")
	case len(req.DPoP) == 0 && client != nil && client.DPoPBound:
		return nil, oauth.ErrInvalidRequest("the client is registered with dpop_bound_access_tokens and sent no DPoP proof")
	case len(req.DPoP) == 0 && e.cfg.RequireDPoP:
		return nil, oauth.ErrInvalidRequest("the DPOP Proof is missing")
	case len(req.DPoP) == 0:
		return nil, nil
	}
	return e.proofs.Verify(ctx, req.DPoP[0], "POST", e.cfg.TokenURL, now, "")
}

// grantFailure records the proof of a request refused for its grant, so
// that the proof cannot be replayed either, and reports a replayed proof in
// preference to the grant error (the proof is checked before the grant).
func (e *Endpoint) grantFailure(ctx context.Context, proof *dpop.Proof, now time.Time, grantErr error) error {
	if proof == nil {
		return grantErr
	}
	err := e.store.UseReplayKey(ctx, proof.ReplayKey, proof.ReplayExpiry, now)
	switch {
	case errors.Is(err, storage.ErrAlreadyExists):
		return oauth.ErrDPoPReplay()
	case err != nil:
		return oauth.ErrServer(err)
	}
	return grantErr
}
