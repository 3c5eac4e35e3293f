// Package storagetest is the conformance suite of [storage.Store]: every
// storage engine runs [Run] and [RunConcurrency] from its own tests.
//
//	func TestStore(t *testing.T) { storagetest.Run(t, newStore) }
package storagetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"issuer/storage"
)

// A test is one subtest of the suite, run on a fresh store.
type test struct {
	name string
	fn   func(t *testing.T, s storage.Store)
}

// Run runs the conformance suite: one parallel subtest per behaviour of
// the contract, each on a fresh store from newStore. newStore must
// register the store's cleanup (Close) itself.
func Run(t *testing.T, newStore func(t *testing.T) storage.Store) {
	run(t, newStore, []test{
		{"Secret", testSecret},
		{"SecretCreateError", testSecretCreateError},
		{"SecretConcurrent", testSecretConcurrent},
		{"SigningKeys", testSigningKeys},
		{"Clients", testClients},
		{"Users", testUsers},
		{"WalletProviders", testWalletProviders},
		{"AttestationKeyNotStored", testAttestationKeyNotStored},
		{"Offers", testOffers},
		{"OfferConflicts", testOfferConflicts},
		{"OfferDefaultKeepUntil", testOfferDefaultKeepUntil},
		{"TxCodeFailures", testTxCodeFailures},
		{"TxCodeFailureAfterRedeem", testTxCodeFailureAfterRedeem},
		{"RevokeTokens", testRevokeTokens},
		{"IssueTokens", testIssueTokens},
		{"RevokeGrant", testRevokeGrant},
		{"UMAResources", testUMAResources},
		{"UMATickets", testUMATickets},
		{"UseRefreshToken", testUseRefreshToken},
		{"RefreshRotation", testRefreshRotation},
		{"RefreshRotationNeedsSuccessor", testRefreshRotationNeedsSuccessor},
		{"RefreshConcurrent", testRefreshConcurrent},
		{"ReplayKey", testReplayKey},
		{"ReplayKeys", testReplayKeys},
		{"Sweep", testSweep},
		{"SweepMany", testSweepMany},
		{"TimeZones", testTimeZones},
		{"RoundTrip", testRoundTrip},
		{"ContextCanceled", testContextCanceled},
		{"Closed", testClosed},
	})
	run(t, newStore, redeemTests)
	run(t, readFirst(newStore), prefixed("AsRead", redeemTests))
	run(t, newStore, redeemAsReadTests)
	run(t, newStore, authCodeTests)
	run(t, newStore, credentialTests)
}

// prefixed returns tests with their names prefixed.
func prefixed(prefix string, tests []test) []test {
	out := make([]test, len(tests))
	for i, tc := range tests {
		out[i] = test{prefix + tc.name, tc.fn}
	}
	return out
}

// run runs each test in a parallel subtest on a fresh store.
func run(t *testing.T, newStore func(t *testing.T) storage.Store, tests []test) {
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newStore(t))
		})
	}
}

func testSecret(t *testing.T, s storage.Store) {
	calls := 0
	create := func() ([]byte, error) { calls++; return []byte{1, 2, 3, byte(calls)}, nil }
	first, err := s.GetOrCreateSecret(t.Context(), "hmac", create)
	if err != nil {
		t.Fatal(err)
	}
	second, err := s.GetOrCreateSecret(t.Context(), "hmac", create)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, []byte{1, 2, 3, 1}) || !bytes.Equal(first, second) || calls != 1 {
		t.Errorf("got %x then %x after %d create calls, want 01020301 twice after 1", first, second, calls)
	}
	other, err := s.GetOrCreateSecret(t.Context(), "other", create)
	if err != nil || bytes.Equal(other, first) {
		t.Errorf("second name: %x, %v; want a new value", other, err)
	}
}

func testSecretCreateError(t *testing.T, s storage.Store) {
	boom := errors.New("boom")
	_, err := s.GetOrCreateSecret(t.Context(), "k", func() ([]byte, error) { return nil, boom })
	checkErr(t, "create error", err, boom)
	v, err := s.GetOrCreateSecret(t.Context(), "k", func() ([]byte, error) { return []byte("ok"), nil })
	if err != nil || string(v) != "ok" {
		t.Errorf("after a failed create: %q, %v; want ok", v, err)
	}
}

