package keyproof

import (
	"context"
	"testing"
)

func BenchmarkVerify(b *testing.B) {
	f := newFixture(b)
	raw := f.valid(b)
	ctx := context.Background()
	e := Expect{Algs: []string{"ES256"}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.v.Verify(ctx, raw, e); err != nil {
			b.Fatal(err)
		}
	}
}
