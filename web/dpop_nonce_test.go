package web_test

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"issuer/dpop"
	"issuer/issuer"
)

// dpNoNonceHeader asserts that res carries no DPoP-Nonce header.
func dpNoNonceHeader(t testing.TB, res *http.Response) {
	t.Helper()
	if vs := res.Header.Values("DPoP-Nonce"); len(vs) != 0 {
		t.Errorf("DPoP-Nonce headers = %q; want none while server nonces are off", vs)
	}
}

// TestDPoPReplay covers F18, F19 and F21, and replays that come with a
// bad grant.
func TestDPoPReplay(t *testing.T) {
	t.Run("F18 the same proof twice", func(t *testing.T) {
		ts := newTestServer(t)
		w := newWallet(t)
		p := dpProof(t, ts, w, "")
		dpWantDPoPToken(t, ts.redeem(t, code(ts.offer(t, nil)), p, nil), w.JKT)
		o := ts.offer(t, nil)
		wantError(t, ts.redeem(t, code(o), p, nil), http.StatusBadRequest, dpInvalidProof)
		dpStillRedeems(t, ts, code(o), "")
	})

	t.Run("F21 same jti with a fresh signature and iat", func(t *testing.T) {
		ts := newTestServer(t)
		w := newWallet(t)
		jti := randomJTI()
		dpWantDPoPToken(t, ts.redeem(t, code(ts.offer(t, nil)), dpSign(t, ts, w.Key, "ES256", dpop.Claims{JTI: jti}), nil), w.JKT)
		ts.Clock.Advance(2 * time.Second)
		again := dpSign(t, ts, w.Key, "ES256", dpop.Claims{JTI: jti})
		o := ts.offer(t, nil)
		wantError(t, ts.redeem(t, code(o), again, nil), http.StatusBadRequest, dpInvalidProof)
		dpStillRedeems(t, ts, code(o), "")
	})

	t.Run("F18 used proof with an unknown code is reported as a replay", func(t *testing.T) {
		ts := newTestServer(t)
		w := newWallet(t)
		p := dpProof(t, ts, w, "")
		dpWantDPoPToken(t, ts.redeem(t, code(ts.offer(t, nil)), p, nil), w.JKT)
		wantError(t, ts.redeem(t, "no-such-code", p, nil), http.StatusBadRequest, dpInvalidProof)
	})

	t.Run("F18 proof of a request refused for its grant cannot be reused", func(t *testing.T) {
		ts := newTestServer(t)
		w := newWallet(t)
		p := dpProof(t, ts, w, "")
		wantError(t, ts.redeem(t, "no-such-code", p, nil), http.StatusBadRequest, dpInvalidGrant)
		wantError(t, ts.redeem(t, "no-such-code", p, nil), http.StatusBadRequest, dpInvalidProof)
		o := ts.offer(t, nil)
		wantError(t, ts.redeem(t, code(o), p, nil), http.StatusBadRequest, dpInvalidProof)
		dpStillRedeems(t, ts, code(o), "")
	})

	t.Run("F19 the same proof in 16 parallel requests", func(t *testing.T) {
		ts := newTestServer(t)
		w := newWallet(t)
		p := dpProof(t, ts, w, "")
		const n = 16
		offers := make([]issuer.OfferResponse, n)
		for i := range offers {
			offers[i] = ts.offer(t, nil)
		}
		results := make([]dpResult, n)
		var start, done sync.WaitGroup
		start.Add(1)
		for i := range n {
			done.Go(func() {
				start.Wait()
				results[i] = dpRedeemRaw(ts, code(offers[i]), p, nil)
			})
		}
		start.Done()
		done.Wait()
		ok := 0
		for i, r := range results {
			switch {
			case r.err != nil:
				t.Fatalf("request %d: %v", i, r.err)
			case r.status == http.StatusOK:
				ok++
			case r.status != http.StatusBadRequest || r.errorCode() != dpInvalidProof:
				t.Errorf("request %d = %d %s; want 200 or 400 %s", i, r.status, r.body, dpInvalidProof)
			}
		}
		if ok != 1 {
			t.Fatalf("%d of %d parallel requests with one proof succeeded; want exactly 1", ok, n)
		}
		// The losers' codes were not consumed.
		for i, r := range results {
			if r.status != http.StatusOK {
				dpStillRedeems(t, ts, code(offers[i]), "")
			}
		}
	})
}

