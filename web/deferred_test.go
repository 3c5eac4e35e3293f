package web_test

import (
	"crypto/ecdsa"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"issuer/issuer"
)

// dfHolder redeems a deferred offer (no claims) of configs for subject.
func (ts *testServer) dfHolder(t testing.TB, subject string, configs ...string) *crHolder {
	t.Helper()
	h := &crHolder{wallet: newWallet(t)}
	o := ts.offer(t, map[string]any{"subject": subject, "credential_configuration_ids": configs, "deferred": true})
	h.Token = wantToken(t, ts.redeem(t, code(o), rvProof(t, ts, h.wallet), nil))
	h.AT, h.OfferID = h.Token.AccessToken, o.OfferID
	return h
}

// dfWantPending asserts a 202 deferred answer and returns its
// transaction_id.
func dfWantPending(t testing.TB, res *http.Response) string {
	t.Helper()
	body := readBody(t, res)
	var b struct {
		TransactionID string `json:"transaction_id"`
		Interval      int64  `json:"interval"`
	}
	if res.StatusCode != http.StatusAccepted || json.Unmarshal(body, &b) != nil || b.TransactionID == "" || b.Interval != 5 {
		t.Fatalf("response = %d %s; want 202 with a transaction_id and interval 5", res.StatusCode, body)
	}
	if res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control = %q; want no-store", res.Header.Get("Cache-Control"))
	}
	return b.TransactionID
}

// dfFetch asks the deferred credential endpoint for transaction id.
func (ts *testServer) dfFetch(t testing.TB, h *crHolder, body any) *http.Response {
	t.Helper()
	return ts.rsPost(t, "/deferred_credential", ts.rsAuth(t, h, "/deferred_credential"), body)
}

// dfSupply posts claims for offer id through the admin API.
func (ts *testServer) dfSupply(t testing.TB, id string, claims any) *http.Response {
	t.Helper()
	return ts.admin(t, http.MethodPost, "/admin/offers/"+id+"/claims", claims)
}

// TestDeferredIssuance: a deferred offer's credential request is checked
// (token, proofs) and answered 202 with a transaction; the deferred
// endpoint answers 202 with the same transaction until the issuer supplies
// the claims, then the credentials bound to the request's proof keys and a
// notification_id, once.
func TestDeferredIssuance(t *testing.T) {
	ts := newTestServer(t)
	h := ts.dfHolder(t, "erika", pidConfig)
	k1, k2 := crNewKey(t), crNewKey(t)
	tx := dfWantPending(t, ts.crRequest(t, h, crBody(h.identifier(t, pidConfig), ts.crFreshProof(t, k1), ts.crFreshProof(t, k2))))
	if got := dfWantPending(t, ts.dfFetch(t, h, map[string]any{"transaction_id": tx, "extra": true})); got != tx {
		t.Errorf("pending transaction_id %q; want the request's %q", got, tx)
	}
	st := ts.offerStatus(t, h.OfferID)
	if !st.Deferred || len(st.Transactions) != 1 || st.Transactions[0].Credentials != 2 || !st.Transactions[0].IssuedAt.IsZero() {
		t.Fatalf("offer status while pending: %+v", st)
	}

	wantNoContent(t, ts.dfSupply(t, h.OfferID, crPIDClaims()))
	res := ts.dfFetch(t, h, map[string]any{"transaction_id": tx})
	raw := readBody(t, res)
	res.Body = nopBody(raw)
	creds := crWantCredentials(t, res, 2)
	for i, k := range []*ecdsa.PrivateKey{k1, k2} {
		c := crVerifySDJWT(t, ts, creds[i])
		cnf, _ := c.Claims["cnf"].(map[string]any)
		if jwk, _ := cnf["jwk"].(map[string]any); jwk["x"] != publicJWK(&k.PublicKey)["x"] {
			t.Errorf("credential %d is bound to %v; want the request's proof key %d", i, cnf, i)
		}
		if c.Claims["given_name"] != "Erika" {
			t.Errorf("credential %d claims %v; want the supplied ones", i, c.Claims)
		}
	}
	var b struct {
		NotificationID string `json:"notification_id"`
	}
	if json.Unmarshal(raw, &b); b.NotificationID == "" {
		t.Fatalf("deferred response %s has no notification_id", raw)
	}
	wantNoContent(t, ts.ntNotify(t, h, map[string]any{"notification_id": b.NotificationID, "event": "credential_accepted"}))
	crWantError(t, ts.dfFetch(t, h, map[string]any{"transaction_id": tx}), http.StatusBadRequest, "invalid_transaction_id")
	st = ts.offerStatus(t, h.OfferID)
	if st.ClaimsSuppliedAt.IsZero() || st.Transactions[0].IssuedAt.IsZero() || len(st.Notifications) != 1 || st.Notifications[0].Event != "credential_accepted" {
		t.Errorf("offer status after issuance: %+v", st)
	}
}

// TestDeferredMandatoryClaims: supplied claims without a mandatory claim
// are credential_request_denied and spend nothing; corrected claims then
// issue.
func TestDeferredMandatoryClaims(t *testing.T) {
	ts := newTestServer(t)
	h := ts.dfHolder(t, "erika", pidConfig)
	tx := dfWantPending(t, ts.crRequest(t, h, crBody(h.identifier(t, pidConfig), ts.crFreshProof(t, crNewKey(t)))))
	claims := crPIDClaims()
	delete(claims, "family_name")
	wantNoContent(t, ts.dfSupply(t, h.OfferID, claims))
	crWantError(t, ts.dfFetch(t, h, map[string]any{"transaction_id": tx}), http.StatusBadRequest, "credential_request_denied")
	wantNoContent(t, ts.dfSupply(t, h.OfferID, crPIDClaims()))
	crWantCredentials(t, ts.dfFetch(t, h, map[string]any{"transaction_id": tx}), 1)
}

