package web_test

import (
	"crypto/tls"
	"net/http"
	"strings"
	"testing"
	"time"

	"issuer/dpop"
	"issuer/issuer"
	"issuer/issuer/oauth"
)

// TestCredentialAccessRefused: every way of presenting the access token
// wrongly at /credential, with the exact status, error and challenge
// (RFC 6750 §3, RFC 9449 §7, checklist DPOP-44..48, VCI-49).
func TestCredentialAccessRefused(t *testing.T) {
	ts := newTestServer(t)
	h := ts.crHolderFor(t, "erika", nil)
	other := ts.crHolderFor(t, "max", nil)
	body := func(t testing.TB) map[string]any {
		return crBody(h.identifier(t, pidConfig), ts.crFreshProof(t, crNewKey(t)))
	}
	tests := []struct {
		name   string
		hdr    func(t testing.TB) http.Header
		query  string
		status int
		code   string
		scheme string
	}{
		{name: "no token", hdr: func(testing.TB) http.Header { return http.Header{} },
			status: http.StatusUnauthorized, code: "invalid_request", scheme: "DPoP"},
		{name: "H09 DPoP-bound token as Bearer", hdr: func(testing.TB) http.Header {
			return http.Header{"Authorization": {"Bearer " + h.AT}}
		}, status: http.StatusUnauthorized, code: "invalid_token", scheme: "DPoP"},
		{name: "H09 DPoP-bound token as Bearer with a proof", hdr: func(t testing.TB) http.Header {
			return http.Header{"Authorization": {"Bearer " + h.AT}, "Dpop": {ts.crDPoP(t, h.wallet, h.AT, "")}}
		}, status: http.StatusUnauthorized, code: "invalid_token", scheme: "DPoP"},
		{name: "H10 no DPoP proof", hdr: func(testing.TB) http.Header {
			return http.Header{"Authorization": {"DPoP " + h.AT}}
		}, status: http.StatusUnauthorized, code: "invalid_token", scheme: "DPoP"},
		{name: "H11 proof of another key", hdr: func(t testing.TB) http.Header {
			return http.Header{"Authorization": {"DPoP " + h.AT}, "Dpop": {ts.crDPoP(t, other.wallet, h.AT, "")}}
		}, status: http.StatusUnauthorized, code: "invalid_token", scheme: "DPoP"},
		{name: "H12 proof without ath", hdr: func(t testing.TB) http.Header {
			return http.Header{"Authorization": {"DPoP " + h.AT}, "Dpop": {ts.crDPoP(t, h.wallet, "", "")}}
		}, status: http.StatusUnauthorized, code: "invalid_dpop_proof", scheme: "DPoP"},
		{name: "ath of another token", hdr: func(t testing.TB) http.Header {
			return http.Header{"Authorization": {"DPoP " + h.AT}, "Dpop": {ts.crDPoP(t, h.wallet, other.AT, "")}}
		}, status: http.StatusUnauthorized, code: "invalid_dpop_proof", scheme: "DPoP"},
		{name: "proof for the token endpoint", hdr: func(t testing.TB) http.Header {
			return http.Header{"Authorization": {"DPoP " + h.AT}, "Dpop": {rvProof(t, ts, h.wallet)}}
		}, status: http.StatusUnauthorized, code: "invalid_dpop_proof", scheme: "DPoP"},
		{name: "two DPoP headers", hdr: func(t testing.TB) http.Header {
			return http.Header{"Authorization": {"DPoP " + h.AT}, "Dpop": {ts.crDPoP(t, h.wallet, h.AT, ""), ts.crDPoP(t, h.wallet, h.AT, "")}}
		}, status: http.StatusUnauthorized, code: "invalid_dpop_proof", scheme: "DPoP"},
		{name: "H13 Bearer and DPoP Authorization headers", hdr: func(t testing.TB) http.Header {
			return http.Header{"Authorization": {"Bearer " + h.AT, "DPoP " + h.AT}, "Dpop": {ts.crDPoP(t, h.wallet, h.AT, "")}}
		}, status: http.StatusBadRequest, code: "invalid_request"},
		{name: "forged token", hdr: func(t testing.TB) http.Header {
			forged := rvFlipPayloadByte(t, h.AT)
			return http.Header{"Authorization": {"DPoP " + forged}, "Dpop": {ts.crDPoP(t, h.wallet, forged, "")}}
		}, status: http.StatusUnauthorized, code: "invalid_token", scheme: "DPoP"},
		{name: "token signed by another key (re-signed)", hdr: func(t testing.TB) http.Header {
			resigned := rvResign(t, h.AT)
			return http.Header{"Authorization": {"DPoP " + resigned}, "Dpop": {ts.crDPoP(t, h.wallet, resigned, "")}}
		}, status: http.StatusUnauthorized, code: "invalid_token", scheme: "DPoP"},
		{name: "unknown scheme", hdr: func(t testing.TB) http.Header {
			return http.Header{"Authorization": {"Basic " + h.AT}}
		}, status: http.StatusUnauthorized, code: "invalid_token", scheme: "DPoP"},
		{name: "token only in the query", query: "?access_token=" + h.AT, hdr: func(testing.TB) http.Header { return http.Header{} },
			status: http.StatusUnauthorized, code: "invalid_request", scheme: "DPoP"},
		{name: "token in the query and the header", query: "?access_token=" + h.AT, hdr: func(t testing.TB) http.Header { return ts.crAuth(t, h) },
			status: http.StatusBadRequest, code: "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := sendRaw(t, http.MethodPost, ts.URL+"/credential"+tt.query, "application/json", strings.NewReader(crJSON(t, body(t))), tt.hdr(t))
			if tt.scheme == "" {
				crWantError(t, res, tt.status, tt.code)
				return
			}
			ch := crWantChallenge(t, res, tt.status, tt.code, tt.scheme)
			if !strings.Contains(ch, `algs="`) {
				t.Errorf("WWW-Authenticate = %q; want the algs", ch)
			}
			if tt.code == "invalid_request" && strings.Contains(ch, "error=") {
				t.Errorf("WWW-Authenticate = %q; a request without a token gets no error (RFC 6750 §3.1)", ch)
			}
		})
	}
	// The token still works: nothing above spent it.
	crWantCredentials(t, ts.crRequest(t, h, body(t)), 1)
}

