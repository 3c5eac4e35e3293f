package issuer

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"issuer/issuer/authz"
	"issuer/issuer/credential"
)

// DPoP policies: whether a token request must carry a DPoP proof.
const (
	DPoPRequired = "required"
	DPoPOptional = "optional"
)

// Config is everything the domain needs to know. Start from [Defaults] and
// change what differs: [Config.Validate] takes every setting as it is, zero
// included (a zero refresh_grace is no grace, a zero TTL is refused). The
// YAML tags are the config-file keys; the file is decoded on top of
// Defaults, so that a key it does not hold keeps its default.
type Config struct {
	// URL is the public base URL: the issuer identifier, the credential
	// issuer identifier, the base of every endpoint and of the DPoP htu
	// comparison.
	URL string `yaml:"url"`
	// CredentialEndpoint is advertised in the issuer metadata. The default,
	// URL + "/credential", is this binary's own credential endpoint; any
	// other value is a credential endpoint of the issuer's own, and ours is
	// not served.
	CredentialEndpoint string `yaml:"credential_endpoint"`
	// Profile is "" (none) or "haip": OpenID4VC HAIP 1.0 and the FAPI 2.0
	// provisions it imports, enforced in one switch (profile.go).
	Profile string `yaml:"profile"`

	DPoP          DPoPConfig          `yaml:"dpop"`
	PreAuthorized PreAuthorizedConfig `yaml:"pre_authorized"`
	ClientAuth    ClientAuthConfig    `yaml:"client_auth"`
	Tokens        TokenConfig         `yaml:"tokens"`
	Authorization AuthorizationConfig `yaml:"authorization"`
	// ClientAttestation configures attest_jwt_client_auth (attestation.go).
	ClientAttestation ClientAttestationConfig `yaml:"client_attestation"`
	// Credential configures the credential endpoint and the credentials.
	Credential CredentialConfig `yaml:"credential"`

	// CredentialConfigurations is credential_configurations_supported of the
	// issuer metadata (OpenID4VCI 1.0 §12.2.4), keyed by configuration ID.
	// A config file that sets it replaces the default configurations.
	CredentialConfigurations CredentialConfigurations `yaml:"credential_configurations_supported"`
	// Display is the optional display of the issuer metadata.
	Display []map[string]any `yaml:"display"`

	// PasswordHashing lowers the cost of new password hashes, for tests
	// only: never read from a file; the zero value is the OWASP minimum.
	PasswordHashing authz.PasswordHashing `yaml:"-"`

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
	// Nil (the default) is the profile's choice: true without a profile,
	// false under haip; [Config.AnonymousAccess] resolves it. A pointer, so
	// that the haip profile can tell an explicit true (allowed, with a
	// warning) from the default.
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
	CNonceInTokenResponse bool `yaml:"c_nonce_in_token_response"`
}

// AuthorizationConfig configures the authorization code flow.
type AuthorizationConfig struct {
	// RequirePAR refuses authorization requests that were not pushed
	// (RFC 9126 §5), as HAIP and FAPI 2.0 do. Default true.
	RequirePAR bool `yaml:"require_pushed_authorization_requests"`
	// RequestURITTL is the life of a PAR request_uri (at most 10 minutes).
	RequestURITTL time.Duration `yaml:"request_uri_ttl"`
	// CodeTTL is the life of an authorization code (FAPI 2.0: at most 60 s).
	CodeTTL time.Duration `yaml:"code_ttl"`
	// LoginTTL is how long a user has to sign in and decide.
	LoginTTL time.Duration `yaml:"login_ttl"`
	// IDTokenTTL is the life of ID tokens.
	IDTokenTTL time.Duration `yaml:"id_token_ttl"`
}

