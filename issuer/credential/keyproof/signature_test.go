package keyproof

import (
	"encoding/base64"
	"strings"
	"testing"
)

func TestVerifySignature(t *testing.T) {
	k := keys(t)
	f := newFixture(t)
	t.Run("signed by another key than its jwk", func(t *testing.T) {
		raw := sign(t, k.p256b, "ES256", header(t, k.p256, "ES256"), f.claims())
		_, err := f.verify(raw)
		wantProofErr(t, err, errSignature)
	})
	t.Run("EdDSA header over a PS256 signature", func(t *testing.T) {
		raw := sign(t, k.rsa2048, "PS256", header(t, k.rsa2048, "PS256"), f.claims())
		parts := strings.Split(raw, ".")
		swapped := enc(mustJSON(t, header(t, k.ed, "EdDSA"))) + "." + parts[1] + "." + parts[2]
		_, err := f.verify(swapped)
		wantProofErr(t, err, errSignature)
	})
	t.Run("tampered payload", func(t *testing.T) {
		key := k.p256
		claims := f.claims()
		raw := sign(t, key, "ES256", header(t, key, "ES256"), claims)
		claims["iat"] = claims["iat"].(int64) - 1 // still valid, but not what was signed
		parts := strings.Split(raw, ".")
		_, err := f.verify(parts[0] + "." + enc(mustJSON(t, claims)) + "." + parts[2])
		wantProofErr(t, err, errSignature)
	})
	t.Run("tampered header", func(t *testing.T) {
		key := k.p256
		h := header(t, key, "ES256")
		raw := sign(t, key, "ES256", h, f.claims())
		h["extra"] = "added after signing"
		parts := strings.Split(raw, ".")
		_, err := f.verify(enc(mustJSON(t, h)) + "." + parts[1] + "." + parts[2])
		wantProofErr(t, err, errSignature)
	})
	t.Run("swapped jwk", func(t *testing.T) {
		raw := sign(t, k.p256, "ES256", header(t, k.p256, "ES256"), f.claims())
		parts := strings.Split(raw, ".")
		_, err := f.verify(enc(mustJSON(t, header(t, k.p256b, "ES256"))) + "." + parts[1] + "." + parts[2])
		wantProofErr(t, err, errSignature)
	})
	t.Run("flipped signature bit", func(t *testing.T) {
		raw := f.valid(t)
		i := strings.LastIndexByte(raw, '.')
		sig, err := base64.RawURLEncoding.DecodeString(raw[i+1:])
		if err != nil {
			t.Fatal(err)
		}
		sig[10] ^= 1
		_, err = f.verify(raw[:i+1] + base64.RawURLEncoding.EncodeToString(sig))
		wantProofErr(t, err, errSignature)
	})
	t.Run("truncated signature", func(t *testing.T) {
		raw := f.valid(t)
		i := strings.LastIndexByte(raw, '.')
		sig, _ := base64.RawURLEncoding.DecodeString(raw[i+1:])
		_, err := f.verify(raw[:i+1] + base64.RawURLEncoding.EncodeToString(sig[:63]))
		wantProofErr(t, err, errSignature)
	})
	t.Run("DER signature", func(t *testing.T) {
		raw := f.valid(t)
		i := strings.LastIndexByte(raw, '.')
		_, err := f.verify(raw[:i+1] + base64.RawURLEncoding.EncodeToString(derSignature(t, raw[i+1:])))
		wantProofErr(t, err, errSignature)
	})
}
