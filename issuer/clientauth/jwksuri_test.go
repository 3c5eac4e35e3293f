package clientauth_test

import (
	"crypto/ecdsa"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"issuer/issuer/clientauth"
	"issuer/issuer/clients"
	"issuer/issuer/oauth"
)

// The keys of private_key_jwt clients registered with jwks_uri: fetched
// with a timeout and a size cap, cached for 5 minutes, fetched again for
// an unknown kid (a key rotation) at most every 30 s, and the cached set
// kept when a refetch fails.

const unfetchable = "the client's keys could not be fetched"

// jwksServer serves a client's JWK set on loopback and counts the fetches.
type jwksServer struct {
	*httptest.Server
	mu      sync.Mutex
	body    string
	status  int
	delay   time.Duration
	fetches atomic.Int32
}

func newJWKSServer(t *testing.T, body string) *jwksServer {
	t.Helper()
	js := &jwksServer{body: body, status: http.StatusOK}
	js.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		js.fetches.Add(1)
		js.mu.Lock()
		body, status, delay := js.body, js.status, js.delay
		js.mu.Unlock()
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(js.Close)
	return js
}

func (js *jwksServer) set(body string, status int) {
	js.mu.Lock()
	defer js.mu.Unlock()
	js.body, js.status = body, status
}

// jwksFixture is an environment with client "remote" registered with
// the server's jwks_uri.
type jwksFixture struct {
	*asFixture
	JS *jwksServer
}

func jwksSetup(t *testing.T, body string, opts ...func(*clientauth.Config)) *jwksFixture {
	t.Helper()
	f := &jwksFixture{asFixture: asSetup(t, opts...), JS: newJWKSServer(t, body)}
	f.register(t, clients.Metadata{ClientID: "remote", TokenEndpointAuthMethod: oauth.AuthPrivateKeyJWT, JWKSURI: f.JS.URL + "/jwks"})
	return f
}

// remote authenticates the remote client with an assertion signed by key
// under kid ("" for none).
func (f *jwksFixture) remote(t *testing.T, key *ecdsa.PrivateKey, kid string) error {
	t.Helper()
	h := map[string]any{"alg": "ES256"}
	if kid != "" {
		h["kid"] = kid
	}
	c, _, err := f.authenticate(t, assertion(signES256(t, key, h, f.claims("remote"))))
	if err == nil && (c == nil || c.ID != "remote") {
		t.Fatalf("Authenticate() = %+v; want client remote", c)
	}
	return err
}

func wantRefused(t *testing.T, err error, desc string) {
	t.Helper()
	wantError(t, nil, err, oauth.CodeInvalidClient, desc)
}

func TestJWKSURIFetchAndCache(t *testing.T) {
	k1, k2 := newKey(t), newKey(t)
	f := jwksSetup(t, string(keySet(t, jwkWithKid(k1, "k1"))))
	if err := f.remote(t, k1, "k1"); err != nil {
		t.Fatalf("first assertion: %v", err)
	}
	if err := f.remote(t, k1, ""); err != nil {
		t.Fatalf("assertion without kid: %v", err)
	}
	if n := f.JS.fetches.Load(); n != 1 {
		t.Fatalf("%d fetches; want 1 (cached)", n)
	}

	// The client rotates to k2.
	f.JS.set(string(keySet(t, jwkWithKid(k2, "k2"))), http.StatusOK)
	f.Clock.Advance(10 * time.Second)
	wantRefused(t, f.remote(t, k2, "k2"), "bad client assertion signature")
	if n := f.JS.fetches.Load(); n != 1 {
		t.Fatalf("%d fetches; want no refetch within 30 s", n)
	}
	f.Clock.Advance(21 * time.Second)
	if err := f.remote(t, k2, "k2"); err != nil {
		t.Fatalf("a new kid after 31 s: %v; want a refetch", err)
	}
	if n := f.JS.fetches.Load(); n != 2 {
		t.Fatalf("%d fetches; want 2", n)
	}
	wantRefused(t, f.remote(t, k1, "k1"), "bad client assertion signature")

	// Without a kid, the set is fetched again only when stale (5 minutes).
	f.JS.set(string(keySet(t, jwkWithKid(k1, "k1"))), http.StatusOK)
	f.Clock.Advance(4 * time.Minute)
	wantRefused(t, f.remote(t, k1, ""), "bad client assertion signature")
	f.Clock.Advance(time.Minute)
	if err := f.remote(t, k1, ""); err != nil {
		t.Fatalf("after 5 minutes: %v; want a refetch", err)
	}
}

// TestJWKSURIFailureKeepsFreshCache: a failed refetch keeps the cached
// set while it is fresh, and refuses once it is stale.
func TestJWKSURIFailureKeepsFreshCache(t *testing.T) {
	k1 := newKey(t)
	f := jwksSetup(t, string(keySet(t, jwkWithKid(k1, "k1"))))
	if err := f.remote(t, k1, "k1"); err != nil {
		t.Fatal(err)
	}
	f.JS.set("down", http.StatusServiceUnavailable)
	f.Clock.Advance(time.Minute)
	// The refetch for an unknown kid fails: the fresh cached set answers,
	// which has no such key.
	wantRefused(t, f.remote(t, k1, "k9"), "bad client assertion signature")
	if n := f.JS.fetches.Load(); n != 2 {
		t.Fatalf("%d fetches; want the refetch for the unknown kid", n)
	}
	if err := f.remote(t, k1, "k1"); err != nil {
		t.Fatalf("cached key while the server is down: %v", err)
	}
	f.Clock.Advance(5 * time.Minute)
	before := f.Store.Recorded()
	wantRefused(t, f.remote(t, k1, "k1"), unfetchable)
	f.wantNothingStored(t, before)
}