func testSecretConcurrent(t *testing.T, s storage.Store) {
	const n = 32
	values := make([][]byte, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			v, err := s.GetOrCreateSecret(t.Context(), "shared", func() ([]byte, error) { return []byte{byte(i)}, nil })
			if err != nil {
				t.Error(err)
			}
			values[i] = v
		})
	}
	wg.Wait()
	for i, v := range values {
		if !bytes.Equal(v, values[0]) {
			t.Fatalf("caller %d got %x, caller 0 got %x", i, v, values[0])
		}
	}
}

func testSigningKeys(t *testing.T, s storage.Store) {
	keys, err := s.SigningKeys(t.Context())
	if err != nil || len(keys) != 0 {
		t.Fatalf("empty store: %v, %v", keys, err)
	}
	order := []string{"k-new", "k-old", "k-mid"}
	created := map[string]time.Time{"k-old": t0.Add(-2 * time.Hour), "k-mid": t0.Add(-time.Hour), "k-new": t0}
	for _, id := range order {
		k := storage.SigningKey{ID: id, Alg: "ES256", PrivateJWK: []byte(`{"kty":"EC"}`), CreatedAt: created[id]}
		if err := s.AddSigningKey(t.Context(), k); err != nil {
			t.Fatal(err)
		}
	}
	err = s.AddSigningKey(t.Context(), storage.SigningKey{ID: "k-mid", CreatedAt: t0})
	checkErr(t, "duplicate key ID", err, storage.ErrAlreadyExists)
	keys, err = s.SigningKeys(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, k := range keys {
		got = append(got, k.ID)
	}
	if want := []string{"k-old", "k-mid", "k-new"}; !slices.Equal(got, want) {
		t.Errorf("order %v, want %v (oldest first)", got, want)
	}
}

func testClients(t *testing.T, s storage.Store) {
	ctx := t.Context()
	c := storage.Client{ID: "wallet", AuthMethod: "none", GrantTypes: []string{"authorization_code"}, CreatedAt: t0}
	checkErr(t, "CreateClient", s.CreateClient(ctx, c), nil)
	checkErr(t, "CreateClient again", s.CreateClient(ctx, c), storage.ErrAlreadyExists)
	got, err := s.GetClient(ctx, "wallet")
	checkErr(t, "GetClient", err, nil)
	checkEqual(t, "client", c, got)
	checkGone(t, "GetClient(unknown)", func(ctx context.Context) error { _, err := s.GetClient(ctx, "nobody"); return err })
	checkErr(t, "DeleteClient", s.DeleteClient(ctx, "wallet"), nil)
	checkGone(t, "GetClient after delete", func(ctx context.Context) error { _, err := s.GetClient(ctx, "wallet"); return err })
	checkErr(t, "DeleteClient again", s.DeleteClient(ctx, "wallet"), storage.ErrNotFound)
	checkErr(t, "CreateClient after delete", s.CreateClient(ctx, c), nil)
}

func testOffers(t *testing.T, s storage.Store) {
	o := newOffer(t0, 5*time.Minute)
	o.OfferJSON = json.RawMessage(`{"credential_issuer":"https://issuer.example","grants":{}}`)
	createOffer(t, s, o)
	checkEqual(t, "GetOffer", o, getOffer(t, s, o.ID))
	byCode, err := s.GetOfferByCode(t.Context(), o.CodeHash)
	checkErr(t, "GetOfferByCode", err, nil)
	noJSON := o
	noJSON.OfferJSON = nil
	noJSON.Revision = byCode.Revision // the store's own, opaque
	checkEqual(t, "GetOfferByCode (without OfferJSON)", noJSON, byCode)
	checkGone(t, "GetOffer(unknown)", func(ctx context.Context) error { _, err := s.GetOffer(ctx, "nope"); return err })
	checkGone(t, "GetOfferByCode(unknown)", func(ctx context.Context) error { _, err := s.GetOfferByCode(ctx, hashOf("nope")); return err })
}

func testOfferConflicts(t *testing.T, s storage.Store) {
	o := newOffer(t0, time.Minute)
	createOffer(t, s, o)
	sameID := newOffer(t0, time.Minute)
	sameID.ID = o.ID
	checkErr(t, "same ID", s.CreateOffer(t.Context(), sameID), storage.ErrAlreadyExists)
	sameCode := newOffer(t0, time.Minute)
	sameCode.CodeHash = o.CodeHash
	checkErr(t, "same code hash", s.CreateOffer(t.Context(), sameCode), storage.ErrAlreadyExists)
	checkGone(t, "offer refused for its code", func(ctx context.Context) error { _, err := s.GetOffer(ctx, sameCode.ID); return err })
	got, err := s.GetOfferByCode(t.Context(), sameID.CodeHash)
	checkErr(t, "code of offer refused for its ID", err, storage.ErrNotFound)
	if err == nil {
		t.Errorf("refused offer left its code: %+v", got)
	}
	checkEqual(t, "first offer", o, getOffer(t, s, o.ID))
}

func testOfferDefaultKeepUntil(t *testing.T, s storage.Store) {
	o := newOffer(t0, time.Minute)
	o.KeepUntil = time.Time{}
	createOffer(t, s, o)
	if got := getOffer(t, s, o.ID).KeepUntil; !got.Equal(o.ExpiresAt) {
		t.Errorf("KeepUntil %v, want ExpiresAt %v", got, o.ExpiresAt)
	}
}

func testTxCodeFailures(t *testing.T, s storage.Store) {
	o := newOffer(t0, time.Minute)
	o.TxCode = &storage.TxCode{Hash: hashOf("1234"), Length: 4, InputMode: "numeric"}
	createOffer(t, s, o)
	for i := 1; i <= 3; i++ {
		got, err := s.RecordTxCodeFailure(t.Context(), o.CodeHash, 3)
		checkErr(t, "RecordTxCodeFailure", err, nil)
		if got.Failures != i || got.Locked != (i == 3) {
			t.Errorf("after %d failures: Failures=%d Locked=%v", i, got.Failures, got.Locked)
		}
	}
	if got := getOffer(t, s, o.ID); got.Failures != 3 || !got.Locked {
		t.Errorf("stored offer: Failures=%d Locked=%v, want 3 true", got.Failures, got.Locked)
	}
	checkErr(t, "Redeem locked", s.Redeem(t.Context(), redemption(o, t0)), storage.ErrLocked)
	_, err := s.RecordTxCodeFailure(t.Context(), hashOf("unknown"), 3)
	checkErr(t, "unknown code", err, storage.ErrNotFound)
}

// testTxCodeFailureAfterRedeem: wrong transaction codes sent with a
// redeemed code count and lock it as they would a live code, and a locked
// redeemed code refuses a replay with ErrLocked, revoking nothing, so that
// guessing the transaction code of a redeemed offer cannot cut its wallet
// off.
func testTxCodeFailureAfterRedeem(t *testing.T, s storage.Store) {
	o := newOffer(t0, time.Minute)
	o.TxCode = &storage.TxCode{Hash: hashOf("1234"), Length: 4, InputMode: "numeric"}
	createOffer(t, s, o)
	if _, err := s.RecordTxCodeFailure(t.Context(), o.CodeHash, 3); err != nil {
		t.Fatal(err)
	}
	tok := newToken(o.ID, t0, time.Hour)
	redeemOK(t, s, redemption(o, t0, tok))
	for i := 2; i <= 3; i++ {
		got, err := s.RecordTxCodeFailure(t.Context(), o.CodeHash, 3)
		checkErr(t, "RecordTxCodeFailure on a redeemed code", err, nil)
		if got.Failures != i || got.Locked != (i == 3) || got.RedeemedAt.IsZero() {
			t.Errorf("failure %d: Failures=%d Locked=%v RedeemedAt=%v; want %d %v and still redeemed", i, got.Failures, got.Locked, got.RedeemedAt, i, i == 3)
		}
	}
	before := getOffer(t, s, o.ID)
	checkErr(t, "Redeem of the locked redeemed code", s.Redeem(t.Context(), redemption(o, t0.Add(time.Second))), storage.ErrLocked)
	checkEqual(t, "offer after the refused replay", before, getOffer(t, s, o.ID))
	if got, err := s.GetToken(t.Context(), tok.ID); err != nil || got.Revoked {
		t.Errorf("the redemption's token after a replay of the locked code: revoked=%v err=%v; want it live", got.Revoked, err)
	}
}

func testContextCanceled(t *testing.T, s storage.Store) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	o := newOffer(t0, time.Minute)
	checkErr(t, "CreateOffer", s.CreateOffer(ctx, o), context.Canceled)
	checkErr(t, "UseReplayKey", s.UseReplayKey(ctx, []byte("k"), t0.Add(time.Minute), t0), context.Canceled)
	_, err := s.GetOffer(ctx, o.ID)
	checkErr(t, "GetOffer", err, context.Canceled)
	checkGone(t, "offer created with a canceled context", func(ctx context.Context) error { _, err := s.GetOffer(ctx, o.ID); return err })
	checkErr(t, "replay key recorded with a canceled context", s.UseReplayKey(t.Context(), []byte("k"), t0.Add(time.Minute), t0), nil)
}

