// Package clientauth owns who the client of a request is: it
// authenticates it ([Authenticator.Authenticate]) by secret (with the
// delays on guessing), JWT assertion (RFC 7523, with jwks_uri fetching),
// wallet attestation (attestation-based client auth -07, with its
// challenges, trusting the providers of package walletprovider) or
// certificate (RFC 8705).
//
// What an authentication binds the tokens to (an attested wallet
// instance) is returned as an [oauth.Binding] value; the certificate
// binding is computed by [CertificateBinding]. The package never registers
// a client (package clients does), never mints a token, never decides
// what a grant allows, and knows no HTTP.
package clientauth
