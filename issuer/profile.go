package issuer

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"

	"issuer/issuer/clientauth"
	"issuer/issuer/oauth"
)

// Profiles: the values of Config.Profile.
const (
	// ProfileNone is no profile: every setting as configured.
	ProfileNone = ""
	// ProfileHAIP is the OpenID4VC High Assurance Interoperability Profile
	// 1.0 with the FAPI 2.0 Security Profile provisions it imports
	// (checklist §3, §3.1): the settings that contradict it are refused at
	// start, and the behaviour it asks for is switched on.
	ProfileHAIP = "haip"
)

// Limits of the haip profile.
const (
	// haipMaxAuthCodeTTL: FAPI 2.0 §5.3.2.1, codes live at most 60 s.
	haipMaxAuthCodeTTL = 60 * time.Second
	// haipMaxRequestURITTL: FAPI 2.0 §5.3.2.2, a request_uri's expires_in
	// is under 600 s.
	haipMaxRequestURITTL = 600 * time.Second
	// haipMaxAccessTokenTTL: FAPI 2.0 names no access token lifetime; RFC
	// 9449 §11.2 asks for short-lived DPoP tokens when server nonces are
	// off (checklist DPOP-49: 5 min), the bound OpenID4VCI 1.0 §13.10 sets
	// for tokens that are not sender-constrained.
	haipMaxAccessTokenTTL = 5 * time.Minute
	// haipMinFutureSkew: FAPI 2.0 §5.3.2.1, a JWT's iat up to 10 s ahead is
	// accepted (more than 60 s ahead is refused: maxFutureSkew).
	haipMinFutureSkew = 10 * time.Second
	// haipAlg is the algorithm every party must support (HAIP §7).
	haipAlg = "ES256"
	// haipCOSEAlg is ES256's COSE number, as mso_mdoc configurations name
	// their signing algorithms (OpenID4VCI 1.0 Appendix A.2).
	haipCOSEAlg = -7
)

// ProfileRule is one requirement of a profile: the settings or behaviour
// it concerns, what it asks, and the section that asks for it. The README's
// table of the haip profile is generated from [HAIPRules].
type ProfileRule struct {
	// Setting names the config keys, or the behaviour, of the rule.
	Setting string
	// Requirement is what the profile asks, in the README's words.
	Requirement string
	// Source is the section of HAIP 1.0, FAPI 2.0 or the spec they import.
	Source string
	// check reports the contradictions of c (nil: a behaviour, always so or
	// switched on by the profile).
	check func(c *Config) []error
}

// HAIPRules lists what the haip profile enforces, in the README's order.
func HAIPRules() []ProfileRule {
	return []ProfileRule{
		{"`url`, `credential_endpoint`", "`https` URLs only (no escape for local runs)", "FAPI 2.0 §5.2.1; OpenID4VCI 1.0 §12.2.4; RFC 9449 §2", checkHTTPS},
		{"`dpop.policy`", "`required`: every access token is DPoP-bound, never Bearer", "HAIP §4; FAPI 2.0 §5.3.2.1", checkDPoPRequired},
		{"`dpop.signing_alg_values`, `client_attestation.signing_alg_values`, `client_attestation.pop_signing_alg_values`", "include `ES256`", "HAIP §7", checkES256Lists},
		{"`dpop.future_skew`", "at least 10 s (and at most 60 s, as always)", "FAPI 2.0 §5.3.2.1", checkFutureSkew},
		{"`authorization.require_pushed_authorization_requests`", "`true`: authorization requests only through PAR", "HAIP §4; FAPI 2.0 §5.3.2.2", checkPAR},
		{"PKCE", "`S256` only (always so: `plain` and no challenge are refused)", "HAIP §4; FAPI 2.0 §5.3.2.2", nil},
		{"`authorization.code_ttl`", "at most 60 s", "FAPI 2.0 §5.3.2.1", checkAuthCodeTTL},
		{"`authorization.request_uri_ttl`", "under 600 s", "FAPI 2.0 §5.3.2.2", checkRequestURITTL},
		{"`tokens.access_token_ttl`", "at most 5 min (FAPI 2.0 names no number)", "RFC 9449 §11.2; OpenID4VCI 1.0 §13.10", checkAccessTokenTTL},
		{"`tokens.rotate_refresh_tokens`", "`false`: refresh tokens are not rotated", "FAPI 2.0 §5.3.2.1", checkNoRotation},
		{"`client_auth.permissive_assertion_audience`", "`false`: a client assertion's `aud` is the issuer identifier, as a string", "FAPI 2.0 §5.3.2.1", checkStrictAudience},
		{"Public clients", "`token_endpoint_auth_method` `none` is refused at every endpoint and left out of the metadata: wallets authenticate with a wallet attestation (`attest_jwt_client_auth`)", "HAIP §4.4.1", nil},
		{"`pre_authorized.anonymous_access`", "off: a pre-authorized code is redeemed by an authenticated client. Set explicitly to `true`, it stays on, with a warning at start", "HAIP §4.4.1", nil},
		{"`password` grant", "refused (`unsupported_grant_type`) and left out of `grant_types_supported`", "FAPI 2.0 §5.3.2.1", nil},
		{"`credential_configurations_supported`", "every configuration has a `scope`", "HAIP §4.1, §4.3", checkScopes},
		{"`credential_configurations_supported`", "every configuration requires key proofs: `cryptographic_binding_methods_supported`, and `proof_types_supported` `jwt` with `ES256`; the nonce endpoint is advertised (always so)", "HAIP §4.1, §7; OpenID4VCI 1.0 §7", checkKeyProofs},
		{"`credential_configurations_supported`", "`credential_signing_alg_values_supported`, when given, includes `ES256` (`-7` for `mso_mdoc`)", "HAIP §7", checkCredentialAlgs},
		{"Credentials", "signed with ES256, the signer's certificate in `x5c` (SD-JWT VC) or `x5chain` (mdoc), never the root (always so)", "HAIP §6.1, §7", nil},
	}
}

