package dpop

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"errors"
	"fmt"

	"filippo.io/edwards25519"
)

// ErrUnacceptableKey is wrapped by every error of [CheckPublicKey]. Its
// descriptions name the defect, never the key material.
var ErrUnacceptableKey = errors.New("unacceptable public key")

// keyDefect returns a fixed ErrUnacceptableKey error.
func keyDefect(what string) error {
	return fmt.Errorf("%w: %s", ErrUnacceptableKey, what)
}

// The errors CheckPublicKey returns, one per defect.
var (
	errKeyType        = keyDefect("the key type is not EC, RSA or Ed25519")
	errKeyCurve       = keyDefect("an EC key must be on P-256, P-384 or P-521")
	errKeyPoint       = keyDefect("the EC key is not a valid point on its curve")
	errKeyRSASize     = keyDefect(fmt.Sprintf("an RSA modulus must be odd and of %d to %d bits", minRSABits, maxRSABits))
	errKeyRSAExponent = keyDefect("an RSA exponent must be odd, at least 3 and below 2^31")
	errKeyEdSize      = keyDefect("an Ed25519 key must be 32 bytes")
	errKeyEdEncoding  = keyDefect("the Ed25519 key is not the canonical encoding of a curve point")
	errKeyEdOrder     = keyDefect("the Ed25519 key is a point of small order")
)

// CheckPublicKey reports whether pub is a public key this server accepts
// for verifying signatures, whatever carries it (a DPoP proof's jwk, a
// client's or a wallet provider's JWK set, an attestation's cnf.jwk, an
// x5c leaf, a credential request's key proof). Every path that takes a
// key from outside calls it, so the policy lives here only:
//
//   - *ecdsa.PublicKey on P-256, P-384 or P-521, whose coordinates are
//     below the field prime and name a point of the curve other than the
//     point at infinity;
//   - *rsa.PublicKey with an odd modulus of 2048 to 4096 bits and an odd
//     exponent in [3, 2^31);
//   - ed25519.PublicKey of 32 bytes that is the canonical RFC 8032 §5.1.2
//     encoding (y below the field prime, no negative zero x) of a curve
//     point that is not of small order (multiplied by the cofactor 8 it is
//     not the identity). crypto/ed25519 accepts the eight small-order
//     points, and with them a signature R = identity, S = 0 verifies for
//     every message, so anyone could sign for such a key.
//
// Any other type (X25519, secp256k1, a pointer to an ed25519 key, nil) is
// refused. Errors wrap [ErrUnacceptableKey].
func CheckPublicKey(pub crypto.PublicKey) error {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		return checkECKey(k)
	case *rsa.PublicKey:
		return checkRSAKey(k)
	case ed25519.PublicKey:
		return checkEd25519Key(k)
	}
	return errKeyType
}

// checkECKey checks the curve allow-list and the point. PublicKey.Bytes
// refuses coordinates that are negative, not below the field prime, or
// off the curve, and the uncompressed encoding cannot express infinity.
func checkECKey(k *ecdsa.PublicKey) error {
	if k == nil {
		return errKeyType
	}
	switch k.Curve {
	case elliptic.P256(), elliptic.P384(), elliptic.P521():
	default:
		return errKeyCurve
	}
	if k.X == nil || k.Y == nil {
		return errKeyPoint
	}
	if _, err := k.Bytes(); err != nil {
		return errKeyPoint
	}
	return nil
}

// checkRSAKey checks the modulus size and parity and the exponent. An
// even modulus has the factor 2; a small or even exponent is either
// insecure or not a valid RSA exponent.
func checkRSAKey(k *rsa.PublicKey) error {
	if k == nil || k.N == nil {
		return errKeyType
	}
	if n := k.N.BitLen(); k.N.Sign() <= 0 || n < minRSABits || n > maxRSABits || k.N.Bit(0) == 0 {
		return errKeyRSASize
	}
	if k.E < 3 || k.E&1 == 0 || int64(k.E) >= 1<<31 {
		return errKeyRSAExponent
	}
	return nil
}

// checkEd25519Key decodes k as an RFC 8032 §5.1.3 point and refuses
// non-canonical encodings and points of small order. edwards25519's
// SetBytes accepts non-canonical encodings (as most verifiers do), so the
// point is encoded again and must give back the same bytes.
func checkEd25519Key(k ed25519.PublicKey) error {
	if len(k) != ed25519.PublicKeySize {
		return errKeyEdSize
	}
	p, err := new(edwards25519.Point).SetBytes(k)
	if err != nil || !bytes.Equal(p.Bytes(), k) {
		return errKeyEdEncoding
	}
	if new(edwards25519.Point).MultByCofactor(p).Equal(edwards25519.NewIdentityPoint()) == 1 {
		return errKeyEdOrder
	}
	return nil
}
