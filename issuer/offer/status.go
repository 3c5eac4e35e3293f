package offer

import (
	"context"
	"errors"
	"time"

	"issuer/issuer/oauth"
	"issuer/storage"
)

// Status is what the admin API shows of an offer: its state and the
// issuance records of its grant, without claim values.
type Status struct {
	OfferID                    string    `json:"offer_id"`
	Subject                    string    `json:"subject"`
	CredentialConfigurationIDs []string  `json:"credential_configuration_ids"`
	CreatedAt                  time.Time `json:"created_at"`
	ExpiresAt                  time.Time `json:"expires_at"`
	RedeemedAt                 time.Time `json:"redeemed_at,omitzero"`
	Locked                     bool      `json:"locked,omitempty"`
	Deferred                   bool      `json:"deferred,omitempty"`
	// ClaimsSuppliedAt is when claims were last supplied to a deferred
	// offer (SupplyClaims).
	ClaimsSuppliedAt time.Time            `json:"claims_supplied_at,omitzero"`
	Notifications    []NotificationStatus `json:"notifications"`
	Transactions     []TransactionStatus  `json:"transactions"`
}

// NotificationStatus is one credential response of the offer and what the
// wallet reported of it at the notification endpoint.
type NotificationStatus struct {
	CredentialConfigurationID string    `json:"credential_configuration_id"`
	IssuedAt                  time.Time `json:"issued_at"`
	ExpiresAt                 time.Time `json:"expires_at"`
	Event                     string    `json:"event,omitempty"`
	EventDescription          string    `json:"event_description,omitempty"`
	EventAt                   time.Time `json:"event_at,omitzero"`
}

// TransactionStatus is one deferred issuance of the offer.
type TransactionStatus struct {
	CredentialConfigurationID string    `json:"credential_configuration_id"`
	CreatedAt                 time.Time `json:"created_at"`
	ExpiresAt                 time.Time `json:"expires_at"`
	// Credentials is how many credentials the transaction issues.
	Credentials int       `json:"credentials"`
	IssuedAt    time.Time `json:"issued_at,omitzero"`
}

// Status returns the offer's state and its issuance records; 404 when
// there is no such offer (or it was swept).
func (s *Offers) Status(ctx context.Context, id string) (Status, error) {
	o, err := s.store.GetOffer(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return Status{}, oauth.ErrNotFound("no such credential offer")
	} else if err != nil {
		return Status{}, oauth.ErrServer(err)
	}
	records, err := s.store.CredentialRecordsOf(ctx, id)
	if err != nil {
		return Status{}, oauth.ErrServer(err)
	}
	out := Status{
		OfferID: o.ID, Subject: o.Subject, CredentialConfigurationIDs: o.ConfigurationIDs,
		CreatedAt: o.CreatedAt, ExpiresAt: o.ExpiresAt, RedeemedAt: o.RedeemedAt, Locked: o.Locked, Deferred: o.Deferred,
		Notifications: []NotificationStatus{}, Transactions: []TransactionStatus{},
	}
	for _, r := range records {
		switch r.Kind {
		case storage.RecordNotification:
			out.Notifications = append(out.Notifications, NotificationStatus{
				CredentialConfigurationID: r.ConfigurationID, IssuedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt,
				Event: r.Event, EventDescription: r.EventDescription, EventAt: r.EventAt,
			})
		case storage.RecordTransaction:
			out.Transactions = append(out.Transactions, TransactionStatus{
				CredentialConfigurationID: r.ConfigurationID, CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt,
				Credentials: len(r.HolderKeys), IssuedAt: r.IssuedAt,
			})
		case storage.RecordClaims:
			out.ClaimsSuppliedAt = r.CreatedAt
		}
	}
	return out, nil
}
