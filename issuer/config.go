package issuer

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// DPoP policies: whether a token request must carry a DPoP proof.
const (
	DPoPRequired = "required"
	DPoPOptional = "optional"
)

// Config is everything the domain needs to know. Zero values are replaced
// by [Defaults] through [Config.Validate]; the YAML tags are the config-file
// keys.
type Config struct {
	// URL is the public base URL: the issuer identifier, the credential
	// issuer identifier, the base of every endpoint and of the DPoP htu
	// comparison.
	URL string `yaml:"url"`
	// CredentialEndpoint is advertised in the issuer metadata. The credential
	// endpoint is served by the credential issuer, not by this binary; the
	// default is URL + "/credential".
	CredentialEndpoint string `yaml:"credential_endpoint"`

	DPoP          DPoPConfig          `yaml:"dpop"`
	PreAuthorized PreAuthorizedConfig `yaml:"pre_authorized"`
	ClientAuth    ClientAuthConfig    `yaml:"client_auth"`
	Tokens        TokenConfig         `yaml:"tokens"`
	Authorization AuthorizationConfig `yaml:"authorization"`
	// ClientAttestation configures attest_jwt_client_auth (attestation.go).
	ClientAttestation ClientAttestationConfig `yaml:"client_attestation"`

	// CredentialConfigurations is credential_configurations_supported of the
	// issuer metadata (OpenID4VCI 1.0 §12.2.4), keyed by configuration ID.
	CredentialConfigurations map[string]any `yaml:"credential_configurations_supported"`
	// Display is the optional display of the issuer metadata.
	Display []map[string]any `yaml:"display"`

	// Now is the clock; time.Now when nil.
	Now func() time.Time `yaml:"-"`
}

// DPoPConfig configures RFC 9449 at the token endpoint.
type DPoPConfig struct {
	// Policy is "required" (default) or "optional". With optional, a request
	// without a proof gets a Bearer token of at most 5 minutes
	// (OpenID4VCI 1.0 §13.10).
	Policy string `yaml:"policy"`
	// UseNonce switches on server-provided nonces (RFC 9449 §8).
	UseNonce bool `yaml:"use_dpop_nonce"`
	// NonceTTL is how long a DPoP-Nonce stays valid.
	NonceTTL time.Duration `yaml:"nonce_ttl"`
	// Algs is the allow-list, published as dpop_signing_alg_values_supported.
	Algs []string `yaml:"signing_alg_values"`
	// MaxAge is how old a proof's iat may be; FutureSkew how far ahead.
	MaxAge     time.Duration `yaml:"max_age"`
	FutureSkew time.Duration `yaml:"future_skew"`
}

// PreAuthorizedConfig configures the pre-authorized code grant.
type PreAuthorizedConfig struct {
	// AnonymousAccess is pre-authorized_grant_anonymous_access_supported:
	// whether a wallet may redeem a code without identifying as a client.
	AnonymousAccess *bool `yaml:"anonymous_access"`
	// CodeTTL is the default life of an offer's code; MaxCodeTTL caps what
	// the admin API may ask for.
	CodeTTL    time.Duration `yaml:"code_ttl"`
	MaxCodeTTL time.Duration `yaml:"max_code_ttl"`
	// TxCodeMaxAttempts is the budget of wrong transaction codes after which
	// the code is dead.
	TxCodeMaxAttempts int `yaml:"tx_code_max_attempts"`
}

// ClientAuthConfig configures client authentication.
type ClientAuthConfig struct {
	// PermissiveAssertionAudience also accepts, in client assertions, the
	// token endpoint URL as aud (RFC 7523, RFC 9126) and a one-element
	// array. Off by default: FAPI 2.0 and the OpenID Connect errata accept
	// only the issuer identifier, as a string (checklist §7 item 5).
	PermissiveAssertionAudience bool `yaml:"permissive_assertion_audience"`
	// JWKSFetchTimeout bounds fetching a client's jwks_uri.
	JWKSFetchTimeout time.Duration `yaml:"jwks_fetch_timeout"`
	// ClientCAs are the roots a tls_client_auth client's certificate must
	// chain to (RFC 8705 §2.1); nil refuses every tls_client_auth client.
	ClientCAs *x509.CertPool `yaml:"-"`
	// TLSCertificateHeader names the request header in which a
	// TLS-terminating proxy passes the client certificate (URL-encoded PEM,
	// as nginx's $ssl_client_escaped_cert, or base64 DER). When set, the
	// HTTP layer takes certificates from this header only. Set it only if
	// every request comes through a proxy that removes the header from what
	// clients send: whoever can set it can present any certificate.
	TLSCertificateHeader string `yaml:"tls_certificate_header"`
}

