package storage

import (
	"context"
	"encoding/json"
	"time"
)

// Clients are the registered OAuth clients.
type Clients interface {
	// CreateClient stores c; ErrAlreadyExists if c.ID is taken.
	CreateClient(ctx context.Context, c Client) error
	// GetClient returns the client; ErrNotFound if there is none.
	GetClient(ctx context.Context, id string) (Client, error)
	// DeleteClient removes the client; ErrNotFound if there is none.
	DeleteClient(ctx context.Context, id string) error
}

// Client is a registered OAuth client (RFC 7591 field names in the API; here
// the stored form).
type Client struct {
	ID string `json:"id"`
	// Name is the client_name shown to users (RFC 7591 §2).
	Name       string `json:"client_name,omitempty"`
	SecretHash []byte `json:"secret_hash,omitempty"` // SHA-256 of the secret; never the secret
	// HMACSecret is the secret itself, kept only for client_secret_jwt,
	// whose assertions are MACs the server must recompute.
	HMACSecret   string          `json:"hmac_secret,omitempty"`
	AuthMethod   string          `json:"token_endpoint_auth_method"`
	GrantTypes   []string        `json:"grant_types,omitempty"`
	RedirectURIs []string        `json:"redirect_uris,omitempty"`
	Scope        string          `json:"scope,omitempty"`
	JWKS         json.RawMessage `json:"jwks,omitempty"`
	JWKSURI      string          `json:"jwks_uri,omitempty"`
	DPoPBound    bool            `json:"dpop_bound_access_tokens,omitempty"`
	CreatedAt    time.Time       `json:"created_at"`
	ClientTLS
}

// ClientTLS is a client's mutual-TLS registration (RFC 8705 §2.1.2, §3.4),
// in the RFC's metadata names: for tls_client_auth, exactly one of the
// five values the certificate must match.
type ClientTLS struct {
	SubjectDN string `json:"tls_client_auth_subject_dn,omitempty"`
	SANDNS    string `json:"tls_client_auth_san_dns,omitempty"`
	SANURI    string `json:"tls_client_auth_san_uri,omitempty"`
	SANIP     string `json:"tls_client_auth_san_ip,omitempty"`
	SANEmail  string `json:"tls_client_auth_san_email,omitempty"`
	// CertificateBoundAccessTokens binds the client's access tokens to the
	// certificate of its TLS connection.
	CertificateBoundAccessTokens bool `json:"tls_client_certificate_bound_access_tokens,omitempty"`
}
