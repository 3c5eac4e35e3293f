package keyproof

import (
	"crypto"
	"crypto/ed25519"
	"encoding/base64"
	"strings"
	"testing"
)

// smallOrderEd25519 are encodings of Ed25519 points of small order (see
// dpop/key_test.go for the full table): the identity, a point of order 8,
// and the point of order 2.
var smallOrderEd25519 = []string{
	"0100000000000000000000000000000000000000000000000000000000000000",
	"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
	"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
}

func TestVerifyJWKPrivate(t *testing.T) {
	k := keys(t)
	f := newFixture(t)
	b64 := base64.RawURLEncoding.EncodeToString
	for _, c := range []struct {
		name, alg string
		key       crypto.Signer
		member    string
		value     any
	}{
		{"EC d", "ES256", k.p256, "d", b64(k.p256.D.FillBytes(make([]byte, 32)))},
		{"OKP d", "EdDSA", k.ed, "d", b64(k.ed.Seed())},
		{"RSA d", "PS256", k.rsa2048, "d", b64(k.rsa2048.D.Bytes())},
		{"RSA p", "PS256", k.rsa2048, "p", b64(k.rsa2048.Primes[0].Bytes())},
		{"RSA q", "PS256", k.rsa2048, "q", b64(k.rsa2048.Primes[1].Bytes())},
		{"RSA dp", "PS256", k.rsa2048, "dp", b64(k.rsa2048.Precomputed.Dp.Bytes())},
		{"RSA dq", "PS256", k.rsa2048, "dq", b64(k.rsa2048.Precomputed.Dq.Bytes())},
		{"RSA qi", "PS256", k.rsa2048, "qi", b64(k.rsa2048.Precomputed.Qinv.Bytes())},
		{"RSA oth", "PS256", k.rsa2048, "oth", []any{}},
		{"EC k", "ES256", k.p256, "k", b64([]byte("secret"))},
		{"EC null d", "ES256", k.p256, "d", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := header(t, c.key, c.alg)
			h["jwk"].(map[string]any)[c.member] = c.value
			_, err := f.verify(sign(t, c.key, c.alg, h, f.claims()))
			wantProofErr(t, err, errJWKPrivate)
		})
	}
	t.Run("oct key", func(t *testing.T) {
		h := header(t, k.p256, "ES256")
		h["jwk"] = map[string]any{"kty": "oct", "k": b64([]byte("a shared secret"))}
		_, err := f.verify(sign(t, k.p256, "ES256", h, f.claims()))
		wantProofErr(t, err, errJWKPrivate)
	})
}

func TestVerifyJWKMismatch(t *testing.T) {
	k := keys(t)
	f := newFixture(t)
	for _, c := range []struct {
		name      string
		jwkOf     any
		alg       string
		signer    any
		want      error
		jwkExtras map[string]any
	}{
		{"EC key, RS256", k.p256.Public(), "RS256", k.rsa2048, errKeyAlgMismatch, nil},
		{"P-384 key, ES256", k.p384.Public(), "ES256", k.p256, errKeyAlgMismatch, nil},
		{"P-256 key, ES384", k.p256.Public(), "ES384", k.p384, errKeyAlgMismatch, nil},
		{"RSA key, ES256", k.rsa2048.Public(), "ES256", k.p256, errKeyAlgMismatch, nil},
		{"Ed25519 key, ES256", k.ed.Public(), "ES256", k.p256, errKeyAlgMismatch, nil},
		{"EC key, EdDSA", k.p256.Public(), "EdDSA", k.ed, errKeyAlgMismatch, nil},
		{"jwk alg other than the proof's", k.p256.Public(), "ES256", k.p256, errJWKAlg, map[string]any{"alg": "ES384"}},
		{"jwk alg not a string", k.p256.Public(), "ES256", k.p256, errJWKAlg, map[string]any{"alg": 1}},
		{"jwk use enc", k.p256.Public(), "ES256", k.p256, errJWKUse, map[string]any{"use": "enc"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			j := publicJWK(t, c.jwkOf)
			for name, v := range c.jwkExtras {
				j[name] = v
			}
			h := map[string]any{"typ": Type, "alg": c.alg, "jwk": j}
			raw := forge(t, c.signer, c.alg, mustJSON(t, h), mustJSON(t, f.claims()))
			_, err := f.verify(raw)
			wantProofErr(t, err, c.want)
		})
	}
}

