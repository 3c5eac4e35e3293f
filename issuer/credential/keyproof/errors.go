package keyproof

import (
	"fmt"
)

// invalid returns a fixed ErrInvalidProof error with a description.
func invalid(what string) error {
	return fmt.Errorf("%w: %s", ErrInvalidProof, what)
}

// The errors of Verify, one per defect, created once so that refusing a
// proof does not allocate. Their descriptions name the offending header
// or claim, never its value.
var (
	errTooLarge       = invalid(fmt.Sprintf("the key proof is longer than %d bytes", maxProofSize))
	errCompact        = invalid("the key proof must be one compact JWS: three base64url parts separated by dots")
	errHeaderJSON     = invalid("the key proof's header must be a JSON object without duplicate members")
	errPayloadJSON    = invalid("the key proof's payload must be a JSON object without duplicate members")
	errTyp            = invalid("the key proof's typ must be " + Type)
	errAlgType        = invalid("the key proof's alg must be a string")
	errAlg            = invalid("the key proof's alg is not one of proof_signing_alg_values_supported")
	errNoAlgs         = invalid("the credential configuration allows no proof signing algorithm")
	errCrit           = invalid("the key proof's crit header is not supported")
	errKeyCount       = invalid("the key proof's header must carry exactly one of jwk, kid and x5c")
	errKid            = invalid("key identifiers (kid, e.g. DIDs) are not supported: send the key as jwk")
	errJWKMalformed   = invalid("the key proof's jwk is not a valid JWK")
	errJWKPrivate     = invalid("the key proof's jwk must be a public key, without private members (d, p, q, dp, dq, qi, k, oth)")
	errJWKAlg         = invalid("the key proof's jwk has an alg other than the proof's")
	errJWKUse         = invalid("the key proof's jwk has a use other than sig")
	errX5CMalformed   = invalid("the key proof's x5c must be an array of base64 DER certificates")
	errX5CTooLong     = invalid(fmt.Sprintf("the key proof's x5c has more than %d certificates", maxX5C))
	errKeyAlgMismatch = invalid("the key proof's key does not fit its alg")
	errSignature      = invalid("the key proof's signature does not verify with the key in its header")
	errAudType        = invalid("the key proof's aud must be one string, the credential issuer identifier")
	errAud            = invalid("the key proof's aud must be the credential issuer identifier")
	errIatMissing     = invalid("the key proof has no iat")
	errIatType        = invalid("the key proof's iat must be a number")
	errIatOld         = invalid("the key proof's iat is too old")
	errIatFuture      = invalid("the key proof's iat is too far in the future")
	errExpType        = invalid("the key proof's exp must be a number")
	errExpPast        = invalid("the key proof has expired (exp)")
	errNbfType        = invalid("the key proof's nbf must be a number")
	errNbfFuture      = invalid("the key proof is not valid yet (nbf)")
	errIssType        = invalid("the key proof's iss must be a string")
	errIssAnonymous   = invalid("the key proof must have no iss: the access token was issued to no client")
	errIss            = invalid("the key proof's iss must be the client_id the access token was issued to")
	errNonceMissing   = invalid("the key proof has no nonce: get one from the nonce endpoint")
	errNonceType      = invalid("the key proof's nonce must be a string")
	errNonceExpired   = fmt.Errorf("%w: the key proof's nonce has expired: get a new one from the nonce endpoint", ErrInvalidNonce)
	errNonceUnknown   = fmt.Errorf("%w: the key proof's nonce is not a c_nonce of this issuer: get one from the nonce endpoint", ErrInvalidNonce)
)

// keyError describes a key that the key policy (jwkset.Check,
// dpop.CheckPublicKey) refused. Their messages name the defect, never the
// key material.
func keyError(where string, err error) error {
	return fmt.Errorf("%w: the key proof's %s is not an acceptable key: %s", ErrInvalidProof, where, trimKeyPrefix(err.Error()))
}
