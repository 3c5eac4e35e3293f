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

// The errors of key attestations: the key_attestation header of a jwt
// proof and the attestation proof type.
var (
	errAttRequired                = invalid("this credential requires a key attestation: a key_attestation header or the attestation proof type")
	errAttType                    = invalid("the key proof's key_attestation header must be a key attestation JWT, as a string")
	errAttTooLarge                = invalid(fmt.Sprintf("the key attestation is longer than %d bytes", maxProofSize))
	errAttCompact                 = invalid("the key attestation must be one compact JWS: three base64url parts separated by dots")
	errAttHeaderJSON              = invalid("the key attestation's header must be a JSON object without duplicate members")
	errAttPayloadJSON             = invalid("the key attestation's payload must be a JSON object without duplicate members")
	errAttTyp                     = invalid("the key attestation's typ must be " + AttestationType)
	errAttCrit                    = invalid("the key attestation's crit header is not supported")
	errAttAlg                     = invalid("the key attestation's alg is not one of proof_signing_alg_values_supported")
	errAttKid                     = invalid("the key attestation's kid must be a string")
	errAttX5C                     = invalid(fmt.Sprintf("the key attestation's x5c must be an array of at most %d base64 DER certificates", maxX5C))
	errAttIatMissing              = invalid("the key attestation has no iat")
	errAttIatType                 = invalid("the key attestation's iat must be a number")
	errAttIatOld                  = invalid("the key attestation's iat is too old")
	errAttIatFuture               = invalid("the key attestation's iat is too far in the future")
	errAttExpMissing              = invalid("the key attestation has no exp, which a key_attestation header needs")
	errAttExpType                 = invalid("the key attestation's exp must be a number")
	errAttExpPast                 = invalid("the key attestation has expired (exp)")
	errAttNbfType                 = invalid("the key attestation's nbf must be a number")
	errAttNbfFuture               = invalid("the key attestation is not valid yet (nbf)")
	errAttKeys                    = invalid("the key attestation's attested_keys must be a non-empty array of JWKs")
	errAttTooManyKeys             = invalid(fmt.Sprintf("the key attestation attests more than %d keys", maxAttestedKeys))
	errAttDuplicateKey            = invalid("the key attestation attests the same key twice")
	errAttNonceMissing            = invalid("the key attestation has no nonce: it must carry a c_nonce from the nonce endpoint")
	errAttNonceType               = invalid("the key attestation's nonce must be a string")
	errAttIss                     = invalid("the key attestation's iss must be a string")
	errAttCertification           = invalid("the key attestation's certification must be a string")
	errAttKeyStorage              = invalid("the key attestation's key_storage must be a non-empty array of strings")
	errAttUserAuthentication      = invalid("the key attestation's user_authentication must be a non-empty array of strings")
	errAttKeyStorageLevel         = invalid("the key attestation's key_storage asserts none of the levels this credential requires")
	errAttUserAuthenticationLevel = invalid("the key attestation's user_authentication asserts none of the levels this credential requires")
	errAttKidUnknown              = invalid("the key proof's kid names no key of its key_attestation")
	errAttNotAttested             = invalid("the key proof's key is not one of the attested_keys of its key_attestation")
	errAttNoTrust                 = invalid("key attestations are not accepted here: no wallet provider is trusted")
	errAttUntrusted               = invalid("the key attestation is not signed by a trusted wallet provider")
	errAttNonceExpired            = fmt.Errorf("%w: the key attestation's nonce has expired: get a new c_nonce from the nonce endpoint", ErrInvalidNonce)
	errAttNonceUnknown            = fmt.Errorf("%w: the key attestation's nonce is not a c_nonce of this issuer: get one from the nonce endpoint", ErrInvalidNonce)
)

// keyError describes a key that the key policy (jwkset.Check,
// dpop.CheckPublicKey) refused. Their messages name the defect, never the
// key material.
func keyError(where string, err error) error {
	return fmt.Errorf("%w: the key proof's %s is not an acceptable key: %s", ErrInvalidProof, where, trimKeyPrefix(err.Error()))
}
