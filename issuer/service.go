package issuer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"issuer/issuer/authz"
	"issuer/issuer/clientauth"
	"issuer/issuer/clients"
	"issuer/issuer/credential"
	"issuer/issuer/credential/keyproof"
	"issuer/issuer/grant"
	"issuer/issuer/offer"
	"issuer/issuer/proof"
	"issuer/issuer/resource"
	"issuer/issuer/token"
	"issuer/issuer/uma"
	"issuer/issuer/walletprovider"
	"issuer/nonce"
	"issuer/storage"
)

// Endpoint paths, relative to the base path of Config.URL.
const (
	PathToken      = "/token"
	PathNonce      = "/nonce"
	PathJWKS       = "/jwks"
	PathRevoke     = "/revoke"
	PathIntrospect = "/introspect"
	PathOffers     = offer.Path
	PathPAR        = "/par"
	PathAuthorize  = "/authorize"
	PathLogin      = "/authorize/login"
	PathConsent    = "/authorize/consent"
	PathUserInfo   = "/userinfo"
	// PathCredential is the credential endpoint (OpenID4VCI 1.0 §8).
	PathCredential = "/credential"
	// PathNotification is the notification endpoint (OpenID4VCI 1.0 §11).
	PathNotification = "/notification"
	// PathDeferredCredential is the deferred credential endpoint
	// (OpenID4VCI 1.0 §9).
	PathDeferredCredential = "/deferred_credential"
	// PathCACert serves the generated credential root certificate (PEM),
	// the trust anchor of the credentials' x5c and x5chain.
	PathCACert = "/certs/ca.pem"
	// WellKnownJWTVCIssuer is the SD-JWT VC issuer metadata (SD-JWT VC §4).
	WellKnownJWTVCIssuer = "/.well-known/jwt-vc-issuer"
	// PathUMAPermission is the UMA permission endpoint.
	PathUMAPermission = uma.PathPermission
	WellKnownOIDC     = "/.well-known/openid-configuration"
	WellKnownOAuth    = "/.well-known/oauth-authorization-server"
	WellKnownVCI      = "/.well-known/openid-credential-issuer"
	// PathChallenge is the attestation challenge endpoint (-07 §8).
	PathChallenge   = "/challenge"
	nonceSecretName = "nonce-hmac-v1"
)

// Service is the token service. Create it with [New]; it is safe for
// concurrent use.
type Service struct {
	cfg    Config
	store  storage.Store
	log    *slog.Logger
	nonces *nonce.Manager
	// proofs checks DPoP proofs and issues DPoP-Nonce values at the
	// authorization server; rsProofs at the resource server (UserInfo, the
	// credential endpoint), in a nonce namespace of their own.
	proofs, rsProofs *proof.Checker
	// credKeys is the credential signing key; keyProofs verifies key
	// proofs.
	credKeys  *credential.Keys
	keyProofs *keyproof.Verifier
	// mint signs and mints the tokens.
	mint *token.Minter
	meta metadata

	// ClientAuth authenticates the clients of requests and issues the
	// attestation challenges.
	ClientAuth *clientauth.Authenticator
	// Clients registers clients (the admin API).
	Clients *clients.Registry
	// WalletProviders are the trusted wallet providers (the admin API).
	WalletProviders *walletprovider.Registry
	// Offers are the credential offers (the admin API, the offer and QR
	// pages, issuer_state, the checks at redemption).
	Offers *offer.Offers
	// UMA are the UMA resources and permission tickets (the admin API, the
	// permission endpoint).
	UMA *uma.UMA
	// Users are the users who sign in (the admin API).
	Users *authz.Users
	// Authz serves PAR, /authorize, sign-in and consent.
	Authz *authz.Authz
	// Grants is the token endpoint and its grants.
	Grants *grant.Endpoint
	// Resource serves revocation, introspection and UserInfo, and checks
	// the access tokens of the resources.
	Resource *resource.Server
	// Credentials is the credential endpoint.
	Credentials *credential.Service
}

