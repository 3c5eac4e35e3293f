package mdoc

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

func TestVerifyRoundTrip(t *testing.T) {
	iss, holder := newIssuerKey(t, "DS"), newHolderKey(t)
	in := pidInput(t, iss, holder)
	in.Claims["org.example.extra"] = map[string]any{
		"portrait": []byte{0xff, 0xd8, 0xff},
		"visits":   []any{FullDate{2025, 1, 2}, time.Date(2025, 1, 2, 3, 4, 5, 6, time.FixedZone("Y", -7200))},
		"score":    1.5,
		"none":     nil,
	}
	doc, err := Verify(mustIssue(t, in))
	if err != nil {
		t.Fatalf("Verify() = %v", err)
	}
	want := map[string]map[string]any{
		pidNS: {
			"family_name":       "Mustermann",
			"given_name":        "Erika",
			"birth_date":        FullDate{1964, time.August, 12},
			"age_over_18":       true,
			"age_in_years":      uint64(61),
			"nationality":       []any{"DE"},
			"birth_place":       map[string]any{"country": "DE", "locality": "Berlin"},
			"issuing_authority": "DE",
			"issuing_country":   "DE",
			"expiry_date":       FullDate{2031, time.March, 14},
			"issuance_date":     time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC),
		},
		"org.example.extra": {
			"portrait": []byte{0xff, 0xd8, 0xff},
			"visits":   []any{FullDate{2025, 1, 2}, time.Date(2025, 1, 2, 5, 4, 5, 0, time.UTC)},
			"score":    1.5,
			"none":     nil,
		},
	}
	if !reflect.DeepEqual(doc.NameSpaces, want) {
		t.Errorf("Verify().NameSpaces =\n%#v\nwant\n%#v", doc.NameSpaces, want)
	}
	if doc.DocType != pidDocType || !doc.DeviceKey.Equal(&holder.PublicKey) || !doc.Chain[0].Equal(iss.cert) {
		t.Errorf("Verify() docType %q, device key or chain differ from the input", doc.DocType)
	}
	if v := in.Validity.truncated(); doc.Validity != v {
		t.Errorf("Verify().Validity = %v; want %v", doc.Validity, v)
	}
}

func TestVerifyRefuses(t *testing.T) {
	iss, other, holder := newIssuerKey(t, "DS"), newIssuerKey(t, "other"), newHolderKey(t)
	cred := mustIssue(t, pidInput(t, iss, holder))
	tests := []struct {
		name  string
		given string
	}{
		{"padded", cred + "="},
		{"not base64url", "a+b/"},
		{"not CBOR", "AAAA"},
		{"flipped signature byte", flipSignatureByte(t, cred)},
		{"altered element value", alterElement(t, cred, pidNS, "family_name", "Musterfrau")},
		{"another signer certificate", replaceX5Chain(t, cred, other.cert.Raw)},
		{"no x5chain", rewriteUnprotected(t, cred)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Verify(tt.given); !errors.Is(err, ErrInvalid) {
				t.Errorf("Verify() = %v; want ErrInvalid", err)
			}
		})
	}
}
