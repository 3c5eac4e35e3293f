package issuer

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strings"

	"issuer/issuer/limit"
	"issuer/issuer/oauth"
	"issuer/issuer/token"
	"issuer/storage"
)

var supportedAuthMethods = []string{oauth.AuthNone, oauth.AuthClientSecretBasic, oauth.AuthClientSecretPost, oauth.AuthPrivateKeyJWT, oauth.AuthClientSecretJWT, oauth.AuthTLSClientAuth, oauth.AuthSelfSignedTLSClientAuth, oauth.AuthAttestJWT}

// secretMethods are the methods a generated client_secret is for.
var secretMethods = []string{oauth.AuthClientSecretBasic, oauth.AuthClientSecretPost, oauth.AuthClientSecretJWT}

// knownGrantTypes may be registered for a client.
var knownGrantTypes = []string{
	oauth.GrantAuthorizationCode, oauth.GrantPreAuthorizedCode, oauth.GrantRefreshToken,
	oauth.GrantClientCredentials, oauth.GrantPassword, oauth.GrantUMATicket,
}

// basicChallenge is the WWW-Authenticate challenge of an invalid_client
// answer to a client that used HTTP Basic (RFC 6749 §5.2).
func basicChallenge() *oauth.Challenge { return oauth.BasicChallenge("issuer") }

// credentials is what a request presents to identify its client.
type credentials struct {
	id, secret string
	assertion  string           // a JWT client assertion (RFC 7523)
	method     string           // the method the request used; "" when anonymous
	challenge  *oauth.Challenge // WWW-Authenticate for invalid_client
	// attest is a wallet attestation and its PoP (attestation.go).
	attest attestationHeaders
}

// ClientRequest is a request to an endpoint that authenticates clients
// (revocation, introspection): its form parameters and Authorization header.
type ClientRequest struct {
	Params        map[string]string
	Authorization string
	// Certs is the client certificate chain of the TLS connection, the leaf
	// first, as the TLS layer or a trusted proxy delivered it: not
	// verified (the listener only requests certificates).
	Certs []*x509.Certificate
	// ClientAttestation and ClientAttestationPoP are the values of every
	// OAuth-Client-Attestation and OAuth-Client-Attestation-PoP header.
	ClientAttestation, ClientAttestationPoP []string
	// RemoteIP is the address of the TCP peer: what the limits on guessing
	// (client secrets, PAR pushes of public clients) count per.
	RemoteIP string
}

// readCredentials extracts the client credentials of a request, refusing a
// request that uses more than one method (RFC 6749 §2.3).
func readCredentials(req ClientRequest) (credentials, error) {
	if len(req.ClientAttestation) > 0 || len(req.ClientAttestationPoP) > 0 {
		return attestationCredentials(req)
	}
	p := req.Params
	if p["client_assertion"] != "" || p["client_assertion_type"] != "" {
		switch {
		case req.Authorization != "" || p["client_secret"] != "":
			return credentials{}, oauth.ErrInvalidRequest("the client used more than one authentication method")
		case p["client_assertion_type"] != assertionType:
			return credentials{}, oauth.ErrInvalidClient("the client_assertion_type is not supported")
		case p["client_assertion"] == "":
			return credentials{}, oauth.ErrInvalidClient("the parameter client_assertion is missing")
		}
		return credentials{id: p["client_id"], assertion: p["client_assertion"], method: "jwt"}, nil
	}
	if req.Authorization == "" {
		switch {
		case p["client_secret"] != "" && p["client_id"] == "":
			return credentials{}, oauth.ErrInvalidRequest("the parameter client_id is missing")
		case p["client_secret"] != "":
			return credentials{id: p["client_id"], secret: p["client_secret"], method: oauth.AuthClientSecretPost}, nil
		case p["client_id"] != "":
			return credentials{id: p["client_id"], method: oauth.AuthNone}, nil
		}
		return credentials{}, nil
	}
	scheme, rest, _ := strings.Cut(req.Authorization, " ")
	if !strings.EqualFold(scheme, "Basic") {
		return credentials{}, oauth.ErrInvalidRequest("only the Basic scheme is accepted in the Authorization header")
	}
	if p["client_secret"] != "" {
		return credentials{}, oauth.ErrInvalidRequest("the client used more than one authentication method")
	}
	id, secret, err := parseBasic(rest)
	if err != nil {
		return credentials{}, oauth.ErrInvalidClient("the Authorization header is malformed").WithChallenge(basicChallenge())
	}
	if p["client_id"] != "" && p["client_id"] != id {
		return credentials{}, oauth.ErrInvalidClient("client_id does not match the Authorization header").WithChallenge(basicChallenge())
	}
	return credentials{id: id, secret: secret, method: oauth.AuthClientSecretBasic, challenge: basicChallenge()}, nil
}

