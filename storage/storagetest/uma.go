package storagetest

import (
	"errors"
	"testing"
	"time"

	"issuer/storage"
)

func testUMAResources(t *testing.T, s storage.Store) {
	r := storage.UMAResource{ID: "res-1", ResourceServer: "rs", Owner: "alice", Scopes: []string{"view", "edit"}, CreatedAt: t0}
	if err := s.CreateUMAResource(t.Context(), r); err != nil {
		t.Fatalf("CreateUMAResource: %v", err)
	}
	checkErr(t, "CreateUMAResource twice", s.CreateUMAResource(t.Context(), r), storage.ErrAlreadyExists)
	grant := storage.UMAGrant{ClientID: "c", Scopes: []string{"view"}}
	err := s.UpdateUMAResource(t.Context(), r.ID, func(r *storage.UMAResource) error {
		r.Grants = append(r.Grants, grant)
		return nil
	})
	checkErr(t, "UpdateUMAResource", err, nil)
	refuse := errors.New("refused")
	checkErr(t, "UpdateUMAResource refused", s.UpdateUMAResource(t.Context(), r.ID, func(r *storage.UMAResource) error {
		r.Grants = nil
		return refuse
	}), refuse)
	got, err := s.GetUMAResource(t.Context(), r.ID)
	if err != nil || len(got.Grants) != 1 || got.Grants[0].ClientID != "c" {
		t.Fatalf("GetUMAResource = %+v, %v; want the one grant kept", got, err)
	}
	checkErr(t, "UpdateUMAResource unknown", s.UpdateUMAResource(t.Context(), "nope", func(*storage.UMAResource) error { return nil }), storage.ErrNotFound)
	_, err = s.GetUMAResource(t.Context(), "nope")
	checkErr(t, "GetUMAResource unknown", err, storage.ErrNotFound)
}

func testUMATickets(t *testing.T, s storage.Store) {
	tk := storage.UMATicket{ID: "t-1", ResourceServer: "rs", Permissions: []storage.UMAPermission{{ResourceID: "res-1", Scopes: []string{"view"}}}, ExpiresAt: t0.Add(5 * time.Minute)}
	if err := s.CreateUMATicket(t.Context(), tk); err != nil {
		t.Fatalf("CreateUMATicket: %v", err)
	}
	checkErr(t, "DenyUMATicket", s.DenyUMATicket(t.Context(), tk.ID), nil)
	if got, err := s.GetUMATicket(t.Context(), tk.ID); err != nil || !got.Denied || len(got.Permissions) != 1 {
		t.Fatalf("GetUMATicket = %+v, %v; want denied, one permission", got, err)
	}
	rpt := newToken("", t0, time.Hour)
	use := storage.Issuance{Now: t0, ReplayKey: []byte("uma-key"), ReplayExpiry: t0.Add(time.Minute), Tokens: []storage.Token{rpt}}
	checkErr(t, "UseUMATicket", s.UseUMATicket(t.Context(), use, tk.ID), nil)
	if _, err := s.GetToken(t.Context(), rpt.ID); err != nil {
		t.Fatalf("RPT after UseUMATicket: %v", err)
	}
	use.ReplayKey = []byte("other-key")
	checkErr(t, "UseUMATicket twice", s.UseUMATicket(t.Context(), use, tk.ID), storage.ErrConsumed)
	checkErr(t, "UseUMATicket unknown", s.UseUMATicket(t.Context(), use, "nope"), storage.ErrNotFound)
	late := storage.UMATicket{ID: "t-2", ExpiresAt: t0.Add(time.Minute)}
	if err := s.CreateUMATicket(t.Context(), late); err != nil {
		t.Fatal(err)
	}
	use.Now, use.ReplayExpiry = t0.Add(2*time.Minute), t0.Add(3*time.Minute)
	checkErr(t, "UseUMATicket expired", s.UseUMATicket(t.Context(), use, late.ID), storage.ErrExpired)
	if _, err := s.Sweep(t.Context(), t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	_, err := s.GetUMATicket(t.Context(), late.ID)
	checkErr(t, "ticket after Sweep", err, storage.ErrNotFound)
}
