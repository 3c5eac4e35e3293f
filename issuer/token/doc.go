// Package token owns the tokens this server signs and hands out: the
// signing key (loaded from the store, created on first start), JWT access
// tokens (RFC 9068) and their verification, ID tokens (OpenID Connect
// Core §2), opaque refresh tokens and their records, the successor of a
// rotated refresh token, the token response with its c_nonce, and the
// JWK set of the public key.
//
// A [Minter] mints what a grant decided; it does not decide. It knows no
// client authentication, grant rule or HTTP: what a token is bound to
// reaches it as an explicit [oauth.Binding], never through a context.
package token
