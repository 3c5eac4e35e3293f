package authz

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"issuer/dpop"
	"issuer/issuer/clientauth"
	"issuer/issuer/limit"
	"issuer/issuer/oauth"
	"issuer/issuer/offer"
	"issuer/issuer/token"
	"issuer/storage"
)

// Config is what the authorization flow needs of the server's
// configuration.
type Config struct {
	// URL is the issuer identifier (iss of the redirects, the locations of
	// authorization_details); PARURL the htu of a PAR request's proof.
	URL, PARURL string
	// RequirePAR refuses authorization requests that were not pushed.
	RequirePAR bool
	// RequestURITTL, LoginTTL and CodeTTL are the lives of a request_uri,
	// of a sign-in and of an authorization code.
	RequestURITTL, LoginTTL, CodeTTL time.Duration
	// Configurations is credential_configurations_supported, keyed by ID.
	Configurations map[string]any
	// Now is the clock.
	Now func() time.Time
}

// Store is what the authorization flow keeps in the store.
type Store interface {
	storage.AuthSessions
	CreateAuthCode(ctx context.Context, c storage.AuthCode) error
	GetClient(ctx context.Context, id string) (storage.Client, error)
	GetOffer(ctx context.Context, id string) (storage.Offer, error)
	storage.Replay
}

// Authenticator authenticates the client of a pushed request.
type Authenticator interface {
	Authenticate(ctx context.Context, req clientauth.Request) (*storage.Client, oauth.Binding, error)
}

// VerifyProof verifies a DPoP proof for method and url at now (with the
// server nonce when nonces are on) and answers as the token endpoint
// does; the replay is the caller's to record.
type VerifyProof func(ctx context.Context, raw, method, url string, now time.Time, accessToken string) (*dpop.Proof, error)

// Parts are the other parts the flow calls.
type Parts struct {
	Auth        Authenticator
	Offers      *offer.Offers
	Users       *Users
	VerifyProof VerifyProof
}

// Authz serves PAR, /authorize, sign-in and consent. Create it with
// [New]; it is safe for concurrent use.
type Authz struct {
	cfg         Config
	store       Store
	log         *slog.Logger
	auth        Authenticator
	offers      *offer.Offers
	users       *Users
	verifyProof VerifyProof
	// scopes maps credential scopes to configuration IDs.
	scopes map[string]string
	// pushes counts pushed authorization requests per client.
	pushes *limit.Failures
}

// New returns the authorization flow of cfg over store and the parts.
// A nil log discards.
func New(cfg Config, store Store, p Parts, log *slog.Logger) *Authz {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Authz{
		cfg: cfg, store: store, log: log, auth: p.Auth, offers: p.Offers, users: p.Users, verifyProof: p.VerifyProof,
		scopes: CredentialScopes(cfg.Configurations),
		pushes: limit.NewFailures(maxPushes, pushWindow),
	}
}

// Users are the users who sign in (admin API, passwords, sign-in delays).
// Create them with [NewUsers]; they are safe for concurrent use.
type Users struct {
	now     func() time.Time
	store   storage.Users
	signIns signInLimits
	// dummyHash is checked for unknown users so that they cost the same as
	// wrong passwords.
	dummyHash func() string
	hashing   PasswordHashing
}

// WithHashing sets the cost of new password hashes (and of the dummy hash
// unknown users are checked against); tests only: the zero value, the
// default, is the OWASP minimum.
func (u *Users) WithHashing(cost PasswordHashing) *Users {
	u.hashing = cost
	return u
}

// NewUsers returns the users kept in store, on the clock now.
func NewUsers(store storage.Users, now func() time.Time) *Users {
	u := &Users{now: now, store: store, signIns: newSignInLimits()}
	u.dummyHash = sync.OnceValue(func() string { h, _ := hashPassword(token.Random(), u.hashing); return h })
	return u
}
