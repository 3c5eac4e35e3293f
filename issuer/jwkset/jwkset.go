// Package jwkset owns the one policy for JWKs that come from outside:
// clients' jwks and jwks_uri documents, wallet providers' jwks and
// attestations' cnf.jwk are parsed with jwx, then each key must pass
// [Check] (a public, asymmetric key, encoded as RFC 7518 prescribes, that
// dpop.CheckPublicKey accepts). It is a leaf: it fetches nothing, knows no
// client, provider or OAuth error, and messages name keys by position.
package jwkset

import (
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"

	"issuer/dpop"
)

// ErrNotPublic is the error of [Check] for a JWK with private members, or
// a symmetric one.
var ErrNotPublic = errors.New("must be a public key, not a private or symmetric one")

// Check reports whether k can verify signatures here: a public,
// asymmetric key in the encoding RFC 7518 prescribes (checkEncoding)
// that dpop.CheckPublicKey accepts (the one key policy of the server: EC
// on P-256/P-384/P-521 and on the curve, RSA of 2048 to 4096 bits, Ed25519
// canonical and not of small order). jwx parses keys without these
// checks: it stores an EC key with x "AA" and y "AA". Every key parsed
// with jwx from outside (clients' jwks and jwks_uri documents, wallet
// providers' jwks, attestations' cnf.jwk) comes through here.
func Check(k jwk.Key) error {
	if k.KeyType() == jwa.OctetSeq {
		return ErrNotPublic
	}
	if private, err := jwk.IsPrivateKey(k); err != nil || private {
		return ErrNotPublic
	}
	if err := checkEncoding(k); err != nil {
		return err
	}
	var pub any
	if err := k.Raw(&pub); err != nil {
		return errors.New("is not a valid key")
	}
	return dpop.CheckPublicKey(pub)
}

// ecCoordinateSizes are the lengths in bytes of the x and y members of an
// EC JWK (RFC 7518 §6.2.1.2, §6.2.1.3): the full coordinate size.
var ecCoordinateSizes = map[jwa.EllipticCurveAlgorithm]int{jwa.P256: 32, jwa.P384: 48, jwa.P521: 66}

// Encoding defects of a JWK that dpop.CheckPublicKey cannot see: it gets
// the numbers, not their encoding. (RFC 7518 §6.2.1.2 and §6.3.1.1; the
// messages end up in error_description, whose character set has no §.)
var (
	errJWKCoordinateSize = fmt.Errorf("%w: the x and y of an EC key must have the full coordinate length", dpop.ErrUnacceptableKey)
	errJWKRSAOctets      = fmt.Errorf("%w: the n and e of an RSA key must have no leading zero octet", dpop.ErrUnacceptableKey)
)

// checkEncoding applies the encoding rules of RFC 7518 that the DPoP
// parser (dpop/jwk.go) applies and jwx does not: x and y of an EC key of
// exactly the coordinate size, n and e of an RSA key in the minimum number
// of octets. A shorter or longer encoding names the same number, so the
// key would work, but it is malformed, and with it one key has several
// JWKs. jwx keeps each member as the bytes its base64url string decodes
// to (k.X() is the decoded "x" of the JSON); k.Raw turns them into
// numbers, which lose the length.
func checkEncoding(k jwk.Key) error {
	switch k := k.(type) {
	case jwk.ECDSAPublicKey:
		size, ok := ecCoordinateSizes[k.Crv()]
		if ok && (len(k.X()) != size || len(k.Y()) != size) {
			return errJWKCoordinateSize
		}
	case jwk.RSAPublicKey:
		if n, e := k.N(), k.E(); len(n) > 0 && n[0] == 0 || len(e) > 0 && e[0] == 0 {
			return errJWKRSAOctets
		}
	}
	return nil // other curves and types: dpop.CheckPublicKey refuses them
}

// keyName names the i-th key of a set in messages by its position (0 for
// the first), never by its kid, which the sender chose and which could
// carry characters an error_description must not (RFC 6749 §5.2).
func keyName(i int) string {
	return fmt.Sprintf("key %d", i)
}

// Parse parses raw as a JWK set of at least one key and checks every
// key with Check. The error names the first bad key.
func Parse(raw []byte) (jwk.Set, error) {
	set, err := jwk.Parse(raw)
	if err != nil || set.Len() == 0 {
		return nil, errors.New("must be a JWK set with at least one public key")
	}
	for i := 0; i < set.Len(); i++ {
		k, _ := set.Key(i)
		if err := Check(k); err != nil {
			return nil, fmt.Errorf("%s: %w", keyName(i), err)
		}
	}
	return set, nil
}

// Usable returns the keys of set that pass Check, and an error
// naming each of the others.
func Usable(set jwk.Set) (jwk.Set, []error) {
	usable := jwk.NewSet()
	var skipped []error
	for i := 0; i < set.Len(); i++ {
		k, _ := set.Key(i)
		if err := Check(k); err != nil {
			skipped = append(skipped, fmt.Errorf("%s: %w", keyName(i), err))
			continue
		}
		_ = usable.AddKey(k) // fails only for a key already in the set
	}
	return usable, skipped
}

// FirstCertificate returns the DER of the first x5c entry of k.
func FirstCertificate(k jwk.Key) ([]byte, bool) {
	chain := k.X509CertChain()
	if chain == nil {
		return nil, false
	}
	b64, ok := chain.Get(0)
	if !ok {
		return nil, false
	}
	der, err := base64.StdEncoding.DecodeString(string(b64))
	return der, err == nil
}
