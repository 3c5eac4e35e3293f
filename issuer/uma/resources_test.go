package uma_test

import (
	"reflect"
	"testing"

	"issuer/issuer/oauth"
	"issuer/issuer/uma"
	"issuer/storage"
)

// A resource is registered for an existing owner and a resource server
// that authenticates with a secret, with its scopes deduplicated.
func TestCreateResource(t *testing.T) {
	e := newEnv(t)
	r, err := e.UMA.CreateResource(t.Context(), uma.ResourceRequest{
		ResourceServer: rs, Owner: alice, Name: "photos", Scopes: []string{"read", "write", "read"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(r.Scopes, []string{"read", "write"}) || r.Owner != alice || r.ResourceServer != rs || r.ID == "" {
		t.Errorf("resource = %+v", r)
	}
	if r.Grants == nil || r.Requests == nil {
		t.Error("grants and requests must be arrays, not null")
	}
	got, err := e.UMA.GetResource(t.Context(), r.ID)
	if err != nil || !reflect.DeepEqual(got, r) {
		t.Errorf("GetResource = %+v, %v; want %+v", got, err, r)
	}
}

func TestCreateResourceRefused(t *testing.T) {
	cases := []struct {
		name string
		req  uma.ResourceRequest
	}{
		{"unknown resource server", uma.ResourceRequest{ResourceServer: "nobody", Owner: alice, Scopes: []string{"read"}}},
		{"public client as resource server", uma.ResourceRequest{ResourceServer: wallet, Owner: alice, Scopes: []string{"read"}}},
		{"unknown owner", uma.ResourceRequest{ResourceServer: rs, Owner: "carol", Scopes: []string{"read"}}},
		{"no scopes", uma.ResourceRequest{ResourceServer: rs, Owner: alice}},
		{"invalid scope value", uma.ResourceRequest{ResourceServer: rs, Owner: alice, Scopes: []string{"read me"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			_, err := e.UMA.CreateResource(t.Context(), c.req)
			wantError(t, err, oauth.CodeInvalidRequest)
		})
	}
}

func TestGetResourceUnknown(t *testing.T) {
	_, err := newEnv(t).UMA.GetResource(t.Context(), "nope")
	wantError(t, err, oauth.CodeNotFound)
}

// A grant names exactly one of a registered client or an existing user
// (stored by ID), with a non-empty subset of the resource's scopes.
func TestAddGrant(t *testing.T) {
	e := newEnv(t)
	r := e.resource(t, false)
	e.grant(t, r.ID, uma.GrantRequest{ClientID: client, Scopes: []string{"read"}})
	e.grant(t, r.ID, uma.GrantRequest{RequestingParty: bob, Scopes: []string{"read", "write"}})
	want := []storage.UMAGrant{{ClientID: client, Scopes: []string{"read"}}, {RequestingParty: bobID, Scopes: []string{"read", "write"}}}
	if got := e.stored(t, r.ID).Grants; !reflect.DeepEqual(got, want) {
		t.Errorf("grants = %+v; want %+v", got, want)
	}
}

func TestAddGrantRefused(t *testing.T) {
	cases := []struct {
		name string
		id   string
		req  uma.GrantRequest
		code string
	}{
		{"neither client nor party", "", uma.GrantRequest{Scopes: []string{"read"}}, oauth.CodeInvalidRequest},
		{"both client and party", "", uma.GrantRequest{ClientID: client, RequestingParty: bob, Scopes: []string{"read"}}, oauth.CodeInvalidRequest},
		{"unknown client", "", uma.GrantRequest{ClientID: "nobody", Scopes: []string{"read"}}, oauth.CodeInvalidRequest},
		{"unknown party", "", uma.GrantRequest{RequestingParty: "carol", Scopes: []string{"read"}}, oauth.CodeInvalidRequest},
		{"no scopes", "", uma.GrantRequest{ClientID: client}, oauth.CodeInvalidRequest},
		{"scope not of the resource", "", uma.GrantRequest{ClientID: client, Scopes: []string{"read", "delete"}}, oauth.CodeInvalidRequest},
		{"unknown resource", "nope", uma.GrantRequest{ClientID: client, Scopes: []string{"read"}}, oauth.CodeNotFound},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			r := e.resource(t, false)
			before := e.stored(t, r.ID)
			id := c.id
			if id == "" {
				id = r.ID
			}
			wantError(t, e.UMA.AddGrant(t.Context(), id, c.req), c.code)
			e.unchanged(t, before)
		})
	}
}
