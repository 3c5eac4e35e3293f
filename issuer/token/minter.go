package token

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"

	"issuer/issuer/oauth"
	"issuer/nonce"
	"issuer/storage"
)

// successorSecretName names the key rotated refresh tokens' successors are
// derived with.
const successorSecretName = "refresh-successor-hmac-v1"

// Config is what the minter needs of the server's configuration.
type Config struct {
	// Issuer is the iss and aud of the tokens (the public base URL).
	Issuer string
	// AccessTTL is the life of a bound access token; an unbound (Bearer)
	// one lives at most MaxBearerTTL (OpenID4VCI 1.0 §13.10).
	AccessTTL, MaxBearerTTL time.Duration
	// IDTokenTTL is the life of ID tokens.
	IDTokenTTL time.Duration
	// CNonceTTL is the life of a c_nonce; CNonceInResponse adds one to the
	// token responses for credential issuance.
	CNonceTTL        time.Duration
	CNonceInResponse bool
}

// Minter signs and mints the server's tokens. Create it with [New]; it is
// safe for concurrent use.
type Minter struct {
	cfg    Config
	signer *signer
	nonces *nonce.Manager
	// successorKey derives the successor of a rotated refresh token.
	successorKey []byte
	jwks         []byte
}

// New loads (or on first start creates) the signing key and the refresh
// successor secret from store; nonces issues the c_nonce values.
func New(ctx context.Context, cfg Config, store storage.Keys, nonces *nonce.Manager, now time.Time) (*Minter, error) {
	successorKey, err := store.GetOrCreateSecret(ctx, successorSecretName, RandomBytes32)
	if err != nil {
		return nil, fmt.Errorf("loading the refresh token secret: %w", err)
	}
	sig, err := loadSigner(ctx, store, now)
	if err != nil {
		return nil, err
	}
	set := jwk.NewSet()
	if err := set.AddKey(sig.public); err != nil {
		return nil, err
	}
	jwks, err := json.Marshal(set)
	if err != nil {
		return nil, err
	}
	return &Minter{cfg: cfg, signer: sig, nonces: nonces, successorKey: successorKey, jwks: jwks}, nil
}

// JWKS is the JWK set of the public signing key, encoded.
func (m *Minter) JWKS() []byte { return m.jwks }

// Grant is what an access token grants: a grant's decision, handed to
// [Minter.Access].
type Grant struct {
	Subject, ClientID, Scope, GrantID string
	Details                           []oauth.AuthorizationDetail
	Permissions                       []storage.UMAPermission // UMA RPTs
	// AuthTime is the user's sign-in time in the authorization code flow.
	AuthTime time.Time
}

// Access signs a JWT access token (RFC 9068) and returns it with its
// record, bound to b's DPoP key and client certificate. Without either
// the token is a Bearer token of at most MaxBearerTTL. An anonymous
// wallet's token has no client_id claim: there is no client to name.
func (m *Minter) Access(a Grant, b oauth.Binding, now time.Time) (string, storage.Token, error) {
	ttl := m.cfg.AccessTTL
	if b.JKT == "" && b.X5T == "" {
		ttl = min(ttl, m.cfg.MaxBearerTTL)
	}
	var detailsJSON json.RawMessage
	if len(a.Details) > 0 {
		var err error
		if detailsJSON, err = json.Marshal(a.Details); err != nil {
			return "", storage.Token{}, oauth.ErrServer(err)
		}
	}
	claims := AccessClaims{
		Iss: m.cfg.Issuer, Sub: a.Subject, Aud: m.cfg.Issuer, ClientID: a.ClientID, Scope: a.Scope,
		Iat: now.Unix(), Exp: now.Add(ttl).Unix(), Jti: NewID(), AuthorizationDetails: detailsJSON,
		Permissions: a.Permissions,
	}
	rec := storage.Token{
		ID: claims.Jti, Kind: KindAccess, Subject: a.Subject, ClientID: a.ClientID, Scope: a.Scope,
		GrantID: a.GrantID, AuthorizationDetails: detailsJSON, Permissions: a.Permissions,
		IssuedAt: time.Unix(claims.Iat, 0).UTC(), ExpiresAt: time.Unix(claims.Exp, 0).UTC(),
		JKT: b.JKT, X5T: b.X5T, AttestationJKT: b.Instance,
	}
	claims.Cnf = Confirmation(rec)
	tok, err := m.signer.sign("at+jwt", claims)
	if err != nil {
		return "", storage.Token{}, oauth.ErrServer(err)
	}
	return tok, rec, nil
}

// VerifyAccess checks that tok is an access token signed by this server
// (the exact header it writes, and the ES256 signature) and returns its
// claims, or [ErrNotOurs]. Expiry and revocation are the caller's to
// check, on the record.
func (m *Minter) VerifyAccess(tok string) (AccessClaims, error) {
	return m.signer.verifyAccessToken(tok)
}

// Response is the response for an access token. Tokens for credential
// issuance carry authorization_details and, unless switched off, a c_nonce.
func (m *Minter) Response(tok string, rec storage.Token, details []oauth.AuthorizationDetail, now time.Time) *Response {
	resp := &Response{
		AccessToken: tok, TokenType: "DPoP", AuthorizationDetails: details, Scope: rec.Scope,
		ExpiresIn: int64(rec.ExpiresAt.Sub(rec.IssuedAt).Seconds()),
	}
	if rec.JKT == "" {
		resp.TokenType = "Bearer"
	}
	if len(details) > 0 && m.cfg.CNonceInResponse {
		resp.CNonce = m.CNonce(now)
		resp.CNonceExpiresIn = int64(m.cfg.CNonceTTL.Seconds())
	}
	return resp
}

// CNonce issues a c_nonce (OpenID4VCI 1.0 §7).
func (m *Minter) CNonce(now time.Time) string {
	return m.nonces.Issue(nonce.CNonce, now, m.cfg.CNonceTTL)
}

// IDToken signs an ID token (OpenID Connect Core §2, §3.1.3.6) for
// subject and clientID: at_hash is the left half of the SHA-256 of the
// access token; auth_time is always given; nonce only when not empty.
func (m *Minter) IDToken(subject, clientID, nonce string, authTime time.Time, accessToken string, now time.Time) (string, error) {
	sum := sha256.Sum256([]byte(accessToken))
	claims := idClaims{
		Iss: m.cfg.Issuer, Sub: subject, Aud: clientID, Azp: clientID, Iat: now.Unix(),
		Exp: now.Add(m.cfg.IDTokenTTL).Unix(), AuthTime: authTime.Unix(), Nonce: nonce,
		AtHash: base64.RawURLEncoding.EncodeToString(sum[:sha256.Size/2]),
	}
	tok, err := m.signer.sign("JWT", claims)
	if err != nil {
		return "", oauth.ErrServer(err)
	}
	return tok, nil
}

// Successor returns the refresh token that the refresh token raw is
// rotated to: an HMAC of raw under a server secret. Deriving it, rather
// than drawing it at random, makes a rotating refresh idempotent: every
// retry of raw inside the grace window, concurrent or not, gets back the
// same successor, which the store keeps as raw's only successor (it stores
// hashes only and could not give a stored one back).
func (m *Minter) Successor(raw string) string {
	mac := hmac.New(sha256.New, m.successorKey)
	mac.Write([]byte("refresh-successor\x00"))
	mac.Write([]byte(raw))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}
