package main

import (
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"issuer/issuer"
	"issuer/storage/memory"
)

// configKeys lists the dotted config-file keys of t's yaml tags: a nested
// struct is a section, an inline one adds its keys to the current section,
// anything else is a setting.
func configKeys(t reflect.Type, prefix string) []string {
	var keys []string
	for f := range t.Fields() {
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		switch {
		case name == "-" || !f.IsExported():
		case opts == "inline":
			keys = append(keys, configKeys(f.Type, prefix)...)
		case f.Type.Kind() == reflect.Struct:
			keys = append(keys, configKeys(f.Type, prefix+name+".")...)
		default:
			keys = append(keys, prefix+name)
		}
	}
	return keys
}

// yamlFor writes key (dotted) = value as a nested YAML document.
func yamlFor(key, value string) string {
	parts := strings.Split(key, ".")
	var b strings.Builder
	for i, p := range parts {
		b.WriteString(strings.Repeat("  ", i) + p + ":")
		if i < len(parts)-1 {
			b.WriteString("\n")
		}
	}
	return b.String() + " " + value + "\n"
}

// walletJWK is a P-256 public key for wallet provider cases.
var walletJWK = map[string]any{"kty": "EC", "crv": "P-256", "x": "MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4", "y": "4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM"}

// settingCase sets one config-file key to value (with the companion keys
// with, when the setting cannot stand alone) and changes want, the
// defaults, by what the file should change.
type settingCase struct {
	value string
	with  map[string]string
	want  func(*settings)
}

