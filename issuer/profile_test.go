package issuer_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"issuer/issuer"
	"issuer/issuer/clientauth"
	"issuer/issuer/clients"
	"issuer/issuer/grant"
	"issuer/issuer/oauth"
	"issuer/issuer/oauth/oauthtest"
	"issuer/storage"
	"issuer/storage/memory"
)

var updateProfile = flag.Bool("update", false, "rewrite the README's table of the haip profile from issuer.HAIPRules")

// haip is the default configuration under the haip profile, on an https
// URL: what `issuer --profile haip --url https://…` starts with.
func haip() issuer.Config {
	c := issuer.Defaults()
	c.Profile = issuer.ProfileHAIP
	c.URL = "https://issuer.example"
	return c
}

// TestHAIPDefaultsStart: the defaults contradict nothing of the profile
// but the plain http URL, and the profile turns anonymous pre-authorized
// redemption off.
func TestHAIPDefaultsStart(t *testing.T) {
	c := haip()
	if err := c.Validate(); err != nil {
		t.Fatalf("haip defaults on https: Validate() = %v", err)
	}
	if c.AnonymousAccess() {
		t.Error("haip: AnonymousAccess() = true; want false by default")
	}
	if w := c.ProfileWarnings(); len(w) != 0 {
		t.Errorf("haip defaults: warnings %q; want none", w)
	}
	c = haip()
	c.URL = "http://127.0.0.1:8080"
	err := c.Validate()
	if err == nil || !strings.Contains(err.Error(), "url: must be an https URL (profile haip: FAPI 2.0 §5.2.1") ||
		!strings.Contains(err.Error(), "credential_endpoint: must be an https URL") {
		t.Fatalf("haip on http: Validate() = %v; want url and credential_endpoint refused", err)
	}
}

// TestHAIPContradictions sets each contradicting setting alone: Validate
// refuses it, naming the key and the section that asks otherwise.
func TestHAIPContradictions(t *testing.T) {
	configs := func(mut func(m map[string]any)) issuer.CredentialConfigurations {
		cc := issuer.DefaultCredentialConfigurations()
		mut(cc[issuer.PIDSDJWTConfiguration].(map[string]any))
		return cc
	}
	tests := []struct {
		name string
		mut  func(c *issuer.Config)
		want string
	}{
		{"credential endpoint on http", func(c *issuer.Config) { c.CredentialEndpoint = "http://ci.example/credential" }, "credential_endpoint: must be an https URL (profile haip: FAPI 2.0 §5.2.1"},
		{"DPoP optional", func(c *issuer.Config) { c.DPoP.Policy = issuer.DPoPOptional }, `dpop.policy: must be "required" (profile haip: HAIP §4; FAPI 2.0 §5.3.2.1)`},
		{"DPoP without ES256", func(c *issuer.Config) { c.DPoP.Algs = []string{"ES384"} }, "dpop.signing_alg_values: must include ES256 (profile haip: HAIP §7)"},
		{"attestations without ES256", func(c *issuer.Config) { c.ClientAttestation.SigningAlgs = []string{"PS256"} }, "client_attestation.signing_alg_values: must include ES256"},
		{"attestation PoPs without ES256", func(c *issuer.Config) { c.ClientAttestation.PoPSigningAlgs = []string{"EdDSA"} }, "client_attestation.pop_signing_alg_values: must include ES256"},
		{"future skew under 10 s", func(c *issuer.Config) { c.DPoP.FutureSkew = 9 * time.Second }, "dpop.future_skew: at least 10s (profile haip: FAPI 2.0 §5.3.2.1)"},
		{"PAR optional", func(c *issuer.Config) { c.Authorization.RequirePAR = false }, "authorization.require_pushed_authorization_requests: must be true (profile haip: HAIP §4; FAPI 2.0 §5.3.2.2)"},
		{"code of 61 s", func(c *issuer.Config) { c.Authorization.CodeTTL = 61 * time.Second }, "authorization.code_ttl: at most 1m0s (profile haip: FAPI 2.0 §5.3.2.1)"},
		{"request_uri of 600 s", func(c *issuer.Config) { c.Authorization.RequestURITTL = 600 * time.Second }, "authorization.request_uri_ttl: under 10m0s (profile haip: FAPI 2.0 §5.3.2.2)"},
		{"access token of 5 min 1 s", func(c *issuer.Config) { c.Tokens.AccessTokenTTL = 5*time.Minute + time.Second }, "tokens.access_token_ttl: at most 5m0s (profile haip: RFC 9449 §11.2"},
		{"rotation", func(c *issuer.Config) { c.Tokens.RotateRefreshTokens = true }, "tokens.rotate_refresh_tokens: must be false (profile haip: FAPI 2.0 §5.3.2.1)"},
		{"permissive audience", func(c *issuer.Config) { c.ClientAuth.PermissiveAssertionAudience = true }, "client_auth.permissive_assertion_audience: must be false (profile haip: FAPI 2.0 §5.3.2.1)"},
		{"no scope", func(c *issuer.Config) {
			c.CredentialConfigurations = configs(func(m map[string]any) { delete(m, "scope") })
		}, "credential_configurations_supported.eu.europa.ec.eudi.pid_vc_sd_jwt: needs a scope (profile haip: HAIP §4.1, §4.3)"},
		{"no binding methods", func(c *issuer.Config) {
			c.CredentialConfigurations = configs(func(m map[string]any) { delete(m, "cryptographic_binding_methods_supported") })
		}, "pid_vc_sd_jwt: needs cryptographic_binding_methods_supported (profile haip: HAIP §4.1, §7"},
		{"no proof types", func(c *issuer.Config) {
			c.CredentialConfigurations = configs(func(m map[string]any) { delete(m, "proof_types_supported") })
		}, "pid_vc_sd_jwt: needs proof_types_supported.jwt.proof_signing_alg_values_supported with ES256"},
		{"key proofs without ES256", func(c *issuer.Config) {
			c.CredentialConfigurations = configs(func(m map[string]any) {
				m["proof_types_supported"] = map[string]any{"jwt": map[string]any{"proof_signing_alg_values_supported": []any{"ES384"}}}
			})
		}, "pid_vc_sd_jwt: needs proof_types_supported.jwt.proof_signing_alg_values_supported with ES256"},
		{"signing without ES256", func(c *issuer.Config) {
			c.CredentialConfigurations = configs(func(m map[string]any) { m["credential_signing_alg_values_supported"] = []any{"ES384"} })
		}, "pid_vc_sd_jwt: credential_signing_alg_values_supported must include ES256 (profile haip: HAIP §7)"},
		{"mdoc signing without -7", func(c *issuer.Config) {
			c.CredentialConfigurations[issuer.PIDMDocConfiguration].(map[string]any)["credential_signing_alg_values_supported"] = []any{-35}
		}, "pid_mso_mdoc: credential_signing_alg_values_supported must include -7 (ES256)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := haip()
			tt.mut(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate() = %v; want an error with %q", err, tt.want)
			}
			c.Profile = issuer.ProfileNone
			c.URL, c.CredentialEndpoint = "http://127.0.0.1:8080", ""
			if err := c.Validate(); err != nil {
				t.Fatalf("the same settings without the profile: Validate() = %v; want nil", err)
			}
		})
	}
	t.Run("every contradiction at once", func(t *testing.T) {
		c := haip()
		var keys []string
		for _, tt := range tests {
			if key, _, _ := strings.Cut(tt.want, ":"); !strings.Contains(key, "pid_") {
				tt.mut(&c)
				keys = append(keys, key)
			}
		}
		err := c.Validate()
		if len(keys) < 12 {
			t.Fatalf("%d settings; want the 12 outside the credential configurations", len(keys))
		}
		for _, key := range keys {
			if err == nil || !strings.Contains(err.Error(), key+":") {
				t.Errorf("Validate() = %v; want %s named", err, key)
			}
		}
	})
}

