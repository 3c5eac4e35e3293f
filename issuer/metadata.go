package issuer

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"maps"
	"slices"

	"github.com/lestrrat-go/jwx/v2/cert"
	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"

	"issuer/issuer/authz"
	"issuer/issuer/clientauth"
	"issuer/issuer/credential"
	"issuer/issuer/grant"
	"issuer/issuer/oauth"
)

// metadata holds the discovery documents, encoded once at start.
type metadata struct {
	oauth, oidc, vci, jwks []byte
}

func buildMetadata(s *Service) (metadata, error) {
	c := s.cfg
	assertionAlgs := clientauth.AssertionAlgs()
	oauth := map[string]any{
		"issuer":                                c.URL,
		"token_endpoint":                        c.URL + PathToken,
		"jwks_uri":                              c.URL + PathJWKS,
		"grant_types_supported":                 without(grant.Types(), c.refusedGrants()...),
		"token_endpoint_auth_methods_supported": c.authMethods(),
		"token_endpoint_auth_signing_alg_values_supported": assertionAlgs,
		// The same client authentication serves revocation and introspection
		// (RFC 8414 §2).
		"revocation_endpoint_auth_signing_alg_values_supported":    assertionAlgs,
		"introspection_endpoint_auth_signing_alg_values_supported": assertionAlgs,
		"dpop_signing_alg_values_supported":                        s.proofs.Algs(),
		"pre-authorized_grant_anonymous_access_supported":          c.AnonymousAccess(),
		"authorization_details_types_supported":                    []string{oauth.TypeOpenIDCredential},
		"revocation_endpoint":                                      c.URL + PathRevoke,
		"revocation_endpoint_auth_methods_supported":               c.authMethods(),
		"introspection_endpoint":                                   c.URL + PathIntrospect,
		"introspection_endpoint_auth_methods_supported":            without(clientauth.SupportedMethods(), oauth.AuthNone, oauth.AuthAttestJWT),
		"permission_endpoint":                                      c.URL + PathUMAPermission,
		"authorization_endpoint":                                   c.URL + PathAuthorize,
		"pushed_authorization_request_endpoint":                    c.URL + PathPAR,
		"require_pushed_authorization_requests":                    c.Authorization.RequirePAR,
		"response_types_supported":                                 []string{"code"},
		"response_modes_supported":                                 []string{"query"},
		"code_challenge_methods_supported":                         []string{"S256"},
		"authorization_response_iss_parameter_supported":           true,
		"scopes_supported":                                         scopesSupported(authz.CredentialScopes(s.cfg.CredentialConfigurations)),
		"tls_client_certificate_bound_access_tokens":               true,
	}
	addAttestationMetadata(oauth, c)
	oidc := maps.Clone(oauth)
	oidc["userinfo_endpoint"] = c.URL + PathUserInfo
	oidc["subject_types_supported"] = []string{"public"}
	oidc["id_token_signing_alg_values_supported"] = []string{"ES256"}
	oidc["claims_parameter_supported"] = false
	oidc["request_parameter_supported"] = false
	oidc["request_uri_parameter_supported"] = true
	vci := map[string]any{
		"credential_issuer":                   c.URL,
		"credential_endpoint":                 c.CredentialEndpoint,
		"nonce_endpoint":                      c.URL + PathNonce,
		"credential_configurations_supported": c.CredentialConfigurations,
		"batch_credential_issuance":           map[string]any{"batch_size": c.Credential.BatchSize},
	}
	if c.OwnCredentialEndpoint() {
		vci["notification_endpoint"] = c.URL + PathNotification
		vci["deferred_credential_endpoint"] = c.URL + PathDeferredCredential
		vci["credential_response_encryption"] = map[string]any{
			"alg_values_supported": credential.EncryptionAlgs, "enc_values_supported": credential.EncryptionEncs,
			"encryption_required": c.Credential.RequireEncryption,
		}
	}
	if len(c.Display) > 0 {
		vci["display"] = c.Display
	}
	var m metadata
	var err error
	if m.oauth, err = json.Marshal(oauth); err != nil {
		return m, err
	}
	if m.oidc, err = json.Marshal(oidc); err != nil {
		return m, err
	}
	if m.vci, err = json.Marshal(vci); err != nil {
		return m, err
	}
	m.jwks = s.mint.JWKS()
	return m, nil
}

