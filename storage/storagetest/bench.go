package storagetest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"issuer/storage"
)

// The store benchmarks of every engine model the same traffic, written
// once here: about BenchConcurrency requests in flight, at BenchRate
// requests per second (request i happens at start + i/BenchRate, so that
// expiries increase as in real traffic).
const (
	BenchConcurrency = 32
	BenchRate        = 3000
)

// BenchAt is the time of request i of traffic that starts at start.
func BenchAt(start time.Time, i int) time.Time {
	return start.Add(time.Duration(i) * time.Second / BenchRate)
}

// BenchReplayKey is a random 32-byte replay key, like a hashed DPoP jti.
func BenchReplayKey() []byte {
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	return k
}

// BenchRedemptions creates n offers in s and returns one redemption of
// each, shaped like the token endpoint's: a DPoP replay key and one access
// token. Offer and token IDs are random (UUIDv4) or time-ordered (UUIDv7).
func BenchRedemptions(b *testing.B, s storage.Offers, n int, timeOrdered bool) []storage.Redemption {
	b.Helper()
	newID := func() string {
		if timeOrdered {
			return uuid.Must(uuid.NewV7()).String()
		}
		return uuid.NewString()
	}
	start := time.Now()
	rs := make([]storage.Redemption, n)
	offers := make([]storage.Offer, n)
	for i := range rs {
		now := BenchAt(start, i)
		id := newID()
		code := sha256.Sum256([]byte(id))
		offers[i] = storage.Offer{
			ID: id, CodeHash: code[:], Subject: "user-" + id,
			Claims:           json.RawMessage(`{"given_name":"Alice","family_name":"Doe","degree":{"type":"BachelorDegree","name":"Bachelor of Science"}}`),
			ConfigurationIDs: []string{"UniversityDegree"}, CredentialIdentifiers: []string{"degree-" + id},
			CreatedAt: now.Add(-time.Second), ExpiresAt: now.Add(5 * time.Minute),
		}
		rs[i] = storage.Redemption{
			CodeHash: code[:], Now: now, ReplayKey: BenchReplayKey(), ReplayExpiry: now.Add(70 * time.Second), JKT: "jkt-" + id,
			Tokens: []storage.Token{{
				ID: newID(), Kind: "access_token", Subject: "user-" + id, JKT: "jkt-" + id, GrantID: id,
				AuthorizationDetails: json.RawMessage(`[{"type":"openid_credential","credential_configuration_id":"UniversityDegree","credential_identifiers":["degree-1"]}]`),
				IssuedAt:             now, ExpiresAt: now.Add(10 * time.Minute),
			}},
		}
	}
	BenchSetup(b, n, func(i int) error { return s.CreateOffer(b.Context(), offers[i]) })
	return rs
}

// BenchSetup runs fn(0..n-1) on BenchConcurrency goroutines, outside the
// timed part of a benchmark.
func BenchSetup(b *testing.B, n int, fn func(i int) error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range BenchConcurrency {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				if err := fn(i); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// BenchParallel runs op(i) for i in [0, b.N) on about BenchConcurrency
// goroutines whatever GOMAXPROCS is, and reports unit/s, the latency
// percentiles and, where the platform tells, the CPU time per op.
func BenchParallel(b *testing.B, unit string, op func(i int) error) {
	procs := runtime.GOMAXPROCS(0)
	b.SetParallelism((BenchConcurrency + procs - 1) / procs)
	lat := make([]time.Duration, b.N)
	var next atomic.Int64
	cpu0 := cpuTime()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := int(next.Add(1) - 1)
			t := time.Now()
			if err := op(i); err != nil {
				b.Error(err)
			}
			lat[i] = time.Since(t)
		}
	})
	elapsed := time.Since(start)
	b.StopTimer()
	slices.Sort(lat)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), unit+"/s")
	b.ReportMetric(ms(lat[b.N/2]), "p50-ms")
	b.ReportMetric(ms(lat[b.N*99/100]), "p99-ms")
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/op")
	}
}
