// Package authz owns the authorization code flow up to the code: pushed
// authorization requests (RFC 9126, with their quota and DPoP proof),
// /authorize, the sign-in and consent pages with their sessions and CSRF
// tokens, the redirects back to the client (RFC 9207), the users (admin
// API, argon2id passwords, the sign-in delays shared with the password
// grant), and authorization_details (the configurations a request asks
// for, and the details a token covers).
//
// It does not redeem the code or mint tokens (package grant and package
// token do), and knows no HTTP: web renders the pages and redirects it
// returns.
package authz
