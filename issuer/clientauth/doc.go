// Package clientauth owns who a client is: authenticating the client of a
// request ([Authenticator.Authenticate]) by secret (with the delays on
// guessing), JWT assertion (RFC 7523, with jwks_uri fetching), wallet
// attestation (attestation-based client auth -07, with its challenges and
// the trusted wallet providers) or certificate (RFC 8705); registering
// clients ([Registry], with the redirect URI allow-list); and the wallet
// providers ([Providers]).
//
// What an authentication binds the tokens to (an attested wallet
// instance) is returned as an [oauth.Binding] value; the certificate
// binding is computed by [CertificateBinding]. The package never mints a
// token, never decides what a grant allows, and knows no HTTP.
package clientauth
