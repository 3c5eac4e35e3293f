// Package mdoc issues ISO/IEC 18013-5 mdocs in the form OpenID4VCI 1.0
// Appendix A.2 (format mso_mdoc) returns them: the CBOR-encoded IssuerSigned
// structure (ISO/IEC 18013-5 §8.3.2.1.2.2), base64url without padding.
//
// [Issue] builds, for each namespace of the claims, one IssuerSignedItem per
// data element (a random digest ID, 32 random bytes, the element identifier
// and value), wraps each in tag 24, hashes it with SHA-256 into the
// MobileSecurityObject (§9.1.2.4) together with the holder's key as a
// COSE_Key, the docType and the validity, and signs the tag-24-wrapped MSO as
// an untagged COSE_Sign1 (RFC 9052 §4.2) with ES256, the algorithm in the
// protected header and the document signer's certificate chain as x5chain
// (RFC 9360, label 33) in the unprotected one.
//
// The package is pure: no clock (the caller passes the times), no global
// randomness when the caller passes a reader, no I/O. Error messages name
// namespaces and element identifiers, never element values: claim data must
// not reach logs.
//
// [Verify] decodes a credential and checks its issuer signature against the
// x5chain leaf and every value digest; it is this project's own reader (for
// `issuer show`), and the tests check what Issue produces with an independent
// implementation as well (e2e/node/verify-mdoc.mjs, @animo-id/mdoc).
package mdoc
