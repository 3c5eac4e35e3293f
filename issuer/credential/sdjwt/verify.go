package sdjwt

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jws"
)

// maxCredential bounds the size Decode accepts.
const maxCredential = 1 << 20

// Credential is a decoded SD-JWT VC.
type Credential struct {
	// Header is the JWT's protected header.
	Header map[string]any
	// Claims is the payload with every disclosure resolved (RFC 9901
	// §7.1 step 3): _sd, _sd_alg and the digests of array elements are
	// gone, disclosed members and elements are in place. Numbers are
	// json.Number.
	Claims map[string]any
	// Disclosures are the disclosures as sent, each decoded.
	Disclosures []Disclosure
	// Chain is the x5c header, leaf first (empty without x5c).
	Chain []*x509.Certificate
	// KeyBinding is the Key Binding JWT of a presentation, as sent; empty
	// for an issued credential.
	KeyBinding string

	jwt string
}

// Disclosure is one decoded disclosure (RFC 9901 §4.2.1, §4.2.2).
type Disclosure struct {
	// Encoded is the disclosure as sent, Digest its base64url SHA-256.
	Encoded, Digest string
	// Salt and Value are the disclosure's; Name is the member name, empty
	// with IsElement set for an array element.
	Salt, Name string
	Value      any
	IsElement  bool
}

// Verify decodes compact and checks its signature: see [Decode] and
// [Credential.CheckSignature]. It does not decide whether the x5c chain
// is trusted, nor check iat, nbf and exp against a clock: the caller does.
func Verify(compact string, key crypto.PublicKey) (*Credential, error) {
	c, err := Decode(compact)
	if err != nil {
		return nil, err
	}
	if err := c.CheckSignature(key); err != nil {
		return nil, err
	}
	return c, nil
}

// Decode parses an SD-JWT VC (or a presentation of one) without checking
// its signature: the header must say typ dc+sd-jwt and alg ES256, every
// disclosure must be well formed and referenced exactly once, and the
// claims are resolved as RFC 9901 §7.1 step 3 says.
func Decode(compact string) (*Credential, error) {
	if len(compact) > maxCredential {
		return nil, fmt.Errorf("%w: longer than %d bytes", ErrMalformed, maxCredential)
	}
	parts := strings.Split(compact, "~")
	if len(parts) < 2 {
		return nil, fmt.Errorf("%w: no ~ separator", ErrMalformed)
	}
	c := &Credential{jwt: parts[0], KeyBinding: parts[len(parts)-1]}
	payload, err := c.decodeJWT()
	if err != nil {
		return nil, err
	}
	if err := c.decodeDisclosures(parts[1 : len(parts)-1]); err != nil {
		return nil, err
	}
	if err := c.resolve(payload); err != nil {
		return nil, err
	}
	return c, nil
}

// decodeJWT reads the header (typ, alg, x5c) and returns the payload.
func (c *Credential) decodeJWT() (map[string]any, error) {
	segs := strings.Split(c.jwt, ".")
	if len(segs) != 3 {
		return nil, fmt.Errorf("%w: the JWT has %d parts, not 3", ErrMalformed, len(segs))
	}
	if err := decodeSegment(segs[0], &c.Header); err != nil {
		return nil, fmt.Errorf("%w: header: %w", ErrMalformed, err)
	}
	if c.Header["typ"] != Type || c.Header["alg"] != "ES256" {
		return nil, fmt.Errorf("%w: the header is not typ %s, alg ES256", ErrMalformed, Type)
	}
	chain, err := parseX5C(c.Header["x5c"])
	if err != nil {
		return nil, err
	}
	c.Chain = chain
	var payload map[string]any
	if err := decodeSegment(segs[1], &payload); err != nil || payload == nil {
		return nil, fmt.Errorf("%w: payload: not a JSON object", ErrMalformed)
	}
	return payload, nil
}

// decodeSegment decodes a base64url JSON segment into v, numbers as
// json.Number.
func decodeSegment(seg string, v any) error {
	raw, err := b64.DecodeString(seg)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("data after the JSON value")
	}
	return nil
}

// parseX5C reads the x5c header (RFC 7515 §4.1.6): base64 (not url) DER.
func parseX5C(v any) ([]*x509.Certificate, error) {
	if v == nil {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		return nil, fmt.Errorf("%w: x5c is not a non-empty array", ErrMalformed)
	}
	chain := make([]*x509.Certificate, len(list))
	for i, e := range list {
		s, _ := e.(string)
		der, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("%w: x5c[%d] is not base64", ErrMalformed, i)
		}
		if chain[i], err = x509.ParseCertificate(der); err != nil {
			return nil, fmt.Errorf("%w: x5c[%d]: %w", ErrMalformed, i, err)
		}
	}
	return chain, nil
}

// CheckSignature verifies the issuer's ES256 signature with key, or with
// the x5c leaf's key when key is nil.
func (c *Credential) CheckSignature(key crypto.PublicKey) error {
	if key == nil {
		if len(c.Chain) == 0 {
			return fmt.Errorf("%w: no key and no x5c header", ErrSignature)
		}
		key = c.Chain[0].PublicKey
	}
	if _, err := jws.Verify([]byte(c.jwt), jws.WithKey(jwa.ES256, key)); err != nil {
		return fmt.Errorf("%w: %w", ErrSignature, err)
	}
	return nil
}