// parseBasic decodes HTTP Basic credentials whose parts were
// form-urlencoded before base64 (RFC 6749 §2.3.1).
func parseBasic(token string) (id, secret string, err error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(token))
	if err != nil {
		return "", "", err
	}
	encID, encSecret, ok := strings.Cut(string(raw), ":")
	if !ok {
		return "", "", errors.New("no colon")
	}
	if id, err = url.QueryUnescape(encID); err != nil {
		return "", "", err
	}
	if secret, err = url.QueryUnescape(encSecret); err != nil {
		return "", "", err
	}
	if id == "" {
		return "", "", errors.New("empty client_id")
	}
	return id, secret, nil
}

// authenticateClient returns the authenticated client, or nil for an
// anonymous request.
func (s *Service) authenticateClient(ctx context.Context, req ClientRequest) (*storage.Client, error) {
	cred, err := readCredentials(req)
	if err != nil || cred.method == "" {
		return nil, err
	}
	if cred.assertion != "" {
		return s.authenticateAssertion(ctx, cred)
	}
	if cred.method == oauth.AuthAttestJWT {
		return s.authenticateAttestation(ctx, cred)
	}
	c, err := s.store.GetClient(ctx, cred.id)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, oauth.ErrInvalidClient("the client doesn't exist").WithChallenge(cred.challenge)
	}
	if err != nil {
		return nil, oauth.ErrServer(err)
	}
	if isTLSMethod(c.AuthMethod) && cred.method == oauth.AuthNone {
		return s.authenticateTLS(ctx, c, req.Certs)
	}
	if c.AuthMethod != cred.method {
		return nil, oauth.ErrInvalidClient("the client cannot be authenticated with %s", cred.method).WithChallenge(cred.challenge)
	}
	if cred.method == oauth.AuthNone {
		return &c, nil
	}
	// Secrets are guessable only online: failed authentications delay
	// further attempts of the client from the same address (RFC 6749
	// §2.3.1), so that a guesser slows down while the client, elsewhere,
	// keeps working: a client_id is no secret.
	now := s.cfg.Now()
	key := c.ID + "\x00" + limit.AddressKey(req.RemoteIP)
	if wait := s.secretFailures.Take(key, now); wait > 0 {
		s.log.WarnContext(ctx, "client secret guessing delayed", "client", c.ID, "address", req.RemoteIP)
		return nil, oauth.ErrInvalidClient("too many failed authentications; try again later").WithChallenge(cred.challenge).WithRetryAfter(wait)
	}
	if !secretMatches(c.SecretHash, cred.secret) {
		return nil, oauth.ErrInvalidClient("the client secret is invalid").WithChallenge(cred.challenge)
	}
	s.secretFailures.Reset(key)
	return &c, nil
}

func secretMatches(hash []byte, secret string) bool {
	sum := sha256.Sum256([]byte(secret))
	return len(hash) == len(sum) && subtle.ConstantTimeCompare(hash, sum[:]) == 1
}

