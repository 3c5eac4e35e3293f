package credential_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"issuer/storage"
)

// TestClaims: what introspection gives a credential endpoint of the
// issuer's own is what Issue takes: the grant's offer's claims, whole;
// else the subject's user's for a grant a user signed in to; nil when
// neither is known, and for a token of no grant (its subject a client).
func TestClaims(t *testing.T) {
	e := newEnv(t, nil)
	e.grant(t, "erika", map[string]any{"given_name": "Erika", "extra": "kept"})
	got, err := e.Claims(t.Context(), e.access.tok)
	if want := map[string]any{"given_name": "Erika", "extra": "kept"}; err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("Claims(offer) = %v, %v; want the offer's %v", got, err, want)
	}
	if err := e.store.CreateUser(t.Context(), storage.User{ID: "u-1", Username: "alice", Claims: json.RawMessage(`{"given_name":"Alice"}`),
		CreatedAt: e.clock.Now()}); err != nil {
		t.Fatal(err)
	}
	for _, rec := range []storage.Token{
		{ID: "at-user", Subject: "u-1", GrantID: "code-of-alice"},
		{ID: "at-foreign", Subject: "u-1", GrantID: "offer-erika", ExpiresAt: e.clock.Now().Add(time.Minute)}, // erika's offer, not alice's
	} {
		got, err := e.Claims(t.Context(), rec)
		if want := map[string]any{"given_name": "Alice"}; err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("Claims(%s) = %v, %v; want the user's %v", rec.ID, got, err, want)
		}
	}
	for _, rec := range []storage.Token{
		{ID: "at-nobody", Subject: "nobody", GrantID: "code-of-nobody"},
		{ID: "at-client", Subject: "u-1"}, // client credentials: no grant, a client's subject
	} {
		if got, err := e.Claims(t.Context(), rec); err != nil || got != nil {
			t.Errorf("Claims(%s) = %v, %v; want nil", rec.ID, got, err)
		}
	}
}
