package keyproof

import (
	"context"
	"crypto/x509"
	"errors"
	"slices"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
)

// SignedAttestation is what the [Trust] hook is given of a key
// attestation whose shape and claims Verify or VerifyAttestation already
// checked: it decides who signed it.
type SignedAttestation struct {
	// Raw is the compact JWS, to verify.
	Raw string
	// Alg is its alg: allowed by the configuration and supported here.
	Alg string
	// Kid is its kid header, "" when absent.
	Kid string
	// Chain is its x5c header, leaf first, parsed but not validated; nil
	// when absent.
	Chain []*x509.Certificate
	// Issuer is its iss claim, "" when absent.
	Issuer string
	// ClientID is the client the access token was issued to
	// ([Expect.ClientID]), "" for an anonymous token.
	ClientID string
	// Now is the verification time.
	Now time.Time
}

// Trust decides whether a trusted wallet provider signed a key
// attestation, so that the service can plug in its trusted providers
// (issuer/walletprovider) without this package knowing them. It returns
// the provider's name, or an error when none signed it; the error is
// logged by the caller, never shown to the wallet.
type Trust interface {
	TrustKeyAttestation(ctx context.Context, a SignedAttestation) (provider string, err error)
}

// TrustFunc is a function that is a [Trust].
type TrustFunc func(ctx context.Context, a SignedAttestation) (string, error)

// TrustKeyAttestation calls f.
func (f TrustFunc) TrustKeyAttestation(ctx context.Context, a SignedAttestation) (string, error) {
	return f(ctx, a)
}

// Provider is a trusted wallet provider as [TrustProviders] uses it: the
// methods of walletprovider.Trusted.
type Provider interface {
	// Name names the provider.
	Name() string
	// Admits reports whether the provider may vouch for an attestation
	// with this iss, for this client.
	Admits(iss, clientID string) bool
	// IsAnchor reports whether c is one of the provider's trust anchors.
	IsAnchor(c *x509.Certificate) bool
	// Verifies reports whether raw is signed by one of the provider's keys
	// (the one named kid, if any) or by the leaf of chain, which leads to
	// one of its trust anchors at now.
	Verifies(raw string, alg jwa.SignatureAlgorithm, kid string, chain []*x509.Certificate, now time.Time) bool
}

// Errors of the Trust that TrustProviders returns.
var (
	ErrUntrusted     = errors.New("keyproof: no trusted wallet provider signed the key attestation")
	ErrAnchorInChain = errors.New("keyproof: the key attestation's x5c contains a trust anchor")
)

// TrustProviders is the Trust of the wallet providers that providers
// returns at each call (walletprovider.Registry.Trusted: the providers of
// the config file and the admin API, reloaded on change). A provider
// vouches for a key attestation as for a client attestation: if it admits
// its iss and the client, and its keys or the x5c chain up to one of its
// anchors verify the signature. A chain that contains an anchor is
// refused (HAIP: the anchor is not sent).
func TrustProviders[P Provider](providers func() []P) Trust {
	return TrustFunc(func(ctx context.Context, a SignedAttestation) (string, error) {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		alg := jwa.SignatureAlgorithm(a.Alg)
		for _, p := range providers() {
			if !p.Admits(a.Issuer, a.ClientID) {
				continue
			}
			if slices.ContainsFunc(a.Chain, p.IsAnchor) {
				return "", ErrAnchorInChain
			}
			if p.Verifies(a.Raw, alg, a.Kid, a.Chain, a.Now) {
				return p.Name(), nil
			}
		}
		return "", ErrUntrusted
	})
}
