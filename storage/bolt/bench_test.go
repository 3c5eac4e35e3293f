//go:build unix

package bolt_test

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"issuer/storage"
	"issuer/storage/bolt"
)

// benchConcurrency is the number of concurrent requests the benchmarks
// model: the target is 3000 durable redemptions/s with 32 in flight.
const benchConcurrency = 32

// openBench opens a durable store under b.TempDir.
func openBench(b *testing.B) *bolt.Store {
	b.Helper()
	s, err := bolt.Open(filepath.Join(b.TempDir(), "bench.db"), bolt.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	return s
}

// newID returns a random (UUIDv4) or a time-ordered (UUIDv7) ID.
func newID(timeOrdered bool) string {
	if timeOrdered {
		return uuid.Must(uuid.NewV7()).String()
	}
	return uuid.NewString()
}

// benchRate is the request rate the benchmarks' timestamps model: request
// i happens at start + i/benchRate, so that expiries increase as in real
// traffic.
const benchRate = 3000

// at returns the time of request i.
func at(start time.Time, i int) time.Time {
	return start.Add(time.Duration(i) * time.Second / benchRate)
}

// benchRedemptions creates n offers and returns one redemption of each,
// shaped like the token endpoint's: a DPoP replay key and one access
// token. Offer and token IDs are random or time-ordered.
func benchRedemptions(b *testing.B, s *bolt.Store, n int, timeOrdered bool) []storage.Redemption {
	b.Helper()
	start := time.Now()
	rs := make([]storage.Redemption, n)
	offers := make([]storage.Offer, n)
	for i := range rs {
		now := at(start, i)
		id := newID(timeOrdered)
		code := sha256.Sum256([]byte(id))
		offers[i] = storage.Offer{
			ID: id, CodeHash: code[:], Subject: "user-" + id,
			Claims:           json.RawMessage(`{"given_name":"Alice","family_name":"Doe","degree":{"type":"BachelorDegree","name":"Bachelor of Science"}}`),
			ConfigurationIDs: []string{"UniversityDegree"}, CredentialIdentifiers: []string{"degree-" + id},
			CreatedAt: now.Add(-time.Second), ExpiresAt: now.Add(5 * time.Minute),
		}
		rs[i] = storage.Redemption{
			CodeHash: code[:], Now: now, ReplayKey: randomKey(), ReplayExpiry: now.Add(70 * time.Second), JKT: "jkt-" + id,
			Tokens: []storage.Token{{
				ID: newID(timeOrdered), Kind: "access_token", Subject: "user-" + id, JKT: "jkt-" + id, GrantID: id,
				AuthorizationDetails: json.RawMessage(`[{"type":"openid_credential","credential_configuration_id":"UniversityDegree","credential_identifiers":["degree-1"]}]`),
				IssuedAt:             now, ExpiresAt: now.Add(10 * time.Minute),
			}},
		}
	}
	parallel(b, n, func(i int) error { return s.CreateOffer(b.Context(), offers[i]) })
	return rs
}

// randomKey returns a 32-byte random replay key, like a hashed DPoP jti.
func randomKey() []byte {
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	return k
}

// parallel runs fn(0..n-1) on benchConcurrency goroutines, for setup.
func parallel(b *testing.B, n int, fn func(i int) error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range benchConcurrency {
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

// runParallel runs op(i) for i in [0, b.N) on about benchConcurrency
// goroutines whatever GOMAXPROCS is, and reports ops/s, latency
// percentiles and CPU time per op.
func runParallel(b *testing.B, unit string, op func(i int) error) {
	procs := runtime.GOMAXPROCS(0)
	b.SetParallelism((benchConcurrency + procs - 1) / procs)
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
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), unit+"/s")
	b.ReportMetric(ms(lat[b.N/2]), "p50-ms")
	b.ReportMetric(ms(lat[b.N*99/100]), "p99-ms")
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
}

// ms returns d in milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// cpuTime returns the user+system CPU time the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkRedeemParallel measures durable redemptions of distinct codes
// by about 32 concurrent callers, with random offer and token IDs (every
// redemption dirties a random page of each bucket) and with time-ordered
// ones (inserts append). Run with -cpu 1 for the one-core target.
func BenchmarkRedeemParallel(b *testing.B) {
	for _, ids := range []struct {
		name        string
		timeOrdered bool
	}{{"random-ids", false}, {"time-ordered-ids", true}} {
		b.Run(ids.name, func(b *testing.B) {
			s := openBench(b)
			rs := benchRedemptions(b, s, b.N, ids.timeOrdered)
			runParallel(b, "redeems", func(i int) error { return s.Redeem(b.Context(), rs[i]) })
		})
	}
}

// BenchmarkUseReplayKeyParallel measures durable replay-key inserts by
// about 32 concurrent callers.
func BenchmarkUseReplayKeyParallel(b *testing.B) {
	s := openBench(b)
	keys := make([][]byte, b.N)
	for i := range keys {
		keys[i] = randomKey()
	}
	start := time.Now()
	runParallel(b, "keys", func(i int) error {
		now := at(start, i)
		return s.UseReplayKey(b.Context(), keys[i], now.Add(70*time.Second), now)
	})
}

// BenchmarkSweep measures sweeping expired replay keys out of a store that
// holds 200k live ones (the steady state at 3000 keys/s and a 70s
// lifetime). It reports the time per deleted key; a sweep chunk deletes
// 1000 keys per transaction.
func BenchmarkSweep(b *testing.B) {
	const live, expired = 200_000, 10_000
	path := filepath.Join(b.TempDir(), "bench.db")
	now := time.Now()
	fill(b, path, bolt.Options{NoSync: true}, live, now.Add(time.Hour), now)
	s, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	var swept time.Duration
	for b.Loop() {
		b.StopTimer()
		parallel(b, expired, func(int) error {
			return s.UseReplayKey(b.Context(), randomKey(), now.Add(-time.Minute), now.Add(-time.Hour))
		})
		b.StartTimer()
		start := time.Now()
		n, err := s.Sweep(b.Context(), now)
		swept += time.Since(start)
		if err != nil || n != expired {
			b.Fatalf("Sweep = %d, %v; want %d", n, err, expired)
		}
	}
	b.ReportMetric(float64(swept.Microseconds())/float64(b.N*expired), "µs/deleted")
}

// fill records n random replay keys until exp in the store at path.
func fill(b *testing.B, path string, opts bolt.Options, n int, exp, now time.Time) {
	s, err := bolt.Open(path, opts)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	parallel(b, n, func(int) error { return s.UseReplayKey(b.Context(), randomKey(), exp, now) })
}
