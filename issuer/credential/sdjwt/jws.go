package sdjwt

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/lestrrat-go/jwx/v2/cert"
	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"

	"issuer/dpop"
)

// checkKeys checks the issuer's key and chain (ES256: ECDSA P-256, the
// leaf certificate holding the key's public half) and the holder's key
// (the server's one key policy, dpop.CheckPublicKey).
func checkKeys(key crypto.Signer, chain []*x509.Certificate, holder crypto.PublicKey) error {
	if k, isECDSA := key.(*ecdsa.PrivateKey); key == nil || (isECDSA && k == nil) {
		return fmt.Errorf("%w: no issuer key", ErrKey)
	}
	pub, ok := key.Public().(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		return fmt.Errorf("%w: the issuer key is not ECDSA P-256 (ES256)", ErrKey)
	}
	if len(chain) == 0 || chain[0] == nil {
		return fmt.Errorf("%w: no issuer certificate for x5c", ErrKey)
	}
	for i, c := range chain {
		if c == nil || len(c.Raw) == 0 {
			return fmt.Errorf("%w: certificate %d of the chain is empty", ErrKey, i)
		}
	}
	if !pub.Equal(chain[0].PublicKey) {
		return fmt.Errorf("%w: the issuer key is not the key of the chain's first certificate", ErrKey)
	}
	if holder == nil {
		return fmt.Errorf("%w: no holder key", ErrKey)
	}
	if err := dpop.CheckPublicKey(holder); err != nil {
		return fmt.Errorf("%w: holder key: %w", ErrKey, err)
	}
	return nil
}

// publicJWK is the holder key as a public JWK (RFC 7517) for cnf.jwk:
// only the key type's public members, no kid, no use.
func publicJWK(pub crypto.PublicKey) (json.RawMessage, error) {
	k, err := jwk.FromRaw(pub)
	if err != nil {
		return nil, fmt.Errorf("%w: holder key as JWK: %w", ErrKey, err)
	}
	raw, err := json.Marshal(k)
	if err != nil {
		return nil, fmt.Errorf("%w: holder key as JWK: %w", ErrKey, err)
	}
	return raw, nil
}

// sign makes the issuer-signed JWT: the protected header {alg: ES256,
// typ: dc+sd-jwt, x5c: chain} over the JSON payload (RFC 7515 §7.1).
func sign(payload map[string]any, key crypto.Signer, chain []*x509.Certificate) (string, error) {
	body, err := marshal(payload)
	if err != nil {
		return "", fmt.Errorf("sdjwt: encoding the payload: %w", err)
	}
	var x5c cert.Chain
	for _, c := range chain {
		if err := x5c.AddString(base64.StdEncoding.EncodeToString(c.Raw)); err != nil {
			return "", fmt.Errorf("sdjwt: x5c: %w", err)
		}
	}
	hdr := jws.NewHeaders()
	if err := hdr.Set(jws.TypeKey, Type); err != nil {
		return "", fmt.Errorf("sdjwt: typ header: %w", err)
	}
	if err := hdr.Set(jws.X509CertChainKey, &x5c); err != nil {
		return "", fmt.Errorf("sdjwt: x5c header: %w", err)
	}
	signed, err := jws.Sign(body, jws.WithKey(jwa.ES256, key, jws.WithProtectedHeaders(hdr)))
	if err != nil {
		return "", fmt.Errorf("sdjwt: signing: %w", err)
	}
	return string(signed), nil
}
