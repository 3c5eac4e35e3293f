package credential_test

import (
	"crypto"
	"encoding/base64"
	"encoding/json"
	"slices"
	"testing"

	"github.com/lestrrat-go/jwx/v2/jwk"

	"issuer/issuer"
	"issuer/issuer/credential"
	"issuer/issuer/credential/sdjwt"
	"issuer/issuer/oauth"
	"issuer/issuer/oauth/oauthtest"
)

// attestationEnv is an env whose PID SD-JWT VC configuration has the
// proof types v, granted to erika.
func attestationEnv(t testing.TB, v any) *env {
	t.Helper()
	confs, err := credential.ParseConfigurations(pidWithProofTypes(v))
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *credential.Config) { c.Configurations = confs })
	e.grant(t, "erika", pidClaims())
	return e
}

// attRequest is a credential request of erika's SD-JWT VC with the
// proofs of one type.
func attRequest(proofType string, proofs ...string) credential.Request {
	b, _ := json.Marshal(map[string]any{"credential_identifier": "id-erika", "proofs": map[string]any{proofType: proofs}})
	return credential.Request{ContentType: "application/json", Body: b}
}

// thumbprint is the RFC 7638 thumbprint of a public key, base64url.
func thumbprint(t testing.TB, pub crypto.PublicKey) string {
	t.Helper()
	k, err := jwk.FromRaw(pub)
	if err != nil {
		t.Fatal(err)
	}
	tp, err := k.Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(tp)
}

// boundTo returns the thumbprints of the cnf.jwk of each SD-JWT VC of a
// 200 reply.
func boundTo(t testing.TB, r *credential.Reply) []string {
	t.Helper()
	var out []string
	for _, c := range response(t, r).Credentials {
		dec, err := sdjwt.Decode(c.Credential)
		if err != nil {
			t.Fatal(err)
		}
		cnf, _ := dec.Claims["cnf"].(map[string]any)
		raw, _ := json.Marshal(cnf["jwk"])
		k, err := jwk.ParseKey(raw)
		if err != nil {
			t.Fatalf("cnf.jwk %s: %v", raw, err)
		}
		var pub any
		if err := k.Raw(&pub); err != nil {
			t.Fatal(err)
		}
		out = append(out, thumbprint(t, pub))
	}
	return out
}

// keysOf are the thumbprints of the env's keys n…
func (e *env) keysOf(t testing.TB, n ...int) []string {
	t.Helper()
	out := make([]string, len(n))
	for i, k := range n {
		out[i] = thumbprint(t, e.proofs.keys[k].Public())
	}
	return out
}

// TestIssueKeyAttestationHeader: a jwt proof with a key_attestation gets
// a credential for each attested key (Appendix F.1), each key once
// across the proofs, within the batch size.
func TestIssueKeyAttestationHeader(t *testing.T) {
	e := newEnv(t, nil) // batch size 3
	e.grant(t, "erika", pidClaims())
	r, err := e.Issue(t.Context(), request("id-erika", "proof-0+1+2"))
	if err != nil {
		t.Fatalf("Issue() = %v", err)
	}
	if got, want := boundTo(t, r), e.keysOf(t, 0, 1, 2); !slices.Equal(got, want) {
		t.Errorf("credentials bound to %v; want the three attested keys %v", got, want)
	}
	r, err = e.Issue(t.Context(), request("id-erika", "proof-3+4", "proof-4+3"))
	if err != nil {
		t.Fatalf("Issue() = %v", err)
	}
	if got, want := boundTo(t, r), e.keysOf(t, 3, 4); !slices.Equal(got, want) {
		t.Errorf("credentials bound to %v; want each attested key once %v", got, want)
	}
	_, err = e.Issue(t.Context(), request("id-erika", "proof-1+2+3+4"))
	oauthtest.WantError(t, err, oauth.CodeInvalidProof, "the proofs attest 4 keys, one credential each; the batch size is 3")
	_, err = e.Issue(t.Context(), request("id-erika", "proof-1+2", "proof-3+4"))
	oauthtest.WantError(t, err, oauth.CodeInvalidProof, "the proofs attest 4 keys, one credential each; the batch size is 3")
}