// TokenConfig configures the tokens the server issues.
type TokenConfig struct {
	// AccessTokenTTL is the life of DPoP-bound access tokens.
	AccessTokenTTL time.Duration `yaml:"access_token_ttl"`
	// CNonceTTL is the life of a c_nonce.
	CNonceTTL time.Duration `yaml:"c_nonce_ttl"`
	// RefreshTokenTTL is the absolute life of a refresh token;
	// RefreshTokenIdleTTL how long it may go unused (RFC 9700 §4.14.2).
	RefreshTokenTTL     time.Duration `yaml:"refresh_token_ttl"`
	RefreshTokenIdleTTL time.Duration `yaml:"refresh_token_idle_ttl"`
	// RotateRefreshTokens issues a new refresh token on each refresh (off by
	// default, as FAPI 2.0 prefers for sender-constrained tokens). A rotated
	// token still works for RefreshGrace (a benign retry); reused later, it
	// revokes its whole grant.
	RotateRefreshTokens bool          `yaml:"rotate_refresh_tokens"`
	RefreshGrace        time.Duration `yaml:"refresh_grace"`
	// CNonceInTokenResponse adds c_nonce and c_nonce_expires_in to token
	// responses (draft-13 wallets expect them; 1.0 wallets ignore them).
	CNonceInTokenResponse *bool `yaml:"c_nonce_in_token_response"`
}

// AuthorizationConfig configures the authorization code flow.
type AuthorizationConfig struct {
	// RequirePAR refuses authorization requests that were not pushed
	// (RFC 9126 §5), as HAIP and FAPI 2.0 do. Default true.
	RequirePAR *bool `yaml:"require_pushed_authorization_requests"`
	// RequestURITTL is the life of a PAR request_uri (at most 10 minutes).
	RequestURITTL time.Duration `yaml:"request_uri_ttl"`
	// CodeTTL is the life of an authorization code (FAPI 2.0: at most 60 s).
	CodeTTL time.Duration `yaml:"code_ttl"`
	// LoginTTL is how long a user has to sign in and decide.
	LoginTTL time.Duration `yaml:"login_ttl"`
	// IDTokenTTL is the life of ID tokens.
	IDTokenTTL time.Duration `yaml:"id_token_ttl"`
}

// Limits that the configuration may not exceed.
const (
	maxBearerTTL     = 5 * time.Minute // OpenID4VCI 1.0 §13.10
	maxFutureSkew    = 60 * time.Second
	defaultPublicURL = "http://127.0.0.1:8080"
)

// Defaults returns the configuration used when nothing is set.
func Defaults() Config {
	yes := true
	return Config{
		URL: defaultPublicURL,
		DPoP: DPoPConfig{
			Policy:     DPoPRequired,
			NonceTTL:   5 * time.Minute,
			Algs:       []string{"ES256", "ES384", "PS256", "EdDSA"},
			MaxAge:     60 * time.Second,
			FutureSkew: 10 * time.Second,
		},
		PreAuthorized: PreAuthorizedConfig{
			AnonymousAccess:   &yes,
			CodeTTL:           10 * time.Minute,
			MaxCodeTTL:        7 * 24 * time.Hour,
			TxCodeMaxAttempts: 5,
		},
		Tokens: TokenConfig{
			AccessTokenTTL:        5 * time.Minute,
			RefreshTokenTTL:       14 * 24 * time.Hour,
			RefreshTokenIdleTTL:   7 * 24 * time.Hour,
			RefreshGrace:          30 * time.Second,
			CNonceTTL:             5 * time.Minute,
			CNonceInTokenResponse: &yes,
		},
		Authorization: AuthorizationConfig{
			RequirePAR:    &yes,
			RequestURITTL: 60 * time.Second,
			CodeTTL:       60 * time.Second,
			LoginTTL:      10 * time.Minute,
			IDTokenTTL:    5 * time.Minute,
		},
		CredentialConfigurations: DefaultCredentialConfigurations(),
	}
}

// Validate fills zero values from [Defaults] and reports every problem at
// once.
func (c *Config) Validate() error {
	c.fillDefaults()
	var errs []error
	if err := checkBaseURL(c.URL); err != nil {
		errs = append(errs, fmt.Errorf("url: %w", err))
	}
	c.URL = strings.TrimSuffix(c.URL, "/")
	if c.CredentialEndpoint == "" {
		c.CredentialEndpoint = c.URL + "/credential"
	}
	if c.DPoP.Policy != DPoPRequired && c.DPoP.Policy != DPoPOptional {
		errs = append(errs, fmt.Errorf("dpop.policy: %q is neither %q nor %q", c.DPoP.Policy, DPoPRequired, DPoPOptional))
	}
	if c.DPoP.FutureSkew > maxFutureSkew {
		errs = append(errs, fmt.Errorf("dpop.future_skew: at most %s (FAPI 2.0 §5.3.2.1)", maxFutureSkew))
	}
	if c.PreAuthorized.TxCodeMaxAttempts < 1 {
		errs = append(errs, errors.New("pre_authorized.tx_code_max_attempts: must be at least 1"))
	}
	if a := c.Authorization; a.RequestURITTL > 10*time.Minute || a.CodeTTL > 10*time.Minute {
		errs = append(errs, errors.New("authorization: request_uri_ttl and code_ttl must be at most 10m (RFC 9126 §2.2, RFC 6749 §4.1.2)"))
	}
	if c.ClientAuth.TLSCertificateHeader != "" && !validHeaderName(c.ClientAuth.TLSCertificateHeader) {
		errs = append(errs, errors.New("client_auth.tls_certificate_header: not a valid header name"))
	}
	if len(c.CredentialConfigurations) == 0 {
		errs = append(errs, errors.New("credential_configurations_supported: at least one configuration is needed"))
	}
	errs = append(errs, c.ClientAttestation.validate()...)
	return errors.Join(errs...)
}

