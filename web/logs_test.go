package web_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"issuer/issuer"
	"issuer/nonce"
	"issuer/storage/memory"
	"issuer/web"
)

// lockedBuffer is a log sink safe for concurrent writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestNoSecretsInLogs runs a redemption with a transaction code, a failed
// one and a replay with debug logging on, and checks that no code,
// transaction code, proof, token or nonce appears in the log.
func TestNoSecretsInLogs(t *testing.T) {
	var logs lockedBuffer
	log := slog.New(web.LogHandler(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	defer srv.Close()
	cfg := issuer.Defaults()
	cfg.URL = srv.URL
	svc, err := issuer.New(t.Context(), cfg, memory.New(), log)
	if err != nil {
		t.Fatal(err)
	}
	h = web.New(svc, web.Options{AdminToken: adminToken, Logger: log})
	ts := &testServer{Server: srv, Svc: svc}

	o := ts.offer(t, map[string]any{"tx_code": map[string]any{"length": 6}})
	w := newWallet(t)
	wrong := ts.redeem(t, code(o), w.Proof(t, ts.TokenURL(), ""), url.Values{"tx_code": {"000000x"}})
	wantError(t, wrong, http.StatusBadRequest, "invalid_grant")
	proof := w.Proof(t, ts.TokenURL(), "")
	tb := wantToken(t, ts.redeem(t, code(o), proof, url.Values{"tx_code": {o.TxCode}}))
	wantError(t, ts.redeem(t, code(o), proof, url.Values{"tx_code": {o.TxCode}}), http.StatusBadRequest, "invalid_dpop_proof")

	out := logs.String()
	if !strings.Contains(out, "request_id") || !strings.Contains(out, "pre-authorized code redeemed") {
		t.Fatalf("the log does not show the requests (request_id, redemption):\n%s", out)
	}
	secrets := map[string]string{
		"pre-authorized code": code(o), "tx_code": o.TxCode, "wrong tx_code": "000000x",
		"DPoP proof": proof, "access token": tb.AccessToken, "c_nonce": tb.CNonce, "admin token": adminToken,
	}
	for name, v := range secrets {
		if strings.Contains(out, v) {
			t.Errorf("the log contains the %s", name)
		}
	}
}

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
