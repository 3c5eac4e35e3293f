package uma

import (
	"context"
	"time"

	"issuer/issuer/clientauth"
	"issuer/issuer/oauth"
	"issuer/storage"
)

const (
	ticketTTL    = 5 * time.Minute
	pollInterval = 5
	// ClaimTokenFormat is the one claim token format supported: an access
	// token of this server.
	ClaimTokenFormat = "urn:ietf:params:oauth:token-type:jwt"
	// PathPermission is the permission endpoint, below the base URL.
	PathPermission = "/uma/permission"
)

// Config is what UMA needs of the server's configuration.
type Config struct {
	// URL is the issuer identifier, named in need_info answers.
	URL string
	// Now is the clock.
	Now func() time.Time
}

// Store is what UMA keeps in the store: its resources and tickets, and
// the clients and users its grants name.
type Store interface {
	storage.UMA
	GetClient(ctx context.Context, id string) (storage.Client, error)
	GetUser(ctx context.Context, username string) (storage.User, error)
}

// Authenticator authenticates the resource server of a permission
// request.
type Authenticator interface {
	Authenticate(ctx context.Context, req clientauth.Request) (*storage.Client, oauth.Binding, error)
}

// UMA serves the UMA resources, tickets and their evaluation. Create it
// with [New]; it is safe for concurrent use.
type UMA struct {
	cfg   Config
	store Store
	auth  Authenticator
}

// New returns the UMA part, keeping its state in store and authenticating
// resource servers with auth.
func New(cfg Config, store Store, auth Authenticator) *UMA {
	return &UMA{cfg: cfg, store: store, auth: auth}
}
