package credential_test

import (
	"reflect"
	"strings"
	"testing"

	"issuer/issuer"
	"issuer/issuer/credential"
)

// pidWithProofTypes is the default SD-JWT VC PID configuration with
// proof_types_supported set to v (removed when v is nil).
func pidWithProofTypes(v any) map[string]any {
	confs := issuer.DefaultCredentialConfigurations()
	c := confs[issuer.PIDSDJWTConfiguration].(map[string]any)
	if v == nil {
		delete(c, "proof_types_supported")
	} else {
		c["proof_types_supported"] = v
	}
	return map[string]any{issuer.PIDSDJWTConfiguration: c}
}

// TestParseProofTypes: proof_types_supported becomes the proof types a
// request may use, with their key_attestations_required.
func TestParseProofTypes(t *testing.T) {
	es256 := []any{"ES256"}
	cases := []struct {
		name string
		v    any
		want map[string]credential.ProofType
	}{
		{"absent: jwt with ES256", nil, map[string]credential.ProofType{"jwt": {Algs: []string{"ES256"}}}},
		{"jwt without key attestations", map[string]any{"jwt": map[string]any{"proof_signing_alg_values_supported": []any{"ES256", "EdDSA"}}},
			map[string]credential.ProofType{"jwt": {Algs: []string{"ES256", "EdDSA"}}}},
		{"jwt with an empty key_attestations_required", map[string]any{"jwt": map[string]any{"proof_signing_alg_values_supported": es256, "key_attestations_required": map[string]any{}}},
			map[string]credential.ProofType{"jwt": {Algs: []string{"ES256"}, KeyAttestation: true}}},
		{"both types with levels", map[string]any{
			"jwt": map[string]any{"proof_signing_alg_values_supported": es256, "key_attestations_required": map[string]any{
				"key_storage": []any{"iso_18045_high", "iso_18045_moderate"}, "user_authentication": []any{"iso_18045_high"}}},
			"attestation": map[string]any{"proof_signing_alg_values_supported": es256, "key_attestations_required": map[string]any{
				"key_storage": []any{"iso_18045_high"}}},
		}, map[string]credential.ProofType{
			"jwt":         {Algs: []string{"ES256"}, KeyAttestation: true, KeyStorage: []string{"iso_18045_high", "iso_18045_moderate"}, UserAuthentication: []string{"iso_18045_high"}},
			"attestation": {Algs: []string{"ES256"}, KeyAttestation: true, KeyStorage: []string{"iso_18045_high"}},
		}},
		{"attestation only", map[string]any{"attestation": map[string]any{"proof_signing_alg_values_supported": es256}},
			map[string]credential.ProofType{"attestation": {Algs: []string{"ES256"}}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			confs, err := credential.ParseConfigurations(pidWithProofTypes(tc.v))
			if err != nil {
				t.Fatalf("ParseConfigurations() = %v", err)
			}
			if got := confs[issuer.PIDSDJWTConfiguration].ProofTypes; !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ProofTypes = %+v; want %+v", got, tc.want)
			}
		})
	}
}

// TestParseProofTypesRefused: a proof type this issuer cannot verify, an
// algorithm it does not support, or a malformed key_attestations_required
// stops the start, naming what is wrong.
func TestParseProofTypesRefused(t *testing.T) {
	es256 := []any{"ES256"}
	jwt := func(m map[string]any) map[string]any { return map[string]any{"jwt": m} }
	cases := []struct {
		name, want string
		v          any
	}{
		{"not an object", "proof_types_supported is not an object", []any{"jwt"}},
		{"empty", "proof_types_supported is empty", map[string]any{}},
		{"di_vp", "proof_types_supported.di_vp: this issuer verifies the proof types jwt and attestation only",
			map[string]any{"di_vp": map[string]any{"proof_signing_alg_values_supported": []any{"eddsa-2022"}}}},
		{"algorithms not a list", "proof_types_supported.jwt.proof_signing_alg_values_supported: must be a non-empty array of strings",
			jwt(map[string]any{"proof_signing_alg_values_supported": "ES256"})},
		{"no algorithms", "proof_types_supported.jwt.proof_signing_alg_values_supported is empty", jwt(map[string]any{})},
		{"HS256", `proof_types_supported.jwt.proof_signing_alg_values_supported: "HS256" is not one of`,
			jwt(map[string]any{"proof_signing_alg_values_supported": []any{"ES256", "HS256"}})},
		{"none", `"none" is not one of`, jwt(map[string]any{"proof_signing_alg_values_supported": []any{"none"}})},
		{"key_attestations_required a list", "proof_types_supported.jwt.key_attestations_required: not an object",
			jwt(map[string]any{"proof_signing_alg_values_supported": es256, "key_attestations_required": []any{"iso_18045_high"}})},
		{"empty key_storage", "proof_types_supported.jwt.key_attestations_required.key_storage: must be a non-empty array of strings",
			jwt(map[string]any{"proof_signing_alg_values_supported": es256, "key_attestations_required": map[string]any{"key_storage": []any{}}})},
		{"user_authentication a string", "proof_types_supported.jwt.key_attestations_required.user_authentication: must be a non-empty array of strings",
			jwt(map[string]any{"proof_signing_alg_values_supported": es256, "key_attestations_required": map[string]any{"user_authentication": "iso_18045_high"}})},
		{"attestation without algorithms", "proof_types_supported.attestation.proof_signing_alg_values_supported is empty",
			map[string]any{"attestation": map[string]any{"key_attestations_required": map[string]any{}}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := credential.ParseConfigurations(pidWithProofTypes(tc.v))
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), issuer.PIDSDJWTConfiguration) {
				t.Errorf("ParseConfigurations() = %v; want an error of %s with %q", err, issuer.PIDSDJWTConfiguration, tc.want)
			}
		})
	}
}
