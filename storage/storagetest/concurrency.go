package storagetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"issuer/storage"
)

// RunConcurrency runs the concurrency part of the suite, each subtest on a
// fresh store: racing redemptions of one code, racing uses of one replay
// key, many distinct redemptions, and Sweep racing with writes.
func RunConcurrency(t *testing.T, newStore func(t *testing.T) storage.Store) {
	run(t, newStore, []test{
		{"SameCode", testConcurrentSameCode},
		{"SameReplayKey", testConcurrentSameReplayKey},
		{"OverlappingReplayBatches", testConcurrentOverlappingBatches},
		{"DistinctRedeems", testConcurrentDistinctRedeems},
		{"SweepWhileWriting", testConcurrentSweep},
		{"RefreshRetries", testConcurrentRefreshRetries},
		{"RefreshForks", testConcurrentRefreshForks},
	})
	run(t, readFirst(newStore), []test{
		{"SameCodeAsRead", testConcurrentSameCode},
		{"DistinctRedeemsAsRead", testConcurrentDistinctRedeems},
	})
	run(t, newStore, []test{
		{"SameCodeOneRead", testConcurrentSameCodeOneRead},
		{"TxCodeFailuresAndRedeemAsRead", testConcurrentTxCodeFailuresAndRedeemAsRead},
	})
}

// racers is how many goroutines race in each concurrency test.
const racers = 64

// race runs fn(i) for i in [0, racers) in parallel and returns the errors.
func race(fn func(i int) error) []error { return raceN(racers, fn) }

// raceN runs fn(i) for i in [0, n) in parallel and returns the errors.
func raceN(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// checkOneWinner checks that exactly one error is nil and the others are
// loser, and returns the winner's index.
func checkOneWinner(t *testing.T, errs []error, loser error) int {
	t.Helper()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("callers %d and %d both succeeded", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, loser):
			t.Errorf("caller %d: %v, want nil or %v", i, err, loser)
		}
	}
	if winner < 0 {
		t.Fatal("no caller succeeded")
	}
	return winner
}

func testConcurrentSameCode(t *testing.T, s storage.Store) {
	o := newOffer(t0, time.Minute)
	createOffer(t, s, o)
	rs := make([]storage.Redemption, racers)
	for i := range rs {
		rs[i] = redemption(o, t0, newToken(o.ID, t0, time.Hour))
	}
	errs := race(func(i int) error { return s.Redeem(t.Context(), rs[i]) })
	w := checkOneWinner(t, errs, storage.ErrConsumed)
	got := getOffer(t, s, o.ID)
	if len(got.IssuedTokens) != 1 || got.IssuedTokens[0] != rs[w].Tokens[0].ID {
		t.Errorf("IssuedTokens %v, want the winner's [%s]", got.IssuedTokens, rs[w].Tokens[0].ID)
	}
	if tok := getToken(t, s, rs[w].Tokens[0].ID); !tok.Revoked {
		t.Error("winner's token not revoked after the replays")
	}
}

// testConcurrentSameCodeOneRead races redemptions that all carry the
// offer as read once before the race: one wins, the others find it
// changed since and fail as replays of a redeemed code.
func testConcurrentSameCodeOneRead(t *testing.T, s storage.Store) {
	o := newOffer(t0, time.Minute)
	createOffer(t, s, o)
	read := readOffer(t, s, o)
	rs := make([]storage.Redemption, racers)
	for i := range rs {
		rs[i] = redemption(o, t0, newToken(o.ID, t0, time.Hour))
		rs[i].Offer = &read
	}
	errs := race(func(i int) error { return s.Redeem(t.Context(), rs[i]) })
	w := checkOneWinner(t, errs, storage.ErrConsumed)
	got := getOffer(t, s, o.ID)
	if len(got.IssuedTokens) != 1 || got.IssuedTokens[0] != rs[w].Tokens[0].ID {
		t.Errorf("IssuedTokens %v, want the winner's [%s]", got.IssuedTokens, rs[w].Tokens[0].ID)
	}
	for i, r := range rs {
		if i != w {
			checkGone(t, "a loser's token", func(ctx context.Context) error { _, err := s.GetToken(ctx, r.Tokens[0].ID); return err })
		}
	}
}

