package web_test

import (
	"encoding/json"
	"math"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestAdminAuthentication: the admin API needs the bearer token.
func TestAdminAuthentication(t *testing.T) {
	ts := newTestServer(t)
	endpoints := []struct{ method, path, body string }{
		{http.MethodPost, "/admin/offers", `{"credential_configuration_ids":["` + pidConfig + `"],"subject":"s"}`},
		{http.MethodPost, "/admin/clients", `{}`},
		{http.MethodGet, "/admin/clients/some-client", ""},
		{http.MethodDelete, "/admin/clients/some-client", ""},
	}
	auths := []struct{ name, value string }{
		{"no Authorization", ""},
		{"wrong token", "Bearer " + adminToken + "x"},
		{"empty bearer", "Bearer "},
		{"token prefix", "Bearer " + adminToken[:len(adminToken)-1]},
		{"right token in Basic", "Basic " + adminToken},
		{"right token without scheme", adminToken},
	}
	for _, ep := range endpoints {
		for _, a := range auths {
			t.Run(ep.method+" "+ep.path+" "+a.name, func(t *testing.T) {
				hdr := http.Header{}
				if a.value != "" {
					hdr.Set("Authorization", a.value)
				}
				var body *strings.Reader
				ct := ""
				if ep.body != "" {
					body, ct = strings.NewReader(ep.body), "application/json"
				}
				var res *http.Response
				if body != nil {
					res = sendRaw(t, ep.method, ts.URL+ep.path, ct, body, hdr)
				} else {
					res = sendRaw(t, ep.method, ts.URL+ep.path, ct, nil, hdr)
				}
				challenge := res.Header.Get("WWW-Authenticate")
				wantError(t, res, http.StatusUnauthorized, "invalid_token")
				if !strings.HasPrefix(challenge, "Bearer") {
					t.Errorf("WWW-Authenticate = %q; want it to start with Bearer", challenge)
				}
			})
		}
	}
}

// TestAdminBearerScheme: the Bearer scheme is matched case-insensitively
// (RFC 9110 §11.1), and 1*SP may separate it from the token.
func TestAdminBearerScheme(t *testing.T) {
	ts := newTestServer(t)
	for _, scheme := range []string{"Bearer ", "bearer ", "BEARER ", "Bearer  "} {
		t.Run(strconv.Quote(scheme), func(t *testing.T) {
			hdr := http.Header{"Authorization": {scheme + adminToken}}
			res := sendRaw(t, http.MethodGet, ts.URL+"/admin/clients/some-client", "", nil, hdr)
			wantError(t, res, http.StatusNotFound, "not_found")
		})
	}
}

// TestAdminDisabled: a server built without an admin token has no admin API.
func TestAdminDisabled(t *testing.T) {
	ts := newCustomServer(t, "", "")
	for _, auth := range []string{"", "Bearer " + adminToken, "Bearer "} {
		t.Run("POST /admin/offers auth="+auth, func(t *testing.T) {
			hdr := http.Header{}
			if auth != "" {
				hdr.Set("Authorization", auth)
			}
			res := sendRaw(t, http.MethodPost, ts.URL+"/admin/offers", "application/json",
				strings.NewReader(`{"credential_configuration_ids":["`+pidConfig+`"],"subject":"s"}`), hdr)
			if e := wantError(t, res, http.StatusNotFound, "not_found"); !strings.Contains(e.Description, "--admin-token") {
				t.Errorf("error_description = %q; want it to say how to switch the admin API on (--admin-token)", e.Description)
			}
		})
	}
	t.Run("POST /admin/clients", func(t *testing.T) {
		res := sendRaw(t, http.MethodPost, ts.URL+"/admin/clients", "application/json", strings.NewReader(`{}`),
			http.Header{"Authorization": {"Bearer " + adminToken}})
		wantError(t, res, http.StatusNotFound, "not_found")
	})
}

// TestAdminClients covers client registration (RFC 7591 field names).
func TestAdminClients(t *testing.T) {
	ts := newTestServer(t)

	t.Run("defaults and generated values", func(t *testing.T) {
		res := ts.admin(t, http.MethodPost, "/admin/clients", map[string]any{})
		body := readBody(t, res)
		if res.StatusCode != http.StatusCreated {
			t.Fatalf("got %d %s; want 201", res.StatusCode, body)
		}
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			t.Fatal(err)
		}
		if id, _ := m["client_id"].(string); id == "" {
			t.Errorf("client_id = %v; want a generated ID", m["client_id"])
		}
		if s, _ := m["client_secret"].(string); len(s) < 32 {
			t.Errorf("client_secret = %v; want at least 32 characters", m["client_secret"])
		}
		if m["token_endpoint_auth_method"] != "client_secret_basic" {
			t.Errorf("token_endpoint_auth_method = %v; want client_secret_basic", m["token_endpoint_auth_method"])
		}
		if g, _ := m["grant_types"].([]any); len(g) != 1 || g[0] != "authorization_code" {
			t.Errorf("grant_types = %v; want [authorization_code]", m["grant_types"])
		}
	})
	t.Run("two generated clients differ", func(t *testing.T) {
		a := ts.registerClient(t, map[string]any{})
		b := ts.registerClient(t, map[string]any{})
		if a.ID == b.ID || a.Secret == b.Secret {
			t.Fatalf("clients %+v and %+v share an ID or a secret", a, b)
		}
	})
	t.Run("client_secret_post gets a secret", func(t *testing.T) {
		c := ts.registerClient(t, map[string]any{"token_endpoint_auth_method": "client_secret_post"})
		if len(c.Secret) < 32 || c.Method != "client_secret_post" {
			t.Fatalf("client = %+v; want client_secret_post with a secret of at least 32 characters", c)
		}
	})
	t.Run("method none gets no secret", func(t *testing.T) {
		res := ts.admin(t, http.MethodPost, "/admin/clients", map[string]any{"client_id": "pub-1", "token_endpoint_auth_method": "none"})
		body := readBody(t, res)
		if res.StatusCode != http.StatusCreated {
			t.Fatalf("got %d %s; want 201", res.StatusCode, body)
		}
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		if _, ok := m["client_secret"]; ok || m["client_id"] != "pub-1" {
			t.Fatalf("response %s; want client_id pub-1 and no client_secret", body)
		}
	})
	t.Run("provided secret of 32 characters is kept", func(t *testing.T) {
		secret := strings.Repeat("k", 32)
		c := ts.registerClient(t, map[string]any{"client_id": "given-secret", "client_secret": secret})
		if c.Secret != secret {
			t.Fatalf("client_secret = %q; want the provided one", c.Secret)
		}
	})
	t.Run("GET then DELETE", func(t *testing.T) {
		c := ts.registerClient(t, map[string]any{"client_id": "to-delete", "grant_types": []string{preAuth}})
		res := ts.admin(t, http.MethodGet, "/admin/clients/to-delete", nil)
		body := readBody(t, res)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET = %d %s; want 200", res.StatusCode, body)
		}
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			t.Fatal(err)
		}
		if _, ok := m["client_secret"]; ok || strings.Contains(string(body), c.Secret) {
			t.Errorf("GET body %s reveals the client_secret", body)
		}
		if m["client_id"] != "to-delete" || m["token_endpoint_auth_method"] != "client_secret_basic" {
			t.Errorf("GET body %s; want client_id to-delete, client_secret_basic", body)
		}
		if g, _ := m["grant_types"].([]any); len(g) != 1 || g[0] != preAuth {
			t.Errorf("grant_types = %v; want [%s]", m["grant_types"], preAuth)
		}
		// It authenticates before the deletion.
		o0 := ts.offer(t, nil)
		wantToken(t, ts.post(t, "/token", preAuthForm(code(o0)), map[string][]string{
			"DPoP": {ts.freshProof(t, newWallet(t))}, "Authorization": {basicAuth(c.ID, c.Secret)},
		}))
		res = ts.admin(t, http.MethodDelete, "/admin/clients/to-delete", nil)
		if body := readBody(t, res); res.StatusCode != http.StatusNoContent {
			t.Fatalf("DELETE = %d %s; want 204", res.StatusCode, body)
		}
		wantError(t, ts.admin(t, http.MethodGet, "/admin/clients/to-delete", nil), http.StatusNotFound, "not_found")
		wantError(t, ts.admin(t, http.MethodDelete, "/admin/clients/to-delete", nil), http.StatusNotFound, "not_found")
		// The deleted client can no longer authenticate.
		o := ts.offer(t, nil)
		res = ts.post(t, "/token", preAuthForm(code(o)), map[string][]string{
			"DPoP": {ts.freshProof(t, newWallet(t))}, "Authorization": {basicAuth(c.ID, c.Secret)},
		})
		wantError(t, res, http.StatusUnauthorized, "invalid_client")
		ts.wantRedeemable(t, code(o), nil)
	})

	refused := []struct {
		name string
		meta map[string]any
		code string
	}{
		{"duplicate client_id", map[string]any{"client_id": "dup"}, "invalid_client_metadata"},
		{"unknown auth method", map[string]any{"token_endpoint_auth_method": "tls_client_auth"}, "invalid_client_metadata"},
		{"unknown auth method none-ish", map[string]any{"token_endpoint_auth_method": "None"}, "invalid_client_metadata"},
		{"method none with a secret", map[string]any{"token_endpoint_auth_method": "none", "client_secret": strings.Repeat("s", 40)}, "invalid_client_metadata"},
		{"short provided secret", map[string]any{"client_secret": strings.Repeat("s", 31)}, "invalid_client_metadata"},
		{"unknown grant type", map[string]any{"grant_types": []string{"urn:example:nope"}}, "invalid_client_metadata"},
		{"client_id with a space", map[string]any{"client_id": "a b"}, "invalid_client_metadata"},
		{"client_id too long", map[string]any{"client_id": strings.Repeat("c", 256)}, "invalid_client_metadata"},
		{"relative redirect URI", map[string]any{"redirect_uris": []string{"/cb"}}, "invalid_client_metadata"},
	}
	ts.registerClient(t, map[string]any{"client_id": "dup"})
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, ts.admin(t, http.MethodPost, "/admin/clients", tc.meta), http.StatusBadRequest, tc.code)
		})
	}
	t.Run("non-JSON content type", func(t *testing.T) {
		res := sendRaw(t, http.MethodPost, ts.URL+"/admin/clients", "application/x-www-form-urlencoded",
			strings.NewReader("client_id=x"), http.Header{"Authorization": {"Bearer " + adminToken}})
		wantError(t, res, http.StatusBadRequest, "invalid_request")
	})
}

