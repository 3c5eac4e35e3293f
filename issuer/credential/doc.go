// Package credential is the credential issuer's side of OpenID4VCI 1.0:
// the credential endpoint (§8). [Service.Issue] takes a credential request
// with its access token, checks the token through the resource server
// (DPoP, certificate binding, revocation), reads the request (the
// credential identifier or configuration the token grants, the key proofs,
// the drafts' single proof and format forms unless strict), verifies every
// key proof, takes the subject's claims from the grant (the offer's claims
// for a pre-authorized code or an offer's issuer_state, else the signed-in
// user's), keeps those the configuration lists and checks its mandatory
// ones, and only then records the proofs as used and signs one credential
// per proof key with the credential signing key: an SD-JWT VC
// (issuer/credential/sdjwt) or an mdoc (issuer/credential/mdoc).
//
// Around it: each credential response carries a notification_id that the
// notification endpoint ([Service.Notify], §11) takes back with the
// wallet's event; an offer that defers answers with a transaction whose
// credentials [Service.Deferred] issues once the claims are supplied (§9);
// a request with credential_response_encryption is answered with a JWE
// (§10). Notification IDs and transaction IDs are stored as their SHA-256
// only (storage.CredentialRecords).
//
// The credential signing key is not the token signing key: an ES256 key
// with an X.509 chain, from the configured files or generated on first
// start (a root CA and a document signer it certifies, kept in the store so
// that every node and every restart uses the same), see [Keys].
//
// The package knows no HTTP framework: errors are [oauth.Error] values the
// web layer renders. It never logs claim values.
package credential