// testConcurrentTxCodeFailuresAndRedeemAsRead races failed tx_code
// attempts with a redemption carrying the offer as read before them:
// the redemption succeeds and every failure stays counted (a redemption
// written over a version it did not read would lose some).
func testConcurrentTxCodeFailuresAndRedeemAsRead(t *testing.T, s storage.Store) {
	o := newOffer(t0, time.Minute)
	createOffer(t, s, o)
	read := readOffer(t, s, o)
	r := redemption(o, t0, newToken(o.ID, t0, time.Hour))
	r.Offer = &read
	errs := race(func(i int) error {
		if i == racers/2 {
			return s.Redeem(t.Context(), r)
		}
		_, err := s.RecordTxCodeFailure(t.Context(), o.CodeHash, 1000)
		return err
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("racer %d: %v", i, err)
		}
	}
	got := getOffer(t, s, o.ID)
	if got.Failures != racers-1 || got.RedeemedAt.IsZero() || len(got.IssuedTokens) != 1 {
		t.Errorf("Failures %d RedeemedAt %v IssuedTokens %v; want %d failures and redeemed once", got.Failures, got.RedeemedAt, got.IssuedTokens, racers-1)
	}
}

func testConcurrentSameReplayKey(t *testing.T, s storage.Store) {
	key := []byte("one-proof")
	errs := race(func(int) error { return s.UseReplayKey(t.Context(), key, t0.Add(time.Minute), t0) })
	checkOneWinner(t, errs, storage.ErrAlreadyExists)
}

// testConcurrentOverlappingBatches: batches that share a key, racing in
// both orders ([A,B] and [B,A]): exactly one wins, and the losers record
// nothing, so that no key is burnt by a refused batch.
func testConcurrentOverlappingBatches(t *testing.T, s storage.Store) {
	exp := t0.Add(time.Minute)
	errs := race(func(i int) error {
		keys := []storage.ReplayUse{{Key: []byte("batch-a"), Expiry: exp}, {Key: []byte("batch-b"), Expiry: exp}}
		if i%2 == 1 {
			keys[0], keys[1] = keys[1], keys[0]
		}
		keys = append(keys, storage.ReplayUse{Key: fmt.Appendf(nil, "own-%d", i), Expiry: exp})
		return s.UseReplayKeys(t.Context(), keys, t0)
	})
	checkOneWinner(t, errs, storage.ErrAlreadyExists)
	for i, err := range errs {
		if err == nil {
			continue
		}
		if e := s.UseReplayKey(t.Context(), fmt.Appendf(nil, "own-%d", i), exp, t0); e != nil {
			t.Errorf("racer %d lost, yet its own key was recorded: %v", i, e)
		}
	}
}

func testConcurrentDistinctRedeems(t *testing.T, s storage.Store) {
	const perRacer = 8
	rs := make([]storage.Redemption, racers*perRacer)
	for i := range rs {
		o := newOffer(t0, time.Minute)
		createOffer(t, s, o)
		rs[i] = redemption(o, t0, newToken(o.ID, t0, time.Hour))
	}
	errs := race(func(i int) error {
		for j := i; j < len(rs); j += racers {
			if err := s.Redeem(t.Context(), rs[j]); err != nil {
				return fmt.Errorf("redemption %d: %w", j, err)
			}
		}
		return nil
	})
	for _, err := range errs {
		checkErr(t, "Redeem", err, nil)
	}
	for _, r := range rs {
		if tok := getToken(t, s, r.Tokens[0].ID); tok.Revoked {
			t.Errorf("token %s revoked", tok.ID)
		}
	}
}

