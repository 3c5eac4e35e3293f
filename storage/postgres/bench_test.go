package postgres_test

import (
	"context"
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
	"issuer/storage/postgres"
	"issuer/storage/postgres/pgtest"
)

// benchConcurrency is the number of concurrent requests the benchmarks
// model, as storage/bolt's: 32 in flight.
const benchConcurrency = 32

// openBench opens a store with the default pool on a fresh schema.
func openBench(b *testing.B) *postgres.Store {
	b.Helper()
	s, err := postgres.Open(context.Background(), pgtest.Schema(b, testDSN), postgres.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	return s
}

// benchRedemptions creates n offers and returns one redemption of each,
// shaped like the token endpoint's (and storage/bolt's benchmark): a DPoP
// replay key and one access token, time-ordered IDs.
func benchRedemptions(b *testing.B, s *postgres.Store, n int) []storage.Redemption {
	b.Helper()
	start := time.Now()
	rs := make([]storage.Redemption, n)
	offers := make([]storage.Offer, n)
	for i := range rs {
		now := start.Add(time.Duration(i) * time.Second / 3000)
		id := uuid.Must(uuid.NewV7()).String()
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
				ID: uuid.Must(uuid.NewV7()).String(), Kind: "access_token", Subject: "user-" + id, JKT: "jkt-" + id, GrantID: id,
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
// goroutines and reports ops/s and latency percentiles.
func runParallel(b *testing.B, unit string, op func(i int) error) {
	procs := runtime.GOMAXPROCS(0)
	b.SetParallelism((benchConcurrency + procs - 1) / procs)
	lat := make([]time.Duration, b.N)
	var next atomic.Int64
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
	b.ReportMetric(float64(lat[b.N/2])/float64(time.Millisecond), "p50-ms")
	b.ReportMetric(float64(lat[b.N*99/100])/float64(time.Millisecond), "p99-ms")
}

// BenchmarkRedeemParallel measures durable redemptions (synchronous_commit
// on) of distinct codes by about 32 concurrent callers, the server on the
// same machine: compare with storage/bolt's BenchmarkRedeemParallel.
func BenchmarkRedeemParallel(b *testing.B) {
	s := openBench(b)
	rs := benchRedemptions(b, s, b.N)
	runParallel(b, "redeems", func(i int) error { return s.Redeem(b.Context(), rs[i]) })
}

// BenchmarkUseReplayKeyParallel measures durable replay-key claims by
// about 32 concurrent callers.
func BenchmarkUseReplayKeyParallel(b *testing.B) {
	s := openBench(b)
	keys := make([][]byte, b.N)
	for i := range keys {
		keys[i] = randomKey()
	}
	start := time.Now()
	runParallel(b, "keys", func(i int) error {
		now := start.Add(time.Duration(i) * time.Second / 3000)
		return s.UseReplayKey(b.Context(), keys[i], now.Add(70*time.Second), now)
	})
}
