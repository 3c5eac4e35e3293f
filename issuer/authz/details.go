package authz

import (
	"encoding/json"
	"issuer/issuer/oauth"
	"slices"
)

// requestedDetail is an entry of a request's authorization_details; fields
// we do not understand are ignored (OpenID4VCI 1.0 §5.1.1).
type requestedDetail struct {
	Type                      *string  `json:"type"`
	CredentialConfigurationID *string  `json:"credential_configuration_id"`
	Locations                 []string `json:"locations"`
}

// GrantedDetails returns what the token covers: every configuration the
// grant authorised (configIDs, with the parallel credential identifiers),
// or the subset that the token request's authorization_details names
// (OpenID4VCI 1.0 §6.1.1, RFC 9396 §6.1). Asking for anything outside the
// grant is refused, never silently dropped.
func (s *Authz) GrantedDetails(configIDs, identifiers []string, raw string) ([]oauth.AuthorizationDetail, error) {
	all := make([]oauth.AuthorizationDetail, len(configIDs))
	for i, id := range configIDs {
		all[i] = oauth.AuthorizationDetail{Type: oauth.TypeOpenIDCredential, CredentialConfigurationID: id, CredentialIdentifiers: []string{identifiers[i]}}
	}
	if raw == "" {
		return all, nil
	}
	ids, err := s.requestedConfigurations(raw)
	if err != nil {
		return nil, err
	}
	var out []oauth.AuthorizationDetail
	for _, id := range ids {
		i := slices.Index(configIDs, id)
		if i < 0 {
			return nil, oauth.ErrInvalidAuthorizationDetails("authorization_details asks for a credential configuration that the grant does not cover")
		}
		out = append(out, all[i])
	}
	return out, nil
}

// requestedConfiguration validates one entry and returns its configuration ID.
func (s *Authz) requestedConfiguration(raw json.RawMessage) (string, error) {
	var d requestedDetail
	if err := json.Unmarshal(raw, &d); err != nil || raw[0] != '{' {
		return "", oauth.ErrInvalidAuthorizationDetails("each authorization_details entry must be an object with a string type")
	}
	switch {
	case d.Type == nil:
		return "", oauth.ErrInvalidAuthorizationDetails("an authorization_details entry has no type")
	case *d.Type != oauth.TypeOpenIDCredential:
		return "", oauth.ErrInvalidAuthorizationDetails("the authorization_details type is not supported")
	case d.CredentialConfigurationID == nil:
		return "", oauth.ErrInvalidAuthorizationDetails("an openid_credential entry has no credential_configuration_id")
	case d.Locations != nil && !slices.Contains(d.Locations, s.cfg.URL):
		return "", oauth.ErrInvalidAuthorizationDetails("locations does not name this credential issuer")
	}
	if _, ok := s.cfg.Configurations[*d.CredentialConfigurationID]; !ok {
		return "", oauth.ErrInvalidAuthorizationDetails("credential_configuration_id is not in credential_configurations_supported")
	}
	return *d.CredentialConfigurationID, nil
}
