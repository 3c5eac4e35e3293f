package sdjwt

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// These tests read the encoder's output with the standard library, to pin
// down choices a verifier cannot see (sorting, salts, reproducibility);
// interop_test.go proves that the format is right.

func TestIssueLayout(t *testing.T) {
	p := newPKI(t, "Test")
	in, _ := newInput(t, p)
	in.NotBefore = t0.Add(time.Hour)
	cred := issue(t, in)

	jwt, disclosures := splitCompact(t, cred)
	if len(disclosures) != pidDisclosures {
		t.Errorf("%d disclosures; want %d", len(disclosures), pidDisclosures)
	}
	var header, payload map[string]any
	segs := strings.Split(jwt, ".")
	decodeJSON(t, segs[0], &header)
	decodeJSON(t, segs[1], &payload)
	if header["typ"] != "dc+sd-jwt" || header["alg"] != "ES256" {
		t.Errorf("header = %v; want typ dc+sd-jwt, alg ES256", header)
	}
	if x5c, _ := header["x5c"].([]any); len(x5c) != 1 || x5c[0] != base64.StdEncoding.EncodeToString(p.leaf.Raw) {
		t.Errorf("x5c = %v; want the issuer certificate", header["x5c"])
	}
	for name, want := range map[string]any{
		"iss": "https://issuer.example", "vct": "urn:eudi:pid:1", "_sd_alg": "sha-256",
		"iat": float64(t0.Unix()), "exp": float64(exp.Unix()), "nbf": float64(in.NotBefore.Unix()),
		"issuing_country": "DE", "sub": "erika",
	} {
		if payload[name] != want {
			t.Errorf("payload %s = %v; want %v", name, payload[name], want)
		}
	}
	for _, name := range []string{"given_name", "family_name", "birthdate", "address", "height_m"} {
		if _, ok := payload[name]; ok {
			t.Errorf("payload shows %s in plain; it is disclosable", name)
		}
	}
	sd, _ := payload["_sd"].([]any)
	if len(sd) != 5 || !slices.IsSortedFunc(sd, func(a, b any) int { return strings.Compare(a.(string), b.(string)) }) {
		t.Errorf("_sd = %v; want 5 sorted digests", sd)
	}
	nat, _ := payload["nationalities"].([]any)
	if len(nat) != 2 || nat[0].(map[string]any)["..."] == nil {
		t.Errorf("nationalities = %v; want two {\"...\": digest}", nat)
	}
	for _, d := range disclosures {
		var arr []any
		decodeJSON(t, d, &arr)
		salt, _ := base64.RawURLEncoding.DecodeString(arr[0].(string))
		if len(salt) != 16 {
			t.Errorf("salt %v has %d bytes; want 16", arr[0], len(salt))
		}
	}
}

