package web_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"issuer/issuer"
)

// TestCredentialRequestRefused: the body's shape, with the exact status and
// error of each mistake (OpenID4VCI 1.0 §8.2, §8.3.1.2).
func TestCredentialRequestRefused(t *testing.T) {
	ts := newTestServer(t, func(c *issuer.Config) { c.Credential.BatchSize = 3 })
	h := ts.crHolderFor(t, "erika", nil)
	id := h.identifier(t, pidConfig)
	proof := func(t testing.TB) string { return ts.crFreshProof(t, crNewKey(t)) }
	tests := []struct {
		name   string
		body   func(t testing.TB) map[string]any
		status int
		code   string
	}{
		{"VCI-50 both identifiers", func(t testing.TB) map[string]any {
			b := crBody(id, proof(t))
			b["credential_configuration_id"] = pidConfig
			return b
		}, 400, "invalid_credential_request"},
		{"no identifier", func(t testing.TB) map[string]any {
			return map[string]any{"proofs": map[string]any{"jwt": []string{proof(t)}}}
		}, 400, "invalid_credential_request"},
		{"unknown identifier", func(t testing.TB) map[string]any { return crBody("not-"+id, proof(t)) }, 400, "unknown_credential_identifier"},
		{"identifier of another token", func(t testing.TB) map[string]any {
			o := ts.crHolderFor(t, "max", nil, pidConfig)
			return crBody(o.identifier(t, pidConfig), proof(t))
		}, 400, "unknown_credential_identifier"},
		{"unknown configuration id", func(t testing.TB) map[string]any {
			return map[string]any{"credential_configuration_id": "no.such.config", "proofs": map[string]any{"jwt": []string{proof(t)}}}
		}, 400, "unknown_credential_configuration"},
		{"no proofs", func(testing.TB) map[string]any { return map[string]any{"credential_identifier": id} }, 400, "invalid_proof"},
		{"proofs null", func(testing.TB) map[string]any { return map[string]any{"credential_identifier": id, "proofs": nil} }, 400, "invalid_proof"},
		{"empty jwt array", func(testing.TB) map[string]any { return crBody(id) }, 400, "invalid_proof"},
		{"two proof types", func(t testing.TB) map[string]any {
			return map[string]any{"credential_identifier": id, "proofs": map[string]any{"jwt": []string{proof(t)}, "attestation": []string{"x"}}}
		}, 400, "invalid_proof"},
		{"unsupported proof type", func(testing.TB) map[string]any {
			return map[string]any{"credential_identifier": id, "proofs": map[string]any{"di_vp": []any{map[string]any{}}}}
		}, 400, "invalid_proof"},
		{"jwt not an array of strings", func(testing.TB) map[string]any {
			return map[string]any{"credential_identifier": id, "proofs": map[string]any{"jwt": []any{1}}}
		}, 400, "invalid_proof"},
		{"batch over batch_size", func(t testing.TB) map[string]any {
			return crBody(id, proof(t), proof(t), proof(t), proof(t))
		}, 400, "invalid_proof"},
		{"proof and proofs", func(t testing.TB) map[string]any {
			b := crBody(id, proof(t))
			b["proof"] = map[string]any{"proof_type": "jwt", "jwt": proof(t)}
			return b
		}, 400, "invalid_credential_request"},
		{"legacy proof of another type", func(testing.TB) map[string]any {
			return map[string]any{"credential_identifier": id, "proof": map[string]any{"proof_type": "cwt", "cwt": "x"}}
		}, 400, "invalid_proof"},
		{"response encryption (not offered)", func(t testing.TB) map[string]any {
			b := crBody(id, proof(t))
			b["credential_response_encryption"] = map[string]any{"jwk": map[string]any{}, "enc": "A128GCM"}
			return b
		}, 400, "invalid_encryption_parameters"},
		{"legacy format the token does not grant", func(t testing.TB) map[string]any {
			return map[string]any{"format": "jwt_vc_json", "proofs": map[string]any{"jwt": []string{proof(t)}}}
		}, 400, "unknown_credential_configuration"},
		{"legacy format with another vct", func(t testing.TB) map[string]any {
			return map[string]any{"format": "dc+sd-jwt", "vct": "urn:other", "proofs": map[string]any{"jwt": []string{proof(t)}}}
		}, 400, "unknown_credential_configuration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			crWantError(t, ts.crRequest(t, h, tt.body(t)), tt.status, tt.code)
		})
	}
	raw := func(ct, body string) *http.Response {
		return sendRaw(t, http.MethodPost, ts.URL+"/credential", ct, strings.NewReader(body), ts.crAuth(t, h))
	}
	t.Run("form content type", func(t *testing.T) {
		crWantError(t, raw("application/x-www-form-urlencoded", "credential_identifier="+id), 400, "invalid_credential_request")
	})
	t.Run("no content type", func(t *testing.T) {
		crWantError(t, raw("", `{"credential_identifier":"`+id+`"}`), 400, "invalid_credential_request")
	})
	t.Run("body not JSON", func(t *testing.T) {
		crWantError(t, raw("application/json", `{"credential_identifier":`), 400, "invalid_credential_request")
	})
	t.Run("body a JSON array", func(t *testing.T) {
		crWantError(t, raw("application/json", `[]`), 400, "invalid_credential_request")
	})
	t.Run("identifier not a string", func(t *testing.T) {
		crWantError(t, raw("application/json", `{"credential_identifier":7}`), 400, "invalid_credential_request")
	})
	t.Run("body too large", func(t *testing.T) {
		big := `{"credential_identifier":"` + id + `","pad":"` + strings.Repeat("a", 300<<10) + `"}`
		crWantError(t, sendRaw(t, http.MethodPost, ts.URL+"/credential", "application/json", bytes.NewReader([]byte(big)), ts.crAuth(t, h)), http.StatusRequestEntityTooLarge, "invalid_request")
	})
	t.Run("GET", func(t *testing.T) {
		crWantError(t, sendRaw(t, http.MethodGet, ts.URL+"/credential", "", nil, ts.crAuth(t, h)), http.StatusMethodNotAllowed, "invalid_request")
	})
	// Nothing above spent the token.
	crWantCredentials(t, ts.crRequest(t, h, crBody(id, proof(t))), 1)
}

