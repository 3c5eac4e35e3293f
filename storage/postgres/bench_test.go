package postgres_test

import (
	"context"
	"testing"
	"time"

	"issuer/storage/postgres"
	"issuer/storage/postgres/pgtest"
	"issuer/storage/storagetest"
)

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

// BenchmarkRedeemParallel measures durable redemptions (synchronous_commit
// on) of distinct codes by about 32 concurrent callers, the server on the
// same machine: compare with storage/bolt's BenchmarkRedeemParallel.
func BenchmarkRedeemParallel(b *testing.B) {
	s := openBench(b)
	rs := storagetest.BenchRedemptions(b, s, b.N, true)
	storagetest.BenchParallel(b, "redeems", func(i int) error { return s.Redeem(b.Context(), rs[i]) })
}

// BenchmarkUseReplayKeyParallel measures durable replay-key claims by
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
