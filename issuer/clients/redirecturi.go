package clients

import (
	"errors"
	"net/url"
	"slices"
	"strings"

	"issuer/storage"
)

// Reasons a redirect URI is refused (RFC 6749 §3.1.2, RFC 8252 §7-§8,
// RFC 9700 §2.1, §4.1).
var (
	errRedirectNotAbsolute = errors.New("must be an absolute URI")
	errRedirectFragment    = errors.New("must not have a fragment")
	errRedirectUserinfo    = errors.New("must not have userinfo")
	errRedirectHTTP        = errors.New("may use http only on a loopback address (http://127.0.0.1 or http://[::1])")
	errRedirectNoHost      = errors.New("must name a host")
	errRedirectScheme      = errors.New("must use https, http on a loopback address, or a private-use scheme in reverse domain name form such as com.example.wallet")
)

// CheckRedirectURI is the one allow-list of redirect URIs, applied to
// registrations, to the redirect_uris of wallet attestations and again
// before the authorization endpoint redirects: an absolute URI without
// fragment or userinfo whose scheme is
//   - https with a host;
//   - http with the loopback address 127.0.0.1 or [::1] (RFC 8252 §7.3;
//     "localhost" is refused, RFC 8252 §8.3: the name may not resolve to
//     the loopback interface);
//   - a private-use scheme of a native wallet, a reverse domain name with
//     at least one dot such as com.example.wallet (RFC 8252 §7.1).
//
// Every other scheme (javascript, data, file, a bare custom word) is
// refused: the browser would run or read it instead of handing the
// response to the client.
func CheckRedirectURI(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil || !u.IsAbs():
		return errRedirectNotAbsolute
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return errRedirectFragment
	case u.User != nil:
		return errRedirectUserinfo
	}
	switch u.Scheme {
	case "https":
		if u.Host == "" || u.Hostname() == "" {
			return errRedirectNoHost
		}
		return nil
	case "http":
		if h := u.Hostname(); h != "127.0.0.1" && h != "::1" {
			return errRedirectHTTP
		}
		return nil
	}
	if !privateUseScheme(u.Scheme) {
		return errRedirectScheme
	}
	return nil
}

// privateUseScheme reports whether scheme is a reverse domain name
// (RFC 8252 §7.1): labels of letters, digits and hyphens, at least two,
// separated by dots. url.Parse has already lowercased it.
func privateUseScheme(scheme string) bool {
	labels := strings.Split(scheme, ".")
	if len(labels) < 2 {
		return false
	}
	return !slices.ContainsFunc(labels, func(l string) bool { return !dnsLabel(l) })
}

// dnsLabel reports whether l is a non-empty label of lowercase letters,
// digits and inner hyphens.
func dnsLabel(l string) bool {
	if l == "" || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for _, c := range []byte(l) {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

// RedirectAllowed reports whether uri is one of the client's registered
// redirect URIs and passes [CheckRedirectURI]: a record registered before
// the allow-list existed cannot send the browser to a refused URI.
func RedirectAllowed(client *storage.Client, uri string) bool {
	return slices.Contains(client.RedirectURIs, uri) && CheckRedirectURI(uri) == nil
}
