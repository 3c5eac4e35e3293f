package mdoc

import "testing"

// BenchmarkIssue issues the test PID (11 elements, one namespace): encoding,
// 11 SHA-256 digests and one ES256 signature.
func BenchmarkIssue(b *testing.B) {
	iss, holder := newIssuerKey(b, "DS"), newHolderKey(b)
	in := pidInput(b, iss, holder)
	in.Rand = nil // crypto/rand, as in production
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Issue(in); err != nil {
			b.Fatal(err)
		}
	}
}
