package web_test

import (
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"strings"
	"testing"
	"time"

	"issuer/issuer"
	"issuer/nonce"
)

// TestCNonceCheckedByCredentialEndpoint uses the Go API a credential
// endpoint in the same process calls (Service.Nonces): a c_nonce from the
// nonce endpoint or the token response checks out, is not a DPoP nonce,
// expires after tokens.c_nonce_ttl, and a forged one is refused.
func TestCNonceCheckedByCredentialEndpoint(t *testing.T) {
	ts := newTestServer(t)
	res := ts.post(t, "/nonce", nil, nil)
	var n issuer.CNonceResponse
	if err := json.Unmarshal(readBody(t, res), &n); err != nil || n.CNonce == "" {
		t.Fatalf("POST /nonce: %v", err)
	}
	tb := wantToken(t, ts.redeem(t, code(ts.offer(t, nil)), newWallet(t).Proof(t, ts.TokenURL(), ""), nil))
	check := ts.Svc.Nonces()
	for name, v := range map[string]string{"nonce endpoint": n.CNonce, "token response": tb.CNonce} {
		if err := check.Check(nonce.CNonce, v, ts.Clock.Now()); err != nil {
			t.Errorf("c_nonce from the %s: %v; want valid", name, err)
		}
		if err := check.Check(nonce.DPoP, v, ts.Clock.Now()); !errors.Is(err, nonce.ErrInvalid) {
			t.Errorf("c_nonce from the %s as a DPoP nonce: %v; want ErrInvalid", name, err)
		}
		if err := check.Check(nonce.CNonce, v, ts.Clock.Now().Add(5*time.Minute+time.Second)); !errors.Is(err, nonce.ErrExpired) {
			t.Errorf("c_nonce from the %s after its TTL: %v; want ErrExpired", name, err)
		}
	}
	forged := []byte(n.CNonce)
	forged[10] ^= 1
	if err := check.Check(nonce.CNonce, string(forged), ts.Clock.Now()); !errors.Is(err, nonce.ErrInvalid) {
		t.Errorf("forged c_nonce: %v; want ErrInvalid", err)
	}
}

// TestNonceEndpoint covers VCI-35..37 and L01.
func TestNonceEndpoint(t *testing.T) {
	ts := newTestServer(t)
	post := func(t *testing.T) string {
		t.Helper()
		res := sendRaw(t, http.MethodPost, ts.URL+"/nonce", "", nil, nil) // Content-Length: 0, no Authorization
		body := readBody(t, res)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("POST /nonce = %d %s; want 200", res.StatusCode, body)
		}
		if mt, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type")); mt != "application/json" {
			t.Errorf("Content-Type = %q; want application/json", res.Header.Get("Content-Type"))
		}
		if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("Cache-Control = %q; want no-store", cc)
		}
		var out map[string]any
		if err := json.Unmarshal(body, &out); err != nil {
			t.Fatal(err)
		}
		n, _ := out["c_nonce"].(string)
		if n == "" {
			t.Fatalf("body %s has no c_nonce string", body)
		}
		return n
	}
	t.Run("VCI-36 two calls differ", func(t *testing.T) {
		a, b := post(t), post(t)
		if a == b {
			t.Fatalf("two c_nonce values are equal: %q", a)
		}
		if len(a) < 22 { // 128 bits, base64url
			t.Errorf("c_nonce %q is shorter than 128 bits", a)
		}
	})
	t.Run("L01 GET /nonce", func(t *testing.T) {
		res := sendRaw(t, http.MethodGet, ts.URL+"/nonce", "", nil, nil)
		allow := res.Header.Get("Allow")
		wantError(t, res, http.StatusMethodNotAllowed, "invalid_request")
		if !strings.Contains(allow, http.MethodPost) {
			t.Errorf("Allow = %q; want it to contain POST", allow)
		}
	})
}
