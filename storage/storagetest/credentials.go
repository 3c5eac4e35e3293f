package storagetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"issuer/storage"
)

// credentialTests are the subtests of storage.CredentialRecords, run by
// Run.
var credentialTests = []test{
	{"CredentialRecords", testCredentialRecords},
	{"CredentialRecordUpdate", testCredentialRecordUpdate},
	{"CredentialRecordUpdateError", testCredentialRecordUpdateError},
	{"CredentialRecordExpiry", testCredentialRecordExpiry},
	{"CredentialRecordsOfOffer", testCredentialRecordsOfOffer},
	{"CredentialRecordConcurrentSpend", testCredentialRecordConcurrentSpend},
	{"SweepCredentialRecords", testSweepCredentialRecords},
	{"CredentialRecordsClosed", testCredentialRecordsClosed},
}

// newCredentialRecord returns a transaction record of offerID created at
// now, expiring after ttl, with a fresh ID.
func newCredentialRecord(offerID string, now time.Time, ttl time.Duration) storage.CredentialRecord {
	return storage.CredentialRecord{
		ID: fmt.Sprintf("%x", hashOf(uuid.NewString())), Kind: storage.RecordTransaction, OfferID: offerID,
		GrantID: offerID, Subject: "alice", ClientID: "wallet", ConfigurationID: "UniversityDegree",
		CreatedAt: now, ExpiresAt: now.Add(ttl),
		HolderKeys: []json.RawMessage{json.RawMessage(`{"crv":"P-256","kty":"EC","x":"AA","y":"BB"}`)},
	}
}

// createRecord stores r or fails the test.
func createRecord(t *testing.T, s storage.Store, r storage.CredentialRecord) {
	t.Helper()
	if err := s.CreateCredentialRecord(t.Context(), r); err != nil {
		t.Fatalf("CreateCredentialRecord(%s): %v", r.ID, err)
	}
}

// getRecord returns the record by ID or fails the test.
func getRecord(t *testing.T, s storage.Store, id string) storage.CredentialRecord {
	t.Helper()
	r, err := s.GetCredentialRecord(t.Context(), id)
	if err != nil {
		t.Fatalf("GetCredentialRecord(%s): %v", id, err)
	}
	return r
}

func testCredentialRecords(t *testing.T, s storage.Store) {
	r := newCredentialRecord("offer-1", t0, time.Hour)
	createRecord(t, s, r)
	checkEqual(t, "GetCredentialRecord", r, getRecord(t, s, r.ID))
	other := newCredentialRecord("offer-2", t0, time.Minute)
	other.ID = r.ID
	checkErr(t, "same ID", s.CreateCredentialRecord(t.Context(), other), storage.ErrAlreadyExists)
	checkEqual(t, "first record", r, getRecord(t, s, r.ID))
	checkGone(t, "unknown ID", func(ctx context.Context) error { _, err := s.GetCredentialRecord(ctx, "nope"); return err })

	claims := storage.CredentialRecord{
		ID: storage.ClaimsRecordID("offer-1"), Kind: storage.RecordClaims, OfferID: "offer-1",
		CreatedAt: t0, ExpiresAt: t0.Add(time.Hour), Claims: json.RawMessage(`{"given_name":"Erika","n":[1,2]}`),
	}
	createRecord(t, s, claims)
	checkEqual(t, "claims record", claims, getRecord(t, s, claims.ID))
	// An expired record that is not swept yet is still returned.
	past := newCredentialRecord("", t0.Add(-2*time.Hour), time.Hour)
	createRecord(t, s, past)
	checkEqual(t, "expired record", past, getRecord(t, s, past.ID))
}

func testCredentialRecordUpdate(t *testing.T, s storage.Store) {
	r := newCredentialRecord("offer-1", t0, time.Hour)
	r.Kind = storage.RecordNotification
	r.HolderKeys = nil
	createRecord(t, s, r)
	got, err := s.UpdateCredentialRecord(t.Context(), r.ID, t0.Add(time.Minute), func(x *storage.CredentialRecord) error {
		x.Event, x.EventDescription, x.EventAt = "credential_accepted", "stored", t0.Add(time.Minute)
		// What the contract says the store keeps.
		x.ID, x.Kind, x.OfferID = "other", storage.RecordClaims, "offer-2"
		x.ExpiresAt = t0.Add(2 * time.Hour)
		return nil
	})
	checkErr(t, "UpdateCredentialRecord", err, nil)
	want := r
	want.Event, want.EventDescription, want.EventAt, want.ExpiresAt = "credential_accepted", "stored", t0.Add(time.Minute), t0.Add(2*time.Hour)
	checkEqual(t, "result", want, got)
	checkEqual(t, "stored", want, getRecord(t, s, r.ID))
	checkGone(t, "ID the update tried to set", func(ctx context.Context) error { _, err := s.GetCredentialRecord(ctx, "other"); return err })
	list, err := s.CredentialRecordsOf(t.Context(), "offer-1")
	if err != nil || len(list) != 1 {
		t.Errorf("records of the offer after the update: %v, %v; want the record", list, err)
	}
	// The pushed expiry counts: alive after the first one.
	_, err = s.UpdateCredentialRecord(t.Context(), r.ID, t0.Add(90*time.Minute), func(*storage.CredentialRecord) error { return nil })
	checkErr(t, "update within the pushed expiry", err, nil)
	sweep(t, s, t0.Add(90*time.Minute), 0)
}

