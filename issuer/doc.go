// Package issuer is the domain of the token service: it owns the grants
// (today the OpenID4VCI pre-authorized code), client authentication, the
// credential offers and their codes, the minting of DPoP-bound access tokens,
// the c_nonce hand-off, the server metadata, and the OAuth error model. It
// knows nothing of HTTP frameworks or storage engines: the web package turns
// HTTP requests into calls on [Service], and the state lives behind
// [storage.Store].
package issuer
