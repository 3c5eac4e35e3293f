package clients

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"issuer/issuer/oauth"
	"issuer/issuer/token"
	"issuer/storage"
)

// Registry registers clients (the admin API). Create it with [New]; it is
// safe for concurrent use.
type Registry struct {
	store storage.Clients
	now   func() time.Time
	// RefusePublic refuses registrations with the method none (the haip
	// profile). Set it before the first registration.
	RefusePublic bool
}

// New returns the client registry over store; now is the clock of the
// registration times.
func New(store storage.Clients, now func() time.Time) *Registry {
	return &Registry{store: store, now: now}
}

var authMethods = []string{oauth.AuthNone, oauth.AuthClientSecretBasic, oauth.AuthClientSecretPost, oauth.AuthPrivateKeyJWT, oauth.AuthClientSecretJWT, oauth.AuthTLSClientAuth, oauth.AuthSelfSignedTLSClientAuth, oauth.AuthAttestJWT}

// AuthMethods lists the token_endpoint_auth_method values a client may be
// registered with: the methods package clientauth implements.
func AuthMethods() []string { return slices.Clone(authMethods) }

// secretMethods are the methods a generated client_secret is for.
var secretMethods = []string{oauth.AuthClientSecretBasic, oauth.AuthClientSecretPost, oauth.AuthClientSecretJWT}

// knownGrantTypes may be registered for a client.
var knownGrantTypes = []string{
	oauth.GrantAuthorizationCode, oauth.GrantPreAuthorizedCode, oauth.GrantRefreshToken,
	oauth.GrantClientCredentials, oauth.GrantPassword, oauth.GrantUMATicket,
}

// Metadata is a client registration in RFC 7591 field names: what the
// admin API accepts and returns. ClientSecret is returned only at creation.
type Metadata struct {
	ClientID                string          `json:"client_id,omitempty"`
	ClientName              string          `json:"client_name,omitempty"`
	ClientSecret            string          `json:"client_secret,omitempty"`
	ClientIDIssuedAt        int64           `json:"client_id_issued_at,omitempty"`
	ClientSecretExpiresAt   *int64          `json:"client_secret_expires_at,omitempty"`
	TokenEndpointAuthMethod string          `json:"token_endpoint_auth_method,omitempty"`
	GrantTypes              []string        `json:"grant_types,omitempty"`
	RedirectURIs            []string        `json:"redirect_uris,omitempty"`
	Scope                   string          `json:"scope,omitempty"`
	JWKS                    json.RawMessage `json:"jwks,omitempty"`
	JWKSURI                 string          `json:"jwks_uri,omitempty"`
	DPoPBoundAccessTokens   bool            `json:"dpop_bound_access_tokens"`
	storage.ClientTLS
}

// errInvalidMetadata is the RFC 7591 §3.2.2 error of the admin API.
func errInvalidMetadata(format string, args ...any) *oauth.Error {
	e := oauth.ErrInvalidRequest(format, args...)
	e.Code = "invalid_client_metadata"
	return e
}

// Create registers a client. Omitted fields take the RFC 7591
// defaults (client_secret_basic, grant_types [authorization_code]); a
// client_id and, for secret-based methods, a client_secret are generated
// when absent. The secret is stored only as a hash.
func (s *Registry) Create(ctx context.Context, m Metadata) (Metadata, error) {
	if err := s.complete(&m); err != nil {
		return Metadata{}, err
	}
	sum := sha256.Sum256([]byte(m.ClientSecret))
	c := storage.Client{
		ID: m.ClientID, Name: m.ClientName, AuthMethod: m.TokenEndpointAuthMethod, GrantTypes: m.GrantTypes,
		RedirectURIs: m.RedirectURIs, Scope: m.Scope, JWKS: m.JWKS, JWKSURI: m.JWKSURI, DPoPBound: m.DPoPBoundAccessTokens,
		CreatedAt: s.now().UTC(), ClientTLS: m.ClientTLS,
	}
	if m.ClientSecret != "" {
		c.SecretHash = sum[:]
	}
	if m.TokenEndpointAuthMethod == oauth.AuthClientSecretJWT {
		c.HMACSecret = m.ClientSecret // client_secret_jwt needs the secret itself to check MACs
	}
	if err := s.store.CreateClient(ctx, c); errors.Is(err, storage.ErrAlreadyExists) {
		return Metadata{}, errInvalidMetadata("the client_id is already registered")
	} else if err != nil {
		return Metadata{}, oauth.ErrServer(err)
	}
	out := clientMetadata(c)
	out.ClientSecret = m.ClientSecret
	return out, nil
}