func (c *Config) fillDefaults() {
	d := Defaults()
	setIfZero(&c.URL, d.URL)
	setIfZero(&c.DPoP.Policy, d.DPoP.Policy)
	setIfZero(&c.DPoP.NonceTTL, d.DPoP.NonceTTL)
	setIfZero(&c.DPoP.MaxAge, d.DPoP.MaxAge)
	setIfZero(&c.DPoP.FutureSkew, d.DPoP.FutureSkew)
	if len(c.DPoP.Algs) == 0 {
		c.DPoP.Algs = d.DPoP.Algs
	}
	setIfZero(&c.PreAuthorized.AnonymousAccess, d.PreAuthorized.AnonymousAccess)
	setIfZero(&c.ClientAuth.JWKSFetchTimeout, jwksDefaultWait)
	setIfZero(&c.PreAuthorized.CodeTTL, d.PreAuthorized.CodeTTL)
	setIfZero(&c.PreAuthorized.MaxCodeTTL, d.PreAuthorized.MaxCodeTTL)
	setIfZero(&c.PreAuthorized.TxCodeMaxAttempts, d.PreAuthorized.TxCodeMaxAttempts)
	setIfZero(&c.Tokens.AccessTokenTTL, d.Tokens.AccessTokenTTL)
	setIfZero(&c.Tokens.CNonceTTL, d.Tokens.CNonceTTL)
	setIfZero(&c.Tokens.RefreshTokenTTL, d.Tokens.RefreshTokenTTL)
	setIfZero(&c.Tokens.RefreshTokenIdleTTL, d.Tokens.RefreshTokenIdleTTL)
	setIfZero(&c.Tokens.RefreshGrace, d.Tokens.RefreshGrace)
	setIfZero(&c.Tokens.CNonceInTokenResponse, d.Tokens.CNonceInTokenResponse)
	setIfZero(&c.Authorization.RequirePAR, d.Authorization.RequirePAR)
	setIfZero(&c.Authorization.RequestURITTL, d.Authorization.RequestURITTL)
	setIfZero(&c.Authorization.CodeTTL, d.Authorization.CodeTTL)
	setIfZero(&c.Authorization.LoginTTL, d.Authorization.LoginTTL)
	setIfZero(&c.Authorization.IDTokenTTL, d.Authorization.IDTokenTTL)
	c.ClientAttestation.fillDefaults()
	if c.CredentialConfigurations == nil {
		c.CredentialConfigurations = d.CredentialConfigurations
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

func setIfZero[T comparable](p *T, v T) {
	var zero T
	if *p == zero {
		*p = v
	}
}

// checkBaseURL accepts an absolute http(s) URL without query, fragment or
// userinfo. Plain http is allowed so that the server runs locally; in
// production it sits behind TLS (RFC 9449 §2 requires DPoP over TLS).
func checkBaseURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return errors.New("must be an http or https URL")
	case u.Host == "":
		return errors.New("must have a host")
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return errors.New("must have no query, fragment or userinfo")
	}
	return nil
}

// AnonymousAccess reports whether wallets may redeem codes anonymously.
func (c *Config) AnonymousAccess() bool { return *c.PreAuthorized.AnonymousAccess }

// DefaultCredentialConfigurations is what a server without a config file
// offers: the EUDI PID as an SD-JWT VC and an ISO mDL as an mdoc.
func DefaultCredentialConfigurations() map[string]any {
	jwtProof := map[string]any{"jwt": map[string]any{"proof_signing_alg_values_supported": []any{"ES256"}}}
	return map[string]any{
		"eu.europa.ec.eudi.pid_vc_sd_jwt": map[string]any{
			"format": "dc+sd-jwt",
			"vct":    "urn:eudi:pid:1",
			"scope":  "eu.europa.ec.eudi.pid_vc_sd_jwt",
			"cryptographic_binding_methods_supported": []any{"jwk"},
			"credential_signing_alg_values_supported": []any{"ES256"},
			"proof_types_supported":                   jwtProof,
			"credential_metadata": map[string]any{
				"display": []any{map[string]any{"name": "Person Identification Data", "locale": "en"}},
			},
		},
		"org.iso.18013.5.1.mDL": map[string]any{
			"format":  "mso_mdoc",
			"doctype": "org.iso.18013.5.1.mDL",
			"scope":   "org.iso.18013.5.1.mDL",
			"cryptographic_binding_methods_supported": []any{"cose_key"},
			"credential_signing_alg_values_supported": []any{-7},
			"proof_types_supported":                   jwtProof,
			"credential_metadata": map[string]any{
				"display": []any{map[string]any{"name": "Mobile Driving Licence", "locale": "en"}},
			},
		},
	}
}
