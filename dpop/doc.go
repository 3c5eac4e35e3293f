// Package dpop owns the verification (and, for clients and tests, the
// creation) of OAuth 2.0 DPoP proof JWTs as defined by RFC 9449.
//
// The package is pure: it performs no I/O, keeps no state between calls and
// knows nothing about HTTP frameworks or storage. A server creates one
// [Verifier] with [NewVerifier] and calls [Verifier.Verify] for every request
// that carries a DPoP header (RFC 9449 §4.3). The caller remains responsible
// for the parts of RFC 9449 that need state or the HTTP layer:
//
//   - refusing requests with more than one DPoP header (§4.3 check 1);
//   - remembering [Proof.ReplayKey] until [Proof.ReplayExpiry] and refusing a
//     proof whose ReplayKey was already seen (§11.1);
//   - issuing and validating nonces (§8, §9), plugged in through
//     [Input.CheckNonce], and answering [ErrUseNonce] with a use_dpop_nonce
//     error and a fresh DPoP-Nonce header;
//   - binding tokens to [Proof.JKT] (§6) and, at a resource server, checking
//     that the access token's cnf.jkt equals [Proof.JKT] (§7.1).
//
// Proof parsing is hand-written for speed: the compact JWS is split and
// base64url-decoded directly, and header and payload JSON are scanned by a
// small strict scanner that also rejects duplicate member names. Signatures
// are checked with the standard library only (ES256, ES384, PS256, RS256 and
// EdDSA with Ed25519).
//
// [CheckPublicKey] is the server's one policy for public keys from outside
// (a proof's jwk, JWK sets, attestation keys, key proofs): the proof's jwk
// passes it, and so must every other key before it verifies a signature.
// It refuses, among others, Ed25519 keys of small order, which
// crypto/ed25519 accepts.
//
// [Sign] creates proofs; it is meant for tests, command-line tools and load
// generators.
package dpop