// ClientMetadata is a client registration in RFC 7591 field names: what the
// admin API accepts and returns. ClientSecret is returned only at creation.
type ClientMetadata struct {
	ClientID                string          `json:"client_id,omitempty"`
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

// CreateClient registers a client. Omitted fields take the RFC 7591
// defaults (client_secret_basic, grant_types [authorization_code]); a
// client_id and, for secret-based methods, a client_secret are generated
// when absent. The secret is stored only as a hash.
func (s *Service) CreateClient(ctx context.Context, m ClientMetadata) (ClientMetadata, error) {
	if err := s.completeClient(&m); err != nil {
		return ClientMetadata{}, err
	}
	sum := sha256.Sum256([]byte(m.ClientSecret))
	c := storage.Client{
		ID: m.ClientID, AuthMethod: m.TokenEndpointAuthMethod, GrantTypes: m.GrantTypes,
		RedirectURIs: m.RedirectURIs, Scope: m.Scope, JWKS: m.JWKS, JWKSURI: m.JWKSURI, DPoPBound: m.DPoPBoundAccessTokens,
		CreatedAt: s.cfg.Now().UTC(), ClientTLS: m.ClientTLS,
	}
	if m.ClientSecret != "" {
		c.SecretHash = sum[:]
	}
	if m.TokenEndpointAuthMethod == oauth.AuthClientSecretJWT {
		c.HMACSecret = m.ClientSecret // client_secret_jwt needs the secret itself to check MACs
	}
	if err := s.store.CreateClient(ctx, c); errors.Is(err, storage.ErrAlreadyExists) {
		return ClientMetadata{}, errInvalidMetadata("the client_id is already registered")
	} else if err != nil {
		return ClientMetadata{}, oauth.ErrServer(err)
	}
	out := clientMetadata(c)
	out.ClientSecret = m.ClientSecret
	return out, nil
}

func (s *Service) completeClient(m *ClientMetadata) error {
	setIfZero(&m.TokenEndpointAuthMethod, oauth.AuthClientSecretBasic)
	if len(m.GrantTypes) == 0 {
		m.GrantTypes = []string{oauth.GrantAuthorizationCode}
	}
	if m.ClientID == "" {
		m.ClientID = token.Random()
	}
	switch {
	case !validClientID(m.ClientID):
		return errInvalidMetadata("client_id must be 1 to 255 visible ASCII characters")
	case !slices.Contains(supportedAuthMethods, m.TokenEndpointAuthMethod):
		return errInvalidMetadata("token_endpoint_auth_method must be one of %s", strings.Join(supportedAuthMethods, ", "))
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
		return errInvalidMetadata("jwks and jwks_uri must not both be given (RFC 7591 §2)")
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
		if err := checkRedirectURI(u); err != nil {
			return errInvalidMetadata("redirect_uris[%d] %s", i, err)
		}
	}
	if len(m.JWKS) > 0 {
		return checkClientKeys(m.JWKS)
	}
	return nil
}

func validClientID(id string) bool {
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

func clientMetadata(c storage.Client) ClientMetadata {
	var never int64
	m := ClientMetadata{
		ClientID: c.ID, ClientIDIssuedAt: c.CreatedAt.Unix(), TokenEndpointAuthMethod: c.AuthMethod,
		GrantTypes: c.GrantTypes, RedirectURIs: c.RedirectURIs, Scope: c.Scope, JWKS: c.JWKS, JWKSURI: c.JWKSURI,
		DPoPBoundAccessTokens: c.DPoPBound, ClientTLS: c.ClientTLS,
	}
	if len(c.SecretHash) > 0 {
		m.ClientSecretExpiresAt = &never
	}
	return m
}

// GetClient returns a registered client (without its secret).
func (s *Service) GetClient(ctx context.Context, id string) (ClientMetadata, error) {
	c, err := s.store.GetClient(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return ClientMetadata{}, oauth.ErrNotFound("the client doesn't exist")
	} else if err != nil {
		return ClientMetadata{}, oauth.ErrServer(err)
	}
	return clientMetadata(c), nil
}

// DeleteClient removes a registered client.
func (s *Service) DeleteClient(ctx context.Context, id string) error {
	err := s.store.DeleteClient(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return oauth.ErrNotFound("the client doesn't exist")
	} else if err != nil {
		return oauth.ErrServer(err)
	}
	return nil
}
