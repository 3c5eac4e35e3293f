package sdjwt

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// Type is the JWT typ of an SD-JWT VC (SD-JWT VC §3.2.1) and the format
// identifier of OpenID4VCI 1.0 Appendix A.3.
const Type = "dc+sd-jwt"

// HashAlg is the _sd_alg of every credential: SHA-256, which RFC 9901
// §4.1.1 defaults to and HAIP 1.0 requires.
const HashAlg = "sha-256"

// MaxDecoys bounds [Input.MaxDecoys].
const MaxDecoys = 64

// Input is what one credential is made of.
type Input struct {
	// Issuer is the iss claim: the credential issuer identifier (an
	// HTTPS URL).
	Issuer string
	// Key signs the JWT with ES256; its public key must be that of
	// Chain[0]. ECDSA on P-256 only.
	Key crypto.Signer
	// Chain is the x5c header: the issuer's certificate first, then the
	// intermediates, without the trust anchor (HAIP 1.0 §6.1.1). At
	// least one certificate.
	Chain []*x509.Certificate

	// VCT is the credential type (vct, SD-JWT VC §3.2.2.1.1), the
	// configuration's vct.
	VCT string
	// Claims are the subject's claims, a JSON-like value (maps, slices,
	// strings, numbers, booleans, nil, or anything encoding/json
	// encodes as such). They are copied, never changed.
	Claims map[string]any
	// Disclosable lists the claims that become disclosures; the others
	// stay plain. Paths naming absent claims are skipped. sub may be
	// disclosable (SD-JWT VC §3.2.2.2 allows it); the registered claims
	// Issue sets may not.
	Disclosable []ClaimPath
	// MaxDecoys, when positive, adds a random number of decoy digests,
	// 0 to MaxDecoys, to each _sd array that holds a digest (RFC 9901
	// §4.2.5); arrays get none. Zero adds none.
	MaxDecoys int

	// Holder is the key the credential is bound to (cnf.jwk), the
	// public key of the wallet's key proof. It must pass
	// dpop.CheckPublicKey.
	Holder crypto.PublicKey

	// IssuedAt (iat) and Expires (exp) are required, Expires after
	// IssuedAt; NotBefore (nbf) is left out when zero. Times are
	// encoded as whole seconds.
	IssuedAt, NotBefore, Expires time.Time

	// Rand supplies the salts and decoys (16 bytes per disclosure):
	// crypto/rand.Reader in production, a fixed stream in tests for
	// reproducible disclosures. The ECDSA signature takes its randomness
	// from Key (crypto/ecdsa ignores a caller's reader since Go 1.26).
	Rand io.Reader
}

// reservedTop are the payload members Issue sets itself, SD-JWT's _sd_alg
// and the registered claims SD-JWT VC §3.2.2.2 forbids disclosing: the
// claims may not hold them and no path may start with them.
var reservedTop = map[string]bool{
	"iss": true, "iat": true, "exp": true, "nbf": true, "vct": true,
	"vct#integrity": true, "cnf": true, "status": true, "_sd_alg": true,
	sdKey: true, arrayKey: true,
}

// Issue makes the SD-JWT VC for in, in its compact form
// `<issuer-signed JWT>~<disclosure>~…~` (RFC 9901 §4).
func Issue(in Input) (string, error) {
	if err := in.check(); err != nil {
		return "", err
	}
	claims, err := normalize(in.Claims)
	if err != nil {
		return "", err
	}
	sel, err := newSelection(in.Disclosable)
	if err != nil {
		return "", err
	}
	enc := &encoder{rand: in.Rand, maxDecoys: in.MaxDecoys}
	payload, err := enc.object(claims, sel, nil)
	if err != nil {
		return "", err
	}
	if err := in.addRegistered(payload); err != nil {
		return "", err
	}
	jwt, err := sign(payload, in.Key, in.Chain)
	if err != nil {
		return "", err
	}
	return compact(jwt, enc.disclosures), nil
}

// check validates everything of in but the claims and paths.
func (in *Input) check() error {
	switch {
	case in.Issuer == "":
		return fmt.Errorf("%w: no issuer identifier", ErrInput)
	case in.VCT == "":
		return fmt.Errorf("%w: no vct", ErrInput)
	case in.Rand == nil:
		return fmt.Errorf("%w: no randomness source", ErrInput)
	case in.MaxDecoys < 0 || in.MaxDecoys > MaxDecoys:
		return fmt.Errorf("%w: MaxDecoys must be 0 to %d", ErrInput, MaxDecoys)
	case in.IssuedAt.Unix() <= 0:
		return fmt.Errorf("%w: no issuance time", ErrInput)
	case in.Expires.Unix() <= in.IssuedAt.Unix():
		return fmt.Errorf("%w: the expiry is not after the issuance time", ErrInput)
	case !in.NotBefore.IsZero() && in.NotBefore.Unix() >= in.Expires.Unix():
		return fmt.Errorf("%w: not-before is not before the expiry", ErrInput)
	}
	return checkKeys(in.Key, in.Chain, in.Holder)
}

// normalize copies claims through JSON so that every object is a
// map[string]any, every array a []any and every number a json.Number
// (kept exactly as written), and refuses reserved top-level names.
func normalize(claims map[string]any) (map[string]any, error) {
	for name := range claims {
		if reservedTop[name] {
			return nil, fmt.Errorf("%w: the claims may not hold %q", ErrReservedClaim, name)
		}
	}
	raw, err := json.Marshal(claims)
	if err != nil {
		return nil, fmt.Errorf("%w: the claims are not JSON: %w", ErrInput, err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	out := map[string]any{}
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("%w: the claims are not a JSON object: %w", ErrInput, err)
	}
	if out == nil {
		out = map[string]any{}
	}
	return out, nil
}

// addRegistered sets the registered claims and _sd_alg on payload.
func (in *Input) addRegistered(payload map[string]any) error {
	jwk, err := publicJWK(in.Holder)
	if err != nil {
		return err
	}
	payload["iss"] = in.Issuer
	payload["iat"] = in.IssuedAt.Unix()
	payload["exp"] = in.Expires.Unix()
	if !in.NotBefore.IsZero() {
		payload["nbf"] = in.NotBefore.Unix()
	}
	payload["vct"] = in.VCT
	payload["cnf"] = map[string]any{"jwk": jwk}
	payload["_sd_alg"] = HashAlg
	return nil
}

// compact joins the JWT and the disclosures, with the trailing ~ of an
// SD-JWT without Key Binding (RFC 9901 §4).
func compact(jwt string, disclosures []string) string {
	var b strings.Builder
	n := len(jwt) + 1
	for _, d := range disclosures {
		n += len(d) + 1
	}
	b.Grow(n)
	b.WriteString(jwt)
	b.WriteByte('~')
	for _, d := range disclosures {
		b.WriteString(d)
		b.WriteByte('~')
	}
	return b.String()
}
