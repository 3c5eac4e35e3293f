package oauth

// TypeOpenIDCredential is the authorization_details type of OpenID4VCI
// (1.0 §5.1.1).
const TypeOpenIDCredential = "openid_credential"

// AuthorizationDetail is one openid_credential entry of authorization_details
// (RFC 9396, OpenID4VCI 1.0 §5.1.1 and §6.2): what a token grants, as the
// token response and the token's claims carry it.
type AuthorizationDetail struct {
	Type                      string   `json:"type"`
	CredentialConfigurationID string   `json:"credential_configuration_id"`
	CredentialIdentifiers     []string `json:"credential_identifiers,omitempty"`
}
