package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"issuer/issuer"
)

// TestNotificationAccepted: the credential response carries a
// notification_id; the wallet reports an event with the same token (204,
// unknown members ignored, the same report again succeeds) and the admin
// API shows it with the offer.
func TestNotificationAccepted(t *testing.T) {
	ts := newTestServer(t)
	h := ts.crHolderFor(t, "erika", nil)
	id := ts.ntIssue(t, h, pidConfig)
	offerID := h.OfferID
	st := ts.offerStatus(t, offerID)
	if len(st.Notifications) != 1 || st.Notifications[0].Event != "" || st.Notifications[0].CredentialConfigurationID != pidConfig {
		t.Fatalf("offer status before the notification: %+v", st.Notifications)
	}
	ts.Clock.Advance(time.Second)
	body := map[string]any{"notification_id": id, "event": "credential_failure", "event_description": "Could not store the Credential. Out of storage.", "extra": 1}
	wantNoContent(t, ts.ntNotify(t, h, body))
	wantNoContent(t, ts.ntNotify(t, h, body))
	wantNoContent(t, ts.ntNotify(t, h, map[string]any{"notification_id": id, "event": "credential_deleted"}))
	n := ts.offerStatus(t, offerID).Notifications[0]
	if n.Event != "credential_deleted" || n.EventDescription != "" || !n.EventAt.Equal(ts.Clock.Now()) {
		t.Errorf("offer status after the notifications: %+v; want the last event", n)
	}
}

// TestNotificationErrors: each refusal with its status, error and
// challenge.
func TestNotificationErrors(t *testing.T) {
	ts := newTestServer(t)
	h := ts.crHolderFor(t, "erika", nil)
	id := ts.ntIssue(t, h, pidConfig)
	other := ts.crHolderFor(t, "erika", nil) // same subject, another grant
	otherID := ts.ntIssue(t, other, pidConfig)
	for _, tc := range []struct {
		name string
		body any
		code string
	}{
		{"unknown notification_id", map[string]any{"notification_id": "nope", "event": "credential_accepted"}, "invalid_notification_id"},
		{"another grant's notification_id", map[string]any{"notification_id": otherID, "event": "credential_accepted"}, "invalid_notification_id"},
		{"no notification_id", map[string]any{"event": "credential_accepted"}, "invalid_notification_request"},
		{"no event", map[string]any{"notification_id": id}, "invalid_notification_request"},
		{"unknown event", map[string]any{"notification_id": id, "event": "credential_stored"}, "invalid_notification_request"},
		{"event of another case", map[string]any{"notification_id": id, "event": "CREDENTIAL_ACCEPTED"}, "invalid_notification_request"},
		{"event_description with a quote", map[string]any{"notification_id": id, "event": "credential_failure", "event_description": `say "no"`}, "invalid_notification_request"},
		{"event_description not ASCII", map[string]any{"notification_id": id, "event": "credential_failure", "event_description": "plein à craquer"}, "invalid_notification_request"},
		{"event_description not a string", map[string]any{"notification_id": id, "event": "credential_failure", "event_description": 3}, "invalid_notification_request"},
		{"not JSON", []byte(`notification_id=x`), "invalid_notification_request"},
		{"an array", []byte(`[]`), "invalid_notification_request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			crWantError(t, ts.ntNotify(t, h, tc.body), http.StatusBadRequest, tc.code)
		})
	}
	t.Run("form content type", func(t *testing.T) {
		res := sendRaw(t, http.MethodPost, ts.URL+"/notification", "application/x-www-form-urlencoded", strings.NewReader(`{}`), ts.rsAuth(t, h, "/notification"))
		crWantError(t, res, http.StatusBadRequest, "invalid_notification_request")
	})
	t.Run("no token", func(t *testing.T) {
		res := ts.rsPost(t, "/notification", nil, map[string]any{"notification_id": id, "event": "credential_accepted"})
		crWantChallenge(t, res, http.StatusUnauthorized, "invalid_request", "DPoP")
	})
	t.Run("proof for the credential endpoint", func(t *testing.T) {
		res := ts.rsPost(t, "/notification", ts.crAuth(t, h), map[string]any{"notification_id": id, "event": "credential_accepted"})
		crWantChallenge(t, res, http.StatusUnauthorized, "invalid_dpop_proof", "DPoP")
	})
	t.Run("expired notification_id", func(t *testing.T) {
		ts := newTestServer(t, func(c *issuer.Config) {
			c.Credential.NotificationTTL = time.Minute
			c.Tokens.AccessTokenTTL = time.Hour
		})
		h := ts.crHolderFor(t, "erika", nil)
		id := ts.ntIssue(t, h, pidConfig)
		ts.Clock.Advance(2 * time.Minute)
		crWantError(t, ts.ntNotify(t, h, map[string]any{"notification_id": id, "event": "credential_accepted"}), http.StatusBadRequest, "invalid_notification_id")
	})
	// None of the refusals recorded anything.
	if n := ts.offerStatus(t, h.OfferID).Notifications; len(n) != 1 || n[0].Event != "" {
		t.Errorf("notifications after the refusals: %+v", n)
	}
}
