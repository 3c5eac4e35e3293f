package resource_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"reflect"
	"testing"
	"time"

	"issuer/dpop"
	"issuer/issuer"
	"issuer/issuer/clientauth"
	"issuer/issuer/oauth"
	"issuer/issuer/oauth/oauthtest"
	"issuer/issuer/proof"
	"issuer/issuer/resource"
	"issuer/issuer/testclock"
	"issuer/issuer/token"
	"issuer/nonce"
	"issuer/storage"
	"issuer/storage/memory"
)

const (
	issuerURL   = "https://issuer.example"
	userInfoURL = issuerURL + "/userinfo"
	// Clients: rs is a resource server (client_secret_basic), wallet a
	// public client, other another confidential client, attested a wallet
	// that authenticates with an attestation.
	rs       = "rs"
	wallet   = "wallet"
	other    = "other"
	attested = "attested"
	aliceID  = "user-alice"
)

// fakeAuth authenticates the client named by client_id (client
// authentication's rules are tested in clientauth); no client_id is no
// client, "broken" fails. Binding is the binding it returns.
type fakeAuth struct {
	store   storage.Store
	Binding oauth.Binding
}

func (a *fakeAuth) Authenticate(ctx context.Context, req clientauth.Request) (*storage.Client, oauth.Binding, error) {
	id := req.Params["client_id"]
	switch id {
	case "":
		return nil, a.Binding, nil
	case "broken":
		return nil, oauth.Binding{}, oauth.ErrInvalidClient("broken")
	}
	c, err := a.store.GetClient(ctx, id)
	if err != nil {
		return nil, oauth.Binding{}, err
	}
	return &c, a.Binding, nil
}

// env is the resource server over a memory store, with the minter and
// the DPoP checker wired as issuer/service.go does.
type env struct {
	Server *resource.Server
	Store  *memory.Store
	Clock  *testclock.Clock
	Auth   *fakeAuth
	Mint   *token.Minter
	Proofs *proof.Checker
	Cfg    resource.Config
	Def    issuer.Config
}

// newEnv builds the server from the issuer's defaults, with the DPoP
// config changed by opts, the clients rs, wallet, other and attested, and
// the user alice.
func newEnv(t testing.TB, opts ...func(*proof.Config)) *env {
	t.Helper()
	def := issuer.Defaults()
	clk := testclock.New(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))
	st := memory.New()
	nonces, err := nonce.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	mint, err := token.New(t.Context(), token.Config{
		Issuer: issuerURL, AccessTTL: def.Tokens.AccessTokenTTL, MaxBearerTTL: 5 * time.Minute,
		IDTokenTTL: def.Authorization.IDTokenTTL, CNonceTTL: def.Tokens.CNonceTTL,
	}, st, nonces, clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	pcfg := proof.Config{
		Algs: def.DPoP.Algs, MaxAge: def.DPoP.MaxAge, FutureSkew: def.DPoP.FutureSkew,
		UseNonce: def.DPoP.UseNonce, NonceTTL: def.DPoP.NonceTTL, Now: clk.Now,
	}
	for _, o := range opts {
		o(&pcfg)
	}
	proofs, err := proof.New(pcfg, nonces)
	if err != nil {
		t.Fatal(err)
	}
	cfg := resource.Config{
		URL: issuerURL, UserInfoURL: userInfoURL,
		RefreshIdleTTL: def.Tokens.RefreshTokenIdleTTL, RefreshGrace: def.Tokens.RefreshGrace, Now: clk.Now,
	}
	auth := &fakeAuth{store: st}
	e := &env{
		Server: resource.New(cfg, st, auth, mint, proofs, nil),
		Store:  st, Clock: clk, Auth: auth, Mint: mint, Proofs: proofs, Cfg: cfg, Def: def,
	}
	for id, m := range map[string]string{
		rs: oauth.AuthClientSecretBasic, other: oauth.AuthClientSecretBasic,
		wallet: oauth.AuthNone, attested: oauth.AuthAttestJWT,
	} {
		if err := st.CreateClient(t.Context(), storage.Client{ID: id, AuthMethod: m}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.CreateUser(t.Context(), storage.User{ID: aliceID, Username: "alice", Claims: []byte(`{"given_name":"Alice"}`)}); err != nil {
		t.Fatal(err)
	}
	return e
}

// access issues and stores an access token of g bound by b.
func (e *env) access(t testing.TB, g token.Grant, b oauth.Binding) (string, storage.Token) {
	t.Helper()
	tok, rec, err := e.Mint.Access(g, b, e.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	e.issue(t, rec)
	return tok, rec
}

// refresh issues and stores a refresh token of g for a confidential
// client, bound to b's instance.
func (e *env) refresh(t testing.TB, g token.Grant, b oauth.Binding) (string, storage.Token) {
	t.Helper()
	now := e.Clock.Now()
	tok, rec, err := token.NewRefresh(g, false, b, now, now.Add(e.Def.Tokens.RefreshTokenTTL))
	if err != nil {
		t.Fatal(err)
	}
	e.issue(t, rec)
	return tok, rec
}

func (e *env) issue(t testing.TB, recs ...storage.Token) {
	t.Helper()
	if err := e.Store.IssueTokens(t.Context(), storage.Issuance{Now: e.Clock.Now(), Tokens: recs}); err != nil {
		t.Fatal(err)
	}
}

// stored is the record of a token.
func (e *env) stored(t testing.TB, id string) storage.Token {
	t.Helper()
	rec, err := e.Store.GetToken(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// revoked reports whether the token id is revoked in the store.
func (e *env) revoked(t testing.TB, id string) bool {
	t.Helper()
	return e.stored(t, id).Revoked
}

// unchanged fails the test if the record of rec.ID changed.
func (e *env) unchanged(t testing.TB, before storage.Token) {
	t.Helper()
	if after := e.stored(t, before.ID); !reflect.DeepEqual(after, before) {
		t.Errorf("the refusal changed the token:\n got %+v\nwant %+v", after, before)
	}
}

// request is a revocation or introspection request of client for tok.
func request(client, tok string) clientauth.Request {
	p := map[string]string{"token": tok}
	if client != "" {
		p["client_id"] = client
	}
	return clientauth.Request{Params: p}
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func thumbprint(t testing.TB, k crypto.Signer) string {
	t.Helper()
	jkt, err := dpop.Thumbprint(k.Public())
	if err != nil {
		t.Fatal(err)
	}
	return jkt
}

// wantError asserts that err is the oauth error code.
func wantError(t testing.TB, err error, code string) *oauth.Error {
	t.Helper()
	return oauthtest.WantError(t, err, code, "")
}