// ---------------------------------------------------------------------------
// G. Server nonces
// ---------------------------------------------------------------------------

// dpNonceServer starts a server with DPoP server nonces on.
func dpNonceServer(t *testing.T) *testServer {
	t.Helper()
	return newTestServer(t, func(c *issuer.Config) { c.DPoP.UseNonce = true })
}

// dpGetNonce makes a nonce-less request for a throw-away offer and returns
// the DPoP-Nonce of its use_dpop_nonce answer.
func dpGetNonce(t *testing.T, ts *testServer) string {
	t.Helper()
	res := ts.redeem(t, code(ts.offer(t, nil)), dpProof(t, ts, newWallet(t), ""), nil)
	n := dpNonceHeader(t, res)
	wantError(t, res, http.StatusBadRequest, dpUseNonce)
	return n
}

func TestDPoPNonce(t *testing.T) {
	t.Run("G01 G02 first request without nonce, then the retry with it", func(t *testing.T) {
		ts := dpNonceServer(t)
		w := newWallet(t)
		o := ts.offer(t, nil)
		res := ts.redeem(t, code(o), dpProof(t, ts, w, ""), nil)
		n := dpNonceHeader(t, res)
		wantError(t, res, http.StatusBadRequest, dpUseNonce)
		// G02: the code was not consumed; the retry succeeds.
		res = ts.redeem(t, code(o), dpProof(t, ts, w, n), nil)
		fresh := dpNonceHeader(t, res)
		dpWantDPoPToken(t, res, w.JKT) // also asserts Cache-Control: no-store (DPOP-33)
		if fresh == n {
			t.Errorf("DPoP-Nonce of the 200 = the nonce just used; want a fresh one")
		}
	})

	t.Run("G03 proof without nonce after a nonce was issued", func(t *testing.T) {
		ts := dpNonceServer(t)
		w := newWallet(t)
		n := dpGetNonce(t, ts)
		dpWantDPoPToken(t, ts.redeem(t, code(ts.offer(t, nil)), dpProof(t, ts, w, n), nil), w.JKT)
		o := ts.offer(t, nil)
		res := ts.redeem(t, code(o), dpProof(t, ts, w, ""), nil)
		n2 := dpNonceHeader(t, res)
		wantError(t, res, http.StatusBadRequest, dpUseNonce)
		dpStillRedeems(t, ts, code(o), n2)
	})

	t.Run("G04 stale nonce", func(t *testing.T) {
		ts := dpNonceServer(t)
		w := newWallet(t)
		o := ts.offer(t, nil)
		n := dpGetNonce(t, ts)
		ts.Clock.Advance(ts.Svc.Config().DPoP.NonceTTL + time.Second)
		res := ts.redeem(t, code(o), dpProof(t, ts, w, n), nil) // signed at the advanced clock
		n2 := dpNonceHeader(t, res)
		wantError(t, res, http.StatusBadRequest, dpUseNonce)
		if n2 == n {
			t.Errorf("DPoP-Nonce = the stale nonce; want a new one")
		}
		// The new nonce works and the code is still usable.
		dpWantDPoPToken(t, ts.redeem(t, code(o), dpProof(t, ts, w, n2), nil), w.JKT)
	})

	garbage := []struct {
		name  string
		nonce func(t *testing.T, ts *testServer) string
	}{
		{"G05 random garbage nonce", func(*testing.T, *testServer) string { return "garbage-nonce" }},
		{"G05 random base64url nonce of a nonce's length", func(t *testing.T, ts *testServer) string {
			n := dpGetNonce(t, ts)
			b := make([]byte, base64.RawURLEncoding.DecodedLen(len(n)))
			_, _ = rand.Read(b)
			return base64.RawURLEncoding.EncodeToString(b)
		}},
		{"G05 issued nonce with one character changed", func(t *testing.T, ts *testServer) string {
			n := []byte(dpGetNonce(t, ts))
			if n[10] == 'A' {
				n[10] = 'B'
			} else {
				n[10] = 'A'
			}
			return string(n)
		}},
		{"G07 c_nonce from the nonce endpoint", func(t *testing.T, ts *testServer) string {
			res := ts.post(t, issuer.PathNonce, url.Values{}, nil)
			body := readBody(t, res)
			var cn issuer.CNonceResponse
			if res.StatusCode != http.StatusOK || json.Unmarshal(body, &cn) != nil || cn.CNonce == "" {
				t.Fatalf("POST %s = %d %s; want 200 with a c_nonce", issuer.PathNonce, res.StatusCode, body)
			}
			return cn.CNonce
		}},
		{"G07 c_nonce from a token response", func(t *testing.T, ts *testServer) string {
			tb := dpStillRedeems(t, ts, code(ts.offer(t, nil)), dpGetNonce(t, ts))
			if tb.CNonce == "" {
				t.Fatal("test setup: the token response has no c_nonce")
			}
			return tb.CNonce
		}},
	}
	for _, tc := range garbage {
		t.Run(tc.name, func(t *testing.T) {
			ts := dpNonceServer(t)
			w := newWallet(t)
			o := ts.offer(t, nil)
			bad := tc.nonce(t, ts)
			res := ts.redeem(t, code(o), dpProof(t, ts, w, bad), nil)
			n := dpNonceHeader(t, res)
			wantError(t, res, http.StatusBadRequest, dpUseNonce)
			dpStillRedeems(t, ts, code(o), n)
		})
	}

	t.Run("DPOP-31 every response carries exactly one DPoP-Nonce", func(t *testing.T) {
		ts := dpNonceServer(t)
		w := newWallet(t)
		o := ts.offer(t, nil)
		// No DPoP header at all.
		res := ts.redeem(t, code(o), "", nil)
		dpNonceHeader(t, res)
		wantError(t, res, http.StatusBadRequest, dpInvalidRequest)
		// An invalid proof.
		res = ts.redeem(t, code(o), dpMutate(t, ts, w, func(h, _ map[string]any) { h["typ"] = "JWT" }), nil)
		dpNonceHeader(t, res)
		wantError(t, res, http.StatusBadRequest, dpInvalidProof)
		// An unknown code with a good proof and nonce.
		n := dpGetNonce(t, ts)
		res = ts.redeem(t, "no-such-code", dpProof(t, ts, w, n), nil)
		dpNonceHeader(t, res)
		wantError(t, res, http.StatusBadRequest, dpInvalidGrant)
		dpStillRedeems(t, ts, code(o), n)
	})

	t.Run("nonces off: no response carries DPoP-Nonce", func(t *testing.T) {
		ts := newTestServer(t)
		w := newWallet(t)
		o := ts.offer(t, nil)
		res := ts.redeem(t, code(o), "", nil)
		dpNoNonceHeader(t, res)
		wantError(t, res, http.StatusBadRequest, dpInvalidRequest)
		res = ts.redeem(t, code(o), dpMutate(t, ts, w, func(h, _ map[string]any) { h["typ"] = "JWT" }), nil)
		dpNoNonceHeader(t, res)
		wantError(t, res, http.StatusBadRequest, dpInvalidProof)
		res = ts.redeem(t, "no-such-code", dpProof(t, ts, w, ""), nil)
		dpNoNonceHeader(t, res)
		wantError(t, res, http.StatusBadRequest, dpInvalidGrant)
		res = ts.redeem(t, code(o), dpProof(t, ts, w, ""), nil)
		dpNoNonceHeader(t, res)
		dpWantDPoPToken(t, res, w.JKT)
		res = ts.post(t, issuer.PathNonce, url.Values{}, nil)
		dpNoNonceHeader(t, res)
		readBody(t, res)
	})
}