// settingCases has a case for every key of the config file: a value other
// than the default, zero where zero means something.
var settingCases = map[string]settingCase{
	"addr":        {value: "127.0.0.1:9999", want: func(s *settings) { s.Addr = "127.0.0.1:9999" }},
	"db":          {value: "other.db", want: func(s *settings) { s.DB = "other.db" }},
	"admin_token": {value: "secret-admin", want: func(s *settings) { s.AdminToken = "secret-admin" }},
	"log_format":  {value: "json", want: func(s *settings) { s.LogFormat = "json" }},
	"log_level":   {value: "debug", want: func(s *settings) { s.LogLevel = "debug" }},
	"dev":         {value: "true", want: func(s *settings) { s.Dev = true }},
	"debug_addr":  {value: "127.0.0.1:6060", want: func(s *settings) { s.DebugAddr = "127.0.0.1:6060" }},
	"tls_cert": {value: "cert.pem", with: map[string]string{"tls_key": "key.pem", "url": "https://issuer.example"},
		want: func(s *settings) { s.TLSCert, s.TLSKey, s.URL = "cert.pem", "key.pem", "https://issuer.example" }},
	"tls_key": {value: "key.pem", with: map[string]string{"tls_cert": "cert.pem", "url": "https://issuer.example"},
		want: func(s *settings) { s.TLSCert, s.TLSKey, s.URL = "cert.pem", "key.pem", "https://issuer.example" }},
	"profile": {value: "haip", with: map[string]string{"url": "https://issuer.example"},
		want: func(s *settings) { s.Profile, s.URL = issuer.ProfileHAIP, "https://issuer.example" }},
	"allow_insecure_db":                                   {value: "true", want: func(s *settings) { s.AllowInsecureDB = true }},
	"trusted_proxies":                                     {value: "[10.0.0.0/8, 192.0.2.1]", want: func(s *settings) { s.TrustedProxies = []string{"10.0.0.0/8", "192.0.2.1"} }},
	"client_ca":                                           {value: "ca.pem", want: func(s *settings) { s.ClientCA = "ca.pem" }},
	"url":                                                 {value: "https://issuer.example/tenant", want: func(s *settings) { s.URL = "https://issuer.example/tenant" }},
	"credential_endpoint":                                 {value: "https://ci.example/credential", want: func(s *settings) { s.CredentialEndpoint = "https://ci.example/credential" }},
	"dpop.policy":                                         {value: "optional", want: func(s *settings) { s.DPoP.Policy = issuer.DPoPOptional }},
	"dpop.use_dpop_nonce":                                 {value: "true", want: func(s *settings) { s.DPoP.UseNonce = true }},
	"dpop.nonce_ttl":                                      {value: "1m", want: func(s *settings) { s.DPoP.NonceTTL = time.Minute }},
	"dpop.signing_alg_values":                             {value: "[ES384]", want: func(s *settings) { s.DPoP.Algs = []string{"ES384"} }},
	"dpop.max_age":                                        {value: "30s", want: func(s *settings) { s.DPoP.MaxAge = 30 * time.Second }},
	"dpop.future_skew":                                    {value: "1s", want: func(s *settings) { s.DPoP.FutureSkew = time.Second }},
	"pre_authorized.anonymous_access":                     {value: "false", want: func(s *settings) { s.PreAuthorized.AnonymousAccess = new(false) }},
	"pre_authorized.code_ttl":                             {value: "2m", want: func(s *settings) { s.PreAuthorized.CodeTTL = 2 * time.Minute }},
	"pre_authorized.max_code_ttl":                         {value: "1h", want: func(s *settings) { s.PreAuthorized.MaxCodeTTL = time.Hour }},
	"pre_authorized.tx_code_max_attempts":                 {value: "1", want: func(s *settings) { s.PreAuthorized.TxCodeMaxAttempts = 1 }},
	"client_auth.permissive_assertion_audience":           {value: "true", want: func(s *settings) { s.ClientAuth.PermissiveAssertionAudience = true }},
	"client_auth.jwks_fetch_timeout":                      {value: "2s", want: func(s *settings) { s.ClientAuth.JWKSFetchTimeout = 2 * time.Second }},
	"client_auth.tls_certificate_header":                  {value: "X-SSL-Client-Cert", want: func(s *settings) { s.ClientAuth.TLSCertificateHeader = "X-SSL-Client-Cert" }},
	"tokens.access_token_ttl":                             {value: "90s", want: func(s *settings) { s.Tokens.AccessTokenTTL = 90 * time.Second }},
	"tokens.c_nonce_ttl":                                  {value: "1m", want: func(s *settings) { s.Tokens.CNonceTTL = time.Minute }},
	"tokens.refresh_token_ttl":                            {value: "240h", want: func(s *settings) { s.Tokens.RefreshTokenTTL = 240 * time.Hour }}, // not under the default idle TTL (7 days)
	"tokens.refresh_token_idle_ttl":                       {value: "0s", want: func(s *settings) { s.Tokens.RefreshTokenIdleTTL = 0 }},
	"tokens.rotate_refresh_tokens":                        {value: "true", want: func(s *settings) { s.Tokens.RotateRefreshTokens = true }},
	"tokens.refresh_grace":                                {value: "0s", want: func(s *settings) { s.Tokens.RefreshGrace = 0 }},
	"tokens.c_nonce_in_token_response":                    {value: "false", want: func(s *settings) { s.Tokens.CNonceInTokenResponse = false }},
	"authorization.require_pushed_authorization_requests": {value: "false", want: func(s *settings) { s.Authorization.RequirePAR = false }},
	"authorization.request_uri_ttl":                       {value: "10m", want: func(s *settings) { s.Authorization.RequestURITTL = 10 * time.Minute }},
	"authorization.code_ttl":                              {value: "30s", want: func(s *settings) { s.Authorization.CodeTTL = 30 * time.Second }},
	"authorization.login_ttl":                             {value: "3m", want: func(s *settings) { s.Authorization.LoginTTL = 3 * time.Minute }},
	"authorization.id_token_ttl":                          {value: "1m", want: func(s *settings) { s.Authorization.IDTokenTTL = time.Minute }},
	"client_attestation.wallet_providers": {value: `[{"name": "w", "jwks": {"keys": [{"kty": "EC", "crv": "P-256", "x": "MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4", "y": "4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM"}]}}]`,
		want: func(s *settings) {
			s.ClientAttestation.Providers = []issuer.WalletProvider{{Name: "w", JWKS: map[string]any{"keys": []any{walletJWK}}}}
		}},
	"client_attestation.require_challenge":      {value: "true", want: func(s *settings) { s.ClientAttestation.RequireChallenge = true }},
	"client_attestation.challenge_ttl":          {value: "1m", want: func(s *settings) { s.ClientAttestation.ChallengeTTL = time.Minute }},
	"client_attestation.max_pop_age":            {value: "20s", want: func(s *settings) { s.ClientAttestation.MaxPoPAge = 20 * time.Second }},
	"client_attestation.max_attestation_age":    {value: "720h", want: func(s *settings) { s.ClientAttestation.MaxAttestationAge = 720 * time.Hour }},
	"client_attestation.signing_alg_values":     {value: "[ES512]", want: func(s *settings) { s.ClientAttestation.SigningAlgs = []string{"ES512"} }},
	"client_attestation.pop_signing_alg_values": {value: "[EdDSA]", want: func(s *settings) { s.ClientAttestation.PoPSigningAlgs = []string{"EdDSA"} }},
	"client_attestation.allow_missing_iss":      {value: "true", want: func(s *settings) { s.ClientAttestation.AllowMissingIssuer = true }},
	"credential_configurations_supported": {value: `{"my.cred": {"format": "dc+sd-jwt", "vct": "urn:my", "scope": "my.cred"}}`,
		want: func(s *settings) {
			s.CredentialConfigurations = issuer.CredentialConfigurations{"my.cred": map[string]any{"format": "dc+sd-jwt", "vct": "urn:my", "scope": "my.cred"}}
		}},
	"credential.batch_size":      {value: "3", want: func(s *settings) { s.Credential.BatchSize = 3 }},
	"credential.strict_requests": {value: "true", want: func(s *settings) { s.Credential.StrictRequests = true }},
	// The two files go together, in one section: the value carries the
	// companion key on the next line of the same mapping.
	"credential.signing_key_file": {value: "signer.key\n  certificate_chain_file: signer.pem",
		want: func(s *settings) {
			s.Credential.SigningKeyFile, s.Credential.CertificateChainFile = "signer.key", "signer.pem"
		}},
	"credential.certificate_chain_file": {value: "signer.pem\n  signing_key_file: signer.key",
		want: func(s *settings) {
			s.Credential.SigningKeyFile, s.Credential.CertificateChainFile = "signer.key", "signer.pem"
		}},
	"credential.validity":           {value: "720h", want: func(s *settings) { s.Credential.Validity = 720 * time.Hour }},
	"credential.require_encryption": {value: "true", want: func(s *settings) { s.Credential.RequireEncryption = true }},
	"credential.notification_ttl":   {value: "2h", want: func(s *settings) { s.Credential.NotificationTTL = 2 * time.Hour }},
	"credential.deferred_ttl":       {value: "72h", want: func(s *settings) { s.Credential.DeferredTTL = 72 * time.Hour }},
	"credential.deferred_interval":  {value: "30s", want: func(s *settings) { s.Credential.DeferredInterval = 30 * time.Second }},
	"credential.introspection_clients": {value: `["credential-endpoint"]`,
		want: func(s *settings) { s.Credential.IntrospectionClients = []string{"credential-endpoint"} }},
	"display": {value: `[{"name": "Example Issuer", "locale": "en"}]`,
		want: func(s *settings) { s.Display = []map[string]any{{"name": "Example Issuer", "locale": "en"}} }},
}

