package web_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"issuer/issuer"
	"issuer/issuer/oauth"
	"issuer/storage"
)

// TestHAIPProfile: under the haip profile a public client is refused at
// registration, at the token endpoint and at PAR, an anonymous
// pre-authorized redemption and the password grant are refused, and the
// metadata advertises none of them.
func TestHAIPProfile(t *testing.T) {
	ts := newTestServer(t, func(c *issuer.Config) {
		c.Profile = issuer.ProfileHAIP
		c.URL = "https" + strings.TrimPrefix(c.URL, "http") // the profile's rule; these requests carry no proof
	})
	res := ts.admin(t, http.MethodPost, "/admin/clients", map[string]any{
		"client_id": "wallet", "token_endpoint_auth_method": "none", "grant_types": []string{"authorization_code"},
		"redirect_uris": []string{"https://wallet.example/cb"},
	})
	if e := wantError(t, res, http.StatusBadRequest, "invalid_client_metadata"); !strings.Contains(e.Description, "haip") {
		t.Errorf("registration refused with %q; want the profile named", e.Description)
	}
	// A public client registered before the profile was switched on.
	if err := ts.Store.CreateClient(t.Context(), storage.Client{ID: "wallet", AuthMethod: oauth.AuthNone,
		GrantTypes: []string{oauth.GrantAuthorizationCode}, RedirectURIs: []string{"https://wallet.example/cb"}}); err != nil {
		t.Fatal(err)
	}
	const refused = "the client must authenticate: public clients use a wallet attestation (attest_jwt_client_auth)"
	res = ts.post(t, "/token", url.Values{"grant_type": {oauth.GrantAuthorizationCode}, "client_id": {"wallet"}, "code": {"c"},
		"redirect_uri": {"https://wallet.example/cb"}, "code_verifier": {strings.Repeat("v", 43)}}, nil)
	if e := wantError(t, res, http.StatusUnauthorized, "invalid_client"); e.Description != refused {
		t.Errorf("token request of a public client: %q; want %q", e.Description, refused)
	}
	res = ts.post(t, "/par", url.Values{"client_id": {"wallet"}, "response_type": {"code"}, "redirect_uri": {"https://wallet.example/cb"},
		"code_challenge": {strings.Repeat("c", 43)}, "code_challenge_method": {"S256"}}, nil)
	if e := wantError(t, res, http.StatusUnauthorized, "invalid_client"); e.Description != refused {
		t.Errorf("PAR of a public client: %q; want %q", e.Description, refused)
	}
	o := ts.offer(t, map[string]any{"credential_configuration_ids": []string{issuer.PIDSDJWTConfiguration}, "subject": "alice"})
	res = ts.post(t, "/token", preAuthForm(code(o)), nil)
	if e := wantError(t, res, http.StatusUnauthorized, "invalid_client"); !strings.Contains(e.Description, "client authentication is required") {
		t.Errorf("anonymous redemption: %q; want client authentication required", e.Description)
	}
	res = ts.post(t, "/token", url.Values{"grant_type": {oauth.GrantPassword}, "username": {"alice"}, "password": {"x"}}, nil)
	wantError(t, res, http.StatusBadRequest, "unsupported_grant_type")

	m, _ := getJSON(t, ts.URL+"/.well-known/oauth-authorization-server")
	if m["pre-authorized_grant_anonymous_access_supported"] != false {
		t.Errorf("pre-authorized_grant_anonymous_access_supported = %v; want false", m["pre-authorized_grant_anonymous_access_supported"])
	}
	for key, value := range map[string]string{"token_endpoint_auth_methods_supported": "none", "grant_types_supported": "password"} {
		if list, _ := m[key].([]any); slices.Contains(list, any(value)) || len(list) == 0 {
			t.Errorf("%s = %v; want it without %s", key, m[key], value)
		}
	}
}
