package issuer

import (
	"issuer/issuer/clientauth"
	"issuer/issuer/clients"
	"issuer/issuer/walletprovider"
)

// The facade's names for the client authentication types that web and the
// config file use; they are defined in package clientauth.
type (
	// ClientRequest is a request that authenticates a client.
	ClientRequest = clientauth.Request
	// ClientMetadata is a client registration (RFC 7591 field names).
	ClientMetadata = clients.Metadata
	// WalletProvider is a trusted wallet provider.
	WalletProvider = walletprovider.Provider
	// ClientAttestationConfig configures attest_jwt_client_auth.
	ClientAttestationConfig = clientauth.AttestationConfig
	// ChallengeResponse is the body of the challenge endpoint.
	ChallengeResponse = clientauth.ChallengeResponse
)

// jwksDefaultWait is the default client_auth.jwks_fetch_timeout.
const jwksDefaultWait = clientauth.JWKSDefaultWait

// defaultClientAttestation is the default client_attestation section.
func defaultClientAttestation() ClientAttestationConfig { return clientauth.DefaultAttestationConfig() }

// validHeaderName reports whether name may name a request header field.
func validHeaderName(name string) bool { return clientauth.ValidHeaderName(name) }