// loadFile loads the settings of a config file holding yaml, with no flag
// and no environment.
func loadFile(t *testing.T, yaml string) (settings, error) {
	t.Helper()
	dir, err := os.MkdirTemp("", "cfg") // not t.TempDir: its name, the test's, would be in every error
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	file := filepath.Join(dir, "issuer.yaml")
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return loadSettings([]string{"--config", file}, func(string) string { return "" }, io.Discard)
}

// TestEverySettingAlone sets each key of the config file alone, to a value
// other than its default (zero where zero means something): the setting
// takes that value and no other setting moves. The keys come from the yaml
// tags, so that a new setting without a case fails the test.
func TestEverySettingAlone(t *testing.T) {
	keys := configKeys(reflect.TypeFor[settings](), "")
	for _, k := range keys {
		if _, ok := settingCases[k]; !ok {
			t.Errorf("config key %s has no case in settingCases", k)
		}
	}
	for k := range settingCases {
		if !slices.Contains(keys, k) {
			t.Errorf("settingCases has %s, which is no config key", k)
		}
	}
	for _, k := range keys {
		tc, ok := settingCases[k]
		if !ok {
			continue
		}
		t.Run(k, func(t *testing.T) {
			doc := yamlFor(k, tc.value)
			for wk, wv := range tc.with {
				doc += yamlFor(wk, wv)
			}
			got, err := loadFile(t, doc)
			if err != nil {
				t.Fatalf("loading\n%s: %v", doc, err)
			}
			want := defaultSettings()
			tc.want(&want)
			if want.CredentialEndpoint == "" { // derived from the URL
				want.CredentialEndpoint = want.URL + "/credential"
			}
			got.Now = nil // set by Validate; functions do not compare
			if !reflect.DeepEqual(got, want) {
				t.Errorf("loading\n%s\ngot  %+v\nwant %+v", doc, got, want)
			}
		})
	}
}