// crJSON encodes v as a string.
func crJSON(t testing.TB, v any) string { return string(crMustJSON(t, v)) }

// TestCredentialSchemeCaseInsensitive: the DPoP scheme matches in any case.
func TestCredentialSchemeCaseInsensitive(t *testing.T) {
	ts := newTestServer(t)
	h := ts.crHolderFor(t, "erika", nil, pidConfig)
	for _, scheme := range []string{"dpop", "DPOP", "DPoP"} {
		hdr := http.Header{"Authorization": {scheme + " " + h.AT}, "Dpop": {ts.crDPoP(t, h.wallet, h.AT, "")}}
		crWantCredentials(t, ts.crPost(t, hdr, crBody(h.identifier(t, pidConfig), ts.crFreshProof(t, crNewKey(t)))), 1)
	}
}

// TestCredentialTokenDead: an expired token, a revoked one, and the access
// token of a grant whose refresh token was revoked (N07) stop working at
// once, with 401 invalid_token and a DPoP challenge.
func TestCredentialTokenDead(t *testing.T) {
	t.Run("expired", func(t *testing.T) {
		ts := newTestServer(t)
		h := ts.crHolderFor(t, "erika", nil, pidConfig)
		ts.Clock.Advance(5*time.Minute + time.Second)
		crWantChallenge(t, ts.crRequest(t, h, crBody(h.identifier(t, pidConfig), ts.crFreshProof(t, crNewKey(t)))), http.StatusUnauthorized, "invalid_token", "DPoP")
	})
	t.Run("revoked", func(t *testing.T) {
		e := rvNewEnv(t)
		ts := e.ts
		o := ts.crOffer(t, "erika", nil, pidConfig)
		w := newWallet(t)
		tb := wantToken(t, rvRedeem(t, ts, code(o), w, rvAs(e.a)))
		h := &crHolder{wallet: w, AT: tb.AccessToken, Token: tb}
		rvRevoke(t, ts, tb.AccessToken, rvAs(e.a), nil)
		crWantChallenge(t, ts.crRequest(t, h, crBody(h.identifier(t, pidConfig), ts.crFreshProof(t, crNewKey(t)))), http.StatusUnauthorized, "invalid_token", "DPoP")
	})
	t.Run("N07 refresh token revoked", func(t *testing.T) {
		s := newAuthFlow(t)
		s.afCreateUser(t, "erika", "erika's long password", crPIDClaims())
		w := newWallet(t)
		tok := s.acRedeemAs(t, w, "erika", "erika's long password", pidConfig+" offline_access")
		if tok.RefreshToken == "" {
			t.Fatal("no refresh token")
		}
		h := &crHolder{wallet: w, AT: tok.AccessToken}
		body := func() map[string]any {
			return map[string]any{"credential_configuration_id": pidConfig, "proofs": map[string]any{"jwt": []string{s.crFreshProof(t, crNewKey(t))}}}
		}
		crWantCredentials(t, s.crRequest(t, h, body()), 1)
		rvRevoke(t, s.testServer, tok.RefreshToken, rvCaller{form: map[string][]string{"client_id": {s.ClientID}}}, nil)
		crWantChallenge(t, s.crRequest(t, h, body()), http.StatusUnauthorized, "invalid_token", "DPoP")
	})
}

