package offer

import (
	"context"
	"errors"
	"time"

	"issuer/issuer/oauth"
	"issuer/storage"
)

// Path is the path, below the public base URL, of the offers served by
// reference and of their QR pages (Path + id + "/qr").
const Path = "/offers/"

// Config is what the offers need of the server's configuration.
type Config struct {
	// URL is the public base URL: the credential issuer identifier and the
	// base of the offer URLs.
	URL string
	// Configurations is credential_configurations_supported, keyed by ID.
	Configurations map[string]any
	// CodeTTL is the default life of an offer's code; MaxCodeTTL caps what
	// the admin API may ask for.
	CodeTTL, MaxCodeTTL time.Duration
	// TxCodeMaxAttempts is the budget of wrong transaction codes after
	// which the code is dead.
	TxCodeMaxAttempts int
	// DeferredTTL is how long a deferred offer is kept after its code
	// expires, and the claims supplied for it after they are.
	DeferredTTL time.Duration
	// Now is the clock.
	Now func() time.Time
}

// Store is what the offers keep: the offers, and the credential records
// of their issuance (the claims supplied later, the notifications and
// transactions the admin API shows).
type Store interface {
	storage.Offers
	storage.CredentialRecords
}

// Offers creates, serves and checks credential offers. Create it with
// [New]; it is safe for concurrent use.
type Offers struct {
	cfg   Config
	store Store
}

// New returns the offers of cfg, kept in store.
func New(cfg Config, store Store) *Offers {
	return &Offers{cfg: cfg, store: store}
}

// live returns an offer that can still be used. A redeemed pre-authorized
// code ends the offer; an offer with only the authorization_code grant
// lives until it expires.
func (s *Offers) live(ctx context.Context, id string) (storage.Offer, error) {
	o, err := s.store.GetOffer(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return o, oauth.ErrNotFound("no such credential offer")
	} else if err != nil {
		return o, oauth.ErrServer(err)
	}
	if len(o.OfferJSON) == 0 || !o.RedeemedAt.IsZero() || o.Locked || s.cfg.Now().After(o.ExpiresAt) {
		return o, oauth.ErrNotFound("no such credential offer")
	}
	return o, nil
}
