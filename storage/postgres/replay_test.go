package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"issuer/storage"
	"issuer/storage/postgres"
	"issuer/storage/postgres/pgtest"
)

// TestReplayBatchesAcrossNodes: batches of replay keys that overlap in
// opposite orders, from two nodes (two pools on one database), never
// deadlock: each round has exactly one winner, quickly, and the losers
// spend none of their keys.
func TestReplayBatchesAcrossNodes(t *testing.T) {
	dsn := pgtest.WithParam(pgtest.Schema(t, testDSN), "pool_max_conns", "8")
	var nodes [2]*postgres.Store
	for i := range nodes {
		s, err := postgres.Open(context.Background(), dsn, postgres.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		nodes[i] = s
	}
	now := time.Now()
	exp := now.Add(time.Minute)
	for round := range 5 {
		a, b := fmt.Appendf(nil, "a%d", round), fmt.Appendf(nil, "b%d", round)
		errs := make([]error, 16)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range errs {
			wg.Go(func() {
				keys := []storage.ReplayUse{{Key: a, Expiry: exp}, {Key: b, Expiry: exp}}
				if i%4 >= 2 {
					keys[0], keys[1] = keys[1], keys[0]
				}
				keys = append(keys, storage.ReplayUse{Key: fmt.Appendf(nil, "own-%d-%d", round, i), Expiry: exp})
				<-start
				errs[i] = nodes[i%2].UseReplayKeys(t.Context(), keys, now)
			})
		}
		close(start)
		wg.Wait()
		winners := 0
		for i, err := range errs {
			switch {
			case err == nil:
				winners++
			case !errors.Is(err, storage.ErrAlreadyExists):
				t.Fatalf("round %d, racer %d: %v; want a win or ErrAlreadyExists (a deadlock or timeout is neither)", round, i, err)
			default:
				if e := nodes[(i+1)%2].UseReplayKey(t.Context(), fmt.Appendf(nil, "own-%d-%d", round, i), exp, now); e != nil {
					t.Errorf("round %d: racer %d lost, yet its own key was spent: %v", round, i, e)
				}
			}
		}
		if winners != 1 {
			t.Fatalf("round %d: %d winners; want exactly one", round, winners)
		}
	}
}