// TestProfileUnknown: a profile the server does not know is refused.
func TestProfileUnknown(t *testing.T) {
	c := issuer.Defaults()
	c.Profile = "fapi"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), `profile: "fapi" is neither empty nor "haip"`) {
		t.Fatalf("Validate() = %v; want the profile refused", err)
	}
}

// TestHAIPAnonymousAccess: under haip, anonymous pre-authorized redemption
// is off unless set explicitly, then on with a warning; without a profile
// the setting means what it says, and unset it is on.
func TestHAIPAnonymousAccess(t *testing.T) {
	tests := []struct {
		profile string
		set     *bool
		want    bool
		warned  bool
	}{
		{issuer.ProfileHAIP, nil, false, false},
		{issuer.ProfileHAIP, new(true), true, true},
		{issuer.ProfileHAIP, new(false), false, false},
		{issuer.ProfileNone, nil, true, false},
		{issuer.ProfileNone, new(false), false, false},
		{issuer.ProfileNone, new(true), true, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q %v", tt.profile, describe(tt.set)), func(t *testing.T) {
			c := haip()
			c.Profile, c.PreAuthorized.AnonymousAccess = tt.profile, tt.set
			if err := c.Validate(); err != nil {
				t.Fatal(err)
			}
			if got := c.AnonymousAccess(); got != tt.want {
				t.Errorf("AnonymousAccess() = %v; want %v", got, tt.want)
			}
			if w := c.ProfileWarnings(); (len(w) > 0) != tt.warned || tt.warned && !strings.Contains(w[0], "HAIP §4.4.1") {
				t.Errorf("ProfileWarnings() = %q; want a warning: %v", w, tt.warned)
			}
			var log bytes.Buffer
			svc, err := issuer.New(t.Context(), c, memory.New(), slog.New(slog.NewTextHandler(&log, nil)))
			if err != nil {
				t.Fatal(err)
			}
			if logged := strings.Contains(log.String(), "level=WARN msg=\"profile haip: pre_authorized.anonymous_access is true"); logged != tt.warned {
				t.Errorf("log %q; want the warning logged: %v", log.String(), tt.warned)
			}
			if got := metadata(t, svc)["pre-authorized_grant_anonymous_access_supported"]; got != tt.want {
				t.Errorf("pre-authorized_grant_anonymous_access_supported = %v; want %v", got, tt.want)
			}
		})
	}
}

