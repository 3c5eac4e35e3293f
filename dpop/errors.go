package dpop

import (
	"errors"
	"fmt"
)

var (
	// ErrInvalidProof is wrapped by every error that reports a defect of the
	// proof itself. Callers answer it with the invalid_dpop_proof error code
	// (RFC 9449 §5 for the token endpoint, §7.1 for resource servers). The
	// wrapping errors carry fixed descriptions that never echo the proof, so
	// they are safe to log and to return as error_description.
	ErrInvalidProof = errors.New("invalid DPoP proof")

	// ErrUseNonce reports that the server requires a nonce (RFC 9449 §8,
	// §9) and the proof carries none or one that [Input.CheckNonce]
	// refused. Callers answer it with the use_dpop_nonce error code and a
	// fresh DPoP-Nonce header.
	ErrUseNonce = errors.New("DPoP nonce required")
)

// invalid returns a fixed ErrInvalidProof error with a short description.
func invalid(what string) error {
	return fmt.Errorf("%w: %s", ErrInvalidProof, what)
}

// The errors Verify returns, one per defect. They are created once so that
// rejecting a proof does not allocate.
var (
	errTooLarge          = invalid("proof exceeds the size limit")
	errCompact           = invalid("proof must be one compact JWS with three base64url parts")
	errHeaderJSON        = invalid("header must be a JSON object without duplicate members")
	errPayloadJSON       = invalid("payload must be a JSON object without duplicate members")
	errHeaderTypes       = invalid("typ and alg must be strings and jwk an object")
	errPayloadTypes      = invalid("jti, htm, htu, nonce and ath must be strings")
	errMissingTyp        = invalid("typ is required")
	errMissingAlg        = invalid("alg is required")
	errMissingJWK        = invalid("jwk is required")
	errMissingJTI        = invalid("jti is required")
	errMissingHTM        = invalid("htm is required")
	errMissingHTU        = invalid("htu is required")
	errMissingIAT        = invalid("iat is required")
	errJTITooLong        = invalid("jti is too long")
	errTyp               = invalid("typ must be dpop+jwt")
	errCrit              = invalid("crit is not supported")
	errAlg               = invalid("alg is not allowed")
	errJWKMalformed      = invalid("jwk is malformed")
	errJWKPrivate        = invalid("jwk must not contain private key members")
	errJWKSymmetric      = invalid("jwk must not be a symmetric key")
	errJWKAlgMismatch    = invalid("jwk key type does not match alg")
	errJWKPoint          = invalid("jwk is not a valid point on the curve")
	errJWKSmallOrder     = invalid("jwk is an Ed25519 point of small order")
	errJWKRSASize        = invalid("jwk RSA modulus must be odd and of 2048 to 4096 bits")
	errJWKRSAExponent    = invalid("jwk RSA exponent is not acceptable")
	errSignature         = invalid("signature does not verify")
	errHTM               = invalid("htm does not match the request method")
	errHTUSyntax         = invalid("htu must be an absolute http(s) URI without userinfo")
	errHTUMismatch       = invalid("htu does not match the request URI")
	errIATType           = invalid("iat must be a non-negative integer")
	errIATOld            = invalid("iat is too old")
	errIATFuture         = invalid("iat is too far in the future")
	errEXPType           = invalid("exp must be a number")
	errEXPPast           = invalid("exp is in the past")
	errATH               = invalid("ath does not match the access token")
	errMissingATH        = invalid("ath is required with an access token")
	errNonceMissingOrBad = fmt.Errorf("%w: nonce is missing or not current", ErrUseNonce)
)
