package oauth

import (
	"slices"
	"strings"
)

// Grant types (RFC 6749 §4, OpenID4VCI 1.0 §4.1.1, UMA 2.0 Grant §3.3.1).
const (
	GrantPreAuthorizedCode = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
	GrantAuthorizationCode = "authorization_code"
	GrantRefreshToken      = "refresh_token"
	GrantClientCredentials = "client_credentials"
	GrantPassword          = "password"
	GrantUMATicket         = "urn:ietf:params:oauth:grant-type:uma-ticket"
)

// Client authentication methods (RFC 7591 §2, OpenID Connect Core §9,
// RFC 7523 §2.2, RFC 8705 §2.1 and §2.2, OAuth 2.0 Attestation-Based
// Client Authentication draft -07).
const (
	AuthNone                    = "none"
	AuthClientSecretBasic       = "client_secret_basic"
	AuthClientSecretPost        = "client_secret_post"
	AuthPrivateKeyJWT           = "private_key_jwt"
	AuthClientSecretJWT         = "client_secret_jwt"
	AuthTLSClientAuth           = "tls_client_auth"
	AuthSelfSignedTLSClientAuth = "self_signed_tls_client_auth"
	AuthAttestJWT               = "attest_jwt_client_auth"
)

// HTTP header fields of the protocols (RFC 9449 §4.1 and §8, attestation
// draft -07 §6.1 and §8.1).
const (
	HeaderDPoP                 = "DPoP"
	HeaderDPoPNonce            = "DPoP-Nonce"
	HeaderClientAttestation    = "OAuth-Client-Attestation"
	HeaderClientAttestationPoP = "OAuth-Client-Attestation-PoP"
	HeaderAttestationChallenge = "OAuth-Client-Attestation-Challenge"
)

// Authentication schemes of the Authorization and WWW-Authenticate fields
// (RFC 7617, RFC 6750 §2.1, RFC 9449 §7.1).
const (
	SchemeBasic  = "Basic"
	SchemeBearer = "Bearer"
	SchemeDPoP   = "DPoP"
)

// ValidScopeToken reports whether v is a scope-token of RFC 6749 §3.3
// (%x21 / %x23-5B / %x5D-7E), and so safe to echo in error_description.
func ValidScopeToken(v string) bool {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return v != ""
}

// Scope values with a meaning beyond credentials (OpenID Connect Core
// §3.1.2.1, §11).
const (
	ScopeOpenID        = "openid"
	ScopeOfflineAccess = "offline_access"
)

// HasScope reports whether the space-separated scope contains v.
func HasScope(scope, v string) bool { return slices.Contains(strings.Fields(scope), v) }

// ErrDPoPReplay is the error for a DPoP proof whose jti was seen before.
func ErrDPoPReplay() *Error {
	return ErrInvalidDPoPProof("the DPoP proof was used before (jti replay)")
}
