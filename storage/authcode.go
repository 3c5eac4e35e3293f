package storage

import (
	"context"
	"encoding/json"
	"time"
)

// AuthSessions are the authorization requests in progress: pushed requests
// (PAR request_uris) and browser sign-ins.
type AuthSessions interface {
	// CreateAuthSession stores a; ErrAlreadyExists if a.ID is taken. Sweep
	// deletes it after ExpiresAt.
	CreateAuthSession(ctx context.Context, a AuthSession) error
	// UpdateAuthSession applies update to the session in one transaction
	// and returns the result: ErrNotFound if there is none or it has
	// expired at now; update's error leaves it unchanged.
	UpdateAuthSession(ctx context.Context, id string, now time.Time, update func(*AuthSession) error) (AuthSession, error)
}

// AuthCodes are the authorization codes and their redemption.
type AuthCodes interface {
	// CreateAuthCode stores c; ErrAlreadyExists if c.ID is taken. A zero
	// KeepUntil is set to ExpiresAt.
	CreateAuthCode(ctx context.Context, c AuthCode) error
	// GetAuthCode returns the code by ID; ErrNotFound if there is none.
	GetAuthCode(ctx context.Context, id string) (AuthCode, error)
	// RedeemAuthCode consumes the code whose ID is r.CodeID, in
	// one transaction and with the semantics of Redeem (replay key, unknown,
	// consumed with revocation of its IssuedTokens and of every token of
	// its grant, whose GrantID is the code's ID; expired). Then, when
	// r.OfferID is set, the offer must exist, be neither redeemed nor
	// locked, and not have expired at r.Now, else ErrOfferUsed and nothing
	// changes; on success the offer is marked redeemed too (RedeemedAt,
	// RedeemedBy; its IssuedTokens stay empty, so that a later use of its
	// pre-authorized code revokes nothing of this grant). The order of
	// these rules are PlanRedeemAuthCode's.
	RedeemAuthCode(ctx context.Context, r Redemption) error
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
	// KeepUntil is when the record may be swept, pushed out by RedeemAuthCode
	// as for offers.
	KeepUntil    time.Time `json:"keep_until"`
	RedeemedAt   time.Time `json:"redeemed_at,omitzero"`
	RedeemedBy   string    `json:"redeemed_by,omitempty"`
	IssuedTokens []string  `json:"issued_tokens,omitempty"`
}
