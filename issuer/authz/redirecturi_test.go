package authz

import (
	"net/url"
	"testing"

	"issuer/issuer/oauth"
)

// TestRedirectToRefusesDisallowedURIs: the builder of every /authorize
// redirect refuses a redirect URI outside the allow-list, as a request
// pushed or a sign-in started before the allow-list existed may hold one.
func TestRedirectToRefusesDisallowedURIs(t *testing.T) {
	s := &Authz{cfg: Config{URL: "https://issuer.example"}}
	for _, u := range []string{"javascript:alert(1)", "data:text/html,x", "http://wallet.example/cb", "https://u@wallet.example/cb"} {
		got, err := s.redirectTo(authRequest{RedirectURI: u, State: "s"}, url.Values{"code": {"c"}})
		if err == nil || got != "" {
			t.Errorf("redirectTo(%q) = %q, %v; want no URL and an error", u, got, err)
		}
		if _, err := s.errorRedirect(authRequest{RedirectURI: u}, oauth.ErrInvalidRequest("x")); err == nil {
			t.Errorf("errorRedirect(%q) redirected", u)
		}
	}
	got, err := s.redirectTo(authRequest{RedirectURI: "com.example.wallet:/cb?a=1", State: "s"}, url.Values{"code": {"c"}})
	if err != nil || got != "com.example.wallet:/cb?a=1&code=c&iss=https%3A%2F%2Fissuer.example&state=s" {
		t.Errorf("redirectTo(private-use URI) = %q, %v", got, err)
	}
}
