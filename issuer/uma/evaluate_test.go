package uma_test

import (
	"errors"
	"fmt"
	"reflect"
	"testing"

	"issuer/issuer/oauth"
	"issuer/issuer/uma"
	"issuer/storage"
)

// readWrite is a permission request for read and write on r.
func readWrite(r uma.ResourceInfo) string {
	return fmt.Sprintf(`{"resource_id":%q,"resource_scopes":["read","write"]}`, r.ID)
}

// used reports whether the ticket record id is used up.
func (e *env) used(t testing.TB, id string) bool {
	t.Helper()
	rec, err := e.Store.GetUMATicket(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return rec.Used
}

// A client's grant gives that client the granted scopes of the ticket,
// and nothing more; the ticket is left for the grant to redeem.
func TestEvaluateClientGrant(t *testing.T) {
	e := newEnv(t)
	r := e.resource(t, false)
	e.grant(t, r.ID, uma.GrantRequest{ClientID: client, Scopes: []string{"read"}})
	tk, rec := e.ticket(t, readWrite(r))
	got, err := e.UMA.Evaluate(t.Context(), rec, tk, "", client, "")
	if err != nil {
		t.Fatal(err)
	}
	if want := []storage.UMAPermission{{ResourceID: r.ID, Scopes: []string{"read"}}}; !reflect.DeepEqual(got, want) {
		t.Errorf("Evaluate = %+v; want %+v", got, want)
	}
	if e.used(t, rec.ID) {
		t.Error("a granted evaluation used the ticket up")
	}
}

// The scope parameter narrows the ticket; a value outside the ticket is
// invalid_scope and the ticket stays.
func TestEvaluateScope(t *testing.T) {
	e := newEnv(t)
	r := e.resource(t, false)
	e.grant(t, r.ID, uma.GrantRequest{ClientID: client, Scopes: []string{"read", "write"}})
	tk, rec := e.ticket(t, readWrite(r))
	got, err := e.UMA.Evaluate(t.Context(), rec, tk, "write", client, "")
	if want := []storage.UMAPermission{{ResourceID: r.ID, Scopes: []string{"write"}}}; err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("Evaluate(scope write) = %+v, %v; want %+v", got, err, want)
	}
	_, err = e.UMA.Evaluate(t.Context(), rec, tk, "read delete", client, "")
	wantError(t, err, oauth.CodeInvalidScope)
	if e.used(t, rec.ID) {
		t.Error("invalid_scope used the ticket up")
	}
}

// A requesting party's grant: granted to that party by any client;
// need_info (with the ticket and the claim wanted) when no party is
// identified, leaving the ticket; request_denied for another party.
func TestEvaluatePartyGrant(t *testing.T) {
	e := newEnv(t)
	r := e.resource(t, false)
	e.grant(t, r.ID, uma.GrantRequest{RequestingParty: bob, Scopes: []string{"read"}})

	tk, rec := e.ticket(t, readWrite(r))
	got, err := e.UMA.Evaluate(t.Context(), rec, tk, "", wallet, bobID)
	if want := []storage.UMAPermission{{ResourceID: r.ID, Scopes: []string{"read"}}}; err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("Evaluate(bob) = %+v, %v; want %+v", got, err, want)
	}

	// A grant with no client_id matches no anonymous client.
	_, err = e.UMA.Evaluate(t.Context(), rec, tk, "", "", "")
	ee := wantError(t, err, "need_info")
	if ee.Extra["ticket"] != tk || ee.Extra["required_claims"] == nil {
		t.Errorf("need_info extra = %+v", ee.Extra)
	}
	if e.used(t, rec.ID) {
		t.Error("need_info used the ticket up")
	}

	_, err = e.UMA.Evaluate(t.Context(), rec, tk, "", wallet, aliceID)
	wantError(t, err, "request_denied")
	if !e.used(t, rec.ID) {
		t.Error("request_denied left the ticket")
	}
}

