package authz_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"issuer/dpop"
	"issuer/issuer"
	"issuer/issuer/authz"
	"issuer/issuer/clientauth"
	"issuer/issuer/oauth"
	"issuer/issuer/oauth/oauthtest"
	"issuer/issuer/offer"
	"issuer/issuer/testclock"
	"issuer/pkce"
	"issuer/storage"
	"issuer/storage/memory"
)

const (
	issuerURL = "https://issuer.example"
	parURL    = issuerURL + "/par"
	walletID  = "wallet"
	redirect  = "https://wallet.example/cb"
	pid       = "eu.europa.ec.eudi.pid_vc_sd_jwt"
	mdl       = "eu.europa.ec.eudi.pid_mso_mdoc"
	verifier  = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	alice     = "alice"
	password  = "alice's password"
	badLogin  = "the username or password is invalid"
	// jktA and jktB are two well-formed thumbprints.
	jktA = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
	jktB = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
)

// countingStore is the memory store counting the sessions, codes and
// replay keys created, so that a test asserts that a refusal stored
// nothing.
type countingStore struct {
	*memory.Store
	mu                       sync.Mutex
	sessions, codes, replays int
}

func (s *countingStore) CreateAuthSession(ctx context.Context, a storage.AuthSession) error {
	err := s.Store.CreateAuthSession(ctx, a)
	s.count(err, &s.sessions)
	return err
}

func (s *countingStore) CreateAuthCode(ctx context.Context, c storage.AuthCode) error {
	err := s.Store.CreateAuthCode(ctx, c)
	s.count(err, &s.codes)
	return err
}

func (s *countingStore) UseReplayKey(ctx context.Context, key []byte, exp, now time.Time) error {
	err := s.Store.UseReplayKey(ctx, key, exp, now)
	s.count(err, &s.replays)
	return err
}

func (s *countingStore) count(err error, n *int) {
	if err == nil {
		s.mu.Lock()
		*n++
		s.mu.Unlock()
	}
}

// counts are the numbers of sessions, codes and replay keys created.
func (s *countingStore) counts() [3]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return [3]int{s.sessions, s.codes, s.replays}
}

// fakeAuth authenticates the client named by client_id, or else by the
// Authorization header (a client that authenticates without client_id);
// an unknown or absent one is no client. Binding is the binding it returns.
type fakeAuth struct {
	store   storage.Store
	Binding oauth.Binding
}

func (a *fakeAuth) Authenticate(ctx context.Context, req clientauth.Request) (*storage.Client, oauth.Binding, error) {
	id := req.Params["client_id"]
	if id == "" {
		id = req.Authorization
	}
	c, err := a.store.GetClient(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, oauth.Binding{}, nil
	}
	return &c, a.Binding, err
}

// proofCall is a call of the fake DPoP verifier.
type proofCall struct{ raw, method, url string }

// fakeProofs verifies a "DPoP proof" "jkt#jti": the proof of the key
// jkt, with the replay key of the whole; "bad" is refused.
type fakeProofs struct {
	mu    sync.Mutex
	calls []proofCall
}

func (f *fakeProofs) verify(_ context.Context, raw, method, u string, now time.Time, _ string) (*dpop.Proof, error) {
	f.mu.Lock()
	f.calls = append(f.calls, proofCall{raw, method, u})
	f.mu.Unlock()
	if raw == "bad" {
		return nil, oauth.ErrInvalidDPoPProof("bad proof")
	}
	key := sha256.Sum256([]byte(raw))
	jkt, _, _ := strings.Cut(raw, "#")
	return &dpop.Proof{JKT: jkt, ReplayKey: key[:], ReplayExpiry: now.Add(time.Minute)}, nil
}

// env is the authorization flow on a memory store with its parts.
type env struct {
	Authz  *authz.Authz
	Users  *authz.Users
	Offers *offer.Offers
	Store  *countingStore
	Clock  *testclock.Clock
	Auth   *fakeAuth
	Proofs *fakeProofs
	Cfg    authz.Config
}

// newEnv builds the flow from a memory store, the issuer's default
// authorization settings (changed by opts), the offers, the users (with
// alice), a public client "wallet" and fakes for client authentication
// and DPoP proofs (their rules are tested in their packages).
func newEnv(t testing.TB, opts ...func(*authz.Config)) *env {
	t.Helper()
	def := issuer.Defaults()
	clk := testclock.New(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))
	cfg := authz.Config{
		URL: issuerURL, PARURL: parURL, RequirePAR: def.Authorization.RequirePAR,
		RequestURITTL: def.Authorization.RequestURITTL, LoginTTL: def.Authorization.LoginTTL,
		CodeTTL: def.Authorization.CodeTTL, Configurations: def.CredentialConfigurations, Now: clk.Now,
	}
	for _, o := range opts {
		o(&cfg)
	}
	st := &countingStore{Store: memory.New()}
	offers := offer.New(offer.Config{
		URL: issuerURL, Configurations: def.CredentialConfigurations,
		CodeTTL: def.PreAuthorized.CodeTTL, MaxCodeTTL: def.PreAuthorized.MaxCodeTTL,
		TxCodeMaxAttempts: def.PreAuthorized.TxCodeMaxAttempts, Now: clk.Now,
	}, st)
	users := authz.NewUsers(st, clk.Now).WithHashing(cheapHashing)
	auth := &fakeAuth{store: st}
	proofs := &fakeProofs{}
	e := &env{
		Authz: authz.New(cfg, st, authz.Parts{Auth: auth, Offers: offers, Users: users, VerifyProof: proofs.verify}, slog.New(slog.DiscardHandler)),
		Users: users, Offers: offers, Store: st, Clock: clk, Auth: auth, Proofs: proofs, Cfg: cfg,
	}
	e.client(t, storage.Client{ID: walletID, AuthMethod: oauth.AuthNone})
	if _, err := users.Create(t.Context(), authz.UserRequest{Username: alice, Password: password}); err != nil {
		t.Fatal(err)
	}
	return e
}

