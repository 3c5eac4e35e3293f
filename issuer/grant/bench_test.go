package grant_test

import "testing"

// BenchmarkPreAuthorized is the token endpoint's hot path in the domain,
// on the memory store: a pre-authorized code redeemed with a DPoP proof
// (the offer's creation and the proof's signature outside the timer).
func BenchmarkPreAuthorized(b *testing.B) {
	e := newEnv(b)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		code, _ := e.offerCode(b, false)
		proof := e.proof(b, e.Key)
		b.StartTimer()
		e.mustToken(b, preParams(code), proof)
	}
}
