// Package grant owns the token endpoint (RFC 6749 §3.2): the grant table
// and what each grant type may be used by ([Endpoint.Token] checks the
// grant type, authenticates the client through package clientauth,
// verifies the DPoP proof through package proof, and runs the grant), and
// one file per grant: the pre-authorized code (OpenID4VCI 1.0 §6.1), the
// authorization code (RFC 6749 §4.1.3 with PKCE and DPoP), the refresh
// token (§6, with rotation), client credentials (§4.4), the resource owner
// password (§4.3) and the UMA ticket (UMA Grant §3.3). Every grant runs
// over one [Request] value, checks everything first, and then consumes its
// artifact and records its tokens in one store transaction; the store's
// refusals map to OAuth errors in one place (storeerrors.go).
//
// A grant decides; it does not mint (package token does), authenticate
// clients (clientauth), check offers (offer), grant authorization_details
// (authz) or evaluate UMA policy (uma). It knows no HTTP framework: the
// web package parses the request into a [TokenRequest] and renders the
// result or the [oauth.Error].
package grant
