package resource

import (
	"context"
	"log/slog"
	"time"

	"issuer/issuer/clientauth"
	"issuer/issuer/limit"
	"issuer/issuer/oauth"
	"issuer/issuer/proof"
	"issuer/issuer/token"
	"issuer/storage"
)

// Config is what the token endpoints need of the server's configuration.
type Config struct {
	// URL is the issuer identifier (iss and aud of introspection);
	// UserInfoURL the htu of a UserInfo request's proof.
	URL, UserInfoURL string
	// RefreshIdleTTL and RefreshGrace decide whether a refresh token is
	// still active (see storage.CheckRefresh).
	RefreshIdleTTL, RefreshGrace time.Duration
	// CredentialClaims, when set, gives the introspection of an active
	// access token the claims a credential endpoint would issue
	// (credential_claims): for a credential endpoint of the issuer's own.
	// nil claims leave the member out.
	CredentialClaims func(ctx context.Context, rec storage.Token) (map[string]any, error)
	// ClaimsClients are the clients (the issuer's credential endpoints)
	// whose introspections carry credential_claims; no other client sees
	// a subject's claims.
	ClaimsClients []string
	// Now is the clock.
	Now func() time.Time
}

// Store is what the endpoints read and change in the store: the tokens,
// the users of UserInfo and the replay keys of the proofs.
type Store interface {
	GetToken(ctx context.Context, id string) (storage.Token, error)
	RevokeGrant(ctx context.Context, grantID string) error
	RevokeTokens(ctx context.Context, ids []string) error
	GetUserByID(ctx context.Context, id string) (storage.User, error)
	// GetClient finds the client of a token: a deleted client's tokens
	// stop working at the resources.
	GetClient(ctx context.Context, id string) (storage.Client, error)
	storage.Replay
}

// Authenticator authenticates the client of a revocation or introspection
// request.
type Authenticator interface {
	Authenticate(ctx context.Context, req clientauth.Request) (*storage.Client, oauth.Binding, error)
}

// Token scanning (RFC 7009 §5, RFC 7662 §4): an authenticated client may
// look up at most maxScans unknown tokens per scanWindow.
const (
	maxScans   = 100
	scanWindow = time.Minute
)

// Server serves revocation, introspection and UserInfo. Create it with
// [New]; it is safe for concurrent use.
type Server struct {
	cfg    Config
	store  Store
	auth   Authenticator
	mint   *token.Minter
	proofs *proof.Checker
	log    *slog.Logger
	// scans counts unknown tokens looked up per client.
	scans *limit.Failures
}

// New returns the endpoints over store: auth authenticates clients, mint
// verifies the access tokens it signed, proofs checks DPoP proofs.
func New(cfg Config, store Store, auth Authenticator, mint *token.Minter, proofs *proof.Checker, log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Server{
		cfg: cfg, store: store, auth: auth, mint: mint, proofs: proofs, log: log,
		scans: limit.NewFailures(maxScans, scanWindow),
	}
}
