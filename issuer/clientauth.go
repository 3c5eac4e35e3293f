package issuer

import (
	"issuer/issuer/clientauth"
	"issuer/issuer/walletprovider"
)

// The facade's names for the types of the config file's
// client_attestation section, so that a Config is written with package
// issuer alone; packages clientauth and walletprovider define them.
type (
	// WalletProvider is a trusted wallet provider.
	WalletProvider = walletprovider.Provider
	// ClientAttestationConfig configures attest_jwt_client_auth.
	ClientAttestationConfig = clientauth.AttestationConfig
)

// jwksDefaultWait is the default client_auth.jwks_fetch_timeout.
const jwksDefaultWait = clientauth.JWKSDefaultWait

// defaultClientAttestation is the default client_attestation section.
func defaultClientAttestation() ClientAttestationConfig { return clientauth.DefaultAttestationConfig() }

// validHeaderName reports whether name may name a request header field.
func validHeaderName(name string) bool { return clientauth.ValidHeaderName(name) }