// TestCredentialRequestLenient: unknown members are ignored, a charset on
// the content type is fine, the drafts' single proof and format are
// accepted as a batch of one by default, and so is a configuration ID for
// a token granted with authorization_details.
func TestCredentialRequestLenient(t *testing.T) {
	ts := newTestServer(t)
	h := ts.crHolderFor(t, "erika", nil)
	id := h.identifier(t, pidConfig)
	b := crBody(id, ts.crFreshProof(t, crNewKey(t)))
	b["unknown_member"] = map[string]any{"x": 1}
	crWantCredentials(t, ts.crRequest(t, h, b), 1)
	charset := sendRaw(t, http.MethodPost, ts.URL+"/credential", "application/json; charset=utf-8",
		strings.NewReader(crJSON(t, crBody(id, ts.crFreshProof(t, crNewKey(t))))), ts.crAuth(t, h))
	crWantCredentials(t, charset, 1)
	legacy := map[string]any{"credential_identifier": id, "proof": map[string]any{"proof_type": "jwt", "jwt": ts.crFreshProof(t, crNewKey(t))}}
	crVerifySDJWT(t, ts, crWantCredentials(t, ts.crRequest(t, h, legacy), 1)[0])
	// A configuration ID for a token granted with authorization_details
	// (§8.2 wants the identifier; @openid4vc/openid4vci 0.7.0 sends this).
	byConfig := map[string]any{"credential_configuration_id": pidConfig, "proofs": map[string]any{"jwt": []string{ts.crFreshProof(t, crNewKey(t))}}}
	crVerifySDJWT(t, ts, crWantCredentials(t, ts.crRequest(t, h, byConfig), 1)[0])
	for _, f := range []map[string]any{
		{"format": "dc+sd-jwt", "vct": issuer.PIDVCT},
		{"format": "vc+sd-jwt"}, // draft 13's name
		{"format": "mso_mdoc", "doctype": issuer.PIDDocType},
	} {
		f["proof"] = map[string]any{"proof_type": "jwt", "jwt": ts.crFreshProof(t, crNewKey(t))}
		cred := crWantCredentials(t, ts.crRequest(t, h, f), 1)[0]
		if f["format"] == "mso_mdoc" {
			crVerifyMDoc(t, ts, cred)
		} else {
			crVerifySDJWT(t, ts, cred)
		}
	}
}

