package storage

import (
	"context"
	"encoding/json"
	"time"
)

// WalletProviders are the wallet providers trusted at run time.
type WalletProviders interface {
	// CreateWalletProvider stores p; ErrAlreadyExists if p.ID is taken.
	CreateWalletProvider(ctx context.Context, p WalletProvider) error
	// WalletProviders returns every wallet provider, oldest CreatedAt
	// first (ties by ID).
	WalletProviders(ctx context.Context) ([]WalletProvider, error)
	// DeleteWalletProvider removes the provider; ErrNotFound if there is
	// none.
	DeleteWalletProvider(ctx context.Context, id string) error
}

// WalletProvider is a wallet provider trusted at run time (added through
// the admin API): the attestations it signs authenticate wallets with
// attest_jwt_client_auth. It has either JWKS (its signing keys) or
// X5CRoots (trust anchors, base64 DER, that the x5c of its attestations
// chains to).
type WalletProvider struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Issuer, when set, is the iss every attestation of this provider
	// must carry.
	Issuer    string          `json:"issuer,omitempty"`
	ClientIDs []string        `json:"client_ids,omitempty"` // the client IDs it may vouch for; any when empty
	JWKS      json.RawMessage `json:"jwks,omitempty"`
	X5CRoots  []string        `json:"x5c_roots,omitempty"`
	CreatedAt time.Time       `json:"created_at"`
}
