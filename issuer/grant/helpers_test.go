package grant_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"issuer/dpop"
	"issuer/issuer"
	"issuer/issuer/authz"
	"issuer/issuer/clientauth"
	"issuer/issuer/grant"
	"issuer/issuer/oauth"
	"issuer/issuer/oauth/oauthtest"
	"issuer/issuer/offer"
	"issuer/issuer/proof"
	"issuer/issuer/testclock"
	"issuer/issuer/token"
	"issuer/issuer/walletprovider"
	"issuer/nonce"
	"issuer/pkce"
	"issuer/storage"
	"issuer/storage/memory"
)

const (
	issuerURL = "https://issuer.example"
	tokenURL  = issuerURL + "/token"
	pid       = "eu.europa.ec.eudi.pid_vc_sd_jwt"
	// wallet is a public client; conf a confidential one (client_secret_post).
	wallet   = "wallet"
	conf     = "conf"
	secret   = "conf-secret"
	redirect = "https://wallet.example/cb"
	verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	alice    = "alice"
	password = "alice's password"
)

// writes counts the successful writes of the grants: token issuances
// (IssueTokens, Redeem, RedeemAuthCode, UseRefreshToken) and replay keys.
type writes struct{ Issued, Replays int }

// countingStore is the memory store counting the grants' writes, so that
// a test asserts that a refused request stored nothing.
type countingStore struct {
	*memory.Store
	mu sync.Mutex
	n  writes
	// redeemedAsRead is the Offer of the last Redeem.
	redeemedAsRead *storage.Offer
}

func (s *countingStore) count(err error, f func(*writes)) error {
	if err == nil {
		s.mu.Lock()
		f(&s.n)
		s.mu.Unlock()
	}
	return err
}

func issued(w *writes) { w.Issued++ }

func (s *countingStore) IssueTokens(ctx context.Context, r storage.Issuance) error {
	return s.count(s.Store.IssueTokens(ctx, r), issued)
}

func (s *countingStore) Redeem(ctx context.Context, r storage.Redemption) error {
	s.mu.Lock()
	s.redeemedAsRead = r.Offer
	s.mu.Unlock()
	return s.count(s.Store.Redeem(ctx, r), issued)
}

// lastRedeemOffer returns the Offer the last Redeem carried.
func (s *countingStore) lastRedeemOffer() *storage.Offer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.redeemedAsRead
}

func (s *countingStore) RedeemAuthCode(ctx context.Context, r storage.Redemption) error {
	return s.count(s.Store.RedeemAuthCode(ctx, r), issued)
}

func (s *countingStore) UseRefreshToken(ctx context.Context, u storage.RefreshUse) error {
	return s.count(s.Store.UseRefreshToken(ctx, u), issued)
}

func (s *countingStore) UseReplayKey(ctx context.Context, key []byte, exp, now time.Time) error {
	return s.count(s.Store.UseReplayKey(ctx, key, exp, now), func(w *writes) { w.Replays++ })
}

