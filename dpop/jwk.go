package dpop

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"math/big"
)

// b64 is the base64url alphabet without padding (RFC 7515 §2), strict about
// trailing bits so that every value has exactly one accepted encoding.
var b64 = base64.RawURLEncoding.Strict()

// RSA modulus bounds accepted in a proof's jwk.
const (
	minRSABits = 2048
	maxRSABits = 4096
)

// jwkFields are the JWK members (RFC 7517 §4, RFC 7518 §6, RFC 8037 §2) this
// package reads. Values are base64url text exactly as sent.
type jwkFields struct {
	kty, crv, x, y, n, e []byte
	private              bool // a private or symmetric key member is present
}

// parseJWKFields reads the members of the jwk object raw (already validated
// JSON). Members other than the ones above (kid, use, alg, ...) are ignored.
func parseJWKFields(raw []byte) (jwkFields, error) {
	var f jwkFields
	var buf [maxMembers]member
	ms, err := scanObject(raw, buf[:0])
	if err != nil {
		return f, err
	}
	for _, m := range ms {
		var dst *[]byte
		switch string(m.name) {
		case "kty":
			dst = &f.kty
		case "crv":
			dst = &f.crv
		case "x":
			dst = &f.x
		case "y":
			dst = &f.y
		case "n":
			dst = &f.n
		case "e":
			dst = &f.e
		case "d", "p", "q", "dp", "dq", "qi", "oth", "k":
			f.private = true
		}
		if dst != nil {
			v, ok := stringValue(m.value)
			if !ok {
				return f, errNotObject
			}
			*dst = v
		}
	}
	return f, nil
}

// publicKey builds the public key described by f for algorithm a (RFC 9449
// §4.3 checks 5 to 7: a public key only, of the type alg needs). It returns
// the key and its RFC 7638 thumbprint.
func publicKey(f *jwkFields, a *algorithm) (crypto.PublicKey, string, error) {
	switch {
	case len(f.kty) == 0:
		return nil, "", errJWKMalformed
	case string(f.kty) == "oct":
		return nil, "", errJWKSymmetric
	case f.private:
		return nil, "", errJWKPrivate
	case string(f.kty) != a.kty:
		return nil, "", errJWKAlgMismatch
	}
	var pub crypto.PublicKey
	var err error
	switch a.kty {
	case ktyEC:
		pub, err = ecKey(f, a)
	case ktyRSA:
		pub, err = rsaKey(f)
	default:
		pub, err = okpKey(f, a)
	}
	if err != nil {
		return nil, "", err
	}
	// An EC key is already held to the policy of CheckPublicKey: its curve
	// comes from the alg table (P-256, P-384) and ParseUncompressedPublicKey
	// validated the point. Checking it again would cost the hot path three
	// allocations for nothing.
	if a.kty != ktyEC {
		if err := CheckPublicKey(pub); err != nil {
			return nil, "", proofKeyError(err)
		}
	}
	// The members were strictly decoded and length-checked above, so they are
	// the canonical encodings RFC 7638 §3.2 hashes.
	var buf [1024]byte
	return pub, thumbprintOf(appendCanonicalJWK(buf[:0], a.kty, f.crv, f.x, f.y, f.n, f.e)), nil
}

