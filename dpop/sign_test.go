package dpop

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestSign(t *testing.T) {
	k := keys(t)
	c := Claims{Method: "POST", URL: testURL + "?q=1#frag", Nonce: "n\"1", AccessToken: "tok", IssuedAt: testNow.Add(500 * time.Millisecond)}
	proof := mustSign(t, k.p256, "ES256", c)
	s := strings.Split(proof, ".")
	if len(s) != 3 {
		t.Fatalf("Sign() = %q; want three parts", proof)
	}
	var h struct {
		Typ, Alg string
		JWK      map[string]string
	}
	var p map[string]any
	decodeJSON(t, s[0], &h)
	decodeJSON(t, s[1], &p)
	if h.Typ != "dpop+jwt" || h.Alg != "ES256" || h.JWK["kty"] != "EC" || h.JWK["crv"] != "P-256" || h.JWK["d"] != "" {
		t.Errorf("Sign() header = %+v; want typ dpop+jwt, alg ES256 and a public P-256 jwk", h)
	}
	want := map[string]any{
		"htm": "POST", "htu": testURL, "iat": float64(testNow.Unix()), "nonce": "n\"1",
		"ath": "GnZ0607njffhrEOak8P6jjyUV4TU3sn9jjARc4svHWI",
	}
	for name, v := range want {
		if p[name] != v {
			t.Errorf("Sign() claim %s = %v; want %v", name, p[name], v)
		}
	}
	if jti, _ := p["jti"].(string); len(jti) != 22 {
		t.Errorf("Sign() jti = %q; want 16 random bytes base64url", jti)
	}
	again := mustSign(t, k.p256, "ES256", c)
	if again == proof {
		t.Errorf("Sign() twice returned the same proof; want a fresh jti")
	}
}

func decodeJSON(t *testing.T, part string, v any) {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(part)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

func TestSignErrors(t *testing.T) {
	k := keys(t)
	for _, tc := range []struct {
		name string
		run  func() (string, error)
	}{
		{"HS256", func() (string, error) { return Sign(k.p256, "HS256", baseClaims()) }},
		{"none", func() (string, error) { return Sign(k.p256, "none", baseClaims()) }},
		{"ES256 with P-384 key", func() (string, error) { return Sign(k.p384, "ES256", baseClaims()) }},
		{"ES256 with RSA key", func() (string, error) { return Sign(k.rsa2048, "ES256", baseClaims()) }},
		{"RS256 with EC key", func() (string, error) { return Sign(k.p256, "RS256", baseClaims()) }},
		{"EdDSA with EC key", func() (string, error) { return Sign(k.p256, "EdDSA", baseClaims()) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, err := tc.run(); err == nil {
				t.Fatalf("Sign() = %q, nil; want an error", got)
			}
		})
	}
}

func TestSignDefaultIssuedAt(t *testing.T) {
	proof := mustSign(t, keys(t).p256, "ES256", Claims{Method: "GET", URL: testURL})
	v := newTestVerifier(t, Options{})
	in := baseInput(proof)
	in.Method, in.Now = "GET", time.Now()
	if _, err := v.Verify(t.Context(), in); err != nil {
		t.Fatalf("Verify() error = %v; want nil", err)
	}
}
