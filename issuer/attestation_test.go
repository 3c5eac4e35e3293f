package issuer_test

import (
	"strings"
	"testing"
	"time"

	"issuer/issuer"
	"issuer/issuer/walletprovider"
	"issuer/storage/memory"
)

// TestClientAttestationConfig checks that the client_attestation section is
// validated with the rest of the config, each problem reported with its
// place, and that a valid section starts a service that lists its
// providers.
func TestClientAttestationConfig(t *testing.T) {
	c := issuer.Defaults()
	c.ClientAttestation = issuer.ClientAttestationConfig{
		SigningAlgs:    []string{"ES256", "none"},
		PoPSigningAlgs: []string{"HS256"},
		MaxPoPAge:      -time.Second,
		Providers: []issuer.WalletProvider{
			{Name: "both", JWKS: map[string]any{"keys": []any{}}, X5CRoots: []string{"x"}},
			{Name: "neither"},
			{Name: "bad root", X5CRoots: []string{"not base64 !"}},
			{JWKS: map[string]any{"keys": []any{map[string]any{"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}}}},
		},
	}
	err := c.Validate()
	if err == nil {
		t.Fatal("Validate() = nil; want errors")
	}
	for _, want := range []string{
		`client_attestation.signing_alg_values: "none"`,
		`client_attestation.pop_signing_alg_values: "HS256"`,
		"client_attestation.max_pop_age: must not be negative",
		"client_attestation.wallet_providers[0]: give either jwks or x5c_roots, not both",
		"client_attestation.wallet_providers[1]: give the provider's jwks or its x5c_roots",
		"client_attestation.wallet_providers[2]: x5c_roots[0]: neither PEM nor base64 DER",
		"client_attestation.wallet_providers[3]: name:",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v; want it to mention %q", err, want)
		}
	}

	c = issuer.Defaults()
	c.ClientAttestation.Providers = []issuer.WalletProvider{{Name: "wallets", JWKS: map[string]any{"keys": []any{
		map[string]any{"kty": "EC", "crv": "P-256", "x": "MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4", "y": "4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM"},
	}}}}
	svc, err := issuer.New(t.Context(), c, memory.New(), nil)
	if err != nil {
		t.Fatal(err)
	}
	list, err := svc.WalletProviders.List(t.Context())
	if err != nil || len(list) != 1 || list[0].Name != "wallets" || list[0].Source != walletprovider.FromConfig {
		t.Fatalf("WalletProviders() = %+v, %v; want the configured provider", list, err)
	}
	if got := svc.Config().ClientAttestation; got.MaxPoPAge != time.Minute || got.ChallengeTTL != 5*time.Minute || len(got.SigningAlgs) == 0 {
		t.Errorf("defaults = %+v; want max_pop_age 1m, challenge_ttl 5m and signing algorithms", got)
	}
}

// TestWalletProviderKeysAtConfigLoad checks that every key of a configured
// wallet provider's jwks must be a usable public key: the config does not
// validate, and the service does not start, naming the provider and key.
func TestWalletProviderKeysAtConfigLoad(t *testing.T) {
	good := map[string]any{"kty": "EC", "crv": "P-256", "x": "MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4", "y": "4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM"}
	for _, tc := range []struct {
		name string
		key  map[string]any
	}{
		{"EC x AA y AA", map[string]any{"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}},
		// The identity point of edwards25519, of small order.
		{"Ed25519 identity", map[string]any{"kty": "OKP", "crv": "Ed25519", "x": "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}},
		{"RSA of 512 bits", map[string]any{"kty": "RSA", "e": "AQAB",
			"n": "xpYkh7yMzoeeLAGS51UxX6Ri2lV6y_jsCafQjeV7ZNyh0H5cygXazjb3C3YlWMJZvY4cnCBMBIBNuF3jE-F3sw"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := issuer.Defaults()
			c.ClientAttestation.Providers = []issuer.WalletProvider{
				{Name: "fine", JWKS: map[string]any{"keys": []any{good}}},
				{Name: "weak", JWKS: map[string]any{"keys": []any{good, tc.key}}},
			}
			const want = "client_attestation.wallet_providers[1]: jwks: key 1: unacceptable public key: "
			if err := c.Validate(); err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("Validate() = %v; want it to contain %q", err, want)
			}
			if _, err := issuer.New(t.Context(), c, memory.New(), nil); err == nil {
				t.Fatal("New() = nil error; want the weak provider refused")
			}
		})
	}
}