// New validates cfg, loads (or on first start creates) the signing key and
// the nonce secret from store, and returns the service.
func New(ctx context.Context, cfg Config, store storage.Store, log *slog.Logger) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	for _, w := range cfg.ProfileWarnings() {
		log.WarnContext(ctx, w)
	}
	secret, err := store.GetOrCreateSecret(ctx, nonceSecretName, token.RandomBytes32)
	if err != nil {
		return nil, fmt.Errorf("loading the nonce secret: %w", err)
	}
	nonces, err := nonce.New(secret)
	if err != nil {
		return nil, err
	}
	mint, err := token.New(ctx, token.Config{
		Issuer: cfg.URL, AccessTTL: cfg.Tokens.AccessTokenTTL, MaxBearerTTL: maxBearerTTL,
		IDTokenTTL: cfg.Authorization.IDTokenTTL, CNonceTTL: cfg.Tokens.CNonceTTL,
		CNonceInResponse: cfg.Tokens.CNonceInTokenResponse,
	}, store, nonces, cfg.Now())
	if err != nil {
		return nil, err
	}
	s := &Service{cfg: cfg, store: store, log: log, nonces: nonces, mint: mint}
	if err := s.newCheckers(ctx); err != nil {
		return nil, err
	}
	s.wire()
	if s.meta, err = buildMetadata(s); err != nil {
		return nil, err
	}
	if err := s.WalletProviders.Reload(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// newCheckers builds the proof checkers and loads the credential keys.
func (s *Service) newCheckers(ctx context.Context) error {
	cfg := s.cfg
	checker := func(p nonce.Purpose) (*proof.Checker, error) {
		return proof.New(proof.Config{
			Algs: cfg.DPoP.Algs, MaxAge: cfg.DPoP.MaxAge, FutureSkew: cfg.DPoP.FutureSkew,
			UseNonce: cfg.DPoP.UseNonce, NonceTTL: cfg.DPoP.NonceTTL, Purpose: p, Now: cfg.Now,
		}, s.nonces)
	}
	var err error
	if s.proofs, err = checker(nonce.DPoP); err != nil {
		return err
	}
	if s.rsProofs, err = checker(nonce.DPoPResource); err != nil {
		return err
	}
	// A key proof may be signed a while before it is sent: its age is
	// bounded by its c_nonce's life. Key attestations are trusted when a
	// wallet provider of the moment signed them (wire creates the
	// registry, before the first request).
	trusted := func() []walletprovider.Trusted { return s.WalletProviders.Trusted() }
	if s.keyProofs, err = keyproof.New(keyproof.Config{
		Audience: cfg.URL, MaxAge: cfg.Tokens.CNonceTTL, FutureSkew: cfg.DPoP.FutureSkew, Nonces: s.nonces, Now: cfg.Now,
		Trust: keyproof.TrustProviders(trusted),
	}); err != nil {
		return err
	}
	if c := cfg.Credential; c.SigningKeyFile != "" {
		s.credKeys, err = credential.ConfiguredKeys(c.SigningKeyFile, c.CertificateChainFile)
	} else {
		s.credKeys, err = credential.GeneratedKeys(ctx, s.store, cfg.URL, cfg.Now())
	}
	return err
}

// wire builds the parts over the store, each with its share of the
// configuration and the parts it calls.
func (s *Service) wire() {
	cfg, store, log := s.cfg, s.store, s.log
	tokenURL := cfg.URL + PathToken
	s.Clients = clients.New(store, cfg.Now)
	s.Clients.RefusePublic = cfg.RefusesPublicClients()
	s.WalletProviders = walletprovider.New(cfg.ClientAttestation.Providers, store, cfg.Now, log)
	s.ClientAuth = clientauth.New(clientauth.Config{
		URL: cfg.URL, TokenURL: tokenURL, PARURL: cfg.URL + PathPAR,
		PermissiveAssertionAudience: cfg.ClientAuth.PermissiveAssertionAudience,
		JWKSFetchTimeout:            cfg.ClientAuth.JWKSFetchTimeout, ClientCAs: cfg.ClientAuth.ClientCAs,
		Attestation: cfg.ClientAttestation, RefusePublicClients: cfg.RefusesPublicClients(), Now: cfg.Now,
	}, store, s.WalletProviders, s.nonces, log)
	s.Offers = offer.New(offer.Config{
		URL: cfg.URL, Configurations: cfg.CredentialConfigurations,
		CodeTTL: cfg.PreAuthorized.CodeTTL, MaxCodeTTL: cfg.PreAuthorized.MaxCodeTTL,
		TxCodeMaxAttempts: cfg.PreAuthorized.TxCodeMaxAttempts, DeferredTTL: cfg.Credential.DeferredTTL, Now: cfg.Now,
	}, store)
	s.Users = authz.NewUsers(store, cfg.Now).WithHashing(cfg.PasswordHashing)
	s.Authz = authz.New(authz.Config{
		URL: cfg.URL, PARURL: cfg.URL + PathPAR, RequirePAR: cfg.Authorization.RequirePAR,
		RequestURITTL: cfg.Authorization.RequestURITTL, LoginTTL: cfg.Authorization.LoginTTL,
		CodeTTL: cfg.Authorization.CodeTTL, Configurations: cfg.CredentialConfigurations, Now: cfg.Now,
	}, store, authz.Parts{Auth: s.ClientAuth, Offers: s.Offers, Users: s.Users, VerifyProof: s.proofs.Verify}, log)
	s.UMA = uma.New(uma.Config{URL: cfg.URL, Now: cfg.Now}, store, s.ClientAuth)
	rcfg := resource.Config{
		URL: cfg.URL, UserInfoURL: cfg.URL + PathUserInfo,
		RefreshIdleTTL: cfg.Tokens.RefreshTokenIdleTTL, RefreshGrace: cfg.Tokens.RefreshGrace, Now: cfg.Now,
	}
	if !cfg.OwnCredentialEndpoint() {
		// The issuer's own credential endpoint learns the claims through
		// introspection, from the same lookup as ours (built below).
		rcfg.CredentialClaims = func(ctx context.Context, rec storage.Token) (map[string]any, error) {
			return s.Credentials.Claims(ctx, rec)
		}
		rcfg.ClaimsClients = cfg.Credential.IntrospectionClients
	}
	s.Resource = resource.New(rcfg, store, s.ClientAuth, s.mint, s.rsProofs, log)
	configurations, _ := credential.ParseConfigurations(cfg.CredentialConfigurations) // checked by Validate
	s.Credentials = credential.New(credential.Config{
		URL: cfg.URL, CredentialURL: cfg.URL + PathCredential, Configurations: configurations,
		NotificationURL: cfg.URL + PathNotification, DeferredURL: cfg.URL + PathDeferredCredential,
		BatchSize: cfg.Credential.BatchSize, StrictRequests: cfg.Credential.StrictRequests,
		Validity: cfg.Credential.Validity, RequireEncryption: cfg.Credential.RequireEncryption,
		NotificationTTL: cfg.Credential.NotificationTTL, DeferredTTL: cfg.Credential.DeferredTTL,
		DeferredInterval: cfg.Credential.DeferredInterval, Now: cfg.Now,
	}, store, credential.Parts{Access: s.Resource, Proofs: s.keyProofs, Keys: s.credKeys}, log)
	s.Grants = grant.New(grant.Config{
		URL: cfg.URL, TokenURL: tokenURL, RequireDPoP: cfg.DPoP.Policy == DPoPRequired,
		AnonymousAccess: cfg.AnonymousAccess(), RefreshTTL: cfg.Tokens.RefreshTokenTTL,
		RefreshIdleTTL: cfg.Tokens.RefreshTokenIdleTTL, RefreshGrace: cfg.Tokens.RefreshGrace,
		RotateRefresh: cfg.Tokens.RotateRefreshTokens, Refused: cfg.refusedGrants(), Now: cfg.Now,
	}, store, grant.Parts{
		Auth: s.ClientAuth, Proofs: s.proofs, Mint: s.mint, Offers: s.Offers, Authz: s.Authz,
		Users: s.Users, UMA: s.UMA, Tokens: s.Resource,
	}, log)
}

// Config returns the validated configuration.
func (s *Service) Config() Config { return s.cfg }

// BasePath is the path of the public URL ("" for a host-only URL): every
// endpoint lives below it.
func (s *Service) BasePath() string {
	u, _ := url.Parse(s.cfg.URL) // validated in New
	return u.Path
}

// DPoPNonce returns a fresh DPoP-Nonce for the token endpoint, or "" when
// server nonces are off.
func (s *Service) DPoPNonce() string { return s.proofs.Nonce() }

// ResourceDPoPNonce returns a fresh DPoP-Nonce of the resource server (the
// credential endpoint, UserInfo, and the nonce endpoint's header), or ""
// when server nonces are off.
func (s *Service) ResourceDPoPNonce() string { return s.rsProofs.Nonce() }

// Nonces exposes the nonce manager, so that a credential endpoint in the
// same process can check c_nonce values with
// Nonces().Check(nonce.CNonce, value, now).
func (s *Service) Nonces() *nonce.Manager { return s.nonces }

// CNonceResponse is the body of the nonce endpoint (OpenID4VCI 1.0 §7.2).
type CNonceResponse struct {
	CNonce string `json:"c_nonce"`
}

// CNonce issues a c_nonce (OpenID4VCI 1.0 §7).
func (s *Service) CNonce(context.Context) CNonceResponse {
	return CNonceResponse{CNonce: s.mint.CNonce(s.cfg.Now())}
}

// RunSweeper deletes expired state every interval until ctx ends.
func (s *Service) RunSweeper(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			n, err := s.store.Sweep(ctx, s.cfg.Now())
			switch {
			case err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, storage.ErrClosed):
				s.log.ErrorContext(ctx, "sweeping expired state", "err", err)
			case n > 0:
				s.log.DebugContext(ctx, "swept expired state", "records", n)
			}
		}
	}
}
