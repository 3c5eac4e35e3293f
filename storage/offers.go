package storage

import (
	"context"
	"encoding/json"
	"time"
)

// Offers are the credential offers and the life of their pre-authorized
// codes: lookup, failed transaction codes, redemption.
type Offers interface {
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
	// The rules after the unknown code are PlanRedeem's.
	Redeem(ctx context.Context, r Redemption) error
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
	// Deferred: the credential endpoint answers the offer's requests with
	// a transaction (OpenID4VCI 1.0 §9), issued once the claims are
	// supplied (a RecordClaims credential record).
	Deferred  bool      `json:"deferred,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
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

	// Revision is the store's version of the record as read, opaque ("" if
	// the store keeps none): a Redemption that carries the offer lets the
	// store skip reading it again while its version is current.
	Revision string `json:"-"`
}