// CredentialConfig configures the credential endpoint (OpenID4VCI 1.0 §8)
// and the credentials it signs.
type CredentialConfig struct {
	// BatchSize is batch_credential_issuance.batch_size: the most key
	// proofs, hence credentials, of one request (1 to 100; default 10).
	BatchSize int `yaml:"batch_size"`
	// StrictRequests refuses what wallets on drafts 13–15 send (a single
	// proof object, format instead of an identifier), which is accepted
	// by default.
	StrictRequests bool `yaml:"strict_requests"`
	// SigningKeyFile (PEM, ECDSA P-256, PKCS#8 or SEC 1) and
	// CertificateChainFile (PEM, the key's certificate first, then the
	// intermediates, without the root) are the credential signing key.
	// Both or neither: without them, a generated root and document signer
	// kept in the store are used (for tests and demos).
	SigningKeyFile       string `yaml:"signing_key_file"`
	CertificateChainFile string `yaml:"certificate_chain_file"`
	// Validity is how long a credential is valid from its issuance (exp,
	// validUntil): at least an hour, at most 5 years; default 365 days.
	Validity time.Duration `yaml:"validity"`
	// RequireEncryption publishes encryption_required: true and refuses
	// credential and deferred credential requests without
	// credential_response_encryption (OpenID4VCI 1.0 §10).
	RequireEncryption bool `yaml:"require_encryption"`
	// NotificationTTL is how long the notification_id of a credential
	// response is accepted at the notification endpoint (default 24 h, at
	// most 30 days).
	NotificationTTL time.Duration `yaml:"notification_ttl"`
	// DeferredTTL is how long a deferred offer, its transactions and the
	// claims supplied for it are kept after the offer's code expires, the
	// transaction is created or the claims are supplied (default 24 h, at
	// most 30 days).
	DeferredTTL time.Duration `yaml:"deferred_ttl"`
	// DeferredInterval is the interval of deferred answers: how long a
	// wallet waits before asking again (default 5 s, at least 1 s).
	DeferredInterval time.Duration `yaml:"deferred_interval"`
	// IntrospectionClients are the client IDs of the issuer's own
	// credential endpoints (when credential_endpoint is not ours): only
	// their introspections carry the subject's claims (credential_claims).
	IntrospectionClients []string `yaml:"introspection_clients"`
}

// Limits that the configuration may not exceed.
const (
	maxBearerTTL     = 5 * time.Minute // OpenID4VCI 1.0 §13.10
	maxFutureSkew    = 60 * time.Second
	maxRequestURITTL = 10 * time.Minute // RFC 9126 §2.2
	maxAuthCodeTTL   = 10 * time.Minute // RFC 6749 §4.1.2
	defaultPublicURL = "http://127.0.0.1:8080"

	// Sanity caps: a larger value weakens a protection or keeps state far
	// longer than any use needs.
	maxTxCodeAttempts   = 10               // a 4-digit tx_code must stay unguessable (VCI-08)
	maxProofAge         = 10 * time.Minute // RFC 9449 §11.1: "seconds to minutes"
	maxNonceTTL         = time.Hour        // server nonces and challenges
	maxAccessTokenTTL   = 24 * time.Hour
	maxLoginTTL         = time.Hour
	maxIDTokenTTL       = 24 * time.Hour
	maxRefreshTokenTTL  = 366 * 24 * time.Hour
	maxRefreshGrace     = 5 * time.Minute // a benign retry, not a second token
	maxOfferCodeTTL     = 30 * 24 * time.Hour
	maxJWKSFetchTimeout = 30 * time.Second // a request waits for it
	maxAttestationAge   = 366 * 24 * time.Hour
	maxBatchSize        = 100
	maxCredentialRecord = 30 * 24 * time.Hour // notification and deferred windows
	maxDeferredInterval = 24 * time.Hour
	minValidity         = time.Hour
	maxValidity         = 5 * 366 * 24 * time.Hour
)

// Defaults returns the configuration used when nothing is set. Every call
// returns fresh values: no pointer, map or slice is shared between two
// results, so that decoding a config file into one changes nothing else.
func Defaults() Config {
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
			CodeTTL:           10 * time.Minute,
			MaxCodeTTL:        7 * 24 * time.Hour,
			TxCodeMaxAttempts: 5,
		},
		ClientAuth: ClientAuthConfig{JWKSFetchTimeout: jwksDefaultWait},
		Tokens: TokenConfig{
			AccessTokenTTL:        5 * time.Minute,
			RefreshTokenTTL:       14 * 24 * time.Hour,
			RefreshTokenIdleTTL:   7 * 24 * time.Hour,
			RefreshGrace:          30 * time.Second,
			CNonceTTL:             5 * time.Minute,
			CNonceInTokenResponse: true,
		},
		Authorization: AuthorizationConfig{
			RequirePAR:    true,
			RequestURITTL: 60 * time.Second,
			CodeTTL:       60 * time.Second,
			LoginTTL:      10 * time.Minute,
			IDTokenTTL:    5 * time.Minute,
		},
		ClientAttestation: defaultClientAttestation(),
		Credential: CredentialConfig{
			BatchSize: 10, Validity: 365 * 24 * time.Hour,
			NotificationTTL: 24 * time.Hour, DeferredTTL: 24 * time.Hour, DeferredInterval: 5 * time.Second,
		},
		CredentialConfigurations: DefaultCredentialConfigurations(),
	}
}

