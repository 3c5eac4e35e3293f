package keyproof

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"testing"
	"time"

	"issuer/issuer/walletprovider"
	"issuer/nonce"
	"issuer/storage/memory"
)

const providerIssuer = "https://wallet-provider.example.com"

// walletProvider is a wallet provider's PKI: a root the issuer trusts,
// and the key and certificate that sign its key attestations.
type walletProvider struct {
	root    *x509.Certificate
	rootKey *ecdsa.PrivateKey
	key     *ecdsa.PrivateKey
	leaf    *x509.Certificate
}

func newWalletProvider(tb testing.TB) walletProvider {
	tb.Helper()
	rootKey, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	root := certificate(tb, rootKey.Public(), rootKey, nil, "Wallet Provider Root", true)
	return walletProvider{root: root, rootKey: rootKey, key: key, leaf: certificate(tb, key.Public(), rootKey, root, "Wallet Provider Key Attestation", false)}
}

// trustedRegistry is the walletprovider.Registry that trusts providers,
// as the service builds it from its config file.
func trustedRegistry(tb testing.TB, providers ...walletprovider.Provider) *walletprovider.Registry {
	tb.Helper()
	r := walletprovider.New(providers, memory.New(), time.Now, nil)
	if err := r.Reload(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return r
}

// x5cProvider is the config entry of wp, trusted by its root.
func (wp walletProvider) config(name string) walletprovider.Provider {
	return walletprovider.Provider{Name: name, X5CRoots: x5c(wp.root)}
}

// newAttestationFixture is a fixture whose verifier trusts wp through a
// walletprovider.Registry.
func newAttestationFixture(tb testing.TB, wp walletProvider) *fixture {
	tb.Helper()
	f := newFixture(tb)
	reg := trustedRegistry(tb, wp.config("Test Wallet Provider"))
	v, err := New(Config{Audience: testAud, MaxAge: time.Minute, FutureSkew: 10 * time.Second, Nonces: f.nonces, Now: f.clock.Now,
		Trust: TrustProviders(reg.Trusted)})
	if err != nil {
		tb.Fatal(err)
	}
	f.v = v
	return f
}

// attestationHeader is the header of a key attestation signed by wp's
// key with its x5c chain.
func (wp walletProvider) attestationHeader() map[string]any {
	return map[string]any{"typ": AttestationType, "alg": "ES256", "x5c": x5c(wp.leaf)}
}

// attestationClaims are the claims of a valid key attestation of keys
// for f: fresh, with exp, a c_nonce and storage levels.
func (f *fixture) attestationClaims(tb testing.TB, keys ...crypto.PublicKey) map[string]any {
	tb.Helper()
	attested := make([]any, len(keys))
	for i, k := range keys {
		attested[i] = publicJWK(tb, k)
	}
	now := f.clock.Now()
	return map[string]any{
		"iss": providerIssuer, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"attested_keys": attested, "nonce": f.cNonce(),
		"key_storage": []string{"iso_18045_high"}, "user_authentication": []string{"iso_18045_moderate"},
	}
}

// attestation is a key attestation of header and claims signed by wp.
func (wp walletProvider) attestation(tb testing.TB, header, claims map[string]any) string {
	tb.Helper()
	return sign(tb, wp.key, "ES256", header, claims)
}

// attestedProof is a jwt proof signed by key with alg, naming its key
// with kid, that carries att as its key_attestation header.
func (f *fixture) attestedProof(tb testing.TB, key crypto.Signer, alg, kid, att string) string {
	tb.Helper()
	return sign(tb, key, alg, map[string]any{"typ": Type, "alg": alg, "kid": kid, "key_attestation": att}, f.claims())
}

// staleNonce is a c_nonce that expired before the fixture's now.
func (f *fixture) staleNonce() string {
	return f.nonces.Issue(nonce.CNonce, f.clock.Now().Add(-time.Hour), time.Minute)
}
