package dpop

import (
	"crypto"
	"crypto/elliptic"
)

// Key types (JWK "kty", RFC 7518 §6.1) used by the supported algorithms.
const (
	ktyEC  = "EC"
	ktyRSA = "RSA"
	ktyOKP = "OKP"
)

// algorithm describes one supported JWS "alg" value (RFC 7518 §3.1,
// RFC 8037 §3.1) and the key it needs.
type algorithm struct {
	name  string
	kty   string         // required JWK kty
	crv   string         // required JWK crv for EC and OKP keys
	curve elliptic.Curve // EC only
	size  int            // EC coordinate size in bytes; Ed25519 key size
	hash  crypto.Hash    // digest signed; 0 for EdDSA (signs the message)
	pss   bool           // RSASSA-PSS instead of RSASSA-PKCS1-v1_5
}

// algorithms lists every alg this package can verify. Symmetric algorithms
// (HS*) and "none" are deliberately absent: RFC 9449 §4.2 requires an
// asymmetric signature.
var algorithms = [...]algorithm{
	{name: "ES256", kty: ktyEC, crv: "P-256", curve: elliptic.P256(), size: 32, hash: crypto.SHA256},
	{name: "ES384", kty: ktyEC, crv: "P-384", curve: elliptic.P384(), size: 48, hash: crypto.SHA384},
	{name: "PS256", kty: ktyRSA, hash: crypto.SHA256, pss: true},
	{name: "RS256", kty: ktyRSA, hash: crypto.SHA256},
	{name: "EdDSA", kty: ktyOKP, crv: "Ed25519", size: 32},
}

// lookupAlg returns the supported algorithm named name, or nil.
func lookupAlg(name string) *algorithm {
	for i := range algorithms {
		if algorithms[i].name == name {
			return &algorithms[i]
		}
	}
	return nil
}
