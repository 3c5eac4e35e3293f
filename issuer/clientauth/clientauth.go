package clientauth

import (
	"crypto/x509"
	"log/slog"
	"time"

	"issuer/issuer/limit"
	"issuer/issuer/walletprovider"
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
	// RefusePublicClients refuses clients registered with the method none
	// (the haip profile: HAIP §4.4.1 requires client authentication).
	RefusePublicClients bool
	// Now is the clock.
	Now func() time.Time
}

// Store is what client authentication uses of the store: the registered
// clients, and the replay keys of assertions and attestation PoPs.
type Store interface {
	storage.Clients
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
	providers *walletprovider.Registry
}

// New returns the client authenticator over store; providers are the
// wallet providers whose attestations it trusts, nonces issues the
// attestation challenges; a nil log discards.
func New(cfg Config, store Store, providers *walletprovider.Registry, nonces *nonce.Manager, log *slog.Logger) *Authenticator {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Authenticator{
		cfg: cfg, store: store, log: log, nonces: nonces,
		secretFailures: limit.NewBackoff(secretFreeFailures, time.Second, maxSecretDelay, failureWindow),
		fetcher:        newKeyFetcher(cfg.JWKSFetchTimeout, cfg.Now, log),
		providers:      providers,
	}
}
