package credential

import (
	"context"
	"log/slog"
	"time"

	"issuer/issuer/credential/keyproof"
	"issuer/issuer/resource"
	"issuer/storage"
)

// Config is what the credential endpoint needs of the server's
// configuration.
type Config struct {
	// URL is the credential issuer identifier: the iss of SD-JWT VCs.
	URL string
	// CredentialURL is the credential endpoint's URL: the htu of its DPoP
	// proofs. NotificationURL and DeferredURL are those of the
	// notification and deferred credential endpoints.
	CredentialURL, NotificationURL, DeferredURL string
	// Configurations are credential_configurations_supported, parsed.
	Configurations map[string]*Configuration
	// BatchSize is batch_credential_issuance.batch_size: the most proofs
	// (and credentials) of one request.
	BatchSize int
	// StrictRequests refuses the members of drafts 13–15 (proof, format).
	StrictRequests bool
	// Validity is how long a credential is valid from its issuance.
	Validity time.Duration
	// RequireEncryption refuses requests without
	// credential_response_encryption (encryption_required).
	RequireEncryption bool
	// NotificationTTL is how long a notification_id is accepted after
	// its credential response.
	NotificationTTL time.Duration
	// DeferredTTL is how long a deferred transaction lives, and the claims
	// supplied for it; DeferredInterval is the interval of the deferred
	// answers, the least time a wallet waits between two requests.
	DeferredTTL, DeferredInterval time.Duration
	// Now is the clock.
	Now func() time.Time
}

// Access checks the access token of a request to a resource
// (resource.Server.Access).
type Access interface {
	Access(ctx context.Context, req resource.AccessRequest, htu string) (storage.Token, error)
}

// ProofVerifier verifies one JWT key proof (keyproof.Verifier).
type ProofVerifier interface {
	Verify(ctx context.Context, raw string, e keyproof.Expect) (keyproof.Proof, error)
}

// Store is what the endpoint reads in the store: where the claims come
// from (offers, authorization codes, users), the replay keys of the key
// proofs, and the records of notifications and deferred transactions.
type Store interface {
	GetOffer(ctx context.Context, id string) (storage.Offer, error)
	GetAuthCode(ctx context.Context, id string) (storage.AuthCode, error)
	GetUser(ctx context.Context, username string) (storage.User, error)
	GetUserByID(ctx context.Context, id string) (storage.User, error)
	storage.Replay
	storage.CredentialRecords
}

// Parts are the parts the endpoint calls.
type Parts struct {
	Access Access
	Proofs ProofVerifier
	Keys   *Keys
}

// Service is the credential endpoint. Create it with [New]; it is safe for
// concurrent use.
type Service struct {
	cfg   Config
	store Store
	parts Parts
	log   *slog.Logger
}

// New returns the endpoint over store with its parts.
func New(cfg Config, store Store, parts Parts, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{cfg: cfg, store: store, parts: parts, log: log}
}

// Keys is the credential signing key and its chain.
func (s *Service) Keys() *Keys { return s.parts.Keys }