func describe(p *bool) string {
	if p == nil {
		return "unset"
	}
	return fmt.Sprint(*p)
}

func metadata(t *testing.T, svc *issuer.Service) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(svc.AuthorizationServerMetadata(), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// strings of a JSON array.
func stringsOf(v any) []string {
	var out []string
	for _, e := range v.([]any) {
		out = append(out, e.(string))
	}
	return out
}

// TestHAIPPublicClientsAndPassword: under haip, a public client can be
// neither registered nor authenticated, the password grant is refused,
// and the metadata advertises neither; without the profile all three work
// and are advertised.
func TestHAIPPublicClientsAndPassword(t *testing.T) {
	for _, profile := range []string{issuer.ProfileNone, issuer.ProfileHAIP} {
		t.Run(fmt.Sprintf("%q", profile), func(t *testing.T) {
			c := haip()
			c.Profile = profile
			store := memory.New()
			svc, err := issuer.New(t.Context(), c, store, nil)
			if err != nil {
				t.Fatal(err)
			}
			on := profile == issuer.ProfileHAIP
			_, err = svc.Clients.Create(t.Context(), clients.Metadata{ClientID: "wallet", TokenEndpointAuthMethod: oauth.AuthNone, GrantTypes: []string{oauth.GrantAuthorizationCode}})
			if on {
				oauthtest.WantError(t, err, "invalid_client_metadata", "token_endpoint_auth_method none is refused by the haip profile: a wallet authenticates with attest_jwt_client_auth")
				// A client stored before the profile was switched on.
				if err := store.CreateClient(t.Context(), storage.Client{ID: "wallet", AuthMethod: oauth.AuthNone, GrantTypes: []string{oauth.GrantAuthorizationCode}}); err != nil {
					t.Fatal(err)
				}
			} else if err != nil {
				t.Fatalf("registering a public client: %v", err)
			}
			client, _, err := svc.ClientAuth.Authenticate(t.Context(), clientauth.Request{Params: map[string]string{"client_id": "wallet"}})
			if on {
				oauthtest.WantError(t, err, "invalid_client", "the client must authenticate: public clients use a wallet attestation (attest_jwt_client_auth)")
			} else if err != nil || client == nil || client.ID != "wallet" {
				t.Fatalf("authenticating a public client = %v, %v", client, err)
			}
			_, err = svc.Grants.Token(t.Context(), grant.TokenRequest{Request: clientauth.Request{Params: map[string]string{"grant_type": oauth.GrantPassword}}})
			if on {
				oauthtest.WantError(t, err, "unsupported_grant_type", "the grant type is not supported")
			} else if e := oauthtest.WantError(t, err, "invalid_client", ""); e == nil {
				t.Fatal("no error")
			}
			m := metadata(t, svc)
			for key, value := range map[string]string{
				"grant_types_supported":                      oauth.GrantPassword,
				"token_endpoint_auth_methods_supported":      oauth.AuthNone,
				"revocation_endpoint_auth_methods_supported": oauth.AuthNone,
			} {
				if got := slices.Contains(stringsOf(m[key]), value); got == on {
					t.Errorf("%s = %v; want %s listed: %v", key, m[key], value, !on)
				}
			}
			if !slices.Contains(stringsOf(m["token_endpoint_auth_methods_supported"]), oauth.AuthAttestJWT) {
				t.Errorf("token_endpoint_auth_methods_supported = %v; want attest_jwt_client_auth", m["token_endpoint_auth_methods_supported"])
			}
		})
	}
}

const (
	readmePath        = "../README.md"
	beginProfileTable = "<!-- BEGIN haip: generated from issuer/profile.go (go test ./issuer -run TestREADMEProfile -update) -->\n"
	endProfileTable   = "<!-- END haip -->"
)

// TestREADMEProfile checks that the README's table of the haip profile is
// HAIPRules (-update rewrites it).
func TestREADMEProfile(t *testing.T) {
	b, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	before, rest, ok := strings.Cut(string(b), beginProfileTable)
	table, after, ok2 := strings.Cut(rest, endProfileTable)
	if !ok || !ok2 {
		t.Fatalf("the README has no markers %q … %q", beginProfileTable, endProfileTable)
	}
	var want strings.Builder
	want.WriteString("| Setting or behaviour | What the profile enforces | Section |\n|---|---|---|\n")
	for _, r := range issuer.HAIPRules() {
		fmt.Fprintf(&want, "| %s | %s | %s |\n", r.Setting, r.Requirement, r.Source)
	}
	if *updateProfile {
		if err := os.WriteFile(readmePath, []byte(before+beginProfileTable+want.String()+endProfileTable+after), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if table != want.String() {
		t.Errorf("the README's haip table differs from issuer.HAIPRules; run go test ./issuer -run TestREADMEProfile -update")
	}
}
