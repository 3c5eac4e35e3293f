package storage

import (
	"context"
	"encoding/json"
	"time"
)

// Tokens are the records of issued tokens: their issuance, the use of
// refresh tokens, and revocation.
type Tokens interface {
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
	// RevokeGrant marks every token whose GrantID is grantID revoked.
	RevokeGrant(ctx context.Context, grantID string) error
	// RevokeTokens marks the tokens revoked, in one transaction. IDs with no
	// record are skipped; revoking twice is not an error.
	RevokeTokens(ctx context.Context, ids []string) error
}

// Token is the record of an issued token, kept for revocation and
// introspection.
type Token struct {
	ID                   string          `json:"id"`   // the JWT "jti"
	Kind                 string          `json:"kind"` // "access_token" or "refresh_token"
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

// client_credentials grant), together with the proof's replay key.
type Issuance struct {
	Now          time.Time
	ReplayKey    []byte // optional, as in Redemption
	ReplayExpiry time.Time
	Tokens       []Token
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
