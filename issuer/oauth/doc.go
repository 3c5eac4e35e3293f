// Package oauth holds the protocol vocabulary that the domain (package
// issuer) and the HTTP layer (package web) share: the OAuth error response
// ([Error], its codes and constructors), the grant type and client
// authentication method names, and the names of the protocol's HTTP header
// fields.
//
// An [Error] carries what the response must say as data: its status, code
// and description, and the challenges that go with it (a WWW-Authenticate
// [Challenge], a Retry-After delay, a DPoP-Nonce, an attestation
// challenge). Rendering them into header fields is the HTTP layer's job.
//
// The package is a leaf: it imports only the standard library, so that
// every part of the domain can use it without importing another.
package oauth