func testCredentialRecordUpdateError(t *testing.T, s storage.Store) {
	r := newCredentialRecord("offer-1", t0, time.Hour)
	createRecord(t, s, r)
	boom := errors.New("boom")
	_, err := s.UpdateCredentialRecord(t.Context(), r.ID, t0, func(x *storage.CredentialRecord) error {
		x.IssuedAt = t0
		return boom
	})
	if !errors.Is(err, boom) {
		t.Errorf("update error: %v, want boom", err)
	}
	checkEqual(t, "record after a failed update", r, getRecord(t, s, r.ID))
	_, err = s.UpdateCredentialRecord(t.Context(), "nope", t0, func(*storage.CredentialRecord) error { return nil })
	checkErr(t, "update of an unknown record", err, storage.ErrNotFound)
}

func testCredentialRecordExpiry(t *testing.T, s storage.Store) {
	r := newCredentialRecord("offer-1", t0, time.Hour)
	createRecord(t, s, r)
	calls := 0
	update := func(*storage.CredentialRecord) error { calls++; return nil }
	_, err := s.UpdateCredentialRecord(t.Context(), r.ID, r.ExpiresAt, update)
	checkErr(t, "update at ExpiresAt", err, nil)
	_, err = s.UpdateCredentialRecord(t.Context(), r.ID, r.ExpiresAt.Add(time.Nanosecond), update)
	checkErr(t, "update after ExpiresAt", err, storage.ErrNotFound)
	if calls != 1 {
		t.Errorf("update ran %d times; want once (never on an expired record)", calls)
	}
}

func testCredentialRecordsOfOffer(t *testing.T, s storage.Store) {
	later := newCredentialRecord("offer-1", t0.Add(time.Second), time.Hour)
	first := newCredentialRecord("offer-1", t0, time.Hour)
	tieA, tieB := newCredentialRecord("offer-1", t0.Add(2*time.Second), time.Hour), newCredentialRecord("offer-1", t0.Add(2*time.Second), time.Hour)
	if tieA.ID > tieB.ID {
		tieA, tieB = tieB, tieA
	}
	for _, r := range []storage.CredentialRecord{tieB, later, first, tieA, newCredentialRecord("offer-2", t0, time.Hour), newCredentialRecord("", t0, time.Hour)} {
		createRecord(t, s, r)
	}
	got, err := s.CredentialRecordsOf(t.Context(), "offer-1")
	checkErr(t, "CredentialRecordsOf", err, nil)
	var ids []string
	for _, r := range got {
		ids = append(ids, r.ID)
	}
	if want := []string{first.ID, later.ID, tieA.ID, tieB.ID}; !slices.Equal(ids, want) {
		t.Errorf("records of offer-1: %v; want %v (oldest first, ties by ID)", ids, want)
	}
	checkEqual(t, "listed record", first, got[0])
	for _, offer := range []string{"", "offer-3"} {
		got, err := s.CredentialRecordsOf(t.Context(), offer)
		if err != nil || got == nil || len(got) != 0 {
			t.Errorf("records of %q: %#v, %v; want an empty list", offer, got, err)
		}
	}
}

// testCredentialRecordConcurrentSpend has many callers mark one pending
// transaction issued at once: exactly one may.
func testCredentialRecordConcurrentSpend(t *testing.T, s storage.Store) {
	r := newCredentialRecord("offer-1", t0, time.Hour)
	createRecord(t, s, r)
	spent := errors.New("spent")
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			_, err := s.UpdateCredentialRecord(t.Context(), r.ID, t0, func(x *storage.CredentialRecord) error {
				if !x.IssuedAt.IsZero() {
					return spent
				}
				x.IssuedAt = t0
				return nil
			})
			switch {
			case err == nil:
				wins.Add(1)
			case !errors.Is(err, spent):
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := wins.Load(); n != 1 {
		t.Errorf("%d callers spent the transaction; want exactly 1", n)
	}
}

func testSweepCredentialRecords(t *testing.T, s storage.Store) {
	short := newCredentialRecord("offer-1", t0, time.Second)
	long := newCredentialRecord("offer-1", t0, time.Hour)
	createRecord(t, s, short)
	createRecord(t, s, long)
	sweep(t, s, t0.Add(time.Second), 0) // expiring at now: kept
	sweep(t, s, t0.Add(2*time.Second), 1)
	checkGone(t, "swept record", func(ctx context.Context) error { _, err := s.GetCredentialRecord(ctx, short.ID); return err })
	got, err := s.CredentialRecordsOf(t.Context(), "offer-1")
	if err != nil || len(got) != 1 || got[0].ID != long.ID {
		t.Errorf("records of the offer after the sweep: %v, %v; want the long-lived one only", got, err)
	}
	createRecord(t, s, short) // its ID is free again
	sweep(t, s, t0.Add(2*time.Hour), 2)
}

func testCredentialRecordsClosed(t *testing.T, s storage.Store) {
	checkErr(t, "Close", s.Close(), nil)
	ctx := t.Context()
	r := newCredentialRecord("offer-1", t0, time.Hour)
	calls := map[string]func() error{
		"CreateCredentialRecord": func() error { return s.CreateCredentialRecord(ctx, r) },
		"GetCredentialRecord":    func() error { _, err := s.GetCredentialRecord(ctx, r.ID); return err },
		"UpdateCredentialRecord": func() error {
			_, err := s.UpdateCredentialRecord(ctx, r.ID, t0, func(*storage.CredentialRecord) error { return nil })
			return err
		},
		"CredentialRecordsOf": func() error { _, err := s.CredentialRecordsOf(ctx, "offer-1"); return err },
	}
	for name, call := range calls {
		checkErr(t, name+" after Close", call(), storage.ErrClosed)
	}
}
