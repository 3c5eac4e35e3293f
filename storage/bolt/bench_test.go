//go:build unix

package bolt_test

import (
	"path/filepath"
	"testing"
	"time"

	"issuer/storage/bolt"
	"issuer/storage/storagetest"
)

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
			rs := storagetest.BenchRedemptions(b, s, b.N, ids.timeOrdered)
			storagetest.BenchParallel(b, "redeems", func(i int) error { return s.Redeem(b.Context(), rs[i]) })
		})
	}
}

// BenchmarkUseReplayKeyParallel measures durable replay-key inserts by
// about 32 concurrent callers.
func BenchmarkUseReplayKeyParallel(b *testing.B) {
	s := openBench(b)
	keys := make([][]byte, b.N)
	for i := range keys {
		keys[i] = storagetest.BenchReplayKey()
	}
	start := time.Now()
	storagetest.BenchParallel(b, "keys", func(i int) error {
		now := storagetest.BenchAt(start, i)
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
		storagetest.BenchSetup(b, expired, func(int) error {
			return s.UseReplayKey(b.Context(), storagetest.BenchReplayKey(), now.Add(-time.Minute), now.Add(-time.Hour))
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
	storagetest.BenchSetup(b, n, func(int) error { return s.UseReplayKey(b.Context(), storagetest.BenchReplayKey(), exp, now) })
}