// AuthorizationServerMetadata is the RFC 8414 document.
func (s *Service) AuthorizationServerMetadata() []byte { return s.meta.oauth }

// OpenIDConfiguration is the OpenID Connect Discovery 1.0 document: the
// RFC 8414 document plus the OpenID provider members.
func (s *Service) OpenIDConfiguration() []byte { return s.meta.oidc }

// scopesSupported lists openid, offline_access and the credential scopes.
func scopesSupported(scopes map[string]string) []string {
	return append([]string{oauth.ScopeOpenID, oauth.ScopeOfflineAccess}, slices.Sorted(maps.Keys(scopes))...)
}

// CredentialIssuerMetadata is the OpenID4VCI 1.0 §12.2 document.
func (s *Service) CredentialIssuerMetadata() []byte { return s.meta.vci }

// JWKS is the JWK set of the public signing keys.
func (s *Service) JWKS() []byte { return s.meta.jwks }

// addAttestationMetadata adds the members of -07 §10.1 and §8 to the
// authorization server metadata. client_attestation_pop_nonce_required is
// the -05 name that wallets built on earlier drafts still read.
func addAttestationMetadata(m map[string]any, cfg Config) {
	c := cfg.ClientAttestation
	m["client_attestation_signing_alg_values_supported"] = c.SigningAlgs
	m["client_attestation_pop_signing_alg_values_supported"] = c.PoPSigningAlgs
	m["client_attestation_pop_nonce_required"] = c.RequireChallenge
	if c.RequireChallenge {
		m["challenge_endpoint"] = cfg.URL + PathChallenge
	}
}

// JWTVCIssuerMetadata is the SD-JWT VC issuer metadata (SD-JWT VC §4,
// /.well-known/jwt-vc-issuer): the issuer identifier and the public keys
// of the credential signers whose credentials may still be verified (the
// current one and, after a rollover, the previous one while its
// certificate lasts), each with its certificate chain.
func (s *Service) JWTVCIssuerMetadata(ctx context.Context) ([]byte, error) {
	signers, err := s.credKeys.Published(ctx, s.cfg.Now())
	if err != nil {
		return nil, err
	}
	keys := make([]any, 0, len(signers))
	for _, signer := range signers {
		key, err := signerJWK(signer)
		if err != nil {
			return nil, err
		}
		keys = append(keys, key)
	}
	return json.Marshal(map[string]any{"issuer": s.cfg.URL, "jwks": map[string]any{"keys": keys}})
}

// signerJWK is a credential signer's public key as a JWK with its x5c.
func signerJWK(signer *credential.Signer) (jwk.Key, error) {
	key, err := jwk.FromRaw(signer.Key.Public())
	if err != nil {
		return nil, err
	}
	chain := &cert.Chain{}
	for _, c := range signer.Chain {
		if err := chain.AddString(base64.StdEncoding.EncodeToString(c.Raw)); err != nil {
			return nil, err
		}
	}
	for k, v := range map[string]any{jwk.AlgorithmKey: jwa.ES256, jwk.KeyUsageKey: "sig", jwk.X509CertChainKey: chain} {
		if err := key.Set(k, v); err != nil {
			return nil, err
		}
	}
	if err := jwk.AssignKeyID(key); err != nil {
		return nil, err
	}
	return key, nil
}

// CredentialRootPEM is the generated root certificate of the credentials'
// chains, in PEM, for verifiers to trust; nil when the signing key and
// chain are configured (their root is the issuer's to publish).
func (s *Service) CredentialRootPEM() []byte { return s.credKeys.RootPEM() }
