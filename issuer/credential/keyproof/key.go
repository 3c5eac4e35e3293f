package keyproof

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"

	"issuer/dpop"
	"issuer/issuer/jwkset"
)

// maxX5C bounds the certificates of an x5c header.
const maxX5C = 10

// algorithm is one JWS alg a proof may use (RFC 7518 §3.1, RFC 8037 §3.1):
// the key it needs and its jwx verifier. Symmetric algorithms (HS*) and
// "none" are absent, so no configuration can allow them.
type algorithm struct {
	fits     func(crypto.PublicKey) bool
	verifier jws.Verifier
}

// algorithms are the supported algs, by name. jwx's verifiers keep no
// state between calls, so one of each serves every request.
var algorithms = map[string]algorithm{}

func init() {
	for name, fits := range map[jwa.SignatureAlgorithm]func(crypto.PublicKey) bool{
		jwa.ES256: ecOn(elliptic.P256()), jwa.ES384: ecOn(elliptic.P384()), jwa.ES512: ecOn(elliptic.P521()),
		jwa.PS256: isRSA, jwa.PS384: isRSA, jwa.PS512: isRSA,
		jwa.RS256: isRSA, jwa.RS384: isRSA, jwa.RS512: isRSA,
		jwa.EdDSA: isEd25519,
	} {
		v, err := jws.NewVerifier(name)
		if err != nil {
			panic("keyproof: jwx has no verifier for " + name.String())
		}
		algorithms[name.String()] = algorithm{fits: fits, verifier: v}
	}
}

func ecOn(c elliptic.Curve) func(crypto.PublicKey) bool {
	return func(pub crypto.PublicKey) bool {
		k, ok := pub.(*ecdsa.PublicKey)
		return ok && k.Curve == c
	}
}

func isRSA(pub crypto.PublicKey) bool {
	_, ok := pub.(*rsa.PublicKey)
	return ok
}

func isEd25519(pub crypto.PublicKey) bool {
	_, ok := pub.(ed25519.PublicKey)
	return ok
}

// privateMembers are the JWK members of private and symmetric keys
// (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2).
var privateMembers = [...]string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"}

// headerKey returns the public key of the proof's header (Appendix F.1):
// exactly one of jwk, kid and x5c; kid is refused, since the issuer
// advertises the jwk binding method only. The key passes
// dpop.CheckPublicKey and fits alg.
func headerKey(h members, alg string) (crypto.PublicKey, error) {
	rawJWK, hasJWK := h["jwk"]
	_, hasKid := h["kid"]
	rawX5C, hasX5C := h["x5c"]
	var n int
	for _, has := range [...]bool{hasJWK, hasKid, hasX5C} {
		if has {
			n++
		}
	}
	var pub crypto.PublicKey
	var err error
	switch {
	case n != 1:
		return nil, errKeyCount
	case hasKid:
		return nil, errKid
	case hasJWK:
		pub, err = jwkKey(rawJWK, alg)
	default:
		pub, err = x5cKey(rawX5C)
	}
	if err != nil {
		return nil, err
	}
	if !algorithms[alg].fits(pub) {
		return nil, errKeyAlgMismatch
	}
	return pub, nil
}

// jwkKey parses a jwk header: a public key only (no private member
// whatever its kty), with no alg but the proof's (any alg when alg is "")
// and no use but sig, that jwkset.Check accepts (RFC 7518 encoding,
// dpop.CheckPublicKey).
func jwkKey(raw json.RawMessage, alg string) (crypto.PublicKey, error) {
	m, err := parseObject(raw)
	if err != nil {
		return nil, errJWKMalformed
	}
	for _, name := range privateMembers {
		if _, ok := m[name]; ok {
			return nil, errJWKPrivate
		}
	}
	if a, present, ok := m.str("alg"); present && (!ok || alg != "" && a != alg) {
		return nil, errJWKAlg
	}
	if u, present, ok := m.str("use"); present && (!ok || u != "sig") {
		return nil, errJWKUse
	}
	k, err := jwk.ParseKey(raw)
	if err != nil {
		return nil, errJWKMalformed
	}
	switch err := jwkset.Check(k); {
	case errors.Is(err, jwkset.ErrNotPublic):
		return nil, errJWKPrivate
	case errors.Is(err, dpop.ErrUnacceptableKey):
		return nil, keyError("jwk", err)
	case err != nil:
		return nil, errJWKMalformed
	}
	var pub crypto.PublicKey
	if err := k.Raw(&pub); err != nil {
		return nil, errJWKMalformed
	}
	return pub, nil
}

// x5cKey returns the public key of the leaf of an x5c header. The chain
// is parsed but not validated: the proof binds the credential to the key,
// and no trust in the certificate's issuer is implied.
func x5cKey(raw json.RawMessage) (crypto.PublicKey, error) {
	chain, err := parseX5C(raw)
	if err != nil {
		return nil, err
	}
	if err := dpop.CheckPublicKey(chain[0].PublicKey); err != nil {
		return nil, keyError("x5c leaf certificate's key", err)
	}
	return chain[0].PublicKey, nil
}

// parseX5C parses an x5c header (RFC 7515 §4.1.6: a non-empty array of
// standard base64 DER certificates, leaf first) of at most maxX5C
// certificates.
func parseX5C(raw json.RawMessage) ([]*x509.Certificate, error) {
	var x5c []string
	if len(raw) == 0 || raw[0] != '[' || json.Unmarshal(raw, &x5c) != nil || len(x5c) == 0 {
		return nil, errX5CMalformed
	}
	if len(x5c) > maxX5C {
		return nil, errX5CTooLong
	}
	chain := make([]*x509.Certificate, len(x5c))
	for i, s := range x5c {
		der, err := base64.StdEncoding.Strict().DecodeString(s)
		if err != nil {
			return nil, errX5CMalformed
		}
		if chain[i], err = x509.ParseCertificate(der); err != nil {
			return nil, errX5CMalformed
		}
	}
	return chain, nil
}

// newKey returns the Key of a verified proof: a clean public JWK (no kid,
// alg, use or certificates from the proof) and its RFC 7638 thumbprint.
func newKey(pub crypto.PublicKey) (Key, error) {
	k, err := jwk.FromRaw(pub)
	if err != nil {
		return Key{}, err
	}
	sum, err := k.Thumbprint(crypto.SHA256)
	if err != nil {
		return Key{}, err
	}
	return Key{JWK: k, Public: pub, Thumbprint: base64.RawURLEncoding.EncodeToString(sum)}, nil
}

// trimKeyPrefix drops the "unacceptable public key: " of dpop's messages,
// which keyError's text already says.
func trimKeyPrefix(msg string) string {
	return strings.TrimPrefix(msg, dpop.ErrUnacceptableKey.Error()+": ")
}