// ecKey decodes an EC P-256/P-384 JWK (RFC 7518 §6.2.1). Coordinates must be
// exactly the coordinate size (§6.2.1.2) and the point must be on the curve:
// ecdsa.ParseUncompressedPublicKey rejects anything else without panicking.
func ecKey(f *jwkFields, a *algorithm) (*ecdsa.PublicKey, error) {
	if string(f.crv) != a.crv {
		return nil, errJWKAlgMismatch
	}
	var point [1 + 2*48]byte
	point[0] = 4 // SEC 1 uncompressed point
	if !decodeExact(point[1:1+a.size], f.x) || !decodeExact(point[1+a.size:1+2*a.size], f.y) {
		return nil, errJWKMalformed
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(a.curve, point[:1+2*a.size])
	if err != nil {
		return nil, errJWKPoint
	}
	return pub, nil
}

// rsaKey decodes an RSA JWK (RFC 7518 §6.3.1). n and e must use the minimum
// number of octets (§6.3.1.1, §6.3.1.2), so that the thumbprint is unique;
// n is at most maxRSABits long and e at most 4 octets. CheckPublicKey then
// applies the size and exponent policy.
func rsaKey(f *jwkFields) (*rsa.PublicKey, error) {
	var nb [maxRSABits / 8]byte
	nl, ok := decodeInto(nb[:], f.n)
	if !ok || nl == 0 || nb[0] == 0 {
		return nil, errJWKMalformed
	}
	var eb [4]byte
	el, ok := decodeInto(eb[:], f.e)
	if !ok || el == 0 || eb[0] == 0 {
		return nil, errJWKMalformed
	}
	e := 0
	for _, c := range eb[:el] {
		e = e<<8 | int(c)
	}
	return &rsa.PublicKey{N: new(big.Int).SetBytes(nb[:nl]), E: e}, nil
}

// proofKeyError maps a CheckPublicKey error to the fixed proof error that
// describes it.
func proofKeyError(err error) error {
	switch err {
	case errKeyRSASize:
		return errJWKRSASize
	case errKeyRSAExponent:
		return errJWKRSAExponent
	case errKeyEdOrder:
		return errJWKSmallOrder
	}
	return errJWKPoint
}

// okpKey decodes an Ed25519 OKP JWK (RFC 8037 §2).
func okpKey(f *jwkFields, a *algorithm) (ed25519.PublicKey, error) {
	if string(f.crv) != a.crv {
		return nil, errJWKAlgMismatch
	}
	pub := make(ed25519.PublicKey, ed25519.PublicKeySize)
	if !decodeExact(pub, f.x) {
		return nil, errJWKMalformed
	}
	return pub, nil
}

// decodeExact base64url-decodes src into dst, which it must fill exactly.
func decodeExact(dst, src []byte) bool {
	n, ok := decodeInto(dst, src)
	return ok && n == len(dst)
}

// decodeInto base64url-decodes src into dst if it fits. Only alphabet
// characters are accepted: encoding/base64 would skip CR and LF, which a
// JSON escape can smuggle in, and the text would then not be the canonical
// encoding the thumbprint is computed from.
func decodeInto(dst, src []byte) (int, bool) {
	if b64.DecodedLen(len(src)) > len(dst) {
		return 0, false
	}
	for _, c := range src {
		if !b64url[c] {
			return 0, false
		}
	}
	n, err := b64.Decode(dst, src)
	return n, err == nil
}

// appendCanonicalJWK appends the RFC 7638 §3.2 canonical JSON of a public
// key: only the required members, in lexicographic order, no whitespace.
// Values are base64url text, which needs no JSON escaping.
func appendCanonicalJWK(dst []byte, kty string, crv, x, y, n, e []byte) []byte {
	switch kty {
	case ktyEC:
		dst = append(dst, `{"crv":"`...)
		dst = append(dst, crv...)
		dst = append(dst, `","kty":"EC","x":"`...)
		dst = append(dst, x...)
		dst = append(dst, `","y":"`...)
		dst = append(dst, y...)
	case ktyRSA:
		dst = append(dst, `{"e":"`...)
		dst = append(dst, e...)
		dst = append(dst, `","kty":"RSA","n":"`...)
		dst = append(dst, n...)
	default:
		dst = append(dst, `{"crv":"`...)
		dst = append(dst, crv...)
		dst = append(dst, `","kty":"OKP","x":"`...)
		dst = append(dst, x...)
	}
	return append(dst, `"}`...)
}

// thumbprintOf returns base64url(SHA-256(canonical)).
func thumbprintOf(canonical []byte) string {
	sum := sha256.Sum256(canonical)
	return b64.EncodeToString(sum[:])
}

// Thumbprint returns the RFC 7638 JWK SHA-256 thumbprint of pub, base64url
// encoded without padding: the value RFC 9449 §6.1 puts in cnf.jkt and
// §10 in dpop_jkt. Supported keys are *ecdsa.PublicKey on P-256, P-384 or
// P-521, *rsa.PublicKey and ed25519.PublicKey.
func Thumbprint(pub crypto.PublicKey) (string, error) {
	var buf [1400]byte
	canonical, err := appendPublicJWK(buf[:0], pub)
	if err != nil {
		return "", err
	}
	return thumbprintOf(canonical), nil
}

// appendPublicJWK appends the RFC 7638 canonical JWK of pub, which is also a
// valid jwk header value for a proof.
func appendPublicJWK(dst []byte, pub crypto.PublicKey) ([]byte, error) {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		return appendECJWK(dst, k)
	case *rsa.PublicKey:
		if k.N == nil || k.N.Sign() <= 0 || k.E <= 0 {
			return nil, errors.New("dpop: invalid RSA public key")
		}
		n := b64.AppendEncode(nil, k.N.Bytes())
		e := b64.AppendEncode(nil, big.NewInt(int64(k.E)).Bytes())
		return appendCanonicalJWK(dst, ktyRSA, nil, nil, nil, n, e), nil
	case ed25519.PublicKey:
		if len(k) != ed25519.PublicKeySize {
			return nil, errors.New("dpop: invalid Ed25519 public key")
		}
		x := b64.AppendEncode(nil, k)
		return appendCanonicalJWK(dst, ktyOKP, []byte("Ed25519"), x, nil, nil, nil), nil
	default:
		return nil, errors.New("dpop: unsupported public key type")
	}
}

// appendECJWK appends the canonical JWK of an EC public key.
func appendECJWK(dst []byte, k *ecdsa.PublicKey) ([]byte, error) {
	var crv string
	switch k.Curve {
	case elliptic.P256():
		crv = "P-256"
	case elliptic.P384():
		crv = "P-384"
	case elliptic.P521():
		crv = "P-521"
	default:
		return nil, errors.New("dpop: unsupported elliptic curve")
	}
	point, err := k.Bytes() // validates the point
	if err != nil {
		return nil, errors.New("dpop: invalid EC public key")
	}
	size := (len(point) - 1) / 2
	var xb, yb [88]byte
	x := b64.AppendEncode(xb[:0], point[1:1+size])
	y := b64.AppendEncode(yb[:0], point[1+size:])
	return appendCanonicalJWK(dst, ktyEC, []byte(crv), x, y, nil, nil), nil
}