// TestSettingsRefused checks that values that make no sense are refused
// at start, each with its key.
func TestSettingsRefused(t *testing.T) {
	tests := []struct{ key, value, want string }{
		{"dpop.nonce_ttl", "0s", ""},
		{"dpop.max_age", "-1s", ""},
		{"dpop.future_skew", "61s", ""},
		{"dpop.signing_alg_values", "[]", ""},
		{"pre_authorized.code_ttl", "0s", ""},
		{"pre_authorized.code_ttl", "169h", ""}, // over max_code_ttl
		{"pre_authorized.max_code_ttl", "-5m", ""},
		{"pre_authorized.tx_code_max_attempts", "0", ""},
		{"pre_authorized.tx_code_max_attempts", "11", "pre_authorized.tx_code_max_attempts: must be at least 1 and at most 10"},
		{"pre_authorized.tx_code_max_attempts", "100000000", "at most 10"},
		{"pre_authorized.max_code_ttl", "721h", "pre_authorized.max_code_ttl: at most 720h0m0s"},
		{"tokens.access_token_ttl", "24h1s", "tokens.access_token_ttl: at most 24h0m0s"},
		{"dpop.max_age", "10m1s", "dpop.max_age: at most 10m0s (RFC 9449 §11.1)"},
		{"dpop.nonce_ttl", "61m", "dpop.nonce_ttl: at most 1h0m0s"},
		{"tokens.c_nonce_ttl", "2h", "tokens.c_nonce_ttl: at most 1h0m0s"},
		{"authorization.login_ttl", "1h1m", "authorization.login_ttl: at most 1h0m0s"},
		{"authorization.id_token_ttl", "25h", "authorization.id_token_ttl: at most 24h0m0s"},
		{"tokens.refresh_token_ttl", "8785h", "tokens.refresh_token_ttl: at most 8784h0m0s"},
		{"tokens.refresh_token_idle_ttl", "337h", "tokens.refresh_token_idle_ttl: at most 336h0m0s (tokens.refresh_token_ttl)"}, // the default 14 days
		{"tokens.refresh_grace", "5m1s", "tokens.refresh_grace: at most 5m0s"},
		{"client_auth.jwks_fetch_timeout", "31s", "client_auth.jwks_fetch_timeout: at most 30s"},
		{"client_attestation.challenge_ttl", "2h", "client_attestation.challenge_ttl: at most 1h0m0s"},
		{"client_attestation.max_pop_age", "11m", "client_attestation.max_pop_age: at most 10m0s"},
		{"client_attestation.max_attestation_age", "8785h", "client_attestation.max_attestation_age: at most 8784h0m0s"},
		{"client_auth.jwks_fetch_timeout", "0s", ""},
		{"tokens.access_token_ttl", "0s", ""},
		{"tokens.c_nonce_ttl", "0s", ""},
		{"tokens.refresh_token_ttl", "0s", ""},
		{"tokens.refresh_token_idle_ttl", "-1s", ""},
		{"tokens.refresh_grace", "-1ns", ""},
		{"authorization.request_uri_ttl", "11m", ""},
		{"authorization.code_ttl", "0s", ""},
		{"authorization.login_ttl", "0s", ""},
		{"authorization.id_token_ttl", "0s", ""},
		{"client_attestation.challenge_ttl", "0s", ""},
		{"client_attestation.max_pop_age", "0s", ""},
		{"client_attestation.max_attestation_age", "-1h", ""},
		{"client_attestation.signing_alg_values", "[]", ""},
		{"client_attestation.pop_signing_alg_values", "[]", ""},
		{"credential_configurations_supported", "{}", ""},
		{"credential_configurations_supported", `{"x": {"format": "jwt_vc_json"}}`, "credential_configurations_supported: x: format"},
		{"credential_configurations_supported", `{"x": {"format": "dc+sd-jwt"}}`, "x: a dc+sd-jwt configuration needs a vct"},
		{"credential_configurations_supported", `{"x": {"format": "mso_mdoc"}}`, "x: an mso_mdoc configuration needs a doctype"},
		{"credential_configurations_supported", `{"x": {"format": "mso_mdoc", "doctype": "d", "credential_metadata": {"claims": [{"path": ["d"]}]}}}`, "x: credential_metadata.claims[0]: an mso_mdoc path is [namespace, element identifier]"},
		{"credential_configurations_supported", `{"x": {"format": "dc+sd-jwt", "vct": "v", "credential_metadata": {"claims": [{"path": ["a", -1]}]}}}`, "x: credential_metadata.claims[0]: path elements"},
		{"credential_configurations_supported", `{"x": {"format": "dc+sd-jwt", "vct": "v", "credential_metadata": {"claims": [{"path": []}]}}}`, "x: credential_metadata.claims[0]: path must be a non-empty array"},
		{"credential_configurations_supported", `{"x": {"format": "dc+sd-jwt", "vct": "v", "credential_metadata": {"claims": [{"path": ["cnf"]}]}}}`, "x: credential_metadata.claims[0]: path names \"cnf\""},
		{"credential_configurations_supported", `{"x": {"format": "dc+sd-jwt", "vct": "v", "proof_types_supported": {"jwt": {"proof_signing_alg_values_supported": []}}}}`, "x: proof_types_supported.jwt.proof_signing_alg_values_supported is empty"},
		{"credential.batch_size", "0", "credential.batch_size: must be at least 1 and at most 100"},
		{"credential.batch_size", "101", "credential.batch_size: must be at least 1 and at most 100"},
		{"credential.validity", "59m", "credential.validity: at least 1h0m0s"},
		{"credential.validity", "43921h", "credential.validity: at least 1h0m0s and at most 43920h0m0s"},
		{"credential.notification_ttl", "0s", "credential.notification_ttl: must be positive"},
		{"credential.deferred_ttl", "721h", "credential.deferred_ttl: at most 720h0m0s"},
		{"credential.deferred_interval", "1500ms", "credential.deferred_interval: a whole number of seconds"},
		{"credential.signing_key_file", "k.pem", "credential.signing_key_file: set it together with credential.certificate_chain_file"},
		{"credential.certificate_chain_file", "c.pem", "credential.signing_key_file: set it together with credential.certificate_chain_file"},
		{"trusted_proxies", "[proxy.example]", ""},
		{"trusted_proxies", "[10.0.0.0/33]", ""},
		{"tokens.access_token_ttl", "300", "line 2: cannot unmarshal !!int `300` into time.Duration"},
		{"tokens.access_token_ttl", "9999999999999h", "line 2: cannot unmarshal !!str `9999999...` into time.Duration"}, // overflow
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			_, err := loadFile(t, yamlFor(tt.key, tt.value))
			want := tt.want
			if want == "" {
				want = tt.key + ":"
			}
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("%s: %s gave %v; want an error with %q", tt.key, tt.value, err, want)
			}
		})
	}
}