// Validate checks every setting and reports every problem at once. It
// takes each setting as it is, zero included, and fills only what derives
// from others: the credential endpoint (URL + "/credential" when empty) and
// the clock (time.Now when nil).
func (c *Config) Validate() error {
	if c.Now == nil {
		c.Now = time.Now
	}
	var errs []error
	if err := checkBaseURL(c.URL); err != nil {
		errs = append(errs, fmt.Errorf("url: %w", err))
	}
	c.URL = strings.TrimSuffix(c.URL, "/")
	if c.CredentialEndpoint == "" {
		c.CredentialEndpoint = c.URL + PathCredential
	}
	if c.DPoP.Policy != DPoPRequired && c.DPoP.Policy != DPoPOptional {
		errs = append(errs, fmt.Errorf("dpop.policy: %q is neither %q nor %q", c.DPoP.Policy, DPoPRequired, DPoPOptional))
	}
	if len(c.DPoP.Algs) == 0 {
		errs = append(errs, errors.New("dpop.signing_alg_values: at least one algorithm is needed"))
	}
	if n := c.PreAuthorized.TxCodeMaxAttempts; n < 1 || n > maxTxCodeAttempts {
		errs = append(errs, fmt.Errorf("pre_authorized.tx_code_max_attempts: must be at least 1 and at most %d (a short tx_code must stay unguessable, VCI-08, OpenID4VCI 1.0 §13.6.3)", maxTxCodeAttempts))
	}
	if c.PreAuthorized.CodeTTL > c.PreAuthorized.MaxCodeTTL {
		errs = append(errs, errors.New("pre_authorized.code_ttl: must not exceed max_code_ttl"))
	}
	errs = append(errs, checkDurations(c.durations())...)
	if c.ClientAuth.TLSCertificateHeader != "" && !validHeaderName(c.ClientAuth.TLSCertificateHeader) {
		errs = append(errs, errors.New("client_auth.tls_certificate_header: not a valid header name"))
	}
	if len(c.CredentialConfigurations) == 0 {
		errs = append(errs, errors.New("credential_configurations_supported: at least one configuration is needed"))
	} else if _, err := credential.ParseConfigurations(c.CredentialConfigurations); err != nil {
		errs = append(errs, fmt.Errorf("credential_configurations_supported: %w", err))
	}
	errs = append(errs, c.Credential.validate()...)
	errs = append(errs, c.ClientAttestation.Validate()...)
	errs = append(errs, c.checkProfile()...)
	return errors.Join(errs...)
}

// validate checks the credential section.
func (c CredentialConfig) validate() []error {
	var errs []error
	if c.BatchSize < 1 || c.BatchSize > maxBatchSize {
		errs = append(errs, fmt.Errorf("credential.batch_size: must be at least 1 and at most %d", maxBatchSize))
	}
	if (c.SigningKeyFile == "") != (c.CertificateChainFile == "") {
		errs = append(errs, errors.New("credential.signing_key_file: set it together with credential.certificate_chain_file, or neither"))
	}
	if c.Validity < minValidity || c.Validity > maxValidity {
		errs = append(errs, fmt.Errorf("credential.validity: at least %s and at most %s", minValidity, maxValidity))
	}
	if c.DeferredInterval > 0 && c.DeferredInterval%time.Second != 0 {
		errs = append(errs, errors.New("credential.deferred_interval: a whole number of seconds"))
	}
	return errs
}

// OwnCredentialEndpoint reports whether the credential endpoint is this
// server's own (URL + "/credential"), served by it.
func (c Config) OwnCredentialEndpoint() bool { return c.CredentialEndpoint == c.URL+PathCredential }

// durationRule bounds one duration setting: never negative; zero only when
// it means something (zeroOK); at most max when max is positive.
type durationRule struct {
	key    string
	value  time.Duration
	zeroOK bool
	max    time.Duration
	source string // of max
}