// client registers c, with the authorization_code grant and the redirect
// URI unless set.
func (e *env) client(t testing.TB, c storage.Client) {
	t.Helper()
	if c.GrantTypes == nil {
		c.GrantTypes = []string{oauth.GrantAuthorizationCode}
	}
	if c.RedirectURIs == nil {
		c.RedirectURIs = []string{redirect}
	}
	if err := e.Store.CreateClient(t.Context(), c); err != nil {
		t.Fatal(err)
	}
}

// params is a valid authorization request of the wallet for pid, with
// the values of mod set ("" deletes).
func params(mod map[string]string) map[string]string {
	p := map[string]string{
		"client_id": walletID, "response_type": "code", "redirect_uri": redirect, "state": "st",
		"code_challenge": pkce.Challenge(verifier), "code_challenge_method": "S256", "scope": pid,
	}
	for k, v := range mod {
		if v == "" {
			delete(p, k)
		} else {
			p[k] = v
		}
	}
	return p
}

// push pushes p with the DPoP headers and fails the test on an error.
func (e *env) push(t testing.TB, p map[string]string, proofs ...string) authz.PARResponse {
	t.Helper()
	res, err := e.Authz.PushAuthorizationRequest(t.Context(), authz.PARRequest{Request: clientauth.Request{Params: p, RemoteIP: "192.0.2.1"}, DPoP: proofs})
	if err != nil {
		t.Fatalf("PushAuthorizationRequest() = %v", err)
	}
	return res
}

// signIn is a sign-in in progress: the browser's cookie and the form's
// CSRF token.
type signIn struct{ Cookie, CSRF string }

// open takes the request_uri to the login page.
func (e *env) open(t testing.TB, uri string) signIn {
	t.Helper()
	res, err := e.Authz.Authorize(t.Context(), map[string]string{"client_id": walletID, "request_uri": uri})
	if err != nil || res.Page == nil || res.Page.Step != "login" || res.Cookie == "" || res.Page.CSRF == "" {
		t.Fatalf("Authorize() = %+v, %v; want the login page and a cookie", res, err)
	}
	return signIn{res.Cookie, res.Page.CSRF}
}

// login signs alice in and returns the consent step.
func (e *env) login(t testing.TB, s signIn) signIn {
	t.Helper()
	res, err := e.Authz.Login(t.Context(), authz.LoginForm{Cookie: s.Cookie, CSRF: s.CSRF, Username: alice, Password: password, RemoteIP: "192.0.2.1"})
	if err != nil || res.Page == nil || res.Page.Step != "consent" {
		t.Fatalf("Login() = %+v, %v; want the consent page", res, err)
	}
	return signIn{s.Cookie, res.Page.CSRF}
}

// approve approves and returns the redirect's query.
func (e *env) approve(t testing.TB, s signIn) url.Values {
	t.Helper()
	res, err := e.Authz.Decide(t.Context(), authz.DecisionForm{Cookie: s.Cookie, CSRF: s.CSRF, Approve: true})
	if err != nil {
		t.Fatalf("Decide() = %v", err)
	}
	return redirectQuery(t, res.RedirectURL)
}

// codeOf runs the pushed request through sign-in and consent and returns
// the stored code.
func (e *env) codeOf(t testing.TB, uri string) storage.AuthCode {
	t.Helper()
	q := e.approve(t, e.login(t, e.open(t, uri)))
	c, err := e.Store.GetAuthCode(t.Context(), authz.CodeID(q.Get("code")))
	if err != nil {
		t.Fatalf("GetAuthCode() = %v", err)
	}
	return c
}

// redirectQuery checks that u goes to the wallet's redirect URI with iss
// and returns its query.
func redirectQuery(t testing.TB, u string) url.Values {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil || p.Scheme+"://"+p.Host+p.Path != redirect {
		t.Fatalf("redirect %q; want %s", u, redirect)
	}
	q := p.Query()
	if q.Get("iss") != issuerURL {
		t.Errorf("redirect %q has iss %q; want %s (RFC 9207)", u, q.Get("iss"), issuerURL)
	}
	return q
}

// wantError asserts that err is the oauth error code, with the
// description desc unless desc is empty, and that it has a description.
func wantError(t testing.TB, err error, code, desc string) *oauth.Error {
	t.Helper()
	e := oauthtest.WantError(t, err, code, desc)
	if e.Description == "" {
		t.Errorf("error %s has no description", e.Code)
	}
	return e
}

// asRedirect reports whether err is a RedirectError, and sets *re.
func asRedirect(err error, re **authz.RedirectError) bool { return errors.As(err, re) }

// parRequest is a push of p from one address, without DPoP.
func parRequest(p map[string]string) authz.PARRequest {
	return authz.PARRequest{Request: clientauth.Request{Params: p, RemoteIP: "192.0.2.1"}}
}

// loginForm is the login form of s with a username and password, from
// one address.
func loginForm(s signIn, username, password string) authz.LoginForm {
	return authz.LoginForm{Cookie: s.Cookie, CSRF: s.CSRF, Username: username, Password: password, RemoteIP: "192.0.2.1"}
}

// cheapHashing is the test users' password hashing: argon2id at 64 KiB and
// one pass instead of the OWASP minimum, which under -race costs ~0.5 s a
// password (TestDefaultHashing checks the default).
var cheapHashing = authz.PasswordHashing{MemoryKiB: 64, Passes: 1}
