package token_test

import (
	"crypto/sha256"
	"testing"
	"time"

	"issuer/issuer/token"
)

// atHash is OIDC-05 computed independently: base64url of the left half of
// SHA-256 over the ASCII access token.
func atHash(accessToken string) string {
	sum := sha256.Sum256([]byte(accessToken))
	return b64(sum[:len(sum)/2])
}

// TestIDTokenClaims covers OIDC-02..05 and OIDC-07 as the web test
// TestAuthCodeIDToken asserts them: an ES256 JWT with the kid, iss the
// issuer, sub the user, aud the client as a string, azp the client, iat
// now and exp IDTokenTTL later, auth_time the sign-in time (not now), the
// nonce byte for byte, and at_hash of the access token it comes with.
func TestIDTokenClaims(t *testing.T) {
	m := newMinter(t, nil, func(c *token.Config) { c.IDTokenTTL = 7 * time.Minute })
	signedIn := t0.Add(-3 * time.Minute)
	const nonce = "n-0S6_WzA2Mj\u00e9 +/=" // round-trips byte for byte, whatever it holds
	const at = "access.token.value"
	tok, err := m.IDToken("user-1", "client-1", nonce, signedIn, at, t0)
	if err != nil {
		t.Fatal(err)
	}
	h, c := jwtParts(t, tok)
	if h["alg"] != "ES256" || h["typ"] != "JWT" || h["kid"] == nil || len(h) != 3 {
		t.Errorf("header = %v; want exactly alg ES256, typ JWT and the kid", h)
	}
	want := map[string]any{
		"iss": testIssuer, "sub": "user-1", "aud": "client-1", "azp": "client-1",
		"iat": float64(t0.Unix()), "exp": float64(t0.Add(7 * time.Minute).Unix()),
		"auth_time": float64(signedIn.Unix()), "nonce": nonce, "at_hash": atHash(at),
	}
	for name, v := range want {
		if c[name] != v {
			t.Errorf("%s = %#v; want %#v", name, c[name], v)
		}
	}
	if len(c) != len(want) {
		t.Errorf("claims = %v; want exactly %v", c, want)
	}
}

// TestIDTokenNonceOnlyWhenGiven: OIDC-04 and OIDC-13 (a refresh's ID token
// has no nonce): without a nonce there is no nonce claim, not an empty
// one; auth_time is there all the same.
func TestIDTokenNonceOnlyWhenGiven(t *testing.T) {
	m := newMinter(t, nil, nil)
	tok, err := m.IDToken("s", "c", "", t0, "at", t0)
	if err != nil {
		t.Fatal(err)
	}
	_, c := jwtParts(t, tok)
	if v, ok := c["nonce"]; ok {
		t.Errorf("nonce = %#v; want absent", v)
	}
	if c["auth_time"] != float64(t0.Unix()) {
		t.Errorf("auth_time = %v; want %d", c["auth_time"], t0.Unix())
	}
}

// TestIDTokenAtHashPerAccessToken: OIDC-05, at_hash follows the access
// token it is issued with: another token, another hash, so an ID token
// cannot be paired with another access token.
func TestIDTokenAtHashPerAccessToken(t *testing.T) {
	m := newMinter(t, nil, nil)
	a, err := m.IDToken("s", "c", "", t0, "token-a", t0)
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.IDToken("s", "c", "", t0, "token-b", t0)
	if err != nil {
		t.Fatal(err)
	}
	_, ca := jwtParts(t, a)
	_, cb := jwtParts(t, b)
	if ca["at_hash"] != atHash("token-a") || cb["at_hash"] != atHash("token-b") || ca["at_hash"] == cb["at_hash"] {
		t.Errorf("at_hash = %v, %v; want %s, %s", ca["at_hash"], cb["at_hash"], atHash("token-a"), atHash("token-b"))
	}
	if len(atHash("x")) != 22 { // 128 bits: the left half of SHA-256
		t.Fatalf("at_hash length %d; want 22", len(atHash("x")))
	}
}
