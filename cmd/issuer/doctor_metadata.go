package main

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
)

// Spec sections the metadata checks cite.
const (
	secVCIMetadata  = "OpenID4VCI 1.0 §12.2.2"
	secVCIFields    = "OpenID4VCI 1.0 §12.2.4"
	secASMetadata   = "RFC 8414 §3"
	secASFields     = "RFC 8414 §2"
	secDPoPMeta     = "RFC 9449 §5.1; HAIP §7"
	secPAR          = "HAIP §4; FAPI 2.0 §5.3.2.2; RFC 9126 §5"
	secPKCE         = "HAIP §4; FAPI 2.0 §5.3.2.2"
	secIss          = "HAIP §4; RFC 9207 §3"
	secProofTypes   = "OpenID4VCI 1.0 §12.2.4; HAIP §7"
	secHAIPScope    = "HAIP §4.1"
	secHAIPClient   = "HAIP §4.4.1"
	secFAPIPassword = "FAPI 2.0 §5.3.2.1"
)

// getMetadata fetches a metadata document: 200, application/json, an
// object. The reason is "" when it is one.
func (d *doctor) getMetadata(ctx context.Context, u string) (map[string]any, string) {
	res, err := d.do(ctx, http.MethodGet, u, http.Header{"Accept": {"application/json"}}, nil)
	if err != nil {
		return nil, fmt.Sprintf("GET %s: %v", u, err)
	}
	if res.status != http.StatusOK {
		return nil, fmt.Sprintf("GET %s answers %d", u, res.status)
	}
	if !res.isJSON() {
		return nil, fmt.Sprintf("GET %s: Content-Type %q, not application/json", u, res.header.Get("Content-Type"))
	}
	var m map[string]any
	if err := res.json(&m); err != nil {
		return nil, fmt.Sprintf("GET %s: %v", u, err)
	}
	return m, ""
}

// checkIssuerMetadata checks the credential issuer metadata and its
// configurations.
func (d *doctor) checkIssuerMetadata(ctx context.Context) {
	u := wellKnown(d.base, "openid-credential-issuer")
	m, reason := d.getMetadata(ctx, u)
	if !d.r.check("credential issuer metadata", reason, secVCIMetadata, u) {
		return
	}
	d.vci = m
	got, _ := m["credential_issuer"].(string)
	reason = mismatch("credential_issuer", got, d.base)
	if reason == "" {
		reason = d.urlProblem("credential_issuer", got)
	}
	d.r.check("credential_issuer", reason, secVCIFields, got)
	d.r.check("credential_endpoint", d.urlProblem("credential_endpoint", m["credential_endpoint"]), secVCIFields, str(m["credential_endpoint"]))
	if d.needsNonceEndpoint() || m["nonce_endpoint"] != nil {
		d.r.check("nonce_endpoint", d.urlProblem("nonce_endpoint", m["nonce_endpoint"]), secVCIFields+"; HAIP §4.1", str(m["nonce_endpoint"]))
	} else {
		d.r.skipped("nonce_endpoint", "none advertised, and no configuration binds a key")
	}
	for _, name := range []string{"deferred_credential_endpoint", "notification_endpoint"} {
		if v, ok := m[name]; ok {
			d.r.check(name, d.urlProblem(name, v), secVCIFields, str(v))
		} else {
			d.r.skipped(name, "not advertised")
		}
	}
	configs, _ := m["credential_configurations_supported"].(map[string]any)
	if !d.r.check("credential_configurations_supported", ifThen(len(configs) == 0, "missing or empty"), secVCIFields, fmt.Sprintf("%d configurations", len(configs))) {
		return
	}
	for _, id := range slices.Sorted(maps.Keys(configs)) {
		c, _ := configs[id].(map[string]any)
		d.r.check("configuration "+id, d.configurationProblem(c), secProofTypes+"; OpenID4VCI 1.0 Appendix A", str(c["format"]))
	}
}

// needsNonceEndpoint reports whether a configuration binds a key, so that
// key proofs carry a c_nonce.
func (d *doctor) needsNonceEndpoint() bool {
	configs, _ := d.vci["credential_configurations_supported"].(map[string]any)
	for _, v := range configs {
		if c, _ := v.(map[string]any); c["cryptographic_binding_methods_supported"] != nil || c["proof_types_supported"] != nil {
			return true
		}
	}
	return false
}

// configurationProblem is what is wrong with one configuration: its
// format's type member (Appendix A), key binding without proof types
// (§12.2.4), jwt proofs without ES256 (HAIP §7), and under --profile haip
// a missing scope (HAIP §4.1).
func (d *doctor) configurationProblem(c map[string]any) string {
	var problems []string
	switch c["format"] {
	case "dc+sd-jwt":
		if str(c["vct"]) == "" {
			problems = append(problems, "dc+sd-jwt without vct (Appendix A.3)")
		}
	case "mso_mdoc":
		if str(c["doctype"]) == "" {
			problems = append(problems, "mso_mdoc without doctype (Appendix A.2)")
		}
	case "jwt_vc_json", "jwt_vc_json-ld", "ldp_vc":
		if c["credential_definition"] == nil {
			problems = append(problems, fmt.Sprintf("%s without credential_definition (Appendix A.1)", c["format"]))
		}
	default:
		problems = append(problems, fmt.Sprintf("format %v is none of OpenID4VCI 1.0 Appendix A", c["format"]))
	}
	if c["cryptographic_binding_methods_supported"] != nil && c["proof_types_supported"] == nil {
		problems = append(problems, "cryptographic_binding_methods_supported without proof_types_supported")
	}
	if jwt, ok := member(c, "proof_types_supported", "jwt").(map[string]any); ok && !containsString(jwt["proof_signing_alg_values_supported"], "ES256") {
		problems = append(problems, "jwt key proofs without ES256")
	}
	if d.haip && str(c["scope"]) == "" {
		problems = append(problems, "no scope ("+secHAIPScope+")")
	}
	return strings.Join(problems, "; ")
}