// TestAdminOfferLifetime checks that expires_in gives the code's life,
// and its absence the configured default.
func TestAdminOfferLifetime(t *testing.T) {
	ts := newTestServer(t)
	for _, tc := range []struct {
		expiresIn any
		want      time.Duration
	}{
		{nil, 10 * time.Minute},
		{1, time.Second},
		{60, time.Minute},
		{7 * 24 * 3600, 7 * 24 * time.Hour},
	} {
		req := map[string]any{"credential_configuration_ids": []string{pidConfig}, "subject": "s"}
		if tc.expiresIn != nil {
			req["expires_in"] = tc.expiresIn
		}
		if o := ts.offer(t, req); !o.ExpiresAt.Equal(ts.Clock.Now().Add(tc.want)) {
			t.Errorf("expires_in %v: expires_at %s; want %s", tc.expiresIn, o.ExpiresAt, ts.Clock.Now().Add(tc.want))
		}
	}
}

// TestAdminOffers covers offer creation (VCI-16..22) and the offer URI.
func TestAdminOffers(t *testing.T) {
	ts := newTestServer(t)
	valid := func() map[string]any {
		return map[string]any{"credential_configuration_ids": []string{pidConfig}, "subject": "s-1"}
	}
	with := func(k string, v any) map[string]any {
		m := valid()
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	refused := []struct {
		name string
		req  map[string]any
	}{
		{"unknown configuration id", with("credential_configuration_ids", []string{"org.example.unknown"})},
		{"duplicate configuration ids", with("credential_configuration_ids", []string{pidConfig, pidConfig})},
		{"empty configuration list", with("credential_configuration_ids", []string{})},
		{"missing configuration list", with("credential_configuration_ids", nil)},
		{"missing subject", with("subject", nil)},
		{"empty subject", with("subject", "")},
		{"subject of 256 bytes", with("subject", strings.Repeat("s", 256))},
		{"tx_code length 3", with("tx_code", map[string]any{"length": 3})},
		{"tx_code length 17", with("tx_code", map[string]any{"length": 17})},
		{"tx_code input_mode alpha", with("tx_code", map[string]any{"input_mode": "alpha"})},
		{"tx_code description of 301 characters", with("tx_code", map[string]any{"description": strings.Repeat("d", 301)})},
		{"tx_code unknown field", with("tx_code", map[string]any{"foo": 1})},
		{"expires_in -1", with("expires_in", -1)},
		{"expires_in over the maximum", with("expires_in", 7*24*3600+1)},
		{"expires_in 0", with("expires_in", 0)},
		{"expires_in whose nanoseconds overflow into the past", with("expires_in", 9223372037)},
		{"expires_in whose nanoseconds overflow to zero", with("expires_in", int64(1)<<62)},
		{"expires_in the largest int64", with("expires_in", int64(math.MaxInt64))},
		{"expires_in beyond int64", with("expires_in", 1e19)},
		{"expires_in fractional", with("expires_in", 1.5)},
		{"expires_in a string", with("expires_in", "60")},
		{"claims not an object", with("claims", []int{1})},
		{"unknown JSON field", with("foo", "bar")},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, ts.admin(t, http.MethodPost, "/admin/offers", tc.req), http.StatusBadRequest, "invalid_request")
		})
	}
	rawCases := []struct{ name, contentType, body string }{
		{"non-JSON content type", "text/plain", `{"credential_configuration_ids":["` + pidConfig + `"],"subject":"s"}`},
		{"form content type", "application/x-www-form-urlencoded", "subject=s"},
		{"no content type", "", `{"credential_configuration_ids":["` + pidConfig + `"],"subject":"s"}`},
		{"not JSON", "application/json", `{"credential_configuration_ids":`},
		{"trailing data", "application/json", `{"credential_configuration_ids":["` + pidConfig + `"],"subject":"s"} {}`},
		{"JSON array", "application/json", `[]`},
	}
	for _, tc := range rawCases {
		t.Run(tc.name, func(t *testing.T) {
			res := sendRaw(t, http.MethodPost, ts.URL+"/admin/offers", tc.contentType, strings.NewReader(tc.body),
				http.Header{"Authorization": {"Bearer " + adminToken}})
			wantError(t, res, http.StatusBadRequest, "invalid_request")
		})
	}
	accepted := []struct {
		name string
		req  map[string]any
	}{
		{"tx_code description of 300 characters", with("tx_code", map[string]any{"description": strings.Repeat("\u00e9", 300)})},
		{"tx_code length 4", with("tx_code", map[string]any{"length": 4})},
		{"tx_code length 16", with("tx_code", map[string]any{"length": 16})},
		{"two configurations", with("credential_configuration_ids", []string{pidConfig, mdlConfig})},
		{"expires_in 60", with("expires_in", 60)},
	}
	for _, tc := range accepted {
		t.Run(tc.name, func(t *testing.T) {
			o := ts.offer(t, tc.req)
			if code(o) == "" {
				t.Fatalf("offer %+v has no pre-authorized code", o)
			}
		})
	}

	t.Run("by value", func(t *testing.T) {
		raw := adminOfferRaw(t, ts, valid())
		uri, _ := raw["credential_offer_uri"].(string)
		const prefix = "openid-credential-offer://?credential_offer="
		if !strings.HasPrefix(uri, prefix) {
			t.Fatalf("credential_offer_uri = %q; want prefix %q", uri, prefix)
		}
		if _, ok := raw["offer_url"]; ok {
			t.Errorf("offer_url = %v; want none for an offer by value", raw["offer_url"])
		}
		decoded, err := url.QueryUnescape(strings.TrimPrefix(uri, prefix))
		if err != nil {
			t.Fatal(err)
		}
		var fromURI map[string]any
		if err := json.Unmarshal([]byte(decoded), &fromURI); err != nil {
			t.Fatalf("credential_offer in the URI %q: %v", decoded, err)
		}
		if !reflect.DeepEqual(fromURI, raw["credential_offer"]) {
			t.Errorf("URI offer = %v; want credential_offer %v", fromURI, raw["credential_offer"])
		}
		if fromURI["credential_issuer"] != ts.URL {
			t.Errorf("credential_issuer = %v; want %s", fromURI["credential_issuer"], ts.URL)
		}
		if ids, _ := fromURI["credential_configuration_ids"].([]any); len(ids) != 1 || ids[0] != pidConfig {
			t.Errorf("credential_configuration_ids = %v; want [%s]", fromURI["credential_configuration_ids"], pidConfig)
		}
		grants, _ := fromURI["grants"].(map[string]any)
		g, _ := grants[preAuth].(map[string]any)
		if c, _ := g["pre-authorized_code"].(string); c == "" {
			t.Errorf("grants = %v; want a pre-authorized_code", fromURI["grants"])
		}
		if _, ok := g["tx_code"]; ok {
			t.Errorf("grant %v has tx_code; want none when not asked", g)
		}
	})

	t.Run("by reference", func(t *testing.T) {
		raw := adminOfferRaw(t, ts, with("by_reference", true))
		offerURL, _ := raw["offer_url"].(string)
		if !strings.HasPrefix(offerURL, ts.URL+"/") {
			t.Fatalf("offer_url = %q; want a URL under %s", offerURL, ts.URL)
		}
		uri, _ := raw["credential_offer_uri"].(string)
		if want := "openid-credential-offer://?credential_offer_uri=" + url.QueryEscape(offerURL); uri != want {
			t.Fatalf("credential_offer_uri = %q; want %q", uri, want)
		}
		res := sendRaw(t, http.MethodGet, offerURL, "", nil, nil)
		body := readBody(t, res)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET offer_url = %d %s; want 200", res.StatusCode, body)
		}
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("Content-Type = %q; want application/json", ct)
		}
		if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("Cache-Control = %q; want no-store", cc)
		}
		var served map[string]any
		if err := json.Unmarshal(body, &served); err != nil {
			t.Fatalf("offer body %s: %v", body, err)
		}
		if !reflect.DeepEqual(served, raw["credential_offer"]) {
			t.Errorf("served offer = %v; want credential_offer %v", served, raw["credential_offer"])
		}
		// Once redeemed, the offer is no longer served.
		co, _ := raw["credential_offer"].(map[string]any)
		grants, _ := co["grants"].(map[string]any)
		g, _ := grants[preAuth].(map[string]any)
		c, _ := g["pre-authorized_code"].(string)
		wantToken(t, ts.redeemFresh(t, c, nil))
		wantError(t, sendRaw(t, http.MethodGet, offerURL, "", nil, nil), http.StatusNotFound, "not_found")
	})
	t.Run("by reference unknown id", func(t *testing.T) {
		wantError(t, sendRaw(t, http.MethodGet, ts.URL+"/offers/"+randomCode(), "", nil, nil), http.StatusNotFound, "not_found")
	})
	t.Run("by value offer is not served by reference", func(t *testing.T) {
		o := ts.offer(t, nil)
		wantError(t, sendRaw(t, http.MethodGet, ts.URL+"/offers/"+o.OfferID, "", nil, nil), http.StatusNotFound, "not_found")
	})
	t.Run("VCI-21 two offers give distinct URIs and codes", func(t *testing.T) {
		for _, byRef := range []bool{false, true} {
			a := ts.offer(t, with("by_reference", byRef))
			b := ts.offer(t, with("by_reference", byRef))
			if a.CredentialOfferURI == b.CredentialOfferURI || code(a) == code(b) || a.OfferID == b.OfferID {
				t.Errorf("by_reference=%t: two offers share a URI, code or ID: %q / %q", byRef, a.CredentialOfferURI, b.CredentialOfferURI)
			}
		}
	})
}

