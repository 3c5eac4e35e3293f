package issuer

import (
	"encoding/json"
	"maps"
	"slices"

	"github.com/lestrrat-go/jwx/v2/jwk"
)

// metadata holds the discovery documents, encoded once at start.
type metadata struct {
	oauth, vci, jwks []byte
}

func buildMetadata(s *Service) (metadata, error) {
	c := s.cfg
	oauth := map[string]any{
		"issuer":                                c.URL,
		"token_endpoint":                        c.URL + PathToken,
		"jwks_uri":                              c.URL + PathJWKS,
		"grant_types_supported":                 slices.Sorted(maps.Keys(grants)),
		"token_endpoint_auth_methods_supported": supportedAuthMethods,
		"token_endpoint_auth_signing_alg_values_supported": append(slices.Clone(asymmetricAlgs), hmacAlgs...),
		"dpop_signing_alg_values_supported":                s.verifier.Algs(),
		"pre-authorized_grant_anonymous_access_supported":  c.AnonymousAccess(),
		"authorization_details_types_supported":            []string{TypeOpenIDCredential},
		"revocation_endpoint":                              c.URL + PathRevoke,
		"revocation_endpoint_auth_methods_supported":       supportedAuthMethods,
		"introspection_endpoint":                           c.URL + PathIntrospect,
		"introspection_endpoint_auth_methods_supported":    slices.DeleteFunc(slices.Clone(supportedAuthMethods), func(m string) bool { return m == AuthNone || m == AuthAttestJWT }),
		"permission_endpoint":                              c.URL + PathUMAPermission,
	}
	s.addAttestationMetadata(oauth)
	vci := map[string]any{
		"credential_issuer":                   c.URL,
		"credential_endpoint":                 c.CredentialEndpoint,
		"nonce_endpoint":                      c.URL + PathNonce,
		"credential_configurations_supported": c.CredentialConfigurations,
	}
	if len(c.Display) > 0 {
		vci["display"] = c.Display
	}
	set := jwk.NewSet()
	if err := set.AddKey(s.signer.public); err != nil {
		return metadata{}, err
	}
	var m metadata
	var err error
	if m.oauth, err = json.Marshal(oauth); err != nil {
		return m, err
	}
	if m.vci, err = json.Marshal(vci); err != nil {
		return m, err
	}
	m.jwks, err = json.Marshal(set)
	return m, err
}

// AuthorizationServerMetadata is the RFC 8414 document.
func (s *Service) AuthorizationServerMetadata() []byte { return s.meta.oauth }

// CredentialIssuerMetadata is the OpenID4VCI 1.0 §12.2 document.
func (s *Service) CredentialIssuerMetadata() []byte { return s.meta.vci }

// JWKS is the JWK set of the public signing keys.
func (s *Service) JWKS() []byte { return s.meta.jwks }