func (s *Registry) complete(m *Metadata) error {
	if m.TokenEndpointAuthMethod == "" {
		m.TokenEndpointAuthMethod = oauth.AuthClientSecretBasic
	}
	if len(m.GrantTypes) == 0 {
		m.GrantTypes = []string{oauth.GrantAuthorizationCode}
	}
	if m.ClientID == "" {
		m.ClientID = token.Random()
	}
	switch {
	case !ValidClientID(m.ClientID):
		return errInvalidMetadata("client_id must be 1 to 255 visible ASCII characters")
	case !validClientName(m.ClientName):
		return errInvalidMetadata("client_name must be at most 100 characters, without control characters")
	case !slices.Contains(authMethods, m.TokenEndpointAuthMethod):
		return errInvalidMetadata("token_endpoint_auth_method must be one of %s", strings.Join(authMethods, ", "))
	case s.RefusePublic && m.TokenEndpointAuthMethod == oauth.AuthNone:
		return errInvalidMetadata("token_endpoint_auth_method none is refused by the haip profile: a wallet authenticates with attest_jwt_client_auth")
	case !slices.Contains(secretMethods, m.TokenEndpointAuthMethod) && m.ClientSecret != "":
		return errInvalidMetadata("a client with token_endpoint_auth_method %s has no secret", m.TokenEndpointAuthMethod)
	case slices.Contains(secretMethods, m.TokenEndpointAuthMethod) && m.ClientSecret == "":
		m.ClientSecret = token.Random()
	case slices.Contains(secretMethods, m.TokenEndpointAuthMethod) && len(m.ClientSecret) < 32:
		return errInvalidMetadata("client_secret must have at least 32 characters")
	}
	if err := checkTLSMetadata(m); err != nil {
		return err
	}
	switch {
	case m.TokenEndpointAuthMethod == oauth.AuthSelfSignedTLSClientAuth: // checked by checkTLSMetadata
	case m.TokenEndpointAuthMethod != oauth.AuthPrivateKeyJWT && m.JWKSURI != "":
		return errInvalidMetadata("jwks_uri is for private_key_jwt and self_signed_tls_client_auth clients")
	case m.TokenEndpointAuthMethod != oauth.AuthPrivateKeyJWT:
	case len(m.JWKS) > 0 && m.JWKSURI != "":
		return errInvalidMetadata("jwks and jwks_uri must not both be given (RFC 7591 section 2)")
	case m.JWKSURI != "":
		if err := checkJWKSURI(m.JWKSURI); err != nil {
			return err
		}
	default:
		if err := checkClientKeys(m.JWKS); err != nil {
			return err
		}
	}
	for _, g := range m.GrantTypes {
		if !slices.Contains(knownGrantTypes, g) {
			return errInvalidMetadata("grant_types has an unknown grant type")
		}
	}
	for i, u := range m.RedirectURIs {
		if err := CheckRedirectURI(u); err != nil {
			return errInvalidMetadata("redirect_uris[%d] %s", i, err)
		}
	}
	if len(m.JWKS) > 0 {
		return checkClientKeys(m.JWKS)
	}
	return nil
}

// ValidClientID reports whether id is 1 to 255 visible ASCII characters:
// a client_id or a username.
func ValidClientID(id string) bool {
	if len(id) == 0 || len(id) > 255 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x21 || id[i] > 0x7e {
			return false
		}
	}
	return true
}

// validClientName reports whether name, shown on the sign-in and consent
// pages, is valid UTF-8 of at most 100 characters without control
// characters. The pages escape it.
func validClientName(name string) bool {
	if !utf8.ValidString(name) || utf8.RuneCountInString(name) > 100 {
		return false
	}
	return !strings.ContainsFunc(name, unicode.IsControl)
}

func clientMetadata(c storage.Client) Metadata {
	var never int64
	m := Metadata{
		ClientID: c.ID, ClientName: c.Name, ClientIDIssuedAt: c.CreatedAt.Unix(), TokenEndpointAuthMethod: c.AuthMethod,
		GrantTypes: c.GrantTypes, RedirectURIs: c.RedirectURIs, Scope: c.Scope, JWKS: c.JWKS, JWKSURI: c.JWKSURI,
		DPoPBoundAccessTokens: c.DPoPBound, ClientTLS: c.ClientTLS,
	}
	if len(c.SecretHash) > 0 {
		m.ClientSecretExpiresAt = &never
	}
	return m
}

// Get returns a registered client (without its secret).
func (s *Registry) Get(ctx context.Context, id string) (Metadata, error) {
	c, err := s.store.GetClient(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return Metadata{}, oauth.ErrNotFound("the client doesn't exist")
	} else if err != nil {
		return Metadata{}, oauth.ErrServer(err)
	}
	return clientMetadata(c), nil
}

// Delete removes a registered client.
func (s *Registry) Delete(ctx context.Context, id string) error {
	err := s.store.DeleteClient(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return oauth.ErrNotFound("the client doesn't exist")
	} else if err != nil {
		return oauth.ErrServer(err)
	}
	return nil
}