// durations lists the duration settings of c with their bounds.
func (c *Config) durations() []durationRule {
	return []durationRule{
		{key: "dpop.nonce_ttl", value: c.DPoP.NonceTTL, max: maxNonceTTL, source: "a nonce is short-lived"},
		{key: "dpop.max_age", value: c.DPoP.MaxAge, max: maxProofAge, source: "RFC 9449 §11.1"},
		{key: "dpop.future_skew", value: c.DPoP.FutureSkew, max: maxFutureSkew, source: "FAPI 2.0 §5.3.2.1"},
		{key: "pre_authorized.code_ttl", value: c.PreAuthorized.CodeTTL},
		{key: "pre_authorized.max_code_ttl", value: c.PreAuthorized.MaxCodeTTL, max: maxOfferCodeTTL, source: "sanity"},
		{key: "client_auth.jwks_fetch_timeout", value: c.ClientAuth.JWKSFetchTimeout, max: maxJWKSFetchTimeout, source: "a token request waits for it"},
		{key: "tokens.access_token_ttl", value: c.Tokens.AccessTokenTTL, max: maxAccessTokenTTL, source: "sanity"},
		{key: "tokens.c_nonce_ttl", value: c.Tokens.CNonceTTL, max: maxNonceTTL, source: "a nonce is short-lived"},
		{key: "tokens.refresh_token_ttl", value: c.Tokens.RefreshTokenTTL, max: maxRefreshTokenTTL, source: "sanity"},
		{key: "tokens.refresh_token_idle_ttl", value: c.Tokens.RefreshTokenIdleTTL, zeroOK: true, // no idle limit
			max: c.Tokens.RefreshTokenTTL, source: "tokens.refresh_token_ttl"},
		{key: "tokens.refresh_grace", value: c.Tokens.RefreshGrace, zeroOK: true, // no grace
			max: maxRefreshGrace, source: "a grace is for a benign retry"},
		{key: "authorization.request_uri_ttl", value: c.Authorization.RequestURITTL, max: maxRequestURITTL, source: "RFC 9126 §2.2"},
		{key: "authorization.code_ttl", value: c.Authorization.CodeTTL, max: maxAuthCodeTTL, source: "RFC 6749 §4.1.2"},
		{key: "authorization.login_ttl", value: c.Authorization.LoginTTL, max: maxLoginTTL, source: "sanity"},
		{key: "authorization.id_token_ttl", value: c.Authorization.IDTokenTTL, max: maxIDTokenTTL, source: "sanity"},
		{key: "client_attestation.challenge_ttl", value: c.ClientAttestation.ChallengeTTL, max: maxNonceTTL, source: "a challenge is short-lived"},
		{key: "client_attestation.max_pop_age", value: c.ClientAttestation.MaxPoPAge, max: maxProofAge, source: "as dpop.max_age"},
		{key: "credential.notification_ttl", value: c.Credential.NotificationTTL, max: maxCredentialRecord, source: "sanity"},
		{key: "credential.deferred_ttl", value: c.Credential.DeferredTTL, max: maxCredentialRecord, source: "sanity"},
		{key: "credential.deferred_interval", value: c.Credential.DeferredInterval, max: maxDeferredInterval, source: "sanity"},
		{key: "client_attestation.max_attestation_age", value: c.ClientAttestation.MaxAttestationAge, zeroOK: true, // any age
			max: maxAttestationAge, source: "sanity; 0 accepts any age"},
	}
}

// checkDurations reports every duration outside its bounds.
func checkDurations(rules []durationRule) []error {
	var errs []error
	for _, r := range rules {
		switch {
		case r.value < 0:
			errs = append(errs, fmt.Errorf("%s: must not be negative", r.key))
		case r.value == 0 && !r.zeroOK:
			errs = append(errs, fmt.Errorf("%s: must be positive", r.key))
		case r.max > 0 && r.value > r.max:
			errs = append(errs, fmt.Errorf("%s: at most %s (%s)", r.key, r.max, r.source))
		}
	}
	return errs
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

// AnonymousAccess reports whether wallets may redeem codes anonymously:
// pre_authorized.anonymous_access when set, else true unless the profile is
// haip.
func (c *Config) AnonymousAccess() bool {
	if p := c.PreAuthorized.AnonymousAccess; p != nil {
		return *p
	}
	return c.Profile != ProfileHAIP
}

// CredentialConfigurations is credential_configurations_supported, keyed by
// configuration ID. Decoded from YAML, it replaces what it held (a YAML
// decoder merges into a map): a config file that lists configurations
// offers those only, never the defaults besides them.
type CredentialConfigurations map[string]any

// UnmarshalYAML decodes a mapping into a new map. The signature is the
// one of go.yaml.in/yaml's obsolete Unmarshaler, which needs no import.
func (m *CredentialConfigurations) UnmarshalYAML(unmarshal func(any) error) error {
	var fresh map[string]any
	if err := unmarshal(&fresh); err != nil {
		return err
	}
	*m = fresh
	return nil
}
