package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
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

// FuzzAuthorizationFlow sends arbitrary PAR bodies and authorize queries
// for a registered public client: never a server error, PAR refusals are
// uncacheable JSON errors, and /authorize answers with a page or a
// redirect to the registered URI only.
func FuzzAuthorizationFlow(f *testing.F) {
	s := newAuthFlow(f)
	pk := newPKCE(f)
	valid := afParams(s.ClientID, pk, nil).Encode()
	f.Add(valid, "client_id=wallet&request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Ax")
	f.Add(valid+"&authorization_details=%5B%7B%22type%22%3A1%7D%5D&max_age=-1", "client_id=wallet&response_type=code&redirect_uri=https%3A%2F%2Fwallet.example%2Fcb")
	f.Add(valid+"&issuer_state=%00&dpop_jkt=x&prompt=none", "client_id=%ZZ&&=")
	f.Add("client_id=wallet&request=eyJ.eyJ.x", "client_id=wallet&request_uri=&state=%3Cscript%3E")
	f.Fuzz(func(t *testing.T, parBody, query string) {
		s.Clock.Advance(time.Second) // stay under the PAR quota of 300 a minute
		res, err := http.Post(s.URL+"/par", "application/x-www-form-urlencoded", strings.NewReader(parBody))
		if err != nil {
			t.Skip()
		}
		b := readBody(t, res)
		if res.StatusCode >= 500 {
			t.Fatalf("PAR status %d %s for %q", res.StatusCode, b, parBody)
		}
		if res.StatusCode != http.StatusCreated && (res.Header.Get("Cache-Control") != "no-store" || !strings.HasPrefix(string(b), `{"error":`)) {
			t.Fatalf("PAR refusal %d %s is not an uncacheable OAuth error", res.StatusCode, b)
		}
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		res, err = client.Get(s.URL + "/authorize?" + query)
		if err != nil {
			t.Skip()
		}
		b = readBody(t, res)
		switch {
		case res.StatusCode >= 500:
			t.Fatalf("authorize status %d %s for %q", res.StatusCode, b, query)
		case res.StatusCode == http.StatusSeeOther && !strings.HasPrefix(res.Header.Get("Location"), afRedirect+"?"):
			t.Fatalf("authorize redirected to %q for %q", res.Header.Get("Location"), query)
		}
	})
}

// adminFuzzPaths are the admin endpoints that take a JSON body.
var adminFuzzPaths = []string{"/admin/offers", "/admin/clients", "/admin/users", "/admin/wallet-providers", "/admin/uma/resources"}

// FuzzAdminAPI sends arbitrary JSON bodies and content types to the admin
// API's creating endpoints: never a server error, and every answer, a
// refusal included, is uncacheable; refusals are OAuth JSON errors.
func FuzzAdminAPI(f *testing.F) {
	ts := newTestServer(f)
	for i, body := range []string{
		`{"credential_configuration_ids":["` + pidConfig + `"],"subject":"s","expires_in":9223372037,"tx_code":{"length":4}}`,
		`{"client_id":"c","token_endpoint_auth_method":"none","grant_types":["authorization_code"],"redirect_uris":["https://w.example/cb"],"jwks":{"keys":[]}}`,
		`{"username":"u","password":"correct horse battery staple","claims":{"given_name":"A"}}`,
		`{"name":"w","jwks":{"keys":[{"kty":"EC","crv":"P-256","x":"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4","y":"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM"}]}}`,
		`{"resource_server":"rs","owner":"alice","name":"photos","resource_scopes":["view"],"ask_owner":true}`,
	} {
		f.Add(uint8(i), "application/json", body)
	}
	f.Add(uint8(0), "application/json; charset=utf-8", `{"credential_configuration_ids":["`+pidConfig+`"],"subject":"s","expires_in":4611686018427387904}`)
	f.Add(uint8(0), "application/json", `{"credential_configuration_ids":["`+pidConfig+`"],"subject":"s","claims":{"a":[1e400]},"grants":["authorization_code"]}`)
	f.Add(uint8(1), "application/json", `{"token_endpoint_auth_method":"tls_client_auth","tls_client_auth_san_dns":"x","jwks_uri":"http://[::1"}`)
	f.Add(uint8(3), "application/json", `{"name":"r","x5c_roots":["-----BEGIN CERTIFICATE-----\nMII=\n-----END CERTIFICATE-----"]}`)
	f.Add(uint8(2), "text/plain", `{"username":"\u0000"}`)
	f.Add(uint8(4), "application/json", `{"resource_scopes":`)
	f.Fuzz(func(t *testing.T, endpoint uint8, contentType, body string) {
		req, err := http.NewRequest(http.MethodPost, ts.URL+adminFuzzPaths[int(endpoint)%len(adminFuzzPaths)], strings.NewReader(body))
		if err != nil {
			t.Skip()
		}
		req.Header.Set("Authorization", "Bearer "+adminToken)
		req.Header.Set("Content-Type", contentType)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Skip() // the client refused to send it (e.g. invalid header bytes)
		}
		b := readBody(t, res)
		switch {
		case res.StatusCode >= 500:
			t.Fatalf("status %d %s for %s %q, content type %q", res.StatusCode, b, req.URL.Path, body, contentType)
		case res.Header.Get("Cache-Control") != "no-store":
			t.Fatalf("answer %d %s is cacheable", res.StatusCode, b)
		case res.StatusCode >= 300 && !strings.HasPrefix(string(b), `{"error":`):
			t.Fatalf("refusal %d %s is not an OAuth error", res.StatusCode, b)
		}
	})
}