// checkProfile reports every contradiction between c and its profile.
func (c *Config) checkProfile() []error {
	switch c.Profile {
	case ProfileNone:
		return nil
	case ProfileHAIP:
	default:
		return []error{fmt.Errorf("profile: %q is neither empty nor %q", c.Profile, ProfileHAIP)}
	}
	var errs []error
	for _, r := range HAIPRules() {
		if r.check != nil {
			for _, err := range r.check(c) {
				errs = append(errs, fmt.Errorf("%w (profile haip: %s)", err, r.Source))
			}
		}
	}
	return errs
}

// ProfileWarnings lists what the profile allows against its own advice,
// for the operator's log: under haip, anonymous pre-authorized redemption
// set explicitly.
func (c *Config) ProfileWarnings() []string {
	if c.Profile == ProfileHAIP && c.AnonymousAccess() {
		return []string{"profile haip: pre_authorized.anonymous_access is true: wallets redeem pre-authorized codes without client authentication, which HAIP §4.4.1 requires"}
	}
	return nil
}

// RefusesPublicClients reports whether clients registered without
// authentication (token_endpoint_auth_method none) are refused.
func (c *Config) RefusesPublicClients() bool { return c.Profile == ProfileHAIP }

// RefusesPasswordGrant reports whether the password grant is refused
// (FAPI 2.0 §5.3.2.1).
func (c *Config) RefusesPasswordGrant() bool { return c.Profile == ProfileHAIP }

func checkHTTPS(c *Config) []error {
	var errs []error
	for key, raw := range map[string]string{"url": c.URL, "credential_endpoint": c.CredentialEndpoint} {
		if u, err := url.Parse(raw); err == nil && u.Scheme != "https" {
			errs = append(errs, fmt.Errorf("%s: must be an https URL", key))
		}
	}
	slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
	return errs
}

func checkDPoPRequired(c *Config) []error {
	return refuseIf(c.DPoP.Policy != DPoPRequired, "dpop.policy: must be %q", DPoPRequired)
}

func checkES256Lists(c *Config) []error {
	var errs []error
	for _, l := range []struct {
		key  string
		algs []string
	}{
		{"dpop.signing_alg_values", c.DPoP.Algs},
		{"client_attestation.signing_alg_values", c.ClientAttestation.SigningAlgs},
		{"client_attestation.pop_signing_alg_values", c.ClientAttestation.PoPSigningAlgs},
	} {
		errs = append(errs, refuseIf(!slices.Contains(l.algs, haipAlg), "%s: must include %s", l.key, haipAlg)...)
	}
	return errs
}

func checkFutureSkew(c *Config) []error {
	return refuseIf(c.DPoP.FutureSkew < haipMinFutureSkew, "dpop.future_skew: at least %s", haipMinFutureSkew)
}

func checkPAR(c *Config) []error {
	return refuseIf(!c.Authorization.RequirePAR, "authorization.require_pushed_authorization_requests: must be true")
}