// TestUsersAdmin covers the users admin API.
func TestUsersAdmin(t *testing.T) {
	ts := newTestServer(t)
	c, _ := pwSetup(t, ts)
	w := newWallet(t)
	for _, tt := range []struct {
		name string
		body map[string]any
	}{
		{"duplicate username", map[string]any{"username": "alice", "password": "another password"}},
		{"short password", map[string]any{"username": "bob", "password": "short"}},
		{"username with a space", map[string]any{"username": "b o b", "password": "long enough"}},
		{"claims not an object", map[string]any{"username": "bob", "password": "long enough", "claims": []int{1}}},
		{"unknown field", map[string]any{"username": "bob", "password": "long enough", "role": "admin"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, ts.admin(t, http.MethodPost, "/admin/users", tt.body), 400, "invalid_request")
		})
	}
	res := ts.admin(t, http.MethodGet, "/admin/users/alice", nil)
	if body := readBody(t, res); res.StatusCode != 200 || !json.Valid(body) || containsAny(string(body), "password", "argon2") {
		t.Fatalf("GET user = %d %s; want 200 without the password or its hash", res.StatusCode, body)
	}
	if res := ts.admin(t, http.MethodDelete, "/admin/users/alice", nil); res.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE user = %d; want 204", res.StatusCode)
	}
	wantError(t, ts.admin(t, http.MethodGet, "/admin/users/alice", nil), 404, "not_found")
	wantError(t, ts.signIn(t, c, w, "alice", "correct horse"), 400, "invalid_grant")
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