// TestCredentialBearer: where DPoP is optional, a token issued without a
// proof is a Bearer token and is accepted with the Bearer scheme; with the
// DPoP scheme it is refused with a Bearer challenge.
func TestCredentialBearer(t *testing.T) {
	ts := newTestServer(t, func(c *issuer.Config) { c.DPoP.Policy = issuer.DPoPOptional })
	o := ts.crOffer(t, "erika", nil, pidConfig)
	tb := wantToken(t, ts.redeem(t, code(o), "", nil))
	if tb.TokenType != "Bearer" {
		t.Fatalf("token_type = %q; want Bearer", tb.TokenType)
	}
	h := &crHolder{Token: tb}
	body := func() map[string]any { return crBody(h.identifier(t, pidConfig), ts.crFreshProof(t, crNewKey(t))) }
	crWantCredentials(t, ts.crPost(t, http.Header{"Authorization": {"Bearer " + tb.AccessToken}}, body()), 1)
	w := newWallet(t)
	hdr := http.Header{"Authorization": {"DPoP " + tb.AccessToken}, "Dpop": {ts.crDPoP(t, w, tb.AccessToken, "")}}
	crWantChallenge(t, ts.crPost(t, hdr, body()), http.StatusUnauthorized, "invalid_token", "Bearer")
}

// TestCredentialCertificateBound: a certificate-bound token is refused
// without its certificate or with another one; with it, the token passes
// (and the request is judged on its body: a client_credentials token
// grants no credential).
func TestCredentialCertificateBound(t *testing.T) {
	f := newMTLSFixture(t, optionalDPoP)
	tb, _ := wantCertBound(t, f.ts.postCert(t, &f.dnCert, "/token", ccForm(dnClient), nil), f.dnCert, "Bearer")
	post := func(cert *tls.Certificate) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, f.ts.URL+"/credential", strings.NewReader(`{"credential_configuration_id":"`+pidConfig+`","proofs":{"jwt":["x.y.z"]}}`))
		req.Header.Set("Authorization", "Bearer "+tb.AccessToken)
		req.Header.Set("Content-Type", "application/json")
		res, err := f.ts.tlsClient(t, cert).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	crWantChallenge(t, post(nil), http.StatusUnauthorized, "invalid_token", "Bearer")
	crWantChallenge(t, post(&f.dnsCert), http.StatusUnauthorized, "invalid_token", "Bearer")
	crWantError(t, post(&f.dnCert), http.StatusBadRequest, "unknown_credential_configuration")
}