// TestIssueAttestationProofType: the attestation proof type only where
// the configuration lists it; a credential per attested key, within the
// batch size; exactly one attestation; spent once.
func TestIssueAttestationProofType(t *testing.T) {
	e := newEnv(t, nil)
	e.grant(t, "erika", pidClaims())
	_, err := e.Issue(t.Context(), attRequest("attestation", "att-0+1"))
	oauthtest.WantError(t, err, oauth.CodeInvalidProof, "the credential configuration "+issuer.PIDSDJWTConfiguration+" does not take attestation proofs")

	e = attestationEnv(t, map[string]any{"attestation": map[string]any{"proof_signing_alg_values_supported": []any{"ES256"}}})
	_, err = e.Issue(t.Context(), attRequest("jwt", "proof-0"))
	oauthtest.WantError(t, err, oauth.CodeInvalidProof, "the credential configuration "+issuer.PIDSDJWTConfiguration+" does not take jwt proofs")
	r, err := e.Issue(t.Context(), attRequest("attestation", "att-2+0"))
	if err != nil {
		t.Fatalf("Issue() = %v", err)
	}
	if got, want := boundTo(t, r), e.keysOf(t, 2, 0); !slices.Equal(got, want) {
		t.Errorf("credentials bound to %v; want the attested keys %v", got, want)
	}
	_, err = e.Issue(t.Context(), attRequest("attestation", "att-2+0"))
	oauthtest.WantError(t, err, oauth.CodeInvalidProof, "the key proof was used before")
	_, err = e.Issue(t.Context(), attRequest("attestation", "att-1", "att-3"))
	oauthtest.WantError(t, err, oauth.CodeInvalidProof, "proofs.attestation must hold exactly one key attestation")
	_, err = e.Issue(t.Context(), attRequest("attestation", "att-1+2+3+4"))
	oauthtest.WantError(t, err, oauth.CodeInvalidProof, "the proofs attest 4 keys, one credential each; the batch size is 3")
	_, err = e.Issue(t.Context(), attRequest("attestation", "nonce"))
	oauthtest.WantError(t, err, oauth.CodeInvalidNonce, "the c_nonce has expired")
	// Draft 15's single proof object, as a batch of one attestation.
	b, _ := json.Marshal(map[string]any{"credential_identifier": "id-erika", "proof": map[string]any{"proof_type": "attestation", "attestation": "att-3+1"}})
	r, err = e.Issue(t.Context(), credential.Request{ContentType: "application/json", Body: b})
	if err != nil {
		t.Fatalf("Issue(draft proof) = %v", err)
	}
	if got, want := boundTo(t, r), e.keysOf(t, 3, 1); !slices.Equal(got, want) {
		t.Errorf("credentials bound to %v; want the attested keys %v", got, want)
	}
	b, _ = json.Marshal(map[string]any{"credential_identifier": "id-erika", "proof": map[string]any{"proof_type": "attestation", "jwt": "att-3"}})
	_, err = e.Issue(t.Context(), credential.Request{ContentType: "application/json", Body: b})
	oauthtest.WantError(t, err, oauth.CodeInvalidProof, "proof has no attestation")
}

// TestIssueKeyAttestationsRequired: the verifier is asked for what the
// configuration's key_attestations_required says, per proof type.
func TestIssueKeyAttestationsRequired(t *testing.T) {
	e := attestationEnv(t, map[string]any{
		"jwt": map[string]any{"proof_signing_alg_values_supported": []any{"ES256"}, "key_attestations_required": map[string]any{
			"key_storage": []any{"iso_18045_high"}, "user_authentication": []any{"iso_18045_moderate"}}},
		"attestation": map[string]any{"proof_signing_alg_values_supported": []any{"ES384"}, "key_attestations_required": map[string]any{
			"key_storage": []any{"iso_18045_moderate"}}},
	})
	e.access.tok.ClientID = "wallet"
	if _, err := e.Issue(t.Context(), attRequest("jwt", "proof-0+1")); err != nil {
		t.Fatalf("Issue() = %v", err)
	}
	got := e.proofs.last
	if !got.RequireKeyAttestation || !slices.Equal(got.KeyStorage, []string{"iso_18045_high"}) ||
		!slices.Equal(got.UserAuthentication, []string{"iso_18045_moderate"}) || !slices.Equal(got.Algs, []string{"ES256"}) || got.ClientID != "wallet" {
		t.Errorf("jwt proofs verified with %+v; want the jwt type's key_attestations_required", got)
	}
	if _, err := e.Issue(t.Context(), attRequest("attestation", "att-2")); err != nil {
		t.Fatalf("Issue() = %v", err)
	}
	got = e.proofs.last
	if !slices.Equal(got.KeyStorage, []string{"iso_18045_moderate"}) || got.UserAuthentication != nil || !slices.Equal(got.Algs, []string{"ES384"}) {
		t.Errorf("the attestation verified with %+v; want the attestation type's", got)
	}
}
