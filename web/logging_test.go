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

// TestAccessLogNamesTheRefusal: the access log line of a refused request
// carries its OAuth error code (issue 15), so that an operator sees why
// without debug logging; a request that succeeds has none.
func TestAccessLogNamesTheRefusal(t *testing.T) {
	var logs lockedBuffer
	log := slog.New(web.LogHandler(slog.NewJSONHandler(&logs, nil)))
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

	wantError(t, ts.post(t, "/token", url.Values{"grant_type": {"banana"}}, nil), http.StatusBadRequest, "unsupported_grant_type")
	res := sendRaw(t, http.MethodGet, srv.URL+"/authorize?client_id=nobody", "", nil, nil)
	readBody(t, res)
	getJSON(t, srv.URL+"/jwks")

	lines := map[string]string{} // route → access log line
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, `"msg":"http"`) {
			for _, route := range []string{"/token", "/authorize", "/jwks"} {
				if strings.Contains(l, `"route":"`+route+`"`) {
					lines[route] = l
				}
			}
		}
	}
	for route, want := range map[string]string{"/token": `"error":"unsupported_grant_type"`, "/authorize": `"error":"invalid_request"`} {
		if !strings.Contains(lines[route], want) {
			t.Errorf("access log line of %s = %q; want %s", route, lines[route], want)
		}
	}
	if strings.Contains(lines["/jwks"], `"error"`) {
		t.Errorf("access log line of a success = %q; want no error", lines["/jwks"])
	}
}
