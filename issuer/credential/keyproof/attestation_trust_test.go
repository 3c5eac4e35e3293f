package keyproof

import (
	"context"
	"crypto/x509"
	"errors"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"

	"issuer/issuer/walletprovider"
)

// trustFixture is a fixture whose verifier trusts the providers given.
func trustFixture(t *testing.T, trust Trust) *fixture {
	t.Helper()
	f := newFixture(t)
	v, err := New(Config{Audience: testAud, MaxAge: time.Minute, FutureSkew: 10 * time.Second, Nonces: f.nonces, Now: f.clock.Now, Trust: trust})
	if err != nil {
		t.Fatal(err)
	}
	f.v = v
	return f
}

// TestKeyAttestationTrust: who may sign a key attestation, with the
// wallet providers of a walletprovider.Registry.
func TestKeyAttestationTrust(t *testing.T) {
	k := keys(t)
	wp, other := newWalletProvider(t), newWalletProvider(t)
	jwksProvider := walletprovider.Provider{Name: "JWKS provider", JWKS: map[string]any{"keys": []any{func() map[string]any {
		j := publicJWK(t, other.key.Public())
		j["kid"] = "provider-key-1"
		return j
	}()}}}
	withIssuer := wp.config("Provider with issuer")
	withIssuer.Issuer = providerIssuer
	forClients := wp.config("Provider for one client")
	forClients.ClientIDs = []string{testClient}
	for _, c := range []struct {
		name      string
		providers []walletprovider.Provider
		header    func() map[string]any
		signer    walletProvider // whose key signs
		edit      func(map[string]any)
		clientID  string
		want      string // the provider's name, or "" for refused
	}{
		{"x5c to a trusted root", []walletprovider.Provider{wp.config("P")}, wp.attestationHeader, wp, nil, "", "P"},
		{"the second of two providers", []walletprovider.Provider{other.config("O"), wp.config("P")}, wp.attestationHeader, wp, nil, "", "P"},
		{"x5c to an untrusted root", []walletprovider.Provider{wp.config("P")}, other.attestationHeader, other, nil, "", ""},
		{"trusted x5c, signed by another key", []walletprovider.Provider{wp.config("P")}, wp.attestationHeader, other, nil, "", ""},
		{"x5c with the root in it", []walletprovider.Provider{wp.config("P")}, func() map[string]any {
			h := wp.attestationHeader()
			h["x5c"] = x5c(wp.leaf, wp.root)
			return h
		}, wp, nil, "", ""},
		{"no x5c for an x5c provider", []walletprovider.Provider{wp.config("P")}, func() map[string]any {
			return map[string]any{"typ": AttestationType, "alg": "ES256"}
		}, wp, nil, "", ""},
		{"JWKS provider by kid", []walletprovider.Provider{jwksProvider}, func() map[string]any {
			return map[string]any{"typ": AttestationType, "alg": "ES256", "kid": "provider-key-1"}
		}, other, nil, "", "JWKS provider"},
		{"JWKS provider, another kid", []walletprovider.Provider{jwksProvider}, func() map[string]any {
			return map[string]any{"typ": AttestationType, "alg": "ES256", "kid": "provider-key-2"}
		}, other, nil, "", ""},
		{"provider's issuer", []walletprovider.Provider{withIssuer}, wp.attestationHeader, wp, nil, "", "Provider with issuer"},
		{"another issuer", []walletprovider.Provider{withIssuer}, wp.attestationHeader, wp, func(c map[string]any) { c["iss"] = "https://other.example.com" }, "", ""},
		{"no issuer", []walletprovider.Provider{withIssuer}, wp.attestationHeader, wp, func(c map[string]any) { delete(c, "iss") }, "", ""},
		{"provider's client", []walletprovider.Provider{forClients}, wp.attestationHeader, wp, nil, testClient, "Provider for one client"},
		{"another client", []walletprovider.Provider{forClients}, wp.attestationHeader, wp, nil, "another-client", ""},
		{"anonymous token", []walletprovider.Provider{forClients}, wp.attestationHeader, wp, nil, "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := trustFixture(t, TrustProviders(trustedRegistry(t, c.providers...).Trusted))
			claims := f.attestationClaims(t, k.p256.Public())
			if c.edit != nil {
				c.edit(claims)
			}
			att := sign(t, c.signer.key, "ES256", c.header(), claims)
			proof := sign(t, k.p256, "ES256", map[string]any{"typ": Type, "alg": "ES256", "kid": "0", "key_attestation": att}, withIss(f.claims(), c.clientID))
			p, err := f.v.Verify(context.Background(), proof, Expect{Algs: allAlgs, ClientID: c.clientID})
			if c.want == "" {
				wantProofErr(t, err, errAttUntrusted)
				return
			}
			if err != nil {
				t.Fatalf("Verify() = %v", err)
			}
			if p.Attestation.Provider != c.want {
				t.Fatalf("Attestation.Provider = %q; want %q", p.Attestation.Provider, c.want)
			}
		})
	}
}

