package walletprovider

import (
	"bytes"
	"crypto/x509"
	"slices"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"

	"issuer/dpop"
)

// Trusted is a wallet provider ready for verification: its keys
// or its trust anchors.
type Trusted struct {
	name, issuer string
	clientIDs    []string
	keys         []jwk.Key
	roots        []*x509.Certificate
	pool         *x509.CertPool
}

// Name is the provider's name, for logs.
func (p Trusted) Name() string { return p.name }

// Admits reports whether p may vouch for an attestation with this iss and
// sub: a provider with an issuer only for attestations with that iss, one
// with client IDs only for attestations of those clients.
func (p Trusted) Admits(iss, sub string) bool {
	return (p.issuer == "" || p.issuer == iss) && (len(p.clientIDs) == 0 || slices.Contains(p.clientIDs, sub))
}

// IsAnchor reports whether c is one of p's trust anchors (the same
// certificate, or the same subject and key).
func (p Trusted) IsAnchor(c *x509.Certificate) bool {
	for _, r := range p.roots {
		if bytes.Equal(c.Raw, r.Raw) || bytes.Equal(c.RawSubject, r.RawSubject) && bytes.Equal(c.RawSubjectPublicKeyInfo, r.RawSubjectPublicKeyInfo) {
			return true
		}
	}
	return false
}

// Verifies reports whether raw is signed with one of p's keys or, for a
// provider with trust anchors, with the key of the leaf of a chain that
// leads to one of them.
func (p Trusted) Verifies(raw string, alg jwa.SignatureAlgorithm, kid string, chain []*x509.Certificate, now time.Time) bool {
	if p.pool != nil {
		if !p.chainsToAnchor(chain, now) || dpop.CheckPublicKey(chain[0].PublicKey) != nil {
			return false
		}
		_, err := jws.Verify([]byte(raw), jws.WithKey(alg, chain[0].PublicKey))
		return err == nil
	}
	for _, k := range p.keys {
		if kid != "" && k.KeyID() != kid {
			continue
		}
		if _, err := jws.Verify([]byte(raw), jws.WithKey(alg, k)); err == nil {
			return true
		}
	}
	return false
}

// chainsToAnchor reports whether chain (leaf first, then intermediates)
// leads to one of p's trust anchors at now, with a leaf that may sign.
func (p Trusted) chainsToAnchor(chain []*x509.Certificate, now time.Time) bool {
	if p.pool == nil || len(chain) == 0 {
		return false
	}
	leaf := chain[0]
	if leaf.KeyUsage != 0 && leaf.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
		return false
	}
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	_, err := leaf.Verify(x509.VerifyOptions{
		Roots: p.pool, Intermediates: inter, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	return err == nil
}
