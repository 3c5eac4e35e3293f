package dpop

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"testing"
)

// BenchmarkVerifyES256Parts measures the stages of BenchmarkVerifyES256.
func BenchmarkVerifyES256Parts(b *testing.B) {
	v := newTestVerifier(b, Options{})
	key := keys(b).p256
	proof := mustSign(b, key, "ES256", baseClaims())
	var t token
	if err := v.parse(proof, &t); err != nil {
		b.Fatal(err)
	}
	a := lookupAlg("ES256")
	f, _ := parseJWKFields(t.header.jwk)
	pub, jkt, _ := publicKey(&f, a)
	b.Run("parse", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var t token
			_ = v.parse(proof, &t)
		}
	})
	b.Run("jwk+thumbprint", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			f, _ := parseJWKFields(t.header.jwk)
			_, _, _ = publicKey(&f, a)
		}
	})
	b.Run("signature", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			verifySignature(a, pub, t.signingInput, t.signature)
		}
	})
	b.Run("ecdsa.VerifyASN1", func(b *testing.B) {
		digest := sha256.Sum256(t.signingInput)
		der, _ := ecdsa.SignASN1(rand.Reader, key, digest[:])
		b.ReportAllocs()
		for b.Loop() {
			ecdsa.VerifyASN1(pub.(*ecdsa.PublicKey), digest[:], der)
		}
	})
	b.Run("claims+result", func(b *testing.B) {
		in := baseInput(proof)
		b.ReportAllocs()
		for b.Loop() {
			_ = v.checkClaims(&t.claims, in)
			_ = v.proof(&t.claims, jkt, pub)
		}
	})
	b.Run("all", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = v.Verify(context.Background(), baseInput(proof))
		}
	})
}

func BenchmarkSignES256Parts(b *testing.B) {
	key := keys(b).p256
	b.Run("ecdsa.SignASN1", func(b *testing.B) {
		digest := sha256.Sum256([]byte("x"))
		b.ReportAllocs()
		for b.Loop() {
			_, _ = ecdsa.SignASN1(rand.Reader, key, digest[:])
		}
	})
	b.Run("jwk", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = signerJWK(nil, key.Public(), lookupAlg("ES256"))
		}
	})
	b.Run("claims", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = appendClaims(nil, Claims{Method: "POST", URL: testURL})
		}
	})
}