// TestDeferredEncrypted: a deferred request's own
// credential_response_encryption encrypts its answer, pending or not.
func TestDeferredEncrypted(t *testing.T) {
	ts := newTestServer(t)
	h := ts.dfHolder(t, "erika", pidConfig)
	k := newEncKey(t, "k")
	body := crBody(h.identifier(t, pidConfig), ts.crFreshProof(t, crNewKey(t)))
	body["credential_response_encryption"] = map[string]any{"jwk": k.jwk, "enc": "A128GCM"}
	_, pending := encOpen(t, k, encWantJWE(t, ts.crRequest(t, h, body), http.StatusAccepted))
	tx, _ := pending["transaction_id"].(string)
	req := map[string]any{"transaction_id": tx, "credential_response_encryption": map[string]any{"jwk": k.jwk, "enc": "A256GCM"}}
	encOpen(t, k, encWantJWE(t, ts.dfFetch(t, h, req), http.StatusAccepted))
	wantNoContent(t, ts.dfSupply(t, h.OfferID, crPIDClaims()))
	_, issued := encOpen(t, k, encWantJWE(t, ts.dfFetch(t, h, req), http.StatusOK))
	if creds, _ := issued["credentials"].([]any); len(creds) != 1 {
		t.Errorf("decrypted deferred response %v; want one credential", issued)
	}
}

// TestDeferredErrors: each refusal of the deferred endpoint and of the
// admin claims endpoint.
func TestDeferredErrors(t *testing.T) {
	ts := newTestServer(t)
	h := ts.dfHolder(t, "erika", pidConfig)
	tx := dfWantPending(t, ts.crRequest(t, h, crBody(h.identifier(t, pidConfig), ts.crFreshProof(t, crNewKey(t)))))
	other := ts.dfHolder(t, "erika", pidConfig)
	for _, tc := range []struct {
		name string
		h    *crHolder
		body any
		code string
	}{
		{"unknown transaction_id", h, map[string]any{"transaction_id": "nope"}, "invalid_transaction_id"},
		{"another grant's transaction_id", other, map[string]any{"transaction_id": tx}, "invalid_transaction_id"},
		{"no transaction_id", h, map[string]any{}, "invalid_credential_request"},
		{"transaction_id not a string", h, map[string]any{"transaction_id": 7}, "invalid_credential_request"},
		{"not JSON", h, []byte("transaction_id=x"), "invalid_credential_request"},
		{"bad encryption", h, map[string]any{"transaction_id": tx, "credential_response_encryption": map[string]any{"enc": "A128GCM"}}, "invalid_encryption_parameters"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			crWantError(t, ts.dfFetch(t, tc.h, tc.body), http.StatusBadRequest, tc.code)
		})
	}
	t.Run("no token", func(t *testing.T) {
		crWantChallenge(t, ts.rsPost(t, "/deferred_credential", nil, map[string]any{"transaction_id": tx}), http.StatusUnauthorized, "invalid_request", "DPoP")
	})
	t.Run("proof for the credential endpoint", func(t *testing.T) {
		crWantChallenge(t, ts.rsPost(t, "/deferred_credential", ts.crAuth(t, h), map[string]any{"transaction_id": tx}), http.StatusUnauthorized, "invalid_dpop_proof", "DPoP")
	})
	t.Run("admin claims", func(t *testing.T) {
		plain := ts.crHolderFor(t, "erika", nil, pidConfig)
		for _, c := range []struct {
			id     string
			claims any
			status int
		}{
			{plain.OfferID, crPIDClaims(), http.StatusBadRequest},
			{"no-such-offer", crPIDClaims(), http.StatusNotFound},
			{h.OfferID, []any{"not", "an", "object"}, http.StatusBadRequest},
		} {
			res := ts.dfSupply(t, c.id, c.claims)
			if body := readBody(t, res); res.StatusCode != c.status {
				t.Errorf("POST /admin/offers/%s/claims = %d %s; want %d", c.id, res.StatusCode, body, c.status)
			}
		}
		res := sendRaw(t, http.MethodPost, ts.URL+"/admin/offers/"+h.OfferID+"/claims", "application/json", nil, nil)
		if body := readBody(t, res); res.StatusCode != http.StatusUnauthorized {
			t.Errorf("claims without the admin token = %d %s; want 401", res.StatusCode, body)
		}
	})
	t.Run("expired transaction", func(t *testing.T) {
		ts := newTestServer(t, func(c *issuer.Config) { c.Credential.DeferredTTL = time.Minute; c.Tokens.AccessTokenTTL = time.Hour })
		h := ts.dfHolder(t, "erika", pidConfig)
		tx := dfWantPending(t, ts.crRequest(t, h, crBody(h.identifier(t, pidConfig), ts.crFreshProof(t, crNewKey(t)))))
		wantNoContent(t, ts.dfSupply(t, h.OfferID, crPIDClaims()))
		ts.Clock.Advance(2 * time.Minute)
		crWantError(t, ts.dfFetch(t, h, map[string]any{"transaction_id": tx}), http.StatusBadRequest, "invalid_transaction_id")
	})
}