// TestCredentialDPoPNonce: with server nonces on, /credential demands the
// resource server's nonce (401 use_dpop_nonce with a DPoP challenge and
// one DPoP-Nonce, DPOP-35), the retry with it succeeds, the nonce
// endpoint's DPoP-Nonce is accepted (VCI-38), and the namespaces stay
// apart (DPOP-36, X-03): the token endpoint's nonce and a c_nonce are
// refused at /credential, the resource server's nonce at /token.
func TestCredentialDPoPNonce(t *testing.T) {
	ts := newTestServer(t, func(c *issuer.Config) { c.DPoP.UseNonce = true })
	w := newWallet(t)
	o := ts.crOffer(t, "erika", nil, pidConfig)
	asNonce := dpNonceHeader(t, ts.redeem(t, code(o), w.Proof(t, ts.TokenURL(), ""), nil))
	tb := wantToken(t, ts.redeem(t, code(o), rvProofNonce(t, ts, w, asNonce), nil))
	h := &crHolder{wallet: w, AT: tb.AccessToken, Token: tb}
	id := h.identifier(t, pidConfig)
	send := func(nonce string) *http.Response {
		hdr := http.Header{"Authorization": {"DPoP " + h.AT}, "Dpop": {ts.crDPoP(t, w, h.AT, nonce)}}
		return ts.crPost(t, hdr, crBody(id, ts.crFreshProof(t, crNewKey(t))))
	}
	res := send("")
	rsNonce := res.Header.Values("DPoP-Nonce")
	crWantChallenge(t, res, http.StatusUnauthorized, "use_dpop_nonce", "DPoP")
	if len(rsNonce) != 1 || rsNonce[0] == "" {
		t.Fatalf("DPoP-Nonce = %q; want exactly one value", rsNonce)
	}
	ok := send(rsNonce[0])
	if n := ok.Header.Values("DPoP-Nonce"); len(n) != 1 || n[0] == "" {
		t.Errorf("success DPoP-Nonce = %q; want exactly one value", n)
	}
	crWantCredentials(t, ok, 1)

	cNonce, endpointNonce := ts.crNonces(t)
	if endpointNonce == "" {
		t.Fatal("the nonce endpoint sent no DPoP-Nonce (VCI-38)")
	}
	crWantCredentials(t, send(endpointNonce), 1)
	crWantChallenge(t, send(asNonce), http.StatusUnauthorized, "use_dpop_nonce", "DPoP")
	crWantChallenge(t, send(cNonce), http.StatusUnauthorized, "use_dpop_nonce", "DPoP") // L10

	// G06: the resource server's nonce at the token endpoint.
	o2 := ts.crOffer(t, "erika", nil, pidConfig)
	wantError(t, ts.redeem(t, code(o2), rvProofNonce(t, ts, newWallet(t), rsNonce[0]), nil), http.StatusBadRequest, oauth.CodeUseDPoPNonce)
}

// rvProofNonce is a fresh DPoP proof of w for POST /token with nonce.
func rvProofNonce(t testing.TB, ts *testServer, w *wallet, nonce string) string {
	t.Helper()
	p, err := dpop.Sign(w.Key, "ES256", dpop.Claims{Method: http.MethodPost, URL: ts.TokenURL(), Nonce: nonce, IssuedAt: ts.Clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestCredentialDeletedClient: once its client is deleted, an access token
// stops working at the resources at once (401 invalid_token), though it
// has not expired.
func TestCredentialDeletedClient(t *testing.T) {
	s := newAuthFlow(t)
	w := newWallet(t)
	tok := s.acRedeemAs(t, w, afUser, afPassword, pidConfig)
	h := &crHolder{wallet: w, AT: tok.AccessToken}
	body := map[string]any{"credential_configuration_id": pidConfig, "proofs": map[string]any{"jwt": []string{s.crFreshProof(t, crNewKey(t))}}}
	if res := s.admin(t, http.MethodDelete, "/admin/clients/"+s.ClientID, nil); res.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE /admin/clients = %d", res.StatusCode)
	}
	crWantChallenge(t, s.crRequest(t, h, body), http.StatusUnauthorized, "invalid_token", "DPoP")
}
