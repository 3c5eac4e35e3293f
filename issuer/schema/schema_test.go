package schema_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"issuer/issuer/oauth"
	"issuer/issuer/schema"
)

// TestEverySchemaCompiles compiles the embedded schemas (draft 2020-12,
// every relative reference resolved) and checks what the listing shows.
func TestEverySchemaCompiles(t *testing.T) {
	if err := schema.Check(); err != nil {
		t.Fatal(err)
	}
	list := schema.List()
	if len(list) < 20 {
		t.Fatalf("List() has %d schemas; want the 20 or more messages of issue 12", len(list))
	}
	for _, info := range list {
		b, err := schema.Get(info.Name)
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatalf("%s: %v", info.Name, err)
		}
		if doc["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
			t.Errorf("%s: $schema = %v; want draft 2020-12", info.Name, doc["$schema"])
		}
		if info.Title == "" || info.Description == "" {
			t.Errorf("%s: title %q, description %q; want both", info.Name, info.Title, info.Description)
		}
	}
	if !slices.IsSorted(schema.Names()) {
		t.Errorf("Names() = %v; want sorted", schema.Names())
	}
}

func TestUnknownSchema(t *testing.T) {
	if _, err := schema.Get("nope"); !errors.Is(err, schema.ErrUnknown) {
		t.Errorf("Get(nope) = %v; want ErrUnknown", err)
	}
	if _, err := schema.Validate("../json/token-response", map[string]any{}); !errors.Is(err, schema.ErrUnknown) {
		t.Errorf("Validate(../json/token-response) = %v; want ErrUnknown", err)
	}
}

// TestViolationsCarryPointers checks that each failing keyword is reported
// at the JSON pointer of the offending value.
func TestViolationsCarryPointers(t *testing.T) {
	doc := `{"access_token":"a.b.c","token_type":"MAC","expires_in":0,"authorization_details":[{"type":"x","credential_configuration_id":"c"}]}`
	vs, err := schema.ValidateJSON("token-response", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/authorization_details/0/type", "/expires_in", "/token_type"}
	var got []string
	for _, v := range vs {
		got = append(got, v.Pointer)
		if v.Message == "" {
			t.Errorf("violation at %s has no message", v.Pointer)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("pointers = %v; want %v (violations %v)", got, want, vs)
	}
	vs, err = schema.ValidateJSON("token-response", []byte(`{"access_token":"a.b.c","token_type":"DPoP","expires_in":300}`))
	if err != nil || len(vs) != 0 {
		t.Errorf("valid token response: %v %v; want no violation", vs, err)
	}
}

func TestDecodeJWT(t *testing.T) {
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	jwt := enc(`{"typ":"dpop+jwt","alg":"ES256","jwk":{"kty":"EC","crv":"P-256","x":"x","y":"y","d":"secret"}}`) + "." +
		enc(`{"jti":"1","htm":"POST","htu":"https://as.example/token","iat":1700000000}`) + ".c2ln"
	if !schema.LooksLikeJWT([]byte(jwt + "\n")) {
		t.Fatal("LooksLikeJWT(a JWT) = false")
	}
	doc, err := schema.DecodeJWT(jwt)
	if err != nil {
		t.Fatal(err)
	}
	vs, err := schema.Validate("dpop-proof", doc)
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 1 || vs[0].Pointer != "/header/jwk" {
		t.Errorf("violations of a proof with a private jwk = %v; want one at /header/jwk", vs)
	}
	for _, bad := range []string{"a.b", "a.b.c.d.e", enc("[]") + "." + enc("{}") + ".x", "!!.e30.x"} {
		if _, err := schema.DecodeJWT(bad); err == nil {
			t.Errorf("DecodeJWT(%q) = nil error; want one", bad)
		}
	}
	if schema.LooksLikeJWT([]byte(`{"a":"b.c"}`)) {
		t.Error("LooksLikeJWT(a JSON object) = true")
	}
}

// TestEndpointErrorsAreErrors checks that each endpoint's error codes are
// codes of the generic error schema.
func TestEndpointErrorsAreErrors(t *testing.T) {
	all := errorEnum(t, "error-response", "/properties/error/enum")
	for _, n := range schema.Names() {
		if !strings.HasSuffix(n, "-error-response") {
			continue
		}
		for _, c := range errorEnum(t, n, "/properties/error/enum") {
			if !slices.Contains(all, c) {
				t.Errorf("%s allows %q, which error-response does not list", n, c)
			}
		}
	}
}

// errorEnum returns the string enum at the pointer ptr of schema name.
func errorEnum(t *testing.T, name, ptr string) []string {
	t.Helper()
	b, err := schema.Get(name)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		m, _ := v.(map[string]any)
		v = m[tok]
	}
	list, _ := v.([]any)
	if len(list) == 0 {
		t.Fatalf("%s%s is not a non-empty enum", name, ptr)
	}
	out := make([]string, len(list))
	for i, e := range list {
		out[i], _ = e.(string)
	}
	return out
}

// TestTokenErrorsCatalogued checks that every code of the token
// endpoint's error catalogue is a code its error schema allows.
func TestTokenErrorsCatalogued(t *testing.T) {
	allowed := errorEnum(t, "token-error-response", "/properties/error/enum")
	for _, e := range oauth.Catalogue {
		if !slices.Contains(allowed, e.Code) {
			t.Errorf("the catalogue's %q (%s) is not in token-error-response", e.Code, e.Situation)
		}
	}
}