func TestIssueDecoys(t *testing.T) {
	p := newPKI(t, "Test")
	in, _ := newInput(t, p)
	in.MaxDecoys = 8
	in.Rand = &stream{seed: "decoys"}
	cred := issue(t, in)
	jwt, disclosures := splitCompact(t, cred)
	var payload map[string]any
	decodeJSON(t, strings.Split(jwt, ".")[1], &payload)
	if sd := payload["_sd"].([]any); len(sd) <= 5 {
		t.Errorf("_sd has %d digests; want the 5 claims and decoys (this seeded stream draws some)", len(sd))
	}
	c, err := Verify(cred, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(disclosures) != pidDisclosures || c.Claims["given_name"] != "Erika" {
		t.Errorf("decoys changed the disclosures or the claims")
	}
}

func TestIssueSaltsAreFreshAndReproducible(t *testing.T) {
	p := newPKI(t, "Test")
	in, _ := newInput(t, p)
	in.Rand = &stream{seed: "a"}
	_, first := splitCompact(t, issue(t, in))
	in.Rand = &stream{seed: "a"}
	_, again := splitCompact(t, issue(t, in))
	in.Rand = rand.Reader
	_, fresh := splitCompact(t, issue(t, in))
	if !slices.Equal(first, again) {
		t.Error("the same randomness gave different disclosures")
	}
	for _, d := range fresh {
		if slices.Contains(first, d) {
			t.Errorf("disclosure %s repeated across issuances", d)
		}
	}
}

// TestDigestOfRFC9901Examples checks the digest and the decoding against
// the examples of RFC 9901 §4.2.1, §4.2.2 and §4.2.3.
func TestDigestOfRFC9901Examples(t *testing.T) {
	tests := []struct{ disclosure, digest, name, value string }{{
		"WyJfMjZiYzRMVC1hYzZxMktJNmNCVzVlcyIsICJmYW1pbHlfbmFtZSIsICJNw7ZiaXVzIl0",
		"X9yH0Ajrdm1Oij4tWso9UzzKJvPoDxwmuEcO3XAdRC0", "family_name", "Möbius",
	}, {
		"WyJsa2x4RjVqTVlsR1RQVW92TU5JdkNBIiwgIkZSIl0",
		"w0I8EKcdCtUPkGCNUrfwVp2xEgNjtoIDlOxc9-PlOhs", "", "FR",
	}}
	for _, tt := range tests {
		if got := digest(tt.disclosure); got != tt.digest {
			t.Errorf("digest(%s) = %s; want %s", tt.disclosure, got, tt.digest)
		}
		d, err := decodeDisclosure(tt.disclosure)
		if err != nil || d.Name != tt.name || d.Value != tt.value || d.IsElement != (tt.name == "") {
			t.Errorf("decodeDisclosure(%s) = %+v, %v; want %q: %q", tt.disclosure, d, err, tt.name, tt.value)
		}
	}
}

func TestIssueRefuses(t *testing.T) {
	p := newPKI(t, "Test")
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		modify  func(in *Input)
		wantErr error
	}{
		{"iss in the claims", func(in *Input) { in.Claims["iss"] = "x" }, ErrReservedClaim},
		{"cnf in the claims", func(in *Input) { in.Claims["cnf"] = map[string]any{} }, ErrReservedClaim},
		{"status in the claims", func(in *Input) { in.Claims["status"] = 1 }, ErrReservedClaim},
		{"_sd_alg in the claims", func(in *Input) { in.Claims["_sd_alg"] = "md5" }, ErrReservedClaim},
		{"_sd nested", func(in *Input) { in.Claims["place_of_birth"] = map[string]any{"_sd": []any{}} }, ErrReservedClaim},
		{"... nested", func(in *Input) { in.Claims["x"] = []any{map[string]any{"...": "d"}} }, ErrReservedClaim},
		{"iss disclosable", func(in *Input) { in.Disclosable = []ClaimPath{{"iss"}} }, ErrReservedClaim},
		{"exp disclosable", func(in *Input) { in.Disclosable = []ClaimPath{{"exp"}} }, ErrReservedClaim},
		{"cnf.jwk disclosable", func(in *Input) { in.Disclosable = []ClaimPath{{"cnf", "jwk"}} }, ErrReservedClaim},
		{"vct disclosable", func(in *Input) { in.Disclosable = []ClaimPath{{"vct"}} }, ErrReservedClaim},
		{"status disclosable", func(in *Input) { in.Disclosable = []ClaimPath{{"status"}} }, ErrReservedClaim},
		{"index as a string", func(in *Input) { in.Disclosable = []ClaimPath{{"nationalities", json.Number("x")}} }, ErrClaimPath},
		{"empty path", func(in *Input) { in.Disclosable = []ClaimPath{{}} }, ErrClaimPath},
		{"path starting with an index", func(in *Input) { in.Disclosable = []ClaimPath{{0}} }, ErrClaimPath},
		{"negative index", func(in *Input) { in.Disclosable = []ClaimPath{{"nationalities", -1}} }, ErrClaimPath},
		{"fractional index", func(in *Input) { in.Disclosable = []ClaimPath{{"nationalities", 0.5}} }, ErrClaimPath},
		{"boolean element", func(in *Input) { in.Disclosable = []ClaimPath{{"address", true}} }, ErrClaimPath},
		{"index into an object", func(in *Input) { in.Disclosable = []ClaimPath{{"address", 0}} }, ErrClaimPath},
		{"all of an object", func(in *Input) { in.Disclosable = []ClaimPath{{"address", nil}} }, ErrClaimPath},
		{"name into an array", func(in *Input) { in.Disclosable = []ClaimPath{{"nationalities", "x"}} }, ErrClaimPath},
		{"through a string", func(in *Input) { in.Disclosable = []ClaimPath{{"given_name", "x"}} }, ErrClaimPath},
		{"no issuer", func(in *Input) { in.Issuer = "" }, ErrInput},
		{"no vct", func(in *Input) { in.VCT = "" }, ErrInput},
		{"no randomness", func(in *Input) { in.Rand = nil }, ErrInput},
		{"randomness fails", func(in *Input) { in.Rand = strings.NewReader("short") }, nil},
		{"no iat", func(in *Input) { in.IssuedAt = time.Time{} }, ErrInput},
		{"exp not after iat", func(in *Input) { in.Expires = in.IssuedAt }, ErrInput},
		{"nbf after exp", func(in *Input) { in.NotBefore = in.Expires }, ErrInput},
		{"too many decoys", func(in *Input) { in.MaxDecoys = MaxDecoys + 1 }, ErrInput},
		{"claims not JSON", func(in *Input) { in.Claims["f"] = func() {} }, ErrInput},
		{"no issuer key", func(in *Input) { in.Key = nil }, ErrKey},
		{"nil issuer key", func(in *Input) { in.Key = (*ecdsa.PrivateKey)(nil) }, ErrKey},
		{"nil holder key", func(in *Input) { in.Holder = (*ecdsa.PublicKey)(nil) }, ErrKey},
		{"P-384 issuer key", func(in *Input) { in.Key = p384 }, ErrKey},
		{"key not the leaf's", func(in *Input) { in.Chain = []*x509.Certificate{p.ca} }, ErrKey},
		{"no chain", func(in *Input) { in.Chain = nil }, ErrKey},
		{"empty certificate", func(in *Input) { in.Chain = append(in.Chain, &x509.Certificate{}) }, ErrKey},
		{"no holder key", func(in *Input) { in.Holder = nil }, ErrKey},
		{"holder key off the curve", func(in *Input) {
			k := newKey(t).PublicKey
			k.Y = k.X
			in.Holder = &k
		}, ErrKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, _ := newInput(t, p)
			tt.modify(&in)
			c, err := Issue(in)
			if err == nil || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) {
				t.Fatalf("Issue() = %.40q, %v; want %v", c, err, tt.wantErr)
			}
			if c != "" {
				t.Errorf("Issue() returned a credential with its error")
			}
		})
	}
}

// decodeJSON decodes a base64url JSON segment.
func decodeJSON(t *testing.T, seg string, v any) {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatal(err)
	}
}