func testClosed(t *testing.T, s storage.Store) {
	checkErr(t, "Close", s.Close(), nil)
	ctx := t.Context()
	for _, c := range closedCalls(s) {
		checkErr(t, c.name+" after Close", c.call(ctx), storage.ErrClosed)
	}
	if err := s.Close(); err != nil && !errors.Is(err, storage.ErrClosed) {
		t.Errorf("second Close: %v", err)
	}
}

// closedCalls returns one call of every method but Close.
func closedCalls(s storage.Store) []struct {
	name string
	call func(ctx context.Context) error
} {
	o := newOffer(t0, time.Minute)
	return []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"GetOrCreateSecret", func(ctx context.Context) error {
			_, err := s.GetOrCreateSecret(ctx, "k", func() ([]byte, error) { return []byte{1}, nil })
			return err
		}},
		{"SigningKeys", func(ctx context.Context) error { _, err := s.SigningKeys(ctx); return err }},
		{"AddSigningKey", func(ctx context.Context) error { return s.AddSigningKey(ctx, storage.SigningKey{ID: "k"}) }},
		{"CreateClient", func(ctx context.Context) error { return s.CreateClient(ctx, storage.Client{ID: "c"}) }},
		{"GetClient", func(ctx context.Context) error { _, err := s.GetClient(ctx, "c"); return err }},
		{"DeleteClient", func(ctx context.Context) error { return s.DeleteClient(ctx, "c") }},
		{"CreateWalletProvider", func(ctx context.Context) error {
			return s.CreateWalletProvider(ctx, storage.WalletProvider{ID: "wp"})
		}},
		{"WalletProviders", func(ctx context.Context) error { _, err := s.WalletProviders(ctx); return err }},
		{"DeleteWalletProvider", func(ctx context.Context) error { return s.DeleteWalletProvider(ctx, "wp") }},
		{"CreateOffer", func(ctx context.Context) error { return s.CreateOffer(ctx, o) }},
		{"GetOffer", func(ctx context.Context) error { _, err := s.GetOffer(ctx, o.ID); return err }},
		{"GetOfferByCode", func(ctx context.Context) error { _, err := s.GetOfferByCode(ctx, o.CodeHash); return err }},
		{"RecordTxCodeFailure", func(ctx context.Context) error { _, err := s.RecordTxCodeFailure(ctx, o.CodeHash, 3); return err }},
		{"Redeem", func(ctx context.Context) error { return s.Redeem(ctx, redemption(o, t0)) }},
		{"UseReplayKey", func(ctx context.Context) error { return s.UseReplayKey(ctx, []byte("k"), t0, t0) }},
		{"UseReplayKeys", func(ctx context.Context) error {
			return s.UseReplayKeys(ctx, []storage.ReplayUse{{Key: []byte("k"), Expiry: t0}}, t0)
		}},
		{"GetToken", func(ctx context.Context) error { _, err := s.GetToken(ctx, "t"); return err }},
		{"Sweep", func(ctx context.Context) error { _, err := s.Sweep(ctx, t0); return err }},
	}
}
