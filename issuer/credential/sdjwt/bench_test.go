package sdjwt

import "testing"

// BenchmarkIssue issues the PID-like credential of the tests: 14
// disclosures, ES256.
func BenchmarkIssue(b *testing.B) {
	p := newPKI(b, "Bench")
	in, _ := newInput(b, p)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Issue(in); err != nil {
			b.Fatal(err)
		}
	}
}
