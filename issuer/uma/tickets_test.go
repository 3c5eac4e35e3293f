package uma_test

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"issuer/issuer/clientauth"
	"issuer/issuer/oauth"
	"issuer/issuer/uma"
	"issuer/storage"
)

// The permission endpoint gives the resource server a ticket, stored by
// its hash, for the permissions it registers (one object or an array),
// live for five minutes.
func TestPermissionTicket(t *testing.T) {
	e := newEnv(t)
	r := e.resource(t, false)
	for _, body := range []string{
		fmt.Sprintf(`{"resource_id":%q,"resource_scopes":["read"]}`, r.ID),
		fmt.Sprintf(`[{"resource_id":%q,"resource_scopes":["read","write"]}]`, r.ID),
	} {
		tk, rec := e.ticket(t, body)
		if tk == "" || rec.ID == tk || rec.ResourceServer != rs || rec.Used || rec.Denied {
			t.Errorf("ticket %q = %+v", tk, rec)
		}
		if want := e.Clock.Now().Add(5 * time.Minute); !rec.ExpiresAt.Equal(want) {
			t.Errorf("ExpiresAt = %v; want %v", rec.ExpiresAt, want)
		}
	}
	_, rec := e.ticket(t, fmt.Sprintf(`{"resource_id":%q,"resource_scopes":["write"]}`, r.ID))
	if want := []storage.UMAPermission{{ResourceID: r.ID, Scopes: []string{"write"}}}; !reflect.DeepEqual(rec.Permissions, want) {
		t.Errorf("permissions = %+v; want %+v", rec.Permissions, want)
	}
}

// The refusals of the permission endpoint (UMA Federated Authorization
// §4.2): the resource server must authenticate with a secret and protect
// the resource; the body must be well formed; the scopes registered.
func TestPermissionTicketRefused(t *testing.T) {
	cases := []struct {
		name, auth, body, code string
	}{
		{"no client", "", `{"resource_id":"%s","resource_scopes":["read"]}`, oauth.CodeInvalidClient},
		{"authentication fails", "broken", `{"resource_id":"%s","resource_scopes":["read"]}`, oauth.CodeInvalidClient},
		{"public client", wallet, `{"resource_id":"%s","resource_scopes":["read"]}`, oauth.CodeInvalidClient},
		{"another resource server's resource", rs2, `{"resource_id":"%s","resource_scopes":["read"]}`, "invalid_resource_id"},
		{"unknown resource", rs, `{"resource_id":"nope%.0s","resource_scopes":["read"]}`, "invalid_resource_id"},
		{"scope not registered", rs, `{"resource_id":"%s","resource_scopes":["delete"]}`, oauth.CodeInvalidScope},
		{"empty array", rs, `[]%.0s`, oauth.CodeInvalidRequest},
		{"not JSON", rs, `resource_id=%s`, oauth.CodeInvalidRequest},
		{"no scopes", rs, `{"resource_id":"%s"}`, oauth.CodeInvalidRequest},
		{"no resource_id", rs, `{"resource_scopes":["read"]}%.0s`, oauth.CodeInvalidRequest},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			r := e.resource(t, false)
			tk, err := e.UMA.CreatePermissionTicket(t.Context(), clientauth.Request{Authorization: c.auth}, []byte(fmt.Sprintf(c.body, r.ID)))
			if tk != "" {
				t.Errorf("ticket = %q on a refusal", tk)
			}
			wantError(t, err, c.code)
		})
	}
}

// TicketID is a hash: not the ticket, stable, distinct per ticket.
func TestTicketID(t *testing.T) {
	if uma.TicketID("a") == "a" || uma.TicketID("a") != uma.TicketID("a") || uma.TicketID("a") == uma.TicketID("b") {
		t.Error("TicketID is not a stable hash")
	}
}
