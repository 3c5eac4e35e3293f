package jwkset

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/lestrrat-go/jwx/v2/jwk"

	"issuer/dpop"
)

// FuzzParseKeySet fuzzes the validation every JWK set from outside goes
// through (registered jwks, wallet providers, jwks_uri documents): any
// bytes give a set or an error, never a panic, and every accepted key is
// public, passes dpop.CheckPublicKey, has the same RFC 7638 thumbprint in
// jwx and in dpop, and survives a JSON round trip with that thumbprint.
// Usable over the same bytes keeps exactly the keys that pass.
func FuzzParseKeySet(f *testing.F) {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	ed, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		f.Fatal(err)
	}
	var good []any
	for _, pub := range []crypto.PublicKey{&ec.PublicKey, ed, &rsaKey.PublicKey} {
		k, err := jwk.FromRaw(pub)
		if err != nil {
			f.Fatal(err)
		}
		good = append(good, k)
	}
	set, err := json.Marshal(map[string]any{"keys": good})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(set)
	b64 := base64.RawURLEncoding.EncodeToString
	for _, s := range []string{
		`{"keys":[{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}]}`,
		`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"` + b64(append([]byte{1}, make([]byte, 31)...)) + `"}]}`,
		`{"keys":[{"kty":"OKP","crv":"X25519","x":"` + b64(make([]byte, 32)) + `"}]}`,
		`{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]}`,
		`{"keys":[{"kty":"oct","k":"AQAB"}]}`,
		`{"keys":[{"kty":"EC","crv":"P-521","x":"AA","y":"AA","d":"AA"}]}`,
		`{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}`,
		`{"keys":[{"kty":"EC","crv":"secp256k1","x":"AA","y":"AA"}]}`,
		`{"keys":[]}`, `{"keys":null}`, `[]`, `{}`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		set, err := Parse(data)
		if err == nil {
			if set.Len() == 0 {
				t.Fatal("Parse accepted an empty set")
			}
			for i := 0; i < set.Len(); i++ {
				k, _ := set.Key(i)
				checkAcceptedJWK(t, k)
			}
		}
		parsed, err := jwk.Parse(data)
		if err != nil {
			return
		}
		usable, skipped := Usable(parsed)
		if usable.Len()+len(skipped) != parsed.Len() {
			t.Fatalf("Usable kept %d and skipped %d of %d keys", usable.Len(), len(skipped), parsed.Len())
		}
		for i := 0; i < usable.Len(); i++ {
			k, _ := usable.Key(i)
			checkAcceptedJWK(t, k)
		}
	})
}

// checkAcceptedJWK checks the properties of a key the validation accepted.
func checkAcceptedJWK(t *testing.T, k jwk.Key) {
	t.Helper()
	if private, err := jwk.IsPrivateKey(k); err != nil || private {
		t.Fatalf("accepted a private or symmetric key: %v", err)
	}
	var pub any
	if err := k.Raw(&pub); err != nil {
		t.Fatalf("accepted a key without a raw form: %v", err)
	}
	if err := dpop.CheckPublicKey(pub); err != nil {
		t.Fatalf("accepted %T that dpop.CheckPublicKey refuses: %v", pub, err)
	}
	want, err := dpop.Thumbprint(pub)
	if err != nil {
		t.Fatalf("dpop.Thumbprint(accepted %T) = %v", pub, err)
	}
	if got := thumbprint(t, k); got != want {
		t.Fatalf("jwx thumbprint %q; dpop.Thumbprint %q", got, want)
	}
	raw, err := json.Marshal(k)
	if err != nil {
		t.Fatalf("marshalling an accepted key: %v", err)
	}
	again, err := jwk.ParseKey(raw)
	if err != nil {
		t.Fatalf("parsing %s again: %v", raw, err)
	}
	if err := Check(again); err != nil {
		t.Fatalf("%s refused after a round trip: %v", raw, err)
	}
	if got := thumbprint(t, again); got != want {
		t.Fatalf("thumbprint after a round trip %q; want %q", got, want)
	}
}

func thumbprint(t *testing.T, k jwk.Key) string {
	t.Helper()
	sum, err := k.Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatalf("jwx thumbprint of an accepted key: %v", err)
	}
	return base64.RawURLEncoding.EncodeToString(sum)
}