func (s *countingStore) writes() writes {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

// env is the token endpoint on a memory store with its parts.
type env struct {
	Grants *grant.Endpoint
	Store  *countingStore
	Clock  *testclock.Clock
	Mint   *token.Minter
	Offers *offer.Offers
	Cfg    grant.Config
	// Key and Other are two wallet keys for DPoP proofs.
	Key, Other *ecdsa.PrivateKey
}

// newEnv builds the token endpoint as issuer/service.go wires it, from a
// memory store, the issuer's defaults (DPoP required, anonymous
// pre-authorized access) changed by opts, and a settable clock; it
// registers the public client "wallet", the confidential client "conf"
// and the user alice.
func newEnv(t testing.TB, opts ...func(*grant.Config)) *env {
	t.Helper()
	ctx := t.Context()
	def := issuer.Defaults()
	clk := testclock.New(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))
	st := &countingStore{Store: memory.New()}
	sec, err := st.GetOrCreateSecret(ctx, "nonce", token.RandomBytes32)
	if err != nil {
		t.Fatal(err)
	}
	nonces, err := nonce.New(sec)
	if err != nil {
		t.Fatal(err)
	}
	mint, err := token.New(ctx, token.Config{
		Issuer: issuerURL, AccessTTL: def.Tokens.AccessTokenTTL, MaxBearerTTL: 5 * time.Minute,
		IDTokenTTL: def.Authorization.IDTokenTTL, CNonceTTL: def.Tokens.CNonceTTL,
	}, st, nonces, clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	proofs, err := proof.New(proof.Config{
		Algs: def.DPoP.Algs, MaxAge: def.DPoP.MaxAge, FutureSkew: def.DPoP.FutureSkew,
		NonceTTL: def.DPoP.NonceTTL, Now: clk.Now,
	}, nonces)
	if err != nil {
		t.Fatal(err)
	}
	auth := clientauth.New(clientauth.Config{
		URL: issuerURL, TokenURL: tokenURL, PARURL: issuerURL + "/par",
		JWKSFetchTimeout: def.ClientAuth.JWKSFetchTimeout, Attestation: def.ClientAttestation, Now: clk.Now,
	}, st, walletprovider.New(nil, st, clk.Now, nil), nonces, nil)
	offers := offer.New(offer.Config{
		URL: issuerURL, Configurations: def.CredentialConfigurations,
		CodeTTL: def.PreAuthorized.CodeTTL, MaxCodeTTL: def.PreAuthorized.MaxCodeTTL,
		TxCodeMaxAttempts: def.PreAuthorized.TxCodeMaxAttempts, Now: clk.Now,
	}, st)
	users := authz.NewUsers(st, clk.Now).WithHashing(authz.PasswordHashing{MemoryKiB: 64, Passes: 1}) // tests only: cheap hashes
	az := authz.New(authz.Config{
		URL: issuerURL, PARURL: issuerURL + "/par", RequirePAR: def.Authorization.RequirePAR,
		RequestURITTL: def.Authorization.RequestURITTL, LoginTTL: def.Authorization.LoginTTL,
		CodeTTL: def.Authorization.CodeTTL, Configurations: def.CredentialConfigurations, Now: clk.Now,
	}, st, authz.Parts{Auth: auth, Offers: offers, Users: users, VerifyProof: proofs.Verify}, nil)
	cfg := grant.Config{
		URL: issuerURL, TokenURL: tokenURL, RequireDPoP: def.DPoP.Policy == issuer.DPoPRequired,
		AnonymousAccess: def.AnonymousAccess(), RefreshTTL: def.Tokens.RefreshTokenTTL,
		RefreshIdleTTL: def.Tokens.RefreshTokenIdleTTL, RefreshGrace: def.Tokens.RefreshGrace,
		RotateRefresh: def.Tokens.RotateRefreshTokens, Now: clk.Now,
	}
	for _, o := range opts {
		o(&cfg)
	}
	e := &env{
		Grants: grant.New(cfg, st, grant.Parts{Auth: auth, Proofs: proofs, Mint: mint, Offers: offers, Authz: az, Users: users}, nil),
		Store:  st, Clock: clk, Mint: mint, Offers: offers, Cfg: cfg, Key: newKey(t), Other: newKey(t),
	}
	e.client(t, storage.Client{ID: wallet, AuthMethod: oauth.AuthNone, GrantTypes: []string{
		oauth.GrantPreAuthorizedCode, oauth.GrantAuthorizationCode, oauth.GrantRefreshToken,
	}})
	sum := sha256.Sum256([]byte(secret))
	e.client(t, storage.Client{ID: conf, AuthMethod: oauth.AuthClientSecretPost, SecretHash: sum[:], Scope: "read write admin", GrantTypes: []string{
		oauth.GrantAuthorizationCode, oauth.GrantClientCredentials, oauth.GrantRefreshToken, oauth.GrantPassword,
	}})
	if _, err := users.Create(ctx, authz.UserRequest{Username: alice, Password: password}); err != nil {
		t.Fatal(err)
	}
	return e
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// client registers c with the redirect URI.
func (e *env) client(t testing.TB, c storage.Client) {
	t.Helper()
	c.RedirectURIs = []string{redirect}
	if err := e.Store.CreateClient(t.Context(), c); err != nil {
		t.Fatal(err)
	}
}

// proof signs a valid ES256 proof of key for POST /token at the clock.
func (e *env) proof(t testing.TB, key *ecdsa.PrivateKey) string {
	t.Helper()
	p, err := dpop.Sign(key, "ES256", dpop.Claims{Method: "POST", URL: tokenURL, IssuedAt: e.Clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// jkt is the thumbprint of key's proofs.
func jkt(t testing.TB, key *ecdsa.PrivateKey) string {
	t.Helper()
	jkt, err := dpop.Thumbprint(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	return jkt
}

// token runs a token request of params with the DPoP headers proofs.
func (e *env) token(t testing.TB, params map[string]string, proofs ...string) (*token.Response, error) {
	t.Helper()
	return e.Grants.Token(t.Context(), grant.TokenRequest{
		Request: clientauth.Request{Params: params, RemoteIP: "192.0.2.1"}, DPoP: proofs,
	})
}

// mustToken runs a token request that must succeed.
func (e *env) mustToken(t testing.TB, params map[string]string, proofs ...string) *token.Response {
	t.Helper()
	resp, err := e.token(t, params, proofs...)
	if err != nil {
		t.Fatalf("Token(%v) = %v", params, err)
	}
	return resp
}

// refused runs a request that must fail with code (and desc unless
// empty) and store nothing but, when replays is 1, the proof's replay key.
func (e *env) refused(t testing.TB, params map[string]string, code, desc string, replays int, proofs ...string) {
	t.Helper()
	before := e.Store.writes()
	_, err := e.token(t, params, proofs...)
	wantError(t, err, code, desc)
	after := e.Store.writes()
	if after.Issued != before.Issued || after.Replays != before.Replays+replays {
		t.Errorf("the refusal wrote %+v (before %+v); want no tokens and %d replay key(s)", after, before, replays)
	}
}

// offerCode creates an offer of pid for alice and returns its
// pre-authorized code (and transaction code, if withTx).
func (e *env) offerCode(t testing.TB, withTx bool) (code, tx string) {
	t.Helper()
	r := offer.Request{CredentialConfigurationIDs: []string{pid}, Subject: alice}
	if withTx {
		r.TxCode = &offer.TxCodeRequest{}
	}
	resp, err := e.Offers.Create(t.Context(), r)
	if err != nil {
		t.Fatal(err)
	}
	return resp.CredentialOffer.Grants.PreAuthorizedCode.PreAuthorizedCode, resp.TxCode
}

// authCode stores an authorization code of client for pid with the
// verifier's challenge, changed by mod, and returns the code.
func (e *env) authCode(t testing.TB, client string, mod func(*storage.AuthCode)) string {
	t.Helper()
	details, _ := json.Marshal([]oauth.AuthorizationDetail{{Type: oauth.TypeOpenIDCredential, CredentialConfigurationID: pid, CredentialIdentifiers: []string{"i-pid"}}})
	code := token.Random()
	now := e.Clock.Now()
	c := storage.AuthCode{
		ID: authz.CodeID(code), ClientID: client, RedirectURI: redirect, AuthorizationDetails: details,
		CodeChallenge: pkce.Challenge(verifier), Subject: alice, AuthTime: now,
		CreatedAt: now, ExpiresAt: now.Add(time.Minute),
	}
	if mod != nil {
		mod(&c)
	}
	if err := e.Store.CreateAuthCode(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	return code
}

// codeParams is the token request of the public wallet for code.
func codeParams(code string) map[string]string {
	return map[string]string{
		"grant_type": oauth.GrantAuthorizationCode, "client_id": wallet, "code": code,
		"redirect_uri": redirect, "code_verifier": verifier,
	}
}

// confParams are params authenticated as the confidential client.
func confParams(p map[string]string) map[string]string {
	p["client_id"], p["client_secret"] = conf, secret
	return p
}

// record returns the stored record of an access token.
func (e *env) record(t testing.TB, access string) storage.Token {
	t.Helper()
	c, err := e.Mint.VerifyAccess(access)
	if err != nil {
		t.Fatalf("VerifyAccess() = %v", err)
	}
	rec, err := e.Store.GetToken(t.Context(), c.Jti)
	if err != nil {
		t.Fatalf("GetToken() = %v", err)
	}
	return rec
}

// refreshRecord returns the stored record of a refresh token.
func (e *env) refreshRecord(t testing.TB, raw string) storage.Token {
	t.Helper()
	rec, err := e.Store.GetToken(t.Context(), token.RefreshID(raw))
	if err != nil {
		t.Fatalf("GetToken(refresh) = %v", err)
	}
	return rec
}

// wantError asserts that err is the oauth error code, with the
// description desc unless desc is empty.
var wantError = oauthtest.WantError
