package storagetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"issuer/storage"
)

// t0 is the reference "now" of the tests: every time is explicit, none is
// read from the clock.
var t0 = time.Date(2031, 5, 6, 7, 8, 9, 123456789, time.UTC)

// hashOf returns SHA-256 of s, as the service hashes codes.
func hashOf(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// newOffer returns an unredeemed offer created at now, expiring after ttl,
// with a fresh ID and code hash.
func newOffer(now time.Time, ttl time.Duration) storage.Offer {
	id := uuid.NewString()
	return storage.Offer{
		ID:                    id,
		CodeHash:              hashOf("code-" + id),
		Subject:               "alice",
		ConfigurationIDs:      []string{"UniversityDegree"},
		CredentialIdentifiers: []string{"degree-1"},
		CreatedAt:             now,
		ExpiresAt:             now.Add(ttl),
		KeepUntil:             now.Add(ttl),
	}
}

// newToken returns an access token issued at iat for the offer grantID,
// expiring after ttl.
func newToken(grantID string, iat time.Time, ttl time.Duration) storage.Token {
	return storage.Token{
		ID:        uuid.NewString(),
		Kind:      "access_token",
		Subject:   "alice",
		GrantID:   grantID,
		IssuedAt:  iat,
		ExpiresAt: iat.Add(ttl),
	}
}

// redemption returns a redemption of o at now, with a fresh replay key
// valid for a minute, issuing tokens.
func redemption(o storage.Offer, now time.Time, tokens ...storage.Token) storage.Redemption {
	return storage.Redemption{
		CodeHash:     o.CodeHash,
		Now:          now,
		ReplayKey:    []byte("jti-" + uuid.NewString()),
		ReplayExpiry: now.Add(time.Minute),
		JKT:          "thumbprint-" + o.ID,
		Tokens:       tokens,
	}
}

// createOffer stores o or fails the test.
func createOffer(t *testing.T, s storage.Store, o storage.Offer) {
	t.Helper()
	if err := s.CreateOffer(t.Context(), o); err != nil {
		t.Fatalf("CreateOffer(%s): %v", o.ID, err)
	}
}

// redeemOK redeems r or fails the test.
func redeemOK(t *testing.T, s storage.Store, r storage.Redemption) {
	t.Helper()
	if err := s.Redeem(t.Context(), r); err != nil {
		t.Fatalf("Redeem: %v", err)
	}
}

// checkErr fails the test unless got matches want: nil for nil, else
// errors.Is.
func checkErr(t *testing.T, what string, got, want error) {
	t.Helper()
	if want == nil && got != nil || want != nil && !errors.Is(got, want) {
		t.Errorf("%s: error %v, want %v", what, got, want)
	}
}

// getOffer returns the offer by ID or fails the test.
func getOffer(t *testing.T, s storage.Store, id string) storage.Offer {
	t.Helper()
	o, err := s.GetOffer(t.Context(), id)
	if err != nil {
		t.Fatalf("GetOffer(%s): %v", id, err)
	}
	return o
}

// getToken returns the token by ID or fails the test.
func getToken(t *testing.T, s storage.Store, id string) storage.Token {
	t.Helper()
	tok, err := s.GetToken(t.Context(), id)
	if err != nil {
		t.Fatalf("GetToken(%s): %v", id, err)
	}
	return tok
}

// checkGone fails the test unless get reports ErrNotFound.
func checkGone(t *testing.T, what string, get func(context.Context) error) {
	t.Helper()
	checkErr(t, what, get(t.Context()), storage.ErrNotFound)
}

// checkEqual compares two records field by field and reports every field
// that differs. Times compare as instants, json.RawMessage as JSON values,
// and nil equals empty for slices.
func checkEqual(t *testing.T, what string, want, got any) {
	t.Helper()
	if d := diff(what, reflect.ValueOf(want), reflect.ValueOf(got)); len(d) > 0 {
		t.Errorf("%s differs in %v\n got: %+v\nwant: %+v", what, d, got, want)
	}
}

var (
	timeType = reflect.TypeFor[time.Time]()
	rawType  = reflect.TypeFor[json.RawMessage]()
)

// diff returns the paths at which want and got differ.
func diff(path string, want, got reflect.Value) []string {
	switch want.Type() {
	case timeType:
		return unless(want.Interface().(time.Time).Equal(got.Interface().(time.Time)), path)
	case rawType:
		return unless(jsonEqual(want.Bytes(), got.Bytes()), path)
	}
	switch want.Kind() {
	case reflect.Struct:
		var out []string
		for i := range want.NumField() {
			out = append(out, diff(path+"."+want.Type().Field(i).Name, want.Field(i), got.Field(i))...)
		}
		return out
	case reflect.Pointer:
		if want.IsNil() || got.IsNil() {
			return unless(want.IsNil() == got.IsNil(), path)
		}
		return diff(path, want.Elem(), got.Elem())
	case reflect.Slice:
		if want.Len() != got.Len() {
			return []string{path}
		}
		var out []string
		for i := range want.Len() {
			out = append(out, diff(fmt.Sprintf("%s[%d]", path, i), want.Index(i), got.Index(i))...)
		}
		return out
	}
	return unless(reflect.DeepEqual(want.Interface(), got.Interface()), path)
}

// unless returns nil if ok, else the one path.
func unless(ok bool, path string) []string {
	if ok {
		return nil
	}
	return []string{path}
}

// jsonEqual reports whether a and b hold the same JSON value (both empty
// counts as equal).
func jsonEqual(a, b []byte) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	var va, vb any
	if json.Unmarshal(a, &va) != nil || json.Unmarshal(b, &vb) != nil {
		return bytes.Equal(a, b)
	}
	return reflect.DeepEqual(va, vb)
}
