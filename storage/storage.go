// Package storage defines the records the token service keeps, the [Store]
// interface every storage engine implements, and the sentinel errors of that
// contract. It is a leaf package: it imports none of the project's other
// packages and no storage engine. Implementations live in sub-packages
// (storage/bolt, storage/memory) and all pass the conformance suite in
// storage/storagetest.
package storage

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// Sentinel errors. Implementations wrap them with %w; callers compare with
// errors.Is.
var (
	// ErrNotFound: no record under that key (or the record has been swept).
	ErrNotFound = errors.New("storage: not found")
	// ErrAlreadyExists: a Create or a replay-key insert found the key taken.
	ErrAlreadyExists = errors.New("storage: already exists")
	// ErrConsumed: the pre-authorized code (or authorization code) was
	// redeemed before. The store has revoked the tokens of the grant that
	// earlier redemption started.
	ErrConsumed = errors.New("storage: code already consumed")
	// ErrExpired: the pre-authorized code is past its expiry.
	ErrExpired = errors.New("storage: code expired")
	// ErrLocked: the pre-authorized code was invalidated after too many
	// failed transaction-code attempts.
	ErrLocked = errors.New("storage: code locked")
	// ErrRevoked: the token was revoked.
	ErrRevoked = errors.New("storage: token revoked")
	// ErrOfferUsed: the offer an authorization code came from was redeemed,
	// is locked or has expired (RedeemAuthCode).
	ErrOfferUsed = errors.New("storage: offer already used or expired")
	// ErrRotated: UseRefreshToken was given another successor than the one
	// the token was already rotated to; nothing changed.
	ErrRotated = errors.New("storage: refresh token rotated to another successor")
	// ErrClosed: the store was closed.
	ErrClosed = errors.New("storage: closed")
)

// SigningKey is a private key the server signs tokens with.
type SigningKey struct {
	ID         string          `json:"id"`  // the JWK "kid"
	Alg        string          `json:"alg"` // JWS algorithm, e.g. ES256
	PrivateJWK json.RawMessage `json:"private_jwk"`
	CreatedAt  time.Time       `json:"created_at"`
}

