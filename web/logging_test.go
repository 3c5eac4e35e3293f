package web_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"issuer/issuer"
	"issuer/storage/memory"
	"issuer/web"
)

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
