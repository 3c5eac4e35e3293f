package sdjwt

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// The package's own decoder, for tools; it agrees with the independent
// verifier on the same cases (interop_test.go).

func TestVerifyRoundTrip(t *testing.T) {
	p := newPKI(t, "Test")
	in, holder := newInput(t, p)
	in.MaxDecoys = 3
	c, err := Verify(issue(t, in), nil)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	want := pidClaims()
	for k, v := range map[string]any{
		"iss": in.Issuer, "iat": t0.Unix(), "exp": exp.Unix(), "vct": in.VCT,
		"cnf": map[string]any{"jwk": holderJWK(holder)},
	} {
		want[k] = v
	}
	if got, want := asJSON(t, c.Claims), asJSON(t, want); !reflect.DeepEqual(got, want) {
		t.Errorf("claims =\n%v\nwant\n%v", got, want)
	}
	if len(c.Disclosures) != pidDisclosures || len(c.Chain) != 1 || c.KeyBinding != "" {
		t.Errorf("%d disclosures, %d certificates, key binding %q", len(c.Disclosures), len(c.Chain), c.KeyBinding)
	}
	if h, ok := c.Claims["height_m"].(json.Number); !ok || h.String() != "1.72" {
		t.Errorf("height_m = %#v; want the number 1.72 as written", c.Claims["height_m"])
	}
}

func TestVerifySubset(t *testing.T) {
	p := newPKI(t, "Test")
	in, _ := newInput(t, p)
	jwt, disclosures := splitCompact(t, issue(t, in))
	var kept []string
	for _, d := range disclosures {
		dd, _ := decodeDisclosure(d)
		if dd.Name == "given_name" || dd.Value == "DE" {
			kept = append(kept, d)
		}
	}
	c, err := Verify(jwt+"~"+strings.Join(kept, "~")+"~", nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Claims["given_name"] != "Erika" || c.Claims["family_name"] != nil || c.Claims["address"] != nil {
		t.Errorf("claims = %v; want given_name only of the disclosable names", c.Claims)
	}
	if got := asJSON(t, c.Claims["nationalities"]); !reflect.DeepEqual(got, []any{"DE"}) {
		t.Errorf("nationalities = %v; want [DE]", got)
	}
}

func TestVerifyRefuses(t *testing.T) {
	p := newPKI(t, "Test")
	other := newPKI(t, "Other")
	in, _ := newInput(t, p)
	good := issue(t, in)
	jwt, disclosures := splitCompact(t, good)
	otherIn, _ := newInput(t, other)
	_, foreign := splitCompact(t, issue(t, otherIn))
	rest := "~" + strings.Join(disclosures, "~") + "~"

	tests := []struct {
		name    string
		compact string
		key     any
		wantErr error
	}{
		{"flipped signature byte", flipSignature(t, jwt) + rest, nil, ErrSignature},
		{"altered payload", replacePayload(t, jwt, func(m map[string]any) { m["sub"] = "mallory" }) + rest, nil, ErrSignature},
		{"altered disclosure", jwt + "~" + alterDisclosure(t, disclosures[0]) + rest, nil, ErrDisclosure},
		{"foreign disclosure", good + foreign[0] + "~", nil, ErrDisclosure},
		{"disclosure twice", good + disclosures[0] + "~", nil, ErrDisclosure},
		{"wrong key", good, &other.key.PublicKey, ErrSignature},
		{"typ vc+sd-jwt", replaceHeader(t, jwt, func(h map[string]any) { h["typ"] = "vc+sd-jwt" }) + rest, nil, ErrMalformed},
		{"no separator", jwt, nil, ErrMalformed},
		{"not a JWT", "a.b~", nil, ErrMalformed},
		{"_sd_alg sha-512", replacePayload(t, jwt, func(m map[string]any) { m["_sd_alg"] = "sha-512" }) + rest, nil, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Verify(tt.compact, tt.key)
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("Verify() = %v; want %v", err, tt.wantErr)
			}
		})
	}
}
