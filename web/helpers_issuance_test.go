package web_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"

	"issuer/dpop"
	"issuer/issuer/offer"
)

// Helpers of the endpoints around the credential endpoint: notification,
// deferred credential, the admin view of an offer.

// rsAuth is the DPoP Authorization and proof header lines of h for POST
// to path (a resource of ours: the proof carries ath).
func (ts *testServer) rsAuth(t testing.TB, h *crHolder, path string) http.Header {
	t.Helper()
	p, err := dpop.Sign(h.Key, "ES256", dpop.Claims{Method: http.MethodPost, URL: ts.URL + path, AccessToken: h.AT, IssuedAt: ts.Clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	return http.Header{"Authorization": {"DPoP " + h.AT}, "Dpop": {p}}
}

// rsPost posts body (JSON-encoded unless it is a []byte) to path with
// the header lines of hdr, as application/json.
func (ts *testServer) rsPost(t testing.TB, path string, hdr http.Header, body any) *http.Response {
	t.Helper()
	raw, ok := body.([]byte)
	if !ok {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			t.Fatal(err)
		}
	}
	return sendRaw(t, http.MethodPost, ts.URL+path, "application/json", bytes.NewReader(raw), hdr)
}

// ntNotify sends a notification request of h.
func (ts *testServer) ntNotify(t testing.TB, h *crHolder, body any) *http.Response {
	t.Helper()
	return ts.rsPost(t, "/notification", ts.rsAuth(t, h, "/notification"), body)
}

// ntIssue fetches one credential of configuration config for h and
// returns the response's notification_id.
func (ts *testServer) ntIssue(t testing.TB, h *crHolder, config string) string {
	t.Helper()
	res := ts.crRequest(t, h, crBody(h.identifier(t, config), ts.crFreshProof(t, crNewKey(t))))
	raw := readBody(t, res)
	res.Body = nopBody(raw)
	crWantCredentials(t, res, 1)
	var b struct {
		NotificationID string `json:"notification_id"`
	}
	if err := json.Unmarshal(raw, &b); err != nil || b.NotificationID == "" {
		t.Fatalf("credential response %s has no notification_id", raw)
	}
	return b.NotificationID
}

// wantNoContent asserts a 204 with an empty body.
func wantNoContent(t testing.TB, res *http.Response) {
	t.Helper()
	body := readBody(t, res)
	if res.StatusCode != http.StatusNoContent || len(body) != 0 {
		t.Fatalf("response = %d %s; want 204 without a body", res.StatusCode, body)
	}
}

// offerStatus is GET /admin/offers/{id}.
func (ts *testServer) offerStatus(t testing.TB, id string) offer.Status {
	t.Helper()
	res := ts.admin(t, http.MethodGet, "/admin/offers/"+id, nil)
	body := readBody(t, res)
	var out offer.Status
	if res.StatusCode != http.StatusOK || json.Unmarshal(body, &out) != nil {
		t.Fatalf("GET /admin/offers/%s = %d %s", id, res.StatusCode, body)
	}
	return out
}
