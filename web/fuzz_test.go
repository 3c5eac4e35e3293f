package web_test

import (
	"net/http"
	"strings"
	"testing"
)

// FuzzTokenEndpoint sends arbitrary bodies, content types and DPoP headers
// to the token endpoint: whatever a client sends, the answer is never a
// server error, and every refusal is an uncacheable JSON error.
func FuzzTokenEndpoint(f *testing.F) {
	ts := newTestServer(f)
	w := newWallet(f)
	valid := "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code&pre-authorized_code=x"
	f.Add(valid, "application/x-www-form-urlencoded", w.Proof(f, ts.TokenURL(), ""))
	f.Add(valid+"&tx_code=%00", "application/x-www-form-urlencoded", "a.b.c")
	f.Add("grant_type=authorization_code&authorization_details=%5B%7B%7D%5D", "application/x-www-form-urlencoded; charset=UTF-8", "")
	f.Add(`{"grant_type":"x"}`, "application/json", "eyJ.eyJ.sig")
	f.Add("a=%ZZ&&=&grant_type=", "multipart/form-data; boundary=x", "DPoP, DPoP")
	f.Fuzz(func(t *testing.T, body, contentType, proof string) {
		req, err := http.NewRequest(http.MethodPost, ts.TokenURL(), strings.NewReader(body))
		if err != nil {
			t.Skip()
		}
		req.Header.Set("Content-Type", contentType)
		if proof != "" {
			req.Header.Set("DPoP", proof)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Skip() // the client refused to send it (e.g. invalid header bytes)
		}
		b := readBody(t, res)
		if res.StatusCode >= 500 {
			t.Fatalf("status %d %s for body %q, content type %q, proof %q", res.StatusCode, b, body, contentType, proof)
		}
		if res.StatusCode != http.StatusOK && (res.Header.Get("Cache-Control") != "no-store" || !strings.HasPrefix(string(b), `{"error":`)) {
			t.Fatalf("refusal %d %s is not an uncacheable OAuth error", res.StatusCode, b)
		}
	})
}
