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
// else the subject's user's; nil when neither is known.
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
		{ID: "at-user", Subject: "u-1"},
		{ID: "at-foreign", Subject: "u-1", GrantID: "offer-erika", ExpiresAt: e.clock.Now().Add(time.Minute)}, // erika's offer, not alice's
	} {
		got, err := e.Claims(t.Context(), rec)
		if want := map[string]any{"given_name": "Alice"}; err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("Claims(%s) = %v, %v; want the user's %v", rec.ID, got, err, want)
		}
	}
	got, err = e.Claims(t.Context(), storage.Token{ID: "at-nobody", Subject: "nobody"})
	if err != nil || got != nil {
		t.Errorf("Claims(nobody) = %v, %v; want nil", got, err)
	}
}