// FuzzConfigFile decodes arbitrary bytes as the config file and validates
// the result, as loadSettings does: any input gives settings or an error,
// never a panic, and issuer.New does not panic on settings that validate.
func FuzzConfigFile(f *testing.F) {
	for _, tc := range settingCases {
		f.Add(yamlFor("tokens.refresh_grace", "0s") + yamlFor("dpop.policy", "optional") + "url: " + tc.value + "\n")
	}
	f.Add(yamlFor("client_attestation.wallet_providers", settingCases["client_attestation.wallet_providers"].value))
	f.Add(yamlFor("credential_configurations_supported", settingCases["credential_configurations_supported"].value))
	f.Add("a: &a [*a, *a]\nb: *a\n")
	f.Add("client_attestation:\n  wallet_providers:\n    - name: w\n      x5c_roots: ['-----BEGIN CERTIFICATE-----\\nMII=\\n-----END CERTIFICATE-----']\n")
	f.Add("tokens: {access_token_ttl: 1ns, refresh_grace: -0s}\ndisplay: [{}, ~]\n---\nurl: x\n")
	f.Fuzz(func(t *testing.T, doc string) {
		s := defaultSettings()
		if err := decodeConfig([]byte(doc), &s); err != nil {
			return
		}
		if err := s.validate(); err != nil {
			return
		}
		if _, err := issuer.New(t.Context(), s.Config, memory.New(), nil); err != nil {
			t.Logf("valid settings that start no service: %v", err)
		}
	})
}