func checkAuthCodeTTL(c *Config) []error {
	return refuseIf(c.Authorization.CodeTTL > haipMaxAuthCodeTTL, "authorization.code_ttl: at most %s", haipMaxAuthCodeTTL)
}

func checkRequestURITTL(c *Config) []error {
	return refuseIf(c.Authorization.RequestURITTL >= haipMaxRequestURITTL, "authorization.request_uri_ttl: under %s", haipMaxRequestURITTL)
}

func checkAccessTokenTTL(c *Config) []error {
	return refuseIf(c.Tokens.AccessTokenTTL > haipMaxAccessTokenTTL, "tokens.access_token_ttl: at most %s", haipMaxAccessTokenTTL)
}

func checkNoRotation(c *Config) []error {
	return refuseIf(c.Tokens.RotateRefreshTokens, "tokens.rotate_refresh_tokens: must be false")
}

func checkStrictAudience(c *Config) []error {
	return refuseIf(c.ClientAuth.PermissiveAssertionAudience, "client_auth.permissive_assertion_audience: must be false")
}

func refuseIf(cond bool, format string, args ...any) []error {
	if cond {
		return []error{fmt.Errorf(format, args...)}
	}
	return nil
}

// eachConfiguration calls check on every credential configuration that is
// an object (Validate reports the others), in ID order, prefixing its
// errors with the configuration's key.
func eachConfiguration(c *Config, check func(m map[string]any) []string) []error {
	var errs []error
	for _, id := range slices.Sorted(maps.Keys(c.CredentialConfigurations)) {
		m, ok := c.CredentialConfigurations[id].(map[string]any)
		if !ok {
			continue
		}
		for _, problem := range check(m) {
			errs = append(errs, fmt.Errorf("credential_configurations_supported.%s: %s", id, problem))
		}
	}
	return errs
}

func checkScopes(c *Config) []error {
	return eachConfiguration(c, func(m map[string]any) []string {
		if s, _ := m["scope"].(string); s == "" {
			return []string{"needs a scope"}
		}
		return nil
	})
}

func checkKeyProofs(c *Config) []error {
	return eachConfiguration(c, func(m map[string]any) []string {
		var problems []string
		if methods, _ := m["cryptographic_binding_methods_supported"].([]any); len(methods) == 0 {
			problems = append(problems, "needs cryptographic_binding_methods_supported")
		}
		jwt, _ := member(m, "proof_types_supported", "jwt").(map[string]any)
		algs, _ := jwt["proof_signing_alg_values_supported"].([]any)
		if !slices.Contains(algs, any(haipAlg)) {
			problems = append(problems, "needs proof_types_supported.jwt.proof_signing_alg_values_supported with "+haipAlg)
		}
		return problems
	})
}

func checkCredentialAlgs(c *Config) []error {
	return eachConfiguration(c, func(m map[string]any) []string {
		raw, present := m["credential_signing_alg_values_supported"]
		if !present {
			return nil
		}
		algs, _ := raw.([]any)
		if m["format"] == "mso_mdoc" {
			if !slices.ContainsFunc(algs, isCOSEES256) {
				return []string{"credential_signing_alg_values_supported must include -7 (ES256)"}
			}
			return nil
		}
		if !slices.Contains(algs, any(haipAlg)) {
			return []string{"credential_signing_alg_values_supported must include " + haipAlg}
		}
		return nil
	})
}

// isCOSEES256 reports whether v is the number -7, however it was decoded.
func isCOSEES256(v any) bool {
	switch n := v.(type) {
	case int:
		return n == haipCOSEAlg
	case int64:
		return n == haipCOSEAlg
	case float64:
		return n == haipCOSEAlg
	}
	return false
}

// member walks m through the named objects; nil when one is missing.
func member(m map[string]any, names ...string) any {
	var v any = m
	for _, n := range names {
		obj, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = obj[n]
	}
	return v
}

// refusedGrants are the grant types the profile refuses.
func (c *Config) refusedGrants() []string {
	if c.RefusesPasswordGrant() {
		return []string{oauth.GrantPassword}
	}
	return nil
}

// authMethods are the client authentication methods the metadata
// advertises: all, or all but none when public clients are refused.
func (c *Config) authMethods() []string {
	if c.RefusesPublicClients() {
		return without(clientauth.SupportedMethods(), oauth.AuthNone)
	}
	return clientauth.SupportedMethods()
}

// without returns list without the values drop.
func without(list []string, drop ...string) []string {
	return slices.DeleteFunc(slices.Clone(list), func(v string) bool { return slices.Contains(drop, v) })
}