// TestJWKSURIRefusedDocuments: what the jwks_uri answers must be a JWK set
// of at most 64 KiB with a usable public key, in time.
func TestJWKSURIRefusedDocuments(t *testing.T) {
	k := newKey(t)
	priv := jwkWithKid(k, "k1")
	priv["d"] = b64(k.D.FillBytes(make([]byte, 32)))
	for _, tc := range []struct {
		name string
		mod  func(js *jwksServer)
	}{
		{"not found", func(js *jwksServer) { js.set(string(keySet(t, jwkWithKid(k, "k1"))), http.StatusNotFound) }},
		{"not a JWK set", func(js *jwksServer) { js.set("<html>", http.StatusOK) }},
		{"1 byte over 64 KiB", func(js *jwksServer) { js.set(padded(string(keySet(t, jwkWithKid(k, "k1"))), 64<<10+1), http.StatusOK) }},
		{"only a private key", func(js *jwksServer) { js.set(string(keySet(t, priv)), http.StatusOK) }},
		{"an empty set", func(js *jwksServer) { js.set(`{"keys":[]}`, http.StatusOK) }},
		{"slower than the timeout", func(js *jwksServer) {
			js.mu.Lock()
			js.delay = 2 * time.Second
			js.mu.Unlock()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := jwksSetup(t, string(keySet(t, jwkWithKid(k, "k1"))), func(c *clientauth.Config) { c.JWKSFetchTimeout = 200 * time.Millisecond })
			tc.mod(f.JS)
			before := f.Store.Recorded()
			wantRefused(t, f.remote(t, k, "k1"), unfetchable)
			f.wantNothingStored(t, before)
		})
	}
	t.Run("a private key beside a public one is skipped", func(t *testing.T) {
		other := newKey(t)
		f := jwksSetup(t, string(keySet(t, priv, jwkWithKid(other, "k2"))))
		wantRefused(t, f.remote(t, k, "k1"), "bad client assertion signature")
		if err := f.remote(t, other, "k2"); err != nil {
			t.Fatalf("the public key: %v", err)
		}
	})
	t.Run("64 KiB is read", func(t *testing.T) {
		f := jwksSetup(t, padded(string(keySet(t, jwkWithKid(k, "k1"))), 64<<10))
		if err := f.remote(t, k, "k1"); err != nil {
			t.Fatalf("a 64 KiB document: %v", err)
		}
	})
}

// padded is the JWK set document set padded with a member to n bytes.
func padded(set string, n int) string {
	pad := n - len(set) - len(`,"pad":""`)
	return strings.TrimSuffix(set, "}") + `,"pad":"` + strings.Repeat("x", pad) + `"}`
}

// TestJWKSURIFetchesAreLimited: a jwks_uri that fails is not fetched again
// for every assertion that names an unknown kid (anyone can send those: the
// keys are fetched before the signature is checked), and concurrent first
// assertions share one fetch.
func TestJWKSURIFetchesAreLimited(t *testing.T) {
	k1 := newKey(t)
	t.Run("a failing jwks_uri", func(t *testing.T) {
		f := jwksSetup(t, string(keySet(t, jwkWithKid(k1, "k1"))))
		if err := f.remote(t, k1, "k1"); err != nil {
			t.Fatal(err)
		}
		f.JS.set("down", http.StatusServiceUnavailable)
		f.Clock.Advance(time.Minute)
		for _, kid := range []string{"k5", "k6", "k7", "k8", "k9"} {
			wantRefused(t, f.remote(t, k1, kid), "bad client assertion signature")
		}
		if n := f.JS.fetches.Load(); n != 2 {
			t.Fatalf("%d fetches for 5 unknown kids while the jwks_uri fails; want 2 (one refetch)", n)
		}
		f.Clock.Advance(5 * time.Minute) // stale: refused, one attempt per 30 s
		for range 5 {
			wantRefused(t, f.remote(t, k1, "k1"), unfetchable)
		}
		if n := f.JS.fetches.Load(); n != 3 {
			t.Fatalf("%d fetches; want 3", n)
		}
		f.JS.set(string(keySet(t, jwkWithKid(k1, "k1"))), http.StatusOK)
		f.Clock.Advance(30 * time.Second)
		if err := f.remote(t, k1, "k1"); err != nil {
			t.Fatalf("after 30 s with the jwks_uri back: %v", err)
		}
	})
	t.Run("concurrent first assertions", func(t *testing.T) {
		f := jwksSetup(t, string(keySet(t, jwkWithKid(k1, "k1"))))
		f.JS.mu.Lock()
		f.JS.delay = 100 * time.Millisecond
		f.JS.mu.Unlock()
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Go(func() { errs[i] = f.remote(t, k1, "k1") })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("assertion %d: %v", i, err)
			}
		}
		if n := f.JS.fetches.Load(); n != 1 {
			t.Fatalf("%d fetches for 8 concurrent assertions; want 1", n)
		}
	})
}