// TestNullSettingsRefused: a key with no value or a null one does not
// silently keep its default (decoded into a struct, a YAML null leaves
// the field as it was): it is refused, named by its dotted path and line.
func TestNullSettingsRefused(t *testing.T) {
	const remove = ": a null value; remove the key to keep the default"
	tests := []struct{ doc, want string }{
		{"tokens:\n  refresh_grace:\n", "tokens.refresh_grace" + remove + " (line 2)"},
		{"tokens:\n  refresh_grace: ~\n", "tokens.refresh_grace" + remove},
		{"tokens:\n  refresh_grace: null\n", "tokens.refresh_grace" + remove},
		{"tokens: {refresh_grace: Null}\n", "tokens.refresh_grace" + remove},
		{"tokens:\n", "tokens" + remove},
		{"dpop:\n  max_age: 30s\n  nonce_ttl: NULL\n", "dpop.nonce_ttl" + remove + " (line 3)"},
		{"admin_token:\n", "admin_token" + remove},
		{"pre_authorized:\n  tx_code_max_attempts: ~\n", "pre_authorized.tx_code_max_attempts" + remove},
		{"x: &n ~\n", "x" + remove}, // unknown keys are refused anyway; the null first
		{"client_attestation:\n  wallet_providers:\n    - name: w\n      issuer:\n", "client_attestation.wallet_providers[0].issuer" + remove},
		{"display: [{name: ~}]\n", "display[0].name" + remove},
	}
	for _, tt := range tests {
		t.Run(tt.doc, func(t *testing.T) {
			_, err := loadFile(t, tt.doc)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("loading\n%s= %v; want an error with %q", tt.doc, err, tt.want)
			}
		})
	}
	t.Run("an alias of a null", func(t *testing.T) {
		s := defaultSettings()
		err := decodeConfig([]byte("display: [&n ~]\ntokens:\n  refresh_grace: *n\n"), &s)
		if err == nil || !strings.Contains(err.Error(), "tokens.refresh_grace"+remove) {
			t.Fatalf("decodeConfig = %v; want tokens.refresh_grace refused", err)
		}
	})
	t.Run("every null at once", func(t *testing.T) {
		_, err := loadFile(t, "tokens:\n  refresh_grace:\ndpop:\n  max_age: ~\n")
		if err == nil || !strings.Contains(err.Error(), "tokens.refresh_grace"+remove) || !strings.Contains(err.Error(), "dpop.max_age"+remove) {
			t.Fatalf("loading two nulls = %v; want both named", err)
		}
	})
	t.Run("quoted strings and explicit zeros are values", func(t *testing.T) {
		got, err := loadFile(t, "admin_token: \"null\"\ntokens:\n  refresh_grace: 0s\n")
		if err != nil || got.AdminToken != "null" || got.Tokens.RefreshGrace != 0 {
			t.Fatalf("loading a quoted null and a zero = %+v, %v", got, err)
		}
	})
}

// TestProfileSetting: the profile comes from the flag, the environment or
// the file; under haip an http URL is refused, and anonymous_access set
// explicitly in the file stays true.
func TestProfileSetting(t *testing.T) {
	env := func(vars map[string]string) func(string) string { return func(k string) string { return vars[k] } }
	if _, err := loadSettings([]string{"--profile", "haip"}, env(nil), io.Discard); err == nil || !strings.Contains(err.Error(), "url: must be an https URL (profile haip") {
		t.Errorf("--profile haip on the default http URL = %v; want the url refused", err)
	}
	s, err := loadSettings(nil, env(map[string]string{"ISSUER_PROFILE": "haip", "ISSUER_URL": "https://issuer.example"}), io.Discard)
	if err != nil || s.Profile != issuer.ProfileHAIP || s.AnonymousAccess() {
		t.Errorf("ISSUER_PROFILE=haip = %q, anonymous %v, %v; want haip without anonymous access", s.Profile, s.AnonymousAccess(), err)
	}
	s, err = loadFile(t, "profile: haip\nurl: https://issuer.example\npre_authorized:\n  anonymous_access: true\n")
	if err != nil || !s.AnonymousAccess() || len(s.ProfileWarnings()) != 1 {
		t.Errorf("haip with anonymous_access: true = anonymous %v, warnings %q, %v; want it on, with a warning", s.AnonymousAccess(), s.ProfileWarnings(), err)
	}
	if _, err := loadSettings([]string{"--profile", "fapi2"}, env(nil), io.Discard); err == nil || !strings.Contains(err.Error(), `profile: "fapi2"`) {
		t.Errorf("--profile fapi2 = %v; want it refused", err)
	}
}
