package clients_test

import (
	"testing"

	"issuer/issuer/clients"
	"issuer/storage"
)

// The redirect URI allow-list (RFC 6749 §3.1.2, RFC 8252 §7-§8, RFC 9700
// §2.1, §4.1).

func TestCheckRedirectURI(t *testing.T) {
	const (
		notAbsolute = "must be an absolute URI"
		fragment    = "must not have a fragment"
		userinfo    = "must not have userinfo"
		http        = "may use http only on a loopback address (http://127.0.0.1 or http://[::1])"
		noHost      = "must name a host"
		scheme      = "must use https, http on a loopback address, or a private-use scheme in reverse domain name form such as com.example.wallet"
	)
	for _, tc := range []struct {
		uri, want string // want "" when allowed
	}{
		{"https://wallet.example/cb", ""},
		{"https://wallet.example:8443/cb?x=1", ""},
		{"HTTPS://wallet.example/cb", ""},
		{"http://127.0.0.1/cb", ""},
		{"http://127.0.0.1:51234/cb", ""},
		{"http://[::1]:51234/cb", ""},
		{"com.example.wallet:/cb", ""},
		{"com.example.wallet://cb", ""},
		{"eu.europa.ec.wallet-1:/cb", ""},
		{"/cb", notAbsolute},
		{"wallet.example/cb", notAbsolute},
		{"", notAbsolute},
		{"https://wallet.example/cb#frag", fragment},
		{"https://wallet.example/cb#", fragment},
		{"https://user:pw@wallet.example/cb", userinfo},
		{"https://user@wallet.example/cb", userinfo},
		{"http://wallet.example/cb", http},
		{"http://localhost/cb", http},
		{"http://127.0.0.2/cb", http},
		{"http://[::ffff:127.0.0.1]/cb", http},
		{"https:///cb", noHost},
		{"https://:443/cb", noHost},
		{"javascript:alert(1)", scheme},
		{"data:text/html,x", scheme},
		{"file:///etc/passwd", scheme},
		{"wallet:/cb", scheme},
		{"com.:/cb", scheme},
		{"com..wallet:/cb", scheme},
		{"com.-wallet:/cb", scheme},
		{"com.wallet-:/cb", scheme},
		{"com.wal_let:/cb", notAbsolute}, // not a URI scheme
		{"com.wal+let:/cb", scheme},
	} {
		err := clients.CheckRedirectURI(tc.uri)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("CheckRedirectURI(%q) = %v; want allowed", tc.uri, err)
		case tc.want != "" && (err == nil || err.Error() != tc.want):
			t.Errorf("CheckRedirectURI(%q) = %v; want %q", tc.uri, err, tc.want)
		}
	}
}

// TestRedirectAllowed: a redirect URI must be registered, exactly, and
// still pass the allow-list (a record from before it existed may hold a
// refused one).
func TestRedirectAllowed(t *testing.T) {
	c := &storage.Client{RedirectURIs: []string{"https://wallet.example/cb", "http://wallet.example/cb", "javascript:alert(1)"}}
	for uri, want := range map[string]bool{
		"https://wallet.example/cb":     true,
		"https://wallet.example/cb/":    false,
		"https://wallet.example/cb?x=1": false,
		"https://WALLET.example/cb":     false,
		"https://other.example/cb":      false,
		"http://wallet.example/cb":      false,
		"javascript:alert(1)":           false,
	} {
		if got := clients.RedirectAllowed(c, uri); got != want {
			t.Errorf("RedirectAllowed(%q) = %t; want %t", uri, got, want)
		}
	}
}
