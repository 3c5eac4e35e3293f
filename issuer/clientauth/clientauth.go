package clientauth

import (
	"crypto/x509"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"issuer/issuer/limit"
	"issuer/nonce"
	"issuer/storage"
)

// Client-secret guessing: failures are free per client and address up to
// secretFreeFailures, then delay that client's attempts from that address
// (1 s, doubling per failure up to maxSecretDelay); forgotten after
// failureWindow without one.
const (
	secretFreeFailures = 20
	maxSecretDelay     = 5 * time.Minute
	failureWindow      = 15 * time.Minute
)

// JWKSDefaultWait is the default bound on fetching a client's jwks_uri.
const JWKSDefaultWait = jwksDefaultWait

// Config is what client authentication needs of the server's configuration.
type Config struct {
	// URL is the issuer identifier; TokenURL the token endpoint: the
	// audiences a client assertion or attestation PoP may name.
	URL, TokenURL string
	// PARURL is the pushed authorization request endpoint, the other
	// audience a permissive assertion may name (RFC 9126 §2).
	PARURL string
	// PermissiveAssertionAudience also accepts the token endpoint URL, and
	// a one-element array, as aud of client assertions.
	PermissiveAssertionAudience bool
	// JWKSFetchTimeout bounds fetching a client's jwks_uri.
	JWKSFetchTimeout time.Duration
	// ClientCAs are the roots of tls_client_auth certificates.
	ClientCAs *x509.CertPool
	// Attestation configures attest_jwt_client_auth.
	Attestation AttestationConfig
	// Now is the clock.
	Now func() time.Time
}

// Store is what client authentication, registration and the wallet
// providers use of the store.
type Store interface {
	storage.Clients
	storage.WalletProviders
	storage.Replay
}

// Authenticator authenticates the clients of a request. Create it with
// [New]; it is safe for concurrent use.
type Authenticator struct {
	cfg    Config
	store  Store
	log    *slog.Logger
	nonces *nonce.Manager
	// secretFailures delays client-secret guessing per client and address.
	secretFailures *limit.Backoff
	// fetcher fetches and caches the jwks_uri of private_key_jwt clients.
	fetcher *keyFetcher
	// providers are the trusted wallet providers.
	providers *Providers
}

// Registry registers clients (the admin API).
type Registry struct {
	cfg   Config
	store storage.Clients
}

// Providers holds the trusted wallet providers: those of the config file
// and those in the store, reloaded after each change through the admin
// API.
type Providers struct {
	cfg     Config
	store   storage.WalletProviders
	log     *slog.Logger
	mu      sync.Mutex // serializes reloads
	trusted atomic.Pointer[[]trustedProvider]
}

// New returns the client authenticator, the client registry and the
// wallet providers over store; nonces issues the attestation challenges.
// The providers are empty until their first Reload.
func New(cfg Config, store Store, nonces *nonce.Manager, log *slog.Logger) (*Authenticator, *Registry, *Providers) {
	providers := &Providers{cfg: cfg, store: store, log: log}
	a := &Authenticator{
		cfg: cfg, store: store, log: log, nonces: nonces,
		secretFailures: limit.NewBackoff(secretFreeFailures, time.Second, maxSecretDelay, failureWindow),
		fetcher:        newKeyFetcher(cfg.JWKSFetchTimeout, cfg.Now, log),
		providers:      providers,
	}
	return a, &Registry{cfg: cfg, store: store}, providers
}

func setIfZero[T comparable](p *T, v T) {
	var zero T
	if *p == zero {
		*p = v
	}
}
