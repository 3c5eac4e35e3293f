// Package proof checks the DPoP proofs (RFC 9449) that requests to this
// server's own endpoints carry (the token endpoint, PAR, UserInfo), with
// the server-provided nonces when they are on (§8), and issues those
// DPoP-Nonce values.
//
// It answers in OAuth errors (package oauth) and leaves the recording of a
// proof's jti to the caller, which does it in the transaction that uses
// the proof. The proof's cryptography and claims are package dpop's; this
// package only adds the server's policy. It knows no client, grant or
// HTTP framework.
package proof
