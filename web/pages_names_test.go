package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"issuer/issuer"
)

// TestPagesNameTheIssuerAndClient: the sign-in and consent pages show the
// issuer's display name and logo (metadata display) and the client's
// registered client_name, escaped; the consent page has its own title;
// the Content-Security-Policy lets in the logo's origin and nothing else
// (issue 15).
func TestPagesNameTheIssuerAndClient(t *testing.T) {
	t.Parallel()
	s := newAuthFlow(t, func(c *issuer.Config) {
		c.Display = []map[string]any{{"name": "Demo Registry", "locale": "en",
			"logo": map[string]any{"uri": "https://logo.example/r.png", "alt_text": "Registry logo"}}}
	})
	s.afCreateClient(t, map[string]any{
		"client_id": "named", "client_name": `<Wallet & "Co">`, "token_endpoint_auth_method": "none",
		"grant_types": []string{"authorization_code"}, "redirect_uris": []string{afRedirect},
	})
	b := newBrowser(t)
	uri := paPush(t, s.testServer, afParams("named", newPKCE(t), url.Values{"scope": {pidConfig}}), nil)
	res := paAuthorize(t, s.testServer, b, "named", uri)
	page := string(readBody(t, res))
	for _, want := range []string{
		`<title>Sign in</title>`, `id="issuer-name">Demo Registry<`, `src="https://logo.example/r.png" alt="Registry logo"`,
		`id="client-name">&lt;Wallet &amp; &#34;Co&#34;&gt;<`, `id="client">named<`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("login page lacks %s:\n%s", want, page)
		}
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.HasSuffix(csp, "; img-src https://logo.example") {
		t.Errorf("Content-Security-Policy = %q; want img-src of the logo's origin only", csp)
	}
	res = paLogin(t, s.testServer, b, afCSRF(t, []byte(page)), afUser, afPassword)
	page = string(readBody(t, res))
	for _, want := range []string{`<title>Allow access</title>`, `id="issuer-name">Demo Registry<`, `id="client-name">&lt;Wallet`} {
		if !strings.Contains(page, want) {
			t.Errorf("consent page lacks %s:\n%s", want, page)
		}
	}
}

// TestPagesWithoutDisplay: without a display the pages name the issuer by
// its URL, a client without client_name by its client_id, and no logo or
// img-src appears.
func TestPagesWithoutDisplay(t *testing.T) {
	t.Parallel()
	s := newAuthFlow(t)
	uri := paPush(t, s.testServer, afParams(s.ClientID, newPKCE(t), url.Values{"scope": {pidConfig}}), nil)
	res := paAuthorize(t, s.testServer, newBrowser(t), s.ClientID, uri)
	page := string(readBody(t, res))
	if !strings.Contains(page, `id="issuer-name">`+s.URL+`<`) || strings.Contains(page, "<img") || strings.Contains(page, "client-name") {
		t.Errorf("login page without display and client_name:\n%s", page)
	}
	if csp := res.Header.Get("Content-Security-Policy"); strings.Contains(csp, "img-src") {
		t.Errorf("Content-Security-Policy = %q; want no img-src", csp)
	}
}

// TestClientNameRefused: a client_name the pages could not show sanely is
// refused at registration.
func TestClientNameRefused(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	for name, value := range map[string]string{"too long": strings.Repeat("n", 101), "control character": "a\nb"} {
		res := ts.admin(t, http.MethodPost, "/admin/clients", map[string]any{"client_name": value, "token_endpoint_auth_method": "none"})
		if e := wantError(t, res, http.StatusBadRequest, "invalid_client_metadata"); !strings.Contains(e.Description, "client_name") {
			t.Errorf("%s: error_description = %q; want it to name client_name", name, e.Description)
		}
	}
}