// checkASMetadata checks the authorization server metadata: the issuer's
// own, or that of the first of authorization_servers.
func (d *doctor) checkASMetadata(ctx context.Context) {
	asID := d.base
	if list, ok := d.vci["authorization_servers"].([]any); ok && len(list) > 0 {
		asID = strings.TrimSuffix(str(list[0]), "/")
	}
	u := wellKnown(asID, "oauth-authorization-server")
	m, reason := d.getMetadata(ctx, u)
	if !d.r.check("authorization server metadata", reason, secASMetadata, u) {
		return
	}
	d.as = m
	d.r.check("issuer", mismatch("issuer", str(m["issuer"]), asID), "RFC 8414 §3.3", str(m["issuer"]))
	d.r.check("token_endpoint", d.urlProblem("token_endpoint", m["token_endpoint"]), secASFields, str(m["token_endpoint"]))
	d.checkJWKS(ctx)
	d.r.check("dpop_signing_alg_values_supported", ifThen(!containsString(m["dpop_signing_alg_values_supported"], "ES256"), "missing or without ES256"), secDPoPMeta, fmt.Sprint(m["dpop_signing_alg_values_supported"]))
	if !d.authorizationCodeFlow() {
		for _, name := range []string{"pushed authorization requests", "PKCE", "iss in authorization responses"} {
			d.r.skipped(name, "no authorization_code grant")
		}
		return
	}
	var par []string
	if p := d.urlProblem("pushed_authorization_request_endpoint", m["pushed_authorization_request_endpoint"]); p != "" {
		par = append(par, p)
	}
	if m["require_pushed_authorization_requests"] != true {
		par = append(par, "require_pushed_authorization_requests is not true")
	}
	d.r.check("pushed authorization requests", strings.Join(par, "; "), secPAR, str(m["pushed_authorization_request_endpoint"]))
	methods := m["code_challenge_methods_supported"]
	d.r.check("PKCE", ifThen(!containsString(methods, "S256") || containsString(methods, "plain"), fmt.Sprintf("code_challenge_methods_supported is %v, not S256 alone", methods)), secPKCE, "S256")
	d.r.check("iss in authorization responses", ifThen(m["authorization_response_iss_parameter_supported"] != true, "authorization_response_iss_parameter_supported is not true"), secIss, "")
}

// authorizationCodeFlow reports whether the AS serves the authorization
// code grant (RFC 8414 §2: grant_types_supported defaults to it).
func (d *doctor) authorizationCodeFlow() bool {
	grants, ok := d.as["grant_types_supported"]
	return !ok || containsString(grants, "authorization_code")
}

// checkJWKS fetches jwks_uri: a JWK set with at least one key.
func (d *doctor) checkJWKS(ctx context.Context) {
	const name, sec = "jwks_uri", secASFields + "; RFC 7517 §5"
	if p := d.urlProblem(name, d.as[name]); p != "" {
		d.r.fail(name, p, sec)
		return
	}
	set, reason := d.getMetadata(ctx, str(d.as[name]))
	if reason == "" {
		if keys, _ := set["keys"].([]any); len(keys) == 0 {
			reason = "the JWK set has no keys"
		}
	}
	d.r.check(name, reason, sec, str(d.as[name]))
}

// checkProfile checks, with --profile haip, what HAIP asks beyond
// OpenID4VCI: client authentication (attest_jwt_client_auth offered, no
// public clients, no anonymous pre-authorized redemption) and no password
// grant.
func (d *doctor) checkProfile() {
	names := []string{"client authentication", "anonymous pre-authorized redemption", "password grant"}
	switch {
	case !d.haip:
		for _, n := range names {
			d.r.skipped(n, "a HAIP check: run with --profile haip")
		}
		return
	case d.as == nil:
		for _, n := range names {
			d.r.skipped(n, "no authorization server metadata")
		}
		return
	}
	methods := d.as["token_endpoint_auth_methods_supported"]
	var problems []string
	if !containsString(methods, "attest_jwt_client_auth") {
		problems = append(problems, "attest_jwt_client_auth is not offered")
	}
	if containsString(methods, "none") {
		problems = append(problems, "public clients (none) are accepted")
	}
	d.r.check(names[0], strings.Join(problems, "; "), secHAIPClient, fmt.Sprint(methods))
	d.r.check(names[1], ifThen(d.as["pre-authorized_grant_anonymous_access_supported"] == true, "pre-authorized_grant_anonymous_access_supported is true"), secHAIPClient, "")
	d.r.check(names[2], ifThen(containsString(d.as["grant_types_supported"], "password"), "grant_types_supported lists password"), secFAPIPassword, "")
}

// mismatch is the reason a metadata identifier differs from the one its
// URL was built from ("" when byte-equal).
func mismatch(name, got, want string) string {
	if got == want {
		return ""
	}
	return fmt.Sprintf("%s is %q, not %q, the identifier the metadata URL was built from", name, got, want)
}

// ifThen is reason when cond holds, else "".
func ifThen(cond bool, reason string) string {
	if cond {
		return reason
	}
	return ""
}

// str is v when it is a string, else "".
func str(v any) string {
	s, _ := v.(string)
	return s
}

// containsString reports whether the JSON array v holds s.
func containsString(v any, s string) bool {
	list, _ := v.([]any)
	return slices.Contains(list, any(s))
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
