package offer_test

import (
	"context"
	"crypto/sha256"
	"reflect"
	"sync"
	"testing"
	"time"

	"issuer/issuer"
	"issuer/issuer/oauth/oauthtest"
	"issuer/issuer/offer"
	"issuer/issuer/testclock"
	"issuer/storage"
	"issuer/storage/memory"
)

const (
	issuerURL = "https://issuer.example"
	pid       = "eu.europa.ec.eudi.pid_vc_sd_jwt"
	mdl       = "eu.europa.ec.eudi.pid_mso_mdoc"
	pidName   = "Person Identification Data"
)

// countingStore is the memory store counting the offers created, so that
// a test asserts that a refused request stored nothing.
type countingStore struct {
	*memory.Store
	mu      sync.Mutex
	created int
}

func (s *countingStore) CreateOffer(ctx context.Context, o storage.Offer) error {
	err := s.Store.CreateOffer(ctx, o)
	if err == nil {
		s.mu.Lock()
		s.created++
		s.mu.Unlock()
	}
	return err
}

func (s *countingStore) Created() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.created
}

// env is the offers on a memory store with their config and clock.
type env struct {
	Offers *offer.Offers
	Store  *countingStore
	Clock  *testclock.Clock
	Cfg    offer.Config
}

// newEnv builds the offers from a memory store, the default config of the
// issuer (its pre_authorized section and credential configurations),
// changed by opts, and a settable clock.
func newEnv(t testing.TB, opts ...func(*offer.Config)) *env {
	t.Helper()
	def := issuer.Defaults()
	clk := testclock.New(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))
	cfg := offer.Config{
		URL: issuerURL, Configurations: def.CredentialConfigurations,
		CodeTTL: def.PreAuthorized.CodeTTL, MaxCodeTTL: def.PreAuthorized.MaxCodeTTL,
		TxCodeMaxAttempts: def.PreAuthorized.TxCodeMaxAttempts, Now: clk.Now,
	}
	for _, o := range opts {
		o(&cfg)
	}
	st := &countingStore{Store: memory.New()}
	return &env{Offers: offer.New(cfg, st), Store: st, Clock: clk, Cfg: cfg}
}

// req is a valid offer request for pid, changed by opts.
func req(opts ...func(*offer.Request)) offer.Request {
	r := offer.Request{CredentialConfigurationIDs: []string{pid}, Subject: "alice"}
	for _, o := range opts {
		o(&r)
	}
	return r
}

func withTx(tx offer.TxCodeRequest) func(*offer.Request) {
	return func(r *offer.Request) { r.TxCode = &tx }
}

func withGrants(g ...string) func(*offer.Request) {
	return func(r *offer.Request) { r.Grants = g }
}

// create creates an offer and fails the test on an error.
func (e *env) create(t testing.TB, r offer.Request) offer.Response {
	t.Helper()
	resp, err := e.Offers.Create(t.Context(), r)
	if err != nil {
		t.Fatalf("Create(%+v) = %v", r, err)
	}
	return resp
}

// code is the pre-authorized code of an offer response.
func code(t testing.TB, resp offer.Response) string {
	t.Helper()
	g := resp.CredentialOffer.Grants.PreAuthorizedCode
	if g == nil {
		t.Fatalf("offer %s has no pre-authorized code", resp.OfferID)
	}
	return g.PreAuthorizedCode
}

func codeHash(code string) []byte {
	sum := sha256.Sum256([]byte(code))
	return sum[:]
}

// stored reads the offer of a pre-authorized code, as the grant does
// before Check.
func (e *env) stored(t testing.TB, code string) storage.Offer {
	t.Helper()
	o, err := e.Store.GetOfferByCode(t.Context(), codeHash(code))
	if err != nil {
		t.Fatalf("GetOfferByCode() = %v", err)
	}
	return o
}

// check reads the offer of code and checks params against it.
func (e *env) check(t testing.TB, code string, params map[string]string) error {
	t.Helper()
	return e.Offers.Check(t.Context(), e.stored(t, code), params, e.Clock.Now())
}

// redeem redeems code in the store, as the grant does after Check.
func (e *env) redeem(t testing.TB, code string) {
	t.Helper()
	if err := e.Store.Redeem(t.Context(), storage.Redemption{CodeHash: codeHash(code), Now: e.Clock.Now(), JKT: "jkt"}); err != nil {
		t.Fatalf("Redeem() = %v", err)
	}
}

// unchanged fails the test if the offer of code is not before.
func (e *env) unchanged(t testing.TB, code string, before storage.Offer) {
	t.Helper()
	if after := e.stored(t, code); !reflect.DeepEqual(after, before) {
		t.Errorf("the refusal changed the offer:\n got %+v\nwant %+v", after, before)
	}
}

// wantError asserts that err is the oauth error code, with the
// description desc unless desc is empty.
var wantError = oauthtest.WantError
