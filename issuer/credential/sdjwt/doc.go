// Package sdjwt issues SD-JWT VCs: the dc+sd-jwt credential format of
// OpenID4VCI 1.0 Appendix A.3, an SD-JWT (RFC 9901) whose payload follows
// draft-ietf-oauth-sd-jwt-vc and whose header follows HAIP 1.0.
//
// [Issue] turns a subject's claims into the compact form
// `<issuer-signed JWT>~<disclosure>~…~` (RFC 9901 §4, no Key Binding JWT:
// the holder adds one when presenting):
//
//   - header: alg ES256, typ dc+sd-jwt (SD-JWT VC §3.2.1), x5c with the
//     issuer's certificate chain, leaf first (HAIP §6.1.1; RFC 7515 §4.1.6);
//   - payload: iss, iat, exp, nbf when set, vct, cnf.jwk with the holder's
//     public key (RFC 7800 §3.2), _sd_alg sha-256 (RFC 9901 §4.1.1), and the
//     claims, plain or selectively disclosable;
//   - each claim that a claim path pointer (OpenID4VCI 1.0 Appendix C) of
//     [Input.Disclosable] selects becomes a disclosure (RFC 9901 §4.2.1,
//     §4.2.2) with a 128-bit salt from [Input.Rand]; its digest, the
//     base64url SHA-256 of the disclosure as sent (§4.2.3), goes into the
//     _sd array of its object (§4.2.4.1), sorted, or replaces an array
//     element as {"...": digest} (§4.2.4.2). Paths may nest (an object
//     disclosed whose members are disclosed too, §4.2.6); optional decoy
//     digests hide how many claims an object holds (§4.2.5).
//
// The registered claims iss, iat, exp, nbf, vct, vct#integrity, cnf and
// status are set by Issue from its input and are never disclosable
// (SD-JWT VC §3.2.2.2); claims of these names are refused, as are the
// names _sd and "..." anywhere and _sd_alg at the top (RFC 9901 §4.2.2).
//
// [Verify] is this package's own decoder and verifier, for tools and the
// package's tests. It never stands alone as proof that the format is right:
// the tests also verify every credential with the independent npm library
// @sd-jwt/sd-jwt-vc (e2e/node/verify-sdjwt.mjs).
package sdjwt
