// Package resource owns what happens to a token after the token endpoint
// issued it: finding it again (a signed access token or a refresh token by
// its hash), revocation (RFC 7009), introspection for resource servers
// (RFC 7662) and the UserInfo endpoint (OpenID Connect Core §5.3), where
// the token is presented with its proof of possession (DPoP, RFC 9449 §7;
// a client certificate, RFC 8705 §3).
//
// When the issuer runs a credential endpoint of its own, introspection
// gives it the claims to issue (credential_claims) through the lookup the
// service plugs in (Config.CredentialClaims): this package does not know
// where claims come from.
//
// It decides nothing about issuing: it mints no token and runs no grant.
// It knows no HTTP framework: challenges (WWW-Authenticate, DPoP-Nonce)
// travel as data on the [oauth.Error] it returns.
package resource
