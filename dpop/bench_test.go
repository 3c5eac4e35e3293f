package dpop

import (
	"context"
	"testing"
)

func BenchmarkVerifyES256(b *testing.B) {
	v := newTestVerifier(b, Options{})
	in := baseInput(mustSign(b, keys(b).p256, "ES256", baseClaims()))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSignES256(b *testing.B) {
	key := keys(b).p256
	c := baseClaims()
	c.JTI = ""
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Sign(key, "ES256", c); err != nil {
			b.Fatal(err)
		}
	}
}