// TestCredentialRequestStrict: with credential.strict_requests, the
// drafts' proof and format are refused, naming the member, and so is a
// configuration ID where the token response gave identifiers (§8.2).
func TestCredentialRequestStrict(t *testing.T) {
	ts := newTestServer(t, func(c *issuer.Config) { c.Credential.StrictRequests = true })
	h := ts.crHolderFor(t, "erika", nil)
	id := h.identifier(t, pidConfig)
	legacy := map[string]any{"credential_identifier": id, "proof": map[string]any{"proof_type": "jwt", "jwt": ts.crFreshProof(t, crNewKey(t))}}
	if d := crWantError(t, ts.crRequest(t, h, legacy), 400, "invalid_credential_request"); !strings.Contains(d, "proof") {
		t.Errorf("description %q does not name proof", d)
	}
	format := map[string]any{"format": "dc+sd-jwt", "proofs": map[string]any{"jwt": []string{ts.crFreshProof(t, crNewKey(t))}}}
	if d := crWantError(t, ts.crRequest(t, h, format), 400, "invalid_credential_request"); !strings.Contains(d, "format") {
		t.Errorf("description %q does not name format", d)
	}
	byConfig := map[string]any{"credential_configuration_id": pidConfig, "proofs": map[string]any{"jwt": []string{ts.crFreshProof(t, crNewKey(t))}}}
	if d := crWantError(t, ts.crRequest(t, h, byConfig), 400, "invalid_credential_request"); !strings.Contains(d, "credential_identifier") {
		t.Errorf("description %q does not say to send credential_identifier", d)
	}
	crWantCredentials(t, ts.crRequest(t, h, crBody(id, ts.crFreshProof(t, crNewKey(t)))), 1)
}

// TestCredentialEndpointElsewhere: with a credential endpoint of the
// issuer's own, ours is not served.
func TestCredentialEndpointElsewhere(t *testing.T) {
	ts := newTestServer(t, func(c *issuer.Config) { c.CredentialEndpoint = "https://ci.example/credential" })
	h := ts.crHolderFor(t, "erika", nil, pidConfig)
	crWantError(t, ts.crRequest(t, h, crBody(h.identifier(t, pidConfig), "x.y.z")), http.StatusNotFound, "not_found")
}

// TestCredentialRefusedBatchSpendsNothing: a batch refused because one of
// its proofs was used before spends none of the others: each can still be
// used on its own.
func TestCredentialRefusedBatchSpendsNothing(t *testing.T) {
	ts := newTestServer(t, func(c *issuer.Config) { c.Credential.BatchSize = 3 })
	h := ts.crHolderFor(t, "erika", nil)
	id := h.identifier(t, pidConfig)
	used := ts.crFreshProof(t, crNewKey(t))
	crWantCredentials(t, ts.crRequest(t, h, crBody(id, used)), 1)
	a, b := ts.crFreshProof(t, crNewKey(t)), ts.crFreshProof(t, crNewKey(t))
	crWantError(t, ts.crRequest(t, h, crBody(id, a, used, b)), http.StatusBadRequest, "invalid_proof")
	crWantCredentials(t, ts.crRequest(t, h, crBody(id, a)), 1)
	crWantCredentials(t, ts.crRequest(t, h, crBody(id, b)), 1)
}