// No grant covers the request: request_denied, and the ticket is used up;
// a second answer on the used ticket is the store's ErrConsumed as it is.
func TestEvaluateDenied(t *testing.T) {
	e := newEnv(t)
	r := e.resource(t, false)
	e.grant(t, r.ID, uma.GrantRequest{ClientID: rs2, Scopes: []string{"read"}})
	tk, rec := e.ticket(t, readWrite(r))
	_, err := e.UMA.Evaluate(t.Context(), rec, tk, "", client, "")
	wantError(t, err, "request_denied")
	if !e.used(t, rec.ID) {
		t.Error("request_denied left the ticket")
	}
	_, err = e.UMA.Evaluate(t.Context(), rec, tk, "", client, "")
	if !errors.Is(err, storage.ErrConsumed) {
		t.Errorf("second Evaluate = %v; want ErrConsumed", err)
	}
}

// An ask_owner resource queues an unmatched request once per ticket and
// answers request_submitted, leaving the ticket; the owner's approval adds
// a grant for the client, which is then granted.
func TestEvaluateAskOwnerApproved(t *testing.T) {
	e := newEnv(t)
	r := e.resource(t, true)
	tk, rec := e.ticket(t, readWrite(r))
	for range 2 {
		_, err := e.UMA.Evaluate(t.Context(), rec, tk, "", client, "")
		if ee := wantError(t, err, "request_submitted"); ee.Extra["ticket"] != tk || ee.Extra["interval"] == nil {
			t.Errorf("request_submitted extra = %+v", ee.Extra)
		}
	}
	want := []storage.UMARequest{{ID: rec.ID, ClientID: client, Scopes: []string{"read", "write"}}}
	if got := e.stored(t, r.ID).Requests; !reflect.DeepEqual(got, want) {
		t.Fatalf("requests = %+v; want %+v", got, want)
	}
	if e.used(t, rec.ID) {
		t.Error("request_submitted used the ticket up")
	}
	if err := e.UMA.DecideRequest(t.Context(), r.ID, rec.ID, true); err != nil {
		t.Fatal(err)
	}
	stored := e.stored(t, r.ID)
	if len(stored.Requests) != 0 || !reflect.DeepEqual(stored.Grants, []storage.UMAGrant{{ClientID: client, Scopes: []string{"read", "write"}}}) {
		t.Errorf("after approval: %+v", stored)
	}
	got, err := e.UMA.Evaluate(t.Context(), rec, tk, "", client, "")
	if err != nil || len(got) != 1 {
		t.Errorf("Evaluate after approval = %+v, %v", got, err)
	}
}

// The owner's denial marks the ticket denied; its next evaluation is
// request_denied and uses it up.
func TestEvaluateAskOwnerDenied(t *testing.T) {
	e := newEnv(t)
	r := e.resource(t, true)
	tk, rec := e.ticket(t, readWrite(r))
	_, err := e.UMA.Evaluate(t.Context(), rec, tk, "", client, "")
	wantError(t, err, "request_submitted")
	if err := e.UMA.DecideRequest(t.Context(), r.ID, rec.ID, false); err != nil {
		t.Fatal(err)
	}
	if s := e.stored(t, r.ID); len(s.Requests) != 0 || len(s.Grants) != 0 {
		t.Errorf("after denial: %+v", s)
	}
	rec, _ = e.Store.GetUMATicket(t.Context(), rec.ID)
	if !rec.Denied {
		t.Fatal("the ticket is not denied")
	}
	_, err = e.UMA.Evaluate(t.Context(), rec, tk, "", client, "")
	wantError(t, err, "request_denied")
	if !e.used(t, rec.ID) {
		t.Error("request_denied left the ticket")
	}
}

// Deciding an unknown request or on an unknown resource is not_found and
// changes nothing.
func TestDecideRequestUnknown(t *testing.T) {
	e := newEnv(t)
	r := e.resource(t, true)
	before := e.stored(t, r.ID)
	wantError(t, e.UMA.DecideRequest(t.Context(), r.ID, "nope", true), oauth.CodeNotFound)
	wantError(t, e.UMA.DecideRequest(t.Context(), "nope", "nope", false), oauth.CodeNotFound)
	e.unchanged(t, before)
}
