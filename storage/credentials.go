package storage

import (
	"context"
	"encoding/json"
	"time"
)

// Kinds of CredentialRecord.
const (
	// RecordNotification is the notification_id of a credential response
	// (OpenID4VCI 1.0 §11) and the last event the wallet reported.
	RecordNotification = "notification"
	// RecordTransaction is a deferred issuance (OpenID4VCI 1.0 §9): the
	// holder keys the credentials will be bound to.
	RecordTransaction = "transaction"
	// RecordClaims are the claims the issuer supplied later for a deferred
	// offer (the admin API); its ID is ClaimsRecordID(offer ID).
	RecordClaims = "claims"
)

// ClaimsRecordID is the ID of the RecordClaims record of an offer. The
// IDs of the other kinds are hex SHA-256 digests, so the prefix keeps the
// two apart.
func ClaimsRecordID(offerID string) string { return "claims/" + offerID }

// CredentialRecords are what the credential issuer keeps about issuances:
// notification IDs and their events, deferred transactions, and the
// claims supplied for deferred offers. Each operation touches one record,
// so that an SQL engine needs one table (ID primary key, OfferID indexed,
// ExpiresAt for the sweep, the rest as data) and row locks only.
type CredentialRecords interface {
	// CreateCredentialRecord stores r; ErrAlreadyExists if r.ID is taken
	// (whether or not that record has expired: only Sweep frees an ID).
	CreateCredentialRecord(ctx context.Context, r CredentialRecord) error
	// GetCredentialRecord returns the record by ID; ErrNotFound if there
	// is none. A record past ExpiresAt that Sweep has not deleted yet is
	// returned: callers compare ExpiresAt with their clock.
	GetCredentialRecord(ctx context.Context, id string) (CredentialRecord, error)
	// UpdateCredentialRecord applies update to the record in one
	// transaction (SELECT … FOR UPDATE, then UPDATE) and returns the
	// result: ErrNotFound if there is none or it has expired at now
	// (now after ExpiresAt). An error of update is returned as it is and
	// leaves the record unchanged. update must not change ID, Kind or
	// OfferID; the store keeps the stored values of those.
	UpdateCredentialRecord(ctx context.Context, id string, now time.Time, update func(*CredentialRecord) error) (CredentialRecord, error)
	// CredentialRecordsOf returns the records of an offer (OfferID ==
	// offerID, never for ""), oldest CreatedAt first, ties by ID; an empty
	// list when there are none.
	CredentialRecordsOf(ctx context.Context, offerID string) ([]CredentialRecord, error)
}

// CredentialRecord is one record of CredentialRecords. Sweep deletes it
// once ExpiresAt has passed.
type CredentialRecord struct {
	// ID is the hex SHA-256 of the notification_id or transaction_id (the
	// value the wallet holds is never stored), or ClaimsRecordID.
	ID string `json:"id"`
	// Kind is RecordNotification, RecordTransaction or RecordClaims.
	Kind string `json:"kind"`
	// OfferID is the offer of the grant ("" when the grant has none).
	OfferID string `json:"offer_id,omitempty"`
	// GrantID, Subject and ClientID are those of the access token that
	// obtained the record: only a token of the same grant, subject and
	// client may use it.
	GrantID  string `json:"grant_id,omitempty"`
	Subject  string `json:"sub,omitempty"`
	ClientID string `json:"client_id,omitempty"`
	// ConfigurationID is the credential configuration issued (or to
	// issue).
	ConfigurationID string    `json:"credential_configuration_id,omitempty"`
	CreatedAt       time.Time `json:"created_at"`
	ExpiresAt       time.Time `json:"exp"`

	// Notification: the last event the wallet reported, its description
	// and when.
	Event            string    `json:"event,omitempty"`
	EventDescription string    `json:"event_description,omitempty"`
	EventAt          time.Time `json:"event_at,omitzero"`

	// Transaction: the public JWKs the credentials are bound to, one
	// credential each, and when the credentials were issued (zero while
	// pending; once set, the transaction is spent).
	HolderKeys []json.RawMessage `json:"holder_keys,omitempty"`
	IssuedAt   time.Time         `json:"issued_at,omitzero"`

	// Claims: the claims supplied for the offer (a JSON object).
	Claims json.RawMessage `json:"claims,omitempty"`
}
