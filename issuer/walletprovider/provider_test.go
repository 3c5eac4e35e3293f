package walletprovider_test

import (
	"crypto/x509"
	"strings"
	"testing"

	"issuer/issuer/walletprovider"
)

// The validation of a wallet provider (config file and admin API): name,
// issuer, client IDs, and either a JWK set of usable public keys or CA
// trust anchors.

func TestProviderValidate(t *testing.T) {
	k := newKey(t)
	root := ca(t, nil, "Root")
	leaf := issue(t, root, nil, &x509.Certificate{})
	private := jwk(k, "p")
	private["d"] = b64(k.D.FillBytes(make([]byte, 32)))
	keys := jwks(jwk(k, "k1"))
	const name = "name: 1 to 100 printable characters"
	for _, tc := range []struct {
		name string
		p    walletprovider.Provider
		want string // "" when valid; else the start of the error
	}{
		{"JWKS provider", walletprovider.Provider{Name: "w", JWKS: keys}, ""},
		{"x5c provider in base64 DER", walletprovider.Provider{Name: "w", X5CRoots: []string{der64(root.Cert)}}, ""},
		{"x5c provider in PEM", walletprovider.Provider{Name: "w", X5CRoots: []string{pemOf(root.Cert)}}, ""},
		{"base64 DER broken over lines", walletprovider.Provider{Name: "w", X5CRoots: []string{der64(root.Cert)[:40] + "\n " + der64(root.Cert)[40:]}}, ""},
		{"issuer and client IDs", walletprovider.Provider{Name: "w", Issuer: "https://w.example", ClientIDs: []string{"https://wallet.example/a"}, JWKS: keys}, ""},
		{"a name of 100 characters, not bytes", walletprovider.Provider{Name: strings.Repeat("é", 100), JWKS: keys}, ""},
		{"no name", walletprovider.Provider{JWKS: keys}, name},
		{"a name of 101 characters", walletprovider.Provider{Name: strings.Repeat("n", 101), JWKS: keys}, name},
		{"a name with a newline", walletprovider.Provider{Name: "a\nb", JWKS: keys}, name},
		{"a name with DEL", walletprovider.Provider{Name: "a\x7f", JWKS: keys}, name},
		{"a name not UTF-8", walletprovider.Provider{Name: "a\xff", JWKS: keys}, name},
		{"an issuer of 1025 bytes", walletprovider.Provider{Name: "w", Issuer: strings.Repeat("i", 1025), JWKS: keys}, "issuer: at most 1024 printable characters"},
		{"an issuer with a control character", walletprovider.Provider{Name: "w", Issuer: "https://w.example\x00", JWKS: keys}, "issuer: at most 1024 printable characters"},
		{"both jwks and x5c_roots", walletprovider.Provider{Name: "w", JWKS: keys, X5CRoots: []string{der64(root.Cert)}}, "give either jwks or x5c_roots, not both"},
		{"neither", walletprovider.Provider{Name: "w"}, "give the provider's jwks or its x5c_roots"},
		{"a client ID with a space", walletprovider.Provider{Name: "w", ClientIDs: []string{"ok", "has space"}, JWKS: keys}, "client_ids: each 1 to 255 visible ASCII characters"},
		{"an empty client ID", walletprovider.Provider{Name: "w", ClientIDs: []string{""}, JWKS: keys}, "client_ids: each 1 to 255 visible ASCII characters"},
		{"a private key in jwks", walletprovider.Provider{Name: "w", JWKS: jwks(jwk(newKey(t), "a"), private)}, "jwks: key 1: must be a public key"},
		{"a symmetric key in jwks", walletprovider.Provider{Name: "w", JWKS: map[string]any{"keys": []any{map[string]any{"kty": "oct", "k": b64([]byte(strings.Repeat("k", 32)))}}}}, "jwks: key 0: must be a public key"},
		{"an empty key set", walletprovider.Provider{Name: "w", JWKS: map[string]any{"keys": []any{}}}, "jwks: must be a JWK set"},
		{"a root that is not a CA", walletprovider.Provider{Name: "w", X5CRoots: []string{der64(root.Cert), der64(leaf.Cert)}}, "x5c_roots[1]: not a CA certificate"},
		{"a root that is not a certificate", walletprovider.Provider{Name: "w", X5CRoots: []string{"bm90IGEgY2VydA=="}}, "x5c_roots[0]: not an X.509 certificate"},
		{"a root that is neither PEM nor base64", walletprovider.Provider{Name: "w", X5CRoots: []string{"not base64 !"}}, "x5c_roots[0]: neither PEM nor base64 DER"},
		{"a PEM private key as root", walletprovider.Provider{Name: "w", X5CRoots: []string{"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"}},
			"x5c_roots[0]: PEM holds something other than CERTIFICATE blocks"},
		{"a PEM root followed by a non-CA", walletprovider.Provider{Name: "w", X5CRoots: []string{pemOf(root.Cert) + pemOf(leaf.Cert)}}, "x5c_roots[0]: not a CA certificate"},
		{"a PEM root followed by garbage", walletprovider.Provider{Name: "w", X5CRoots: []string{pemOf(root.Cert) + "garbage"}}, "x5c_roots[0]: PEM holds something other than CERTIFICATE blocks"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.p.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Validate() = %v; want valid", err)
			case tc.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.want)):
				t.Fatalf("Validate() = %v; want %q…", err, tc.want)
			}
		})
	}
}
