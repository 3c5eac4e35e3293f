package sdjwt

import "errors"

// Errors of [Issue], each wrapped with the detail; the details name claims
// and paths, never claim values.
var (
	// ErrInput: a required input is missing or out of range (iss, vct,
	// times, the randomness source).
	ErrInput = errors.New("sdjwt: invalid input")
	// ErrReservedClaim: the claims hold a name the encoder sets itself or
	// that SD-JWT reserves, or a path would make such a claim disclosable.
	ErrReservedClaim = errors.New("sdjwt: reserved claim name")
	// ErrClaimPath: a claim path pointer is malformed or does not fit the
	// shape of the claims (a name applied to an array, an index to an
	// object, a path through a plain value).
	ErrClaimPath = errors.New("sdjwt: invalid claim path")
	// ErrKey: the issuer's key, its certificate chain or the holder's key
	// is missing or not acceptable.
	ErrKey = errors.New("sdjwt: unacceptable key")
)

// Errors of [Verify].
var (
	// ErrMalformed: the credential is not a well-formed SD-JWT VC.
	ErrMalformed = errors.New("sdjwt: malformed credential")
	// ErrSignature: the issuer's signature does not verify, or the key is
	// not the expected one.
	ErrSignature = errors.New("sdjwt: signature not valid")
	// ErrDisclosure: a disclosure is malformed, not referenced by the
	// payload, or referenced twice (RFC 9901 §7.1).
	ErrDisclosure = errors.New("sdjwt: invalid disclosure")
)