// Client is a registered OAuth client (RFC 7591 field names in the API; here
// the stored form).
type Client struct {
	ID         string `json:"id"`
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
	// AttestationJKT is set by client authentication, never stored: the
	// JWK thumbprint of the client instance key (the cnf of the wallet
	// attestation) of the request that authenticated the client with
	// attest_jwt_client_auth.
	AttestationJKT string `json:"-"`
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

// User is an end user who signs in with a password (the password grant and
// the login page). Username is the key; ID is the stable subject.
type User struct {
	ID           string          `json:"id"`
	Username     string          `json:"username"`
	PasswordHash string          `json:"password_hash"` // PHC string (argon2id); never the password
	Claims       json.RawMessage `json:"claims,omitempty"`
	CreatedAt    time.Time       `json:"created_at"`
}

// TxCode is the transaction code that protects a pre-authorized code. Only
// its hash is stored.
type TxCode struct {
	Hash        []byte `json:"hash"` // SHA-256 of the code value
	Length      int    `json:"length,omitempty"`
	InputMode   string `json:"input_mode,omitempty"`
	Description string `json:"description,omitempty"`
}

// Offer is a credential offer together with the state of its pre-authorized
// code. The code itself is never stored: CodeHash (SHA-256 of the code) is
// the lookup key.
type Offer struct {
	ID                    string          `json:"id"`
	CodeHash              []byte          `json:"code_hash"`
	Subject               string          `json:"subject"`
	Claims                json.RawMessage `json:"claims,omitempty"`
	ConfigurationIDs      []string        `json:"credential_configuration_ids"`
	CredentialIdentifiers []string        `json:"credential_identifiers"` // parallel to ConfigurationIDs
	TxCode                *TxCode         `json:"tx_code,omitempty"`
	// IssuerStateHash is the SHA-256 of the offer's issuer_state, set when
	// the offer carries the authorization_code grant.
	IssuerStateHash []byte `json:"issuer_state_hash,omitempty"`
	// OfferJSON is the credential offer, shown on its QR page and, for an
	// offer passed ByReference, served at the offer URI. It contains the
	// code: the record is swept with the offer.
	OfferJSON   json.RawMessage `json:"offer_json,omitempty"`
	ByReference bool            `json:"by_reference,omitempty"`
	CreatedAt   time.Time       `json:"created_at"`
	ExpiresAt   time.Time       `json:"expires_at"`
	// KeepUntil is when the record may be swept: ExpiresAt at creation,
	// pushed out by Redeem to the last expiry of the tokens it issued, so
	// that a replayed code can still revoke them.
	KeepUntil time.Time `json:"keep_until"`

	// State, changed only by the store.
	Failures     int       `json:"failures,omitempty"` // failed tx_code attempts
	Locked       bool      `json:"locked,omitempty"`
	RedeemedAt   time.Time `json:"redeemed_at,omitzero"`
	RedeemedBy   string    `json:"redeemed_by,omitempty"` // JWK thumbprint of the redeeming key, if any
	IssuedTokens []string  `json:"issued_tokens,omitempty"`
}

// Token is the record of an issued token, kept for revocation and
// introspection.
type Token struct {
	ID                   string          `json:"id"`   // the JWT "jti"
	Kind                 string          `json:"kind"` // "access_token", later "refresh_token"
	ClientID             string          `json:"client_id,omitempty"`
	Subject              string          `json:"sub"`
	JKT                  string          `json:"jkt,omitempty"` // DPoP key thumbprint, if bound
	Scope                string          `json:"scope,omitempty"`
	AuthorizationDetails json.RawMessage `json:"authorization_details,omitempty"`
	GrantID              string          `json:"grant_id,omitempty"` // the grant the token belongs to, e.g. the offer ID
	IssuedAt             time.Time       `json:"iat"`
	ExpiresAt            time.Time       `json:"exp"`
	Revoked              bool            `json:"revoked,omitempty"`
	// Permissions are the UMA permissions of a requesting party token.
	Permissions []UMAPermission `json:"permissions,omitempty"`
	// LastUsedAt, RotatedAt and SuccessorID are set by UseRefreshToken on
	// refresh tokens: SuccessorID is the ID of the one refresh token this
	// one was rotated to.
	LastUsedAt  time.Time `json:"last_used_at,omitzero"`
	RotatedAt   time.Time `json:"rotated_at,omitzero"`
	SuccessorID string    `json:"successor_id,omitempty"`
	// AuthTime is when the user signed in, kept on refresh tokens of an
	// OpenID grant for the ID tokens a refresh issues.
	AuthTime time.Time `json:"auth_time,omitzero"`
	// X5T is the SHA-256 thumbprint of the client certificate the token is
	// bound to, if any (RFC 8705 §3).
	X5T string `json:"x5t_s256,omitempty"`
	// AttestationJKT is the JWK thumbprint of the client instance key (the
	// attestation's cnf) a refresh token issued to an attested client is
	// bound to.
	AttestationJKT string `json:"attestation_jkt,omitempty"`
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

// RefreshUse asks the store to use a refresh token.
type RefreshUse struct {
	TokenID string
	Now     time.Time
	// IdleTimeout, when positive, refuses a token unused for longer.
	IdleTimeout time.Duration
	// Rotate marks the token rotated at its first rotating use, with
	// Successor as its one successor; a rotated token may still be used
	// for Grace (a retry), after which its use revokes its whole grant.
	// A retry's Successor must be the recorded one (same ID): it is not
	// stored again, so that a token never has two live successors.
	Rotate    bool
	Successor *Token
	Grace     time.Duration
	// ReplayKey, when set, is recorded as in Redemption.
	ReplayKey    []byte
	ReplayExpiry time.Time
	// Tokens are the tokens this use issues.
	Tokens []Token
}

// Redemption asks the store to consume a pre-authorized code.
type Redemption struct {
	CodeHash []byte
	Now      time.Time
	// ReplayKey, when set, is a DPoP proof's replay key. It is checked and
	// recorded in the same transaction as the code, until ReplayExpiry.
	ReplayKey    []byte
	ReplayExpiry time.Time
	// JKT is the thumbprint of the key that redeems the code ("" if none).
	JKT string
	// OfferID, for RedeemAuthCode, is the offer the code came from (its
	// issuer_state): it must still be usable, and is marked redeemed in
	// the same transaction.
	OfferID string
	// Tokens are the records of the tokens issued for this redemption.
	Tokens []Token
}

// UMAResource is a resource registered for UMA 2.0: the resource server
// (a client) that protects it, its owner, its scopes, the owner's grants,
// and the access requests waiting for the owner's decision.
type UMAResource struct {
	ID             string       `json:"id"`
	ResourceServer string       `json:"resource_server"`
	Owner          string       `json:"owner"` // username
	Name           string       `json:"name,omitempty"`
	Scopes         []string     `json:"resource_scopes"`
	AskOwner       bool         `json:"ask_owner,omitempty"`
	Grants         []UMAGrant   `json:"grants,omitempty"`
	Requests       []UMARequest `json:"requests,omitempty"`
	CreatedAt      time.Time    `json:"created_at"`
}

// UMAGrant is a resource owner's grant: scopes for a requesting client, or
// for a requesting party (a user, by ID).
type UMAGrant struct {
	ClientID        string   `json:"client_id,omitempty"`
	RequestingParty string   `json:"requesting_party,omitempty"`
	Scopes          []string `json:"scopes"`
}

// UMARequest is an access request waiting for the owner's decision; its ID
// is the ID of the ticket it came with.
type UMARequest struct {
	ID       string   `json:"id"`
	ClientID string   `json:"client_id"`
	Scopes   []string `json:"scopes"`
}

// UMAPermission is a resource and scopes, as requested or granted.
type UMAPermission struct {
	ResourceID string   `json:"resource_id"`
	Scopes     []string `json:"resource_scopes"`
}

// UMATicket is a permission ticket (UMA Federated Authorization §4); ID is
// a hash of the ticket, never the ticket.
type UMATicket struct {
	ID             string          `json:"id"`
	ResourceServer string          `json:"resource_server"`
	Permissions    []UMAPermission `json:"permissions"`
	ExpiresAt      time.Time       `json:"exp"`
	Denied         bool            `json:"denied,omitempty"` // the owner denied it
	Used           bool            `json:"used,omitempty"`
}

// AuthSession is the server side of an authorization request in progress:
// a pushed request (Kind "par", ID a hash of its request_uri) or a browser
// sign-in (Kind "interaction", ID a hash of the browser's cookie).
type AuthSession struct {
	ID       string          `json:"id"`
	Kind     string          `json:"kind"`
	ClientID string          `json:"client_id"`
	Request  json.RawMessage `json:"request"` // the validated authorization request
	CSRFHash []byte          `json:"csrf_hash,omitempty"`
	Subject  string          `json:"sub,omitempty"` // the signed-in user's ID
	AuthTime time.Time       `json:"auth_time,omitzero"`
	// Used is set once the session has served its purpose (a request_uri
	// taken to the login page, a sign-in that ended in a decision).
	Used      bool      `json:"used,omitempty"`
	ExpiresAt time.Time `json:"exp"`
}

// AuthCode is an authorization code (RFC 6749 §4.1.2) and what it grants.
// ID is a hash of the code; the code itself is never stored.
type AuthCode struct {
	ID                   string          `json:"id"`
	ClientID             string          `json:"client_id"`
	RedirectURI          string          `json:"redirect_uri"`
	Scope                string          `json:"scope,omitempty"`
	AuthorizationDetails json.RawMessage `json:"authorization_details,omitempty"`
	CodeChallenge        string          `json:"code_challenge"`
	DPoPJKT              string          `json:"dpop_jkt,omitempty"`
	// AttestationJKT binds the code to the wallet instance that pushed the
	// request with attest_jwt_client_auth (its attestation's cnf key).
	AttestationJKT string    `json:"attestation_jkt,omitempty"`
	Nonce          string    `json:"nonce,omitempty"`
	Subject        string    `json:"sub"`
	AuthTime       time.Time `json:"auth_time"`
	OfferID        string    `json:"offer_id,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
	ExpiresAt      time.Time `json:"exp"`
	// KeepUntil is when the record may be swept, pushed out by RedeemCode
	// as for offers.
	KeepUntil    time.Time `json:"keep_until"`
	RedeemedAt   time.Time `json:"redeemed_at,omitzero"`
	RedeemedBy   string    `json:"redeemed_by,omitempty"`
	IssuedTokens []string  `json:"issued_tokens,omitempty"`
}

// Issuance asks the store to record tokens issued without a code (e.g. the
// client_credentials grant), together with the proof's replay key.
type Issuance struct {
	Now          time.Time
	ReplayKey    []byte // optional, as in Redemption
	ReplayExpiry time.Time
	Tokens       []Token
}

// Store is every operation the token service needs from its state. All
// methods are safe for concurrent use. Each write is atomic and durable when
// it returns nil: a crash afterwards never undoes it.
type Store interface {
	// GetOrCreateSecret returns the secret stored under name, or stores and
	// returns create() if there is none yet. Two concurrent callers get the
	// same value.
	GetOrCreateSecret(ctx context.Context, name string, create func() ([]byte, error)) ([]byte, error)
	// SigningKeys returns every signing key, oldest first.
	SigningKeys(ctx context.Context) ([]SigningKey, error)
	// AddSigningKey stores k; ErrAlreadyExists if k.ID is taken.
	AddSigningKey(ctx context.Context, k SigningKey) error

	// CreateClient stores c; ErrAlreadyExists if c.ID is taken.
	CreateClient(ctx context.Context, c Client) error
	// GetClient returns the client; ErrNotFound if there is none.
	GetClient(ctx context.Context, id string) (Client, error)
	// DeleteClient removes the client; ErrNotFound if there is none.
	DeleteClient(ctx context.Context, id string) error

	// CreateWalletProvider stores p; ErrAlreadyExists if p.ID is taken.
	CreateWalletProvider(ctx context.Context, p WalletProvider) error
	// WalletProviders returns every wallet provider, oldest CreatedAt
	// first (ties by ID).
	WalletProviders(ctx context.Context) ([]WalletProvider, error)
	// DeleteWalletProvider removes the provider; ErrNotFound if there is
	// none.
	DeleteWalletProvider(ctx context.Context, id string) error

	// CreateUser stores u; ErrAlreadyExists if u.Username is taken.
	CreateUser(ctx context.Context, u User) error
	// GetUser returns the user by username; ErrNotFound if there is none.
	GetUser(ctx context.Context, username string) (User, error)
	// DeleteUser removes the user; ErrNotFound if there is none.
	DeleteUser(ctx context.Context, username string) error

	// GetUserByID returns the user by ID; ErrNotFound if there is none.
	GetUserByID(ctx context.Context, id string) (User, error)

	// CreateAuthSession stores a; ErrAlreadyExists if a.ID is taken. Sweep
	// deletes it after ExpiresAt.
	CreateAuthSession(ctx context.Context, a AuthSession) error
	// UpdateAuthSession applies update to the session in one transaction
	// and returns the result: ErrNotFound if there is none or it has
	// expired at now; update's error leaves it unchanged.
	UpdateAuthSession(ctx context.Context, id string, now time.Time, update func(*AuthSession) error) (AuthSession, error)

	// CreateAuthCode stores c; ErrAlreadyExists if c.ID is taken. A zero
	// KeepUntil is set to ExpiresAt.
	CreateAuthCode(ctx context.Context, c AuthCode) error
	// GetAuthCode returns the code by ID; ErrNotFound if there is none.
	GetAuthCode(ctx context.Context, id string) (AuthCode, error)
	// RedeemAuthCode consumes the code whose ID is string(r.CodeHash), in
	// one transaction and with the semantics of Redeem (replay key, unknown,
	// consumed with revocation of its IssuedTokens and of every token of
	// its grant, whose GrantID is the code's ID; expired). Then, when
	// r.OfferID is set, the offer must exist, be neither redeemed nor
	// locked, and not have expired at r.Now, else ErrOfferUsed and nothing
	// changes; on success the offer is marked redeemed too (RedeemedAt,
	// RedeemedBy; its IssuedTokens stay empty, so that a later use of its
	// pre-authorized code revokes nothing of this grant).
	RedeemAuthCode(ctx context.Context, r Redemption) error

	// CreateOffer stores o; ErrAlreadyExists if o.ID or o.CodeHash is taken.
	CreateOffer(ctx context.Context, o Offer) error
	// GetOffer returns the offer by ID; ErrNotFound if there is none.
	GetOffer(ctx context.Context, id string) (Offer, error)
	// GetOfferByCode returns the offer by code hash, without its OfferJSON
	// (redemptions do not need it); ErrNotFound if none.
	GetOfferByCode(ctx context.Context, codeHash []byte) (Offer, error)
	// GetOfferByIssuerState returns the offer whose IssuerStateHash is
	// stateHash; ErrNotFound if none. (CreateOffer refuses a taken one with
	// ErrAlreadyExists.)
	GetOfferByIssuerState(ctx context.Context, stateHash []byte) (Offer, error)
	// RecordTxCodeFailure counts one failed transaction-code attempt against
	// the code and locks it once Failures reaches max. It returns the
	// updated offer, without OfferJSON; ErrNotFound if there is none. A
	// redeemed code is counted too: a replay carrying the right transaction
	// code revokes the redemption's grant (Redeem), so guesses at it are
	// capped like guesses at a live code, and once it is locked no replay
	// revokes anything.
	RecordTxCodeFailure(ctx context.Context, codeHash []byte, max int) (Offer, error)
	// Redeem consumes a pre-authorized code in one transaction, in this
	// order: if r.ReplayKey is set and already recorded and unexpired,
	// ErrAlreadyExists and nothing changes. If the code is unknown,
	// ErrNotFound and nothing changes. If the code is locked (before or
	// after its redemption), ErrLocked and nothing changes. If the code was
	// redeemed before
	// (whatever its expiry: KeepUntil keeps the record so that a late
	// replay is still caught), every token in its IssuedTokens and every
	// token of its grant (GrantID the offer's ID: those refreshed from
	// them) is marked revoked, the replay key is recorded, and the result
	// is ErrConsumed.
	// If it expired (r.Now after ExpiresAt), ErrExpired and nothing
	// changes. Otherwise the replay key
	// is recorded, the offer is marked redeemed (RedeemedAt, RedeemedBy,
	// IssuedTokens, KeepUntil), the tokens are stored, and the result is
	// nil. r.Now must be set; a ReplayKey needs a ReplayExpiry after r.Now.
	Redeem(ctx context.Context, r Redemption) error

	// UseReplayKey records key until exp; ErrAlreadyExists if it is already
	// recorded and not yet expired at now.
	UseReplayKey(ctx context.Context, key []byte, exp, now time.Time) error

	// GetToken returns a token record; ErrNotFound if none.
	GetToken(ctx context.Context, id string) (Token, error)
	// IssueTokens stores the tokens in one transaction with the replay key:
	// if r.ReplayKey is set and already recorded and unexpired,
	// ErrAlreadyExists and nothing changes; otherwise the key is recorded
	// until r.ReplayExpiry and the tokens are stored.
	IssueTokens(ctx context.Context, r Issuance) error
	// UseRefreshToken uses a refresh token in one transaction, in this
	// order: a live replay key → ErrAlreadyExists; no refresh token with
	// that ID → ErrNotFound; revoked → ErrRevoked; past ExpiresAt, or unused
	// for longer than IdleTimeout (since LastUsedAt, or IssuedAt) →
	// ErrExpired; in those cases nothing changes. Rotated more than Grace
	// ago → every token of its grant is revoked, the replay key recorded,
	// and the result is ErrConsumed. Rotate on a token rotated (within
	// Grace) to another successor than u.Successor → ErrRotated, and
	// nothing changes. Otherwise the replay key is recorded, LastUsedAt
	// set, and the tokens stored; a first rotating use also sets RotatedAt
	// and SuccessorID and stores u.Successor, a retry stores no successor
	// (see CheckRefresh).
	UseRefreshToken(ctx context.Context, u RefreshUse) error
	// CreateUMAResource stores r; ErrAlreadyExists if r.ID is taken.
	CreateUMAResource(ctx context.Context, r UMAResource) error
	// GetUMAResource returns the resource; ErrNotFound if there is none.
	GetUMAResource(ctx context.Context, id string) (UMAResource, error)
	// UpdateUMAResource applies update to the resource in one transaction;
	// ErrNotFound if there is none, or update's error (nothing is written).
	UpdateUMAResource(ctx context.Context, id string, update func(*UMAResource) error) error
	// CreateUMATicket stores t; ErrAlreadyExists if t.ID is taken. Sweep
	// deletes it after ExpiresAt.
	CreateUMATicket(ctx context.Context, t UMATicket) error
	// GetUMATicket returns the ticket; ErrNotFound if there is none.
	GetUMATicket(ctx context.Context, id string) (UMATicket, error)
	// DenyUMATicket marks the ticket denied; ErrNotFound if there is none.
	DenyUMATicket(ctx context.Context, id string) error
	// UseUMATicket uses a ticket once, in one transaction: a live replay key
	// → ErrAlreadyExists; unknown → ErrNotFound; used → ErrConsumed; past
	// ExpiresAt → ErrExpired; in those cases nothing changes. Otherwise the
	// ticket is marked used, the replay key recorded and the tokens stored.
	UseUMATicket(ctx context.Context, u Issuance, ticketID string) error
	// RevokeGrant marks every token whose GrantID is grantID revoked.
	RevokeGrant(ctx context.Context, grantID string) error
	// RevokeTokens marks the tokens revoked, in one transaction. IDs with no
	// record are skipped; revoking twice is not an error.
	RevokeTokens(ctx context.Context, ids []string) error

	// Sweep deletes what has expired at now: replay keys past their expiry,
	// tokens past ExpiresAt, offers and authorization codes past KeepUntil,
	// authorization sessions past ExpiresAt. It returns how many
	// records it deleted.
	Sweep(ctx context.Context, now time.Time) (int, error)

	// Close releases the store. Calls after Close return ErrClosed.
	Close() error
}
