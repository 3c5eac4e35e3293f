package credential

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"slices"

	"issuer/issuer/oauth"
	"issuer/issuer/token"
	"issuer/storage"
)

// The events of the notification endpoint (OpenID4VCI 1.0 §11.1).
const (
	EventAccepted = "credential_accepted"
	EventFailure  = "credential_failure"
	EventDeleted  = "credential_deleted"
)

// events are the events a wallet may report.
var events = []string{EventAccepted, EventFailure, EventDeleted}

// notificationBody is the notification request (§11.1); unknown members
// are ignored.
type notificationBody struct {
	NotificationID   *string `json:"notification_id"`
	Event            *string `json:"event"`
	EventDescription *string `json:"event_description"`
}

// errNotification is invalid_notification_request.
func errNotification(format string, args ...any) *oauth.Error {
	return oauth.New(http.StatusBadRequest, oauth.CodeInvalidNotificationRequest, format, args...)
}

// errNotificationID is invalid_notification_id, the same for an unknown,
// expired or foreign notification_id (no oracle).
var errNotificationID = oauth.New(http.StatusBadRequest, oauth.CodeInvalidNotificationID,
	"the notification_id is unknown, has expired or is not of this access token's grant")

// recordID is the ID of the record of a value the wallet holds (a
// notification_id or transaction_id): its SHA-256, hex.
func recordID(value string) string {
	sum := sha256.Sum256([]byte(value))
	return hex.EncodeToString(sum[:])
}

// sameHolder reports whether the record was obtained by a token of the
// same grant, subject and client as rec.
func sameHolder(r storage.CredentialRecord, rec storage.Token) bool {
	return r.GrantID == rec.GrantID && r.Subject == rec.Subject && r.ClientID == rec.ClientID
}

// newNotification mints the notification_id of a credential response and
// stores its record, with the token's grant, subject and client, for
// NotificationTTL.
func (s *Service) newNotification(ctx context.Context, rec storage.Token, offerID string, conf *Configuration) (string, error) {
	id, now := token.Random(), s.cfg.Now()
	err := s.store.CreateCredentialRecord(ctx, storage.CredentialRecord{
		ID: recordID(id), Kind: storage.RecordNotification, OfferID: offerID,
		GrantID: rec.GrantID, Subject: rec.Subject, ClientID: rec.ClientID, ConfigurationID: conf.ID,
		CreatedAt: now, ExpiresAt: now.Add(s.cfg.NotificationTTL),
	})
	if err != nil {
		return "", oauth.ErrServer(err)
	}
	return id, nil
}

// Notify is the notification endpoint (§11): the access token (as at the
// credential endpoint, with the notification URL as htu), a JSON body with
// notification_id, event and an optional event_description. The event is
// stored with the notification's record (the last one counts; the same
// notification again is a success). Only a token of the grant, subject and
// client that obtained the notification_id may report on it.
func (s *Service) Notify(ctx context.Context, r Request) error {
	rec, err := s.parts.Access.Access(ctx, r.Access, s.cfg.NotificationURL)
	if err != nil {
		return err
	}
	b, err := parseNotification(r)
	if err != nil {
		return err
	}
	now := s.cfg.Now()
	_, err = s.store.UpdateCredentialRecord(ctx, recordID(*b.NotificationID), now, func(x *storage.CredentialRecord) error {
		if x.Kind != storage.RecordNotification || !sameHolder(*x, rec) {
			return errNotificationID
		}
		x.Event, x.EventAt = *b.Event, now
		x.EventDescription = ""
		if b.EventDescription != nil {
			x.EventDescription = *b.EventDescription
		}
		return nil
	})
	switch {
	case errors.Is(err, storage.ErrNotFound) || errors.Is(err, errNotificationID):
		return errNotificationID
	case err != nil:
		return oauth.ErrServer(err)
	}
	s.log.InfoContext(ctx, "credential notification", "event", *b.Event, "grant", rec.GrantID)
	return nil
}

// parseNotification checks the notification request's content type and
// members.
func parseNotification(r Request) (notificationBody, error) {
	var b notificationBody
	if mt, _, err := mime.ParseMediaType(r.ContentType); err != nil || mt != "application/json" {
		return b, errNotification("the notification request must be sent as application/json")
	}
	if !bytes.HasPrefix(bytes.TrimLeft(r.Body, " \t\r\n"), []byte("{")) || json.Unmarshal(r.Body, &b) != nil {
		return b, errNotification("the body is not a JSON object with members of the expected types")
	}
	switch {
	case b.NotificationID == nil || *b.NotificationID == "":
		return b, errNotification("the request has no notification_id")
	case b.Event == nil || *b.Event == "":
		return b, errNotification("the request has no event")
	case !slices.Contains(events, *b.Event):
		return b, errNotification("the event is not one of credential_accepted, credential_failure, credential_deleted")
	case b.EventDescription != nil && descriptionSafe(*b.EventDescription) != *b.EventDescription:
		return b, errNotification("event_description must be printable ASCII without a double quote or backslash")
	}
	return b, nil
}
