package token_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"issuer/issuer/oauth"
	"issuer/issuer/token"
	"issuer/storage/memory"
)

// TestVerifyAccessOwnToken: a token the minter signed verifies and gives
// back exactly the claims it was minted with, bound or not.
func TestVerifyAccessOwnToken(t *testing.T) {
	m := newMinter(t, nil, nil)
	for name, b := range map[string]oauth.Binding{"DPoP": {JKT: "j"}, "certificate": {X5T: "x"}, "Bearer": {}} {
		tok, rec, err := m.Access(token.Grant{Subject: "s", ClientID: "c", Scope: "pid", Details: pidDetails}, b, t0)
		if err != nil {
			t.Fatal(err)
		}
		got, err := m.VerifyAccess(tok)
		if err != nil {
			t.Fatalf("%s: VerifyAccess(own token) = %v; want valid", name, err)
		}
		if want := accessClaims(t, tok); !reflect.DeepEqual(got, want) || got.Jti != rec.ID {
			t.Errorf("%s: claims = %+v; want %+v with jti %s", name, got, want, rec.ID)
		}
	}
}

// TestVerifyAccessExpiryIsTheCallers: VerifyAccess checks who signed, not
// when: an expired token still gives its claims, with the exp the record
// has, and the callers (UserInfo, revocation, introspection) refuse it on
// the record's ExpiresAt and Revoked. This pins the documented contract so
// that a caller cannot come to rely on an expiry check that is not there.
func TestVerifyAccessExpiryIsTheCallers(t *testing.T) {
	m := newMinter(t, nil, nil)
	tok, rec, err := m.Access(token.Grant{Subject: "s"}, oauth.Binding{}, t0.Add(-24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	c, err := m.VerifyAccess(tok)
	if err != nil {
		t.Fatalf("VerifyAccess(expired token) = %v; want its claims", err)
	}
	if c.Exp != rec.ExpiresAt.Unix() || !t0.After(rec.ExpiresAt) {
		t.Errorf("exp = %d, record expires %v; want equal and before now", c.Exp, rec.ExpiresAt)
	}
}

// TestVerifyAccessRefused covers JWTAT-02, JWTAT-07 and JWTAT-09, and
// the hostile cases of A/E16 applied to the server's own tokens: anything
// but the exact header the minter writes with a valid ES256 signature of
// this server's key over an unmodified payload with a jti is ErrNotOurs.
func TestVerifyAccessRefused(t *testing.T) {
	store := memory.New()
	m := newMinter(t, store, nil)
	k, ourKey := storedKey(t, store)
	tok, _, err := m.Access(token.Grant{Subject: "s", ClientID: "c"}, oauth.Binding{JKT: "j"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	header := `{"alg":"ES256","kid":"` + k.ID + `","typ":"at+jwt"}`
	payload := `{"iss":"` + testIssuer + `","sub":"s","aud":"` + testIssuer + `","iat":1,"exp":9999999999,"jti":"forged"}`
	otherKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	other := newMinter(t, nil, nil)
	otherTok, _, err := other.Access(token.Grant{Subject: "s"}, oauth.Binding{JKT: "j"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	idTok, err := m.IDToken("s", "c", "n", t0, tok, t0)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(tok, ".")
	flip := func(s string, i int) string {
		b := []byte(s)
		b[i] ^= 1
		return string(b)
	}

	// The control: the forging helpers give a token that verifies when
	// nothing is wrong with it, so each refusal below is for its one flaw.
	if _, err := m.VerifyAccess(signES256(t, ourKey, header, payload)); err != nil {
		t.Fatalf("control token signed with the server's key: %v; want valid", err)
	}

	for _, tc := range []struct{ name, tok string }{
		{"JWTAT-07 an ID token of this server", idTok},
		{"an access token of another server", otherTok},
		{"this server's header, another key's signature", signES256(t, otherKey, header, payload)},
		{"JWTAT-02 alg none, empty signature", b64([]byte(`{"alg":"none","kid":"`+k.ID+`","typ":"at+jwt"}`)) + "." + b64([]byte(payload)) + "."},
		{"alg HS256 keyed with the public key", hs256(`{"alg":"HS256","kid":"`+k.ID+`","typ":"at+jwt"}`, payload, ourKey.PublicKey.X.Bytes())},
		{"alg ES384 header, server's key", signES256(t, ourKey, `{"alg":"ES384","kid":"`+k.ID+`","typ":"at+jwt"}`, payload)},
		{"typ JWT header, server's key", signES256(t, ourKey, `{"alg":"ES256","kid":"`+k.ID+`","typ":"JWT"}`, payload)},
		{"another kid, server's key", signES256(t, ourKey, `{"alg":"ES256","kid":"other","typ":"at+jwt"}`, payload)},
		{"same header members reordered, server's key", signES256(t, ourKey, `{"typ":"at+jwt","kid":"`+k.ID+`","alg":"ES256"}`, payload)},
		{"extra header member (jku), server's key", signES256(t, ourKey, `{"alg":"ES256","jku":"https://evil.example/jwks","kid":"`+k.ID+`","typ":"at+jwt"}`, payload)},
		{"no jti, server's key", signES256(t, ourKey, header, `{"iss":"`+testIssuer+`","sub":"s","exp":9999999999}`)},
		{"payload not JSON, server's key", signES256(t, ourKey, header, `not json`)},
		{"E16 payload byte changed", parts[0] + "." + flip(parts[1], 5) + "." + parts[2]},
		{"signature byte changed", parts[0] + "." + parts[1] + "." + b64([]byte(flip(string(mustB64(t, parts[2])), 10)))},
		{"signature cut to 63 bytes", parts[0] + "." + parts[1] + "." + b64(mustB64(t, parts[2])[:63])},
		{"signature with s zero-extended to 33 bytes", parts[0] + "." + parts[1] + "." + b64(append(append(mustB64(t, parts[2])[:32:32], 0), mustB64(t, parts[2])[32:]...))},
		{"signature padded", tok + "="},
		{"signature missing", parts[0] + "." + parts[1] + "."},
		{"two segments", parts[0] + "." + parts[1]},
		{"four segments", tok + "." + parts[2]},
		{"trailing space", tok + " "},
		{"empty", ""},
		{"a refresh token", token.Random()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := m.VerifyAccess(tc.tok)
			if !errors.Is(err, token.ErrNotOurs) {
				t.Fatalf("VerifyAccess = %+v, %v; want ErrNotOurs", c, err)
			}
		})
	}
}

func hs256(header, payload string, key []byte) string {
	in := b64([]byte(header)) + "." + b64([]byte(payload))
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(in))
	return in + "." + b64(mac.Sum(nil))
}

func mustB64(t testing.TB, s string) []byte {
	t.Helper()
	b, err := b64Decode(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