func TestVerifyJWKMalformed(t *testing.T) {
	k := keys(t)
	f := newFixture(t)
	good := publicJWK(t, k.p256.Public())
	x, y := good["x"].(string), good["y"].(string)
	const unacceptable = "the key proof's jwk is not an acceptable key: "
	for _, c := range []struct {
		name string
		jwk  any
		want string // the description
	}{
		{"not an object", "x", errJWKMalformed.Error()},
		{"null", nil, errJWKMalformed.Error()},
		{"an array", []any{good}, errJWKMalformed.Error()},
		{"no kty", map[string]any{"crv": "P-256", "x": x, "y": y}, errJWKMalformed.Error()},
		{"unknown kty", map[string]any{"kty": "XYZ", "crv": "P-256", "x": x, "y": y}, errJWKMalformed.Error()},
		{"no y", map[string]any{"kty": "EC", "crv": "P-256", "x": x}, errJWKMalformed.Error()},
		{"x not base64url", map[string]any{"kty": "EC", "crv": "P-256", "x": "!!", "y": y}, errJWKMalformed.Error()},
		{"secp256k1", map[string]any{"kty": "EC", "crv": "secp256k1", "x": x, "y": y}, errJWKMalformed.Error()},
		{"short coordinates", map[string]any{"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"},
			unacceptable + "the x and y of an EC key must have the full coordinate length"},
		{"point off curve", map[string]any{"kty": "EC", "crv": "P-256", "x": x, "y": x},
			unacceptable + "the EC key is not a valid point on its curve"},
		{"X25519", map[string]any{"kty": "OKP", "crv": "X25519", "x": base64.RawURLEncoding.EncodeToString(make([]byte, 32))},
			unacceptable + "the key type is not EC, RSA or Ed25519"},
		{"Ed25519 of 3 bytes", map[string]any{"kty": "OKP", "crv": "Ed25519", "x": "AAAA"},
			unacceptable + "an Ed25519 key must be 32 bytes"},
	} {
		t.Run(c.name, func(t *testing.T) {
			hdr := mustJSON(t, map[string]any{"typ": Type, "alg": "ES256", "jwk": c.jwk})
			_, err := f.verify(forge(t, k.p256, "ES256", hdr, mustJSON(t, f.claims())))
			wantProofErr(t, err, ErrInvalidProof)
			if got := err.Error(); got != ErrInvalidProof.Error()+": "+strings.TrimPrefix(c.want, ErrInvalidProof.Error()+": ") {
				t.Fatalf("Verify() = %q; want %q", got, c.want)
			}
		})
	}
	t.Run("duplicate x", func(t *testing.T) {
		hdr := strings.Replace(mustJSON(t, header(t, k.p256, "ES256")), `"x":`, `"x":"`+x+`","x":`, 1)
		_, err := f.verify(forge(t, k.p256, "ES256", hdr, mustJSON(t, f.claims())))
		wantProofErr(t, err, errJWKMalformed)
	})
}

// TestVerifyEd25519SmallOrder: crypto/ed25519 accepts R = identity,
// S = 0 as a signature of any message by a key of small order; the proof
// must be refused for its key.
func TestVerifyEd25519SmallOrder(t *testing.T) {
	f := newFixture(t)
	for _, x := range smallOrderEd25519 {
		t.Run(x[:8], func(t *testing.T) {
			pub := mustHex(t, x)
			h := map[string]any{"typ": Type, "alg": "EdDSA", "jwk": map[string]any{
				"kty": "OKP", "crv": "Ed25519", "x": base64.RawURLEncoding.EncodeToString(pub)}}
			input := enc(mustJSON(t, h)) + "." + enc(mustJSON(t, f.claims()))
			sig := append(mustHex(t, smallOrderEd25519[0]), make([]byte, 32)...)
			if x == smallOrderEd25519[0] && !ed25519.Verify(pub, []byte(input), sig) {
				t.Fatal("the forged signature no longer verifies with crypto/ed25519; the test premise changed")
			}
			_, err := f.verify(input + "." + base64.RawURLEncoding.EncodeToString(sig))
			wantProofErr(t, err, ErrInvalidProof)
			if d := description(err); d != "the key proof's jwk is not an acceptable key: the Ed25519 key is a point of small order" {
				t.Fatalf("description %q; want the jwk refused for its small order", d)
			}
		})
	}
}