// testConcurrentSweep sweeps repeatedly while replay keys are recorded and
// checks that every key recorded as live stays refused.
func testConcurrentSweep(t *testing.T, s storage.Store) {
	const perRacer = 20
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			if _, err := s.Sweep(t.Context(), t0.Add(time.Duration(i)*time.Millisecond)); err != nil {
				t.Error(err)
				return
			}
			if t.Failed() || i >= 200 {
				return
			}
		}
	}()
	errs := race(func(i int) error {
		for j := range perRacer {
			exp := t0.Add(time.Hour) // live keys every other write; others expire at once
			if j%2 == 1 {
				exp = t0.Add(-time.Second)
			}
			if err := s.UseReplayKey(t.Context(), fmt.Appendf(nil, "%d-%d", i, j), exp, t0.Add(-time.Hour)); err != nil {
				return err
			}
		}
		return nil
	})
	<-done
	for _, err := range errs {
		checkErr(t, "UseReplayKey", err, nil)
	}
	for i := range racers {
		key := fmt.Appendf(nil, "%d-0", i)
		checkErr(t, "live key", s.UseReplayKey(t.Context(), key, t0, t0), storage.ErrAlreadyExists)
	}
}

// refreshRacers is how many goroutines race on one refresh token.
const refreshRacers = 32

// testConcurrentRefreshRetries rotates one refresh token from 32
// goroutines inside the grace window, each presenting the same successor
// (the service derives it from the token): every use succeeds and stores
// its access token, the successor is stored once and is the token's only
// successor, and a use after the window revokes the family, successor
// included.
func testConcurrentRefreshRetries(t *testing.T, s storage.Store) {
	rt := newRefresh(t, s, "retries")
	next := newSuccessor(rt, t0.Add(time.Second))
	ats := make([]storage.Token, refreshRacers)
	errs := raceN(refreshRacers, func(i int) error {
		ats[i] = newToken("retries", t0.Add(time.Second), time.Hour)
		return s.UseRefreshToken(t.Context(), rotating(rt, t0.Add(time.Second+time.Duration(i)*time.Millisecond), next, ats[i]))
	})
	for _, err := range errs {
		checkErr(t, "concurrent retry", err, nil)
	}
	if got := getToken(t, s, rt.ID); got.SuccessorID != next.ID || got.RotatedAt.IsZero() {
		t.Errorf("rotated token: SuccessorID %q, RotatedAt %v; want %q, set", got.SuccessorID, got.RotatedAt, next.ID)
	}
	for _, at := range ats {
		getToken(t, s, at.ID)
	}
	checkErr(t, "successor", s.UseRefreshToken(t.Context(), use(next, t0.Add(2*time.Second))), nil)
	checkErr(t, "reuse after the window", s.UseRefreshToken(t.Context(), rotating(rt, t0.Add(time.Minute), next)), storage.ErrConsumed)
	for _, id := range append([]string{rt.ID, next.ID}, ats[0].ID, ats[refreshRacers-1].ID) {
		if tok := getToken(t, s, id); !tok.Revoked {
			t.Errorf("token %s of the family after reuse: not revoked", id)
		}
	}
}

// testConcurrentRefreshForks rotates one refresh token from 32 goroutines,
// each with a successor of its own (a caller that mints a fresh one per
// request): exactly one wins, the others get ErrRotated and store nothing,
// so that the family never forks.
func testConcurrentRefreshForks(t *testing.T, s storage.Store) {
	rt := newRefresh(t, s, "forks")
	nexts, ats := make([]storage.Token, refreshRacers), make([]storage.Token, refreshRacers)
	for i := range nexts {
		nexts[i], ats[i] = newSuccessor(rt, t0.Add(time.Second)), newToken("forks", t0.Add(time.Second), time.Hour)
	}
	errs := raceN(refreshRacers, func(i int) error {
		return s.UseRefreshToken(t.Context(), rotating(rt, t0.Add(time.Second+time.Duration(i)*time.Millisecond), nexts[i], ats[i]))
	})
	w := checkOneWinner(t, errs, storage.ErrRotated)
	if got := getToken(t, s, rt.ID); got.SuccessorID != nexts[w].ID {
		t.Errorf("SuccessorID %q; want the winner's %q", got.SuccessorID, nexts[w].ID)
	}
	for i := range nexts {
		if i == w {
			getToken(t, s, nexts[i].ID)
			getToken(t, s, ats[i].ID)
			continue
		}
		for _, id := range []string{nexts[i].ID, ats[i].ID} {
			checkGone(t, fmt.Sprintf("token of loser %d", i), func(ctx context.Context) error { _, err := s.GetToken(ctx, id); return err })
		}
	}
}