// withIss sets iss to clientID when there is one.
func withIss(c map[string]any, clientID string) map[string]any {
	if clientID != "" {
		c["iss"] = clientID
	}
	return c
}

func TestKeyAttestationNoTrust(t *testing.T) {
	k := keys(t)
	wp := newWalletProvider(t)
	f := newFixture(t) // no Trust
	att := wp.attestation(t, wp.attestationHeader(), f.attestationClaims(t, k.p256.Public()))
	_, err := f.verify(f.attestedProof(t, k.p256, "ES256", "0", att))
	wantProofErr(t, err, errAttNoTrust)
	_, err = f.v.VerifyAttestation(context.Background(), att, Expect{Algs: allAlgs})
	wantProofErr(t, err, errAttNoTrust)
}

// TestKeyAttestationTrustInput: the hook gets the attestation as
// checked, and its verdict and errors are used as documented.
func TestKeyAttestationTrustInput(t *testing.T) {
	k := keys(t)
	wp := newWalletProvider(t)
	var got SignedAttestation
	verdict := errors.New("a detail the wallet must not see")
	f := trustFixture(t, TrustFunc(func(_ context.Context, a SignedAttestation) (string, error) {
		got = a
		return "", verdict
	}))
	h := wp.attestationHeader()
	h["kid"] = "k1"
	att := wp.attestation(t, h, f.attestationClaims(t, k.p256.Public()))
	_, err := f.v.Verify(context.Background(), f.attestedProof(t, k.p256, "ES256", "0", att), Expect{Algs: allAlgs})
	wantProofErr(t, err, errAttUntrusted)
	if errors.Is(err, verdict) {
		t.Fatal("the hook's error reaches the wallet")
	}
	switch {
	case got.Raw != att || got.Alg != "ES256" || got.Kid != "k1" || got.Issuer != providerIssuer || got.ClientID != "":
		t.Fatalf("hook got raw %v, alg %q, kid %q, iss %q, client %q", got.Raw == att, got.Alg, got.Kid, got.Issuer, got.ClientID)
	case len(got.Chain) != 1 || !got.Chain[0].Equal(wp.leaf) || !got.Now.Equal(testNow):
		t.Fatalf("hook got a chain of %d, now %v", len(got.Chain), got.Now)
	}
	t.Run("cancelled during the hook", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		f := trustFixture(t, TrustFunc(func(ctx context.Context, _ SignedAttestation) (string, error) {
			cancel()
			return "", ctx.Err()
		}))
		att := wp.attestation(t, wp.attestationHeader(), f.attestationClaims(t, k.p256.Public()))
		if _, err := f.v.Verify(ctx, f.attestedProof(t, k.p256, "ES256", "0", att), Expect{Algs: allAlgs}); !errors.Is(err, context.Canceled) {
			t.Fatalf("Verify() = %v; want context.Canceled", err)
		}
	})
}

// fakeProvider is a Provider whose answers the test sets.
type fakeProvider struct {
	name     string
	admits   bool
	anchor   *x509.Certificate
	verifies bool
}

func (p fakeProvider) Name() string                      { return p.name }
func (p fakeProvider) Admits(_, _ string) bool           { return p.admits }
func (p fakeProvider) IsAnchor(c *x509.Certificate) bool { return p.anchor != nil && c.Equal(p.anchor) }
func (p fakeProvider) Verifies(string, jwa.SignatureAlgorithm, string, []*x509.Certificate, time.Time) bool {
	return p.verifies
}

func TestTrustProviders(t *testing.T) {
	wp := newWalletProvider(t)
	a := SignedAttestation{Raw: "x", Alg: "ES256", Chain: []*x509.Certificate{wp.leaf}}
	var current []fakeProvider
	trust := TrustProviders(func() []fakeProvider { return current })
	for _, c := range []struct {
		name      string
		providers []fakeProvider
		want      string
		err       error
	}{
		{"none", nil, "", ErrUntrusted},
		{"the first that verifies", []fakeProvider{{name: "a", admits: true}, {name: "b", admits: true, verifies: true}, {name: "c", admits: true, verifies: true}}, "b", nil},
		{"not admitted", []fakeProvider{{name: "a", verifies: true}}, "", ErrUntrusted},
		{"anchor in the chain", []fakeProvider{{name: "a", admits: true, verifies: true, anchor: wp.leaf}}, "", ErrAnchorInChain},
		{"anchor of a provider that does not admit", []fakeProvider{{name: "a", anchor: wp.leaf}, {name: "b", admits: true, verifies: true}}, "b", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			current = c.providers // read at each call: a reload takes effect
			name, err := trust.TrustKeyAttestation(context.Background(), a)
			if name != c.want || !errors.Is(err, c.err) {
				t.Fatalf("TrustKeyAttestation() = %q, %v; want %q, %v", name, err, c.want, c.err)
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	current = []fakeProvider{{name: "a", admits: true, verifies: true}}
	if _, err := trust.TrustKeyAttestation(ctx, a); !errors.Is(err, context.Canceled) {
		t.Fatalf("TrustKeyAttestation(cancelled) = %v", err)
	}
}
