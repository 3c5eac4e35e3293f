package storagetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"issuer/storage"
)

// sweepFixture is the state testSweep builds at t0.
type sweepFixture struct {
	keyNow, key1s, key10s []byte // replay keys expiring at t0, t0+1s, t0+10s
	unredeemed            storage.Offer
	longLived, shortLived storage.Offer // redeemed with a 1h and a 3s token
	longToken, shortToken storage.Token
}

// newSweepFixture stores three replay keys, an unredeemed offer expiring
// at t0+5s and two offers redeemed at t0 (replay keys until t0+2s), one
// with a token until t0+1h, one with a token until t0+3s.
func newSweepFixture(t *testing.T, s storage.Store) sweepFixture {
	f := sweepFixture{keyNow: []byte("k-now"), key1s: []byte("k-1s"), key10s: []byte("k-10s")}
	for key, exp := range map[string]time.Time{"k-now": t0, "k-1s": t0.Add(time.Second), "k-10s": t0.Add(10 * time.Second)} {
		checkErr(t, "UseReplayKey "+key, s.UseReplayKey(t.Context(), []byte(key), exp, t0), nil)
	}
	f.unredeemed = newOffer(t0, 5*time.Second)
	f.longLived, f.shortLived = newOffer(t0, 5*time.Second), newOffer(t0, 5*time.Second)
	f.longToken = newToken(f.longLived.ID, t0, time.Hour)
	f.shortToken = newToken(f.shortLived.ID, t0, 3*time.Second)
	for _, x := range []struct {
		o   storage.Offer
		tok *storage.Token
	}{{f.unredeemed, nil}, {f.longLived, &f.longToken}, {f.shortLived, &f.shortToken}} {
		createOffer(t, s, x.o)
		if x.tok != nil {
			r := redemption(x.o, t0, *x.tok)
			r.ReplayExpiry = t0.Add(2 * time.Second)
			redeemOK(t, s, r)
		}
	}
	return f
}

func testSweep(t *testing.T, s storage.Store) {
	f := newSweepFixture(t, s)
	sweep(t, s, t0, 0)
	checkErr(t, "replay key expiring at now", s.UseReplayKey(t.Context(), f.keyNow, t0, t0), storage.ErrAlreadyExists)

	now := t0.Add(6 * time.Second)
	// Replay keys k-now, k-1s and the two redemptions' (t0+2s); the 3s
	// token; the unredeemed and the short-lived offers (KeepUntil t0+5s).
	sweep(t, s, now, 4+1+2)
	for _, o := range []storage.Offer{f.unredeemed, f.shortLived} {
		checkGone(t, "swept offer", func(ctx context.Context) error { _, err := s.GetOffer(ctx, o.ID); return err })
		checkGone(t, "swept offer's code", func(ctx context.Context) error { _, err := s.GetOfferByCode(ctx, o.CodeHash); return err })
	}
	checkGone(t, "swept token", func(ctx context.Context) error { _, err := s.GetToken(ctx, f.shortToken.ID); return err })
	getOffer(t, s, f.longLived.ID)
	getToken(t, s, f.longToken.ID)
	checkErr(t, "swept replay key", s.UseReplayKey(t.Context(), f.key1s, now.Add(time.Second), now), nil)
	checkErr(t, "live replay key", s.UseReplayKey(t.Context(), f.key10s, now, now), storage.ErrAlreadyExists)

	reused := newOffer(now, time.Minute)
	reused.CodeHash = f.shortLived.CodeHash
	createOffer(t, s, reused)

	// k-10s, k-1s (recorded again until now+1s), the 1h token, its offer
	// and the offer that reused a swept code.
	sweep(t, s, t0.Add(2*time.Hour), 5)
	sweep(t, s, t0.Add(2*time.Hour), 0)
}

// sweep runs Sweep at now and checks how many records it deleted.
func sweep(t *testing.T, s storage.Store, now time.Time, want int) {
	t.Helper()
	n, err := s.Sweep(t.Context(), now)
	if err != nil || n != want {
		t.Fatalf("Sweep(%v) = %d, %v; want %d", now, n, err, want)
	}
}

// testSweepMany sweeps more records than fit one sweep transaction of
// the bbolt store.
func testSweepMany(t *testing.T, s storage.Store) {
	const expired, live, workers = 3000, 100, 16
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < expired+live; i += workers {
				exp := t0.Add(time.Duration(i%expired) * time.Millisecond)
				if i >= expired {
					exp = t0.Add(time.Hour)
				}
				if err := s.UseReplayKey(t.Context(), fmt.Appendf(nil, "key-%d", i), exp, t0); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	sweep(t, s, t0.Add(time.Minute), expired)
	checkErr(t, "swept key", s.UseReplayKey(t.Context(), []byte("key-0"), t0.Add(time.Hour), t0.Add(time.Minute)), nil)
	checkErr(t, "live key", s.UseReplayKey(t.Context(), fmt.Appendf(nil, "key-%d", expired), t0, t0), storage.ErrAlreadyExists)
}
