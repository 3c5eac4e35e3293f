package credential

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"issuer/issuer/credential/keyproof"
)

// The proof types of proofs (OpenID4VCI 1.0 Appendix F) this issuer
// verifies.
const (
	// ProofJWT is the jwt proof type (F.1): a key proof per key, which may
	// carry a key_attestation header.
	ProofJWT = "jwt"
	// ProofAttestation is the attestation proof type (F.3): one key
	// attestation, a credential for each key it attests.
	ProofAttestation = "attestation"
)

// ProofType is one entry of a configuration's proof_types_supported.
type ProofType struct {
	// Algs is proof_signing_alg_values_supported: the algorithms of the
	// proofs and of their key attestations.
	Algs []string
	// KeyAttestation is true when key_attestations_required is present:
	// a jwt proof needs a key_attestation header.
	KeyAttestation bool
	// KeyStorage and UserAuthentication are the key_storage and
	// user_authentication of key_attestations_required: a key attestation
	// must assert one of each list that is not empty.
	KeyStorage, UserAuthentication []string
}

// expect is what the proofs of this type must satisfy, for a token of
// clientID ("" for an anonymous one).
func (p ProofType) expect(clientID string) keyproof.Expect {
	return keyproof.Expect{
		Algs: p.Algs, ClientID: clientID, RequireKeyAttestation: p.KeyAttestation,
		KeyStorage: p.KeyStorage, UserAuthentication: p.UserAuthentication,
	}
}

// defaultProofTypes are the proof types of a configuration without
// proof_types_supported: jwt proofs signed with ES256.
func defaultProofTypes() map[string]ProofType {
	return map[string]ProofType{ProofJWT: {Algs: []string{"ES256"}}}
}

// parseProofTypes reads proof_types_supported (the defaults when absent):
// only jwt and attestation, each with a non-empty list of supported
// algorithms and an optional key_attestations_required.
func parseProofTypes(v any) (map[string]ProofType, error) {
	if v == nil {
		return defaultProofTypes(), nil
	}
	types, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("proof_types_supported is not an object")
	}
	if len(types) == 0 {
		return nil, errors.New("proof_types_supported is empty: list jwt or attestation, or leave it out")
	}
	out := make(map[string]ProofType, len(types))
	for name, raw := range types {
		if name != ProofJWT && name != ProofAttestation {
			return nil, fmt.Errorf("proof_types_supported.%s: this issuer verifies the proof types %s and %s only", name, ProofJWT, ProofAttestation)
		}
		pt, err := parseProofType(raw)
		if err != nil {
			return nil, fmt.Errorf("proof_types_supported.%s%w", name, err)
		}
		out[name] = pt
	}
	return out, nil
}

// parseProofType reads one proof type's object.
func parseProofType(v any) (ProofType, error) {
	var pt ProofType
	m, ok := v.(map[string]any)
	if !ok {
		return pt, errors.New(": not an object")
	}
	raw := m["proof_signing_alg_values_supported"]
	if list, ok := raw.([]any); raw == nil || (ok && len(list) == 0) {
		return pt, errors.New(".proof_signing_alg_values_supported is empty")
	}
	algs, err := nonEmptyStrings(raw)
	if err != nil {
		return pt, fmt.Errorf(".proof_signing_alg_values_supported: %w", err)
	}
	for _, a := range algs {
		if !keyproof.Supported(a) {
			return pt, fmt.Errorf(".proof_signing_alg_values_supported: %q is not one of %s", a, strings.Join(keyproof.Algorithms(), ", "))
		}
	}
	pt.Algs = algs
	req, present := m["key_attestations_required"]
	if !present {
		return pt, nil
	}
	if err := pt.readKeyAttestations(req); err != nil {
		return pt, fmt.Errorf(".key_attestations_required%w", err)
	}
	return pt, nil
}

// readKeyAttestations reads key_attestations_required (1.0 §12.2.4): an
// object, maybe empty, with optional non-empty key_storage and
// user_authentication lists.
func (p *ProofType) readKeyAttestations(v any) error {
	m, ok := v.(map[string]any)
	if !ok && v != nil {
		return errors.New(": not an object")
	}
	p.KeyAttestation = true
	var err error
	if raw, ok := m["key_storage"]; ok {
		if p.KeyStorage, err = nonEmptyStrings(raw); err != nil {
			return fmt.Errorf(".key_storage: %w", err)
		}
	}
	if raw, ok := m["user_authentication"]; ok {
		if p.UserAuthentication, err = nonEmptyStrings(raw); err != nil {
			return fmt.Errorf(".user_authentication: %w", err)
		}
	}
	return nil
}

// nonEmptyStrings reads a non-empty array of distinct non-empty strings.
func nonEmptyStrings(v any) ([]string, error) {
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		return nil, errors.New("must be a non-empty array of strings")
	}
	out := make([]string, 0, len(list))
	for _, e := range list {
		s, ok := e.(string)
		if !ok || s == "" {
			return nil, errors.New("must be a non-empty array of strings")
		}
		if slices.Contains(out, s) {
			return nil, fmt.Errorf("lists %q twice", s)
		}
		out = append(out, s)
	}
	return out, nil
}
