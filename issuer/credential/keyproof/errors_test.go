package keyproof

import (
	"errors"
	"strings"
	"testing"
)

// TestErrorDescriptions: every error of Verify wraps exactly one code and
// has a description that fits error_description (RFC 6749 §5.2: %x20-21,
// %x23-5B, %x5D-7E).
func TestErrorDescriptions(t *testing.T) {
	for _, err := range allErrors() {
		proof, nonce := errors.Is(err, ErrInvalidProof), errors.Is(err, ErrInvalidNonce)
		if proof == nonce {
			t.Errorf("%q wraps invalid_proof %v and invalid_nonce %v; want exactly one", err, proof, nonce)
		}
		d := description(err)
		if d == "" {
			t.Errorf("%q has no description", err)
		}
		for _, r := range d {
			if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
				t.Errorf("description %q has %q, not allowed in error_description", d, r)
			}
		}
	}
}

// TestErrorDescriptionsDistinct: each defect has its own description.
func TestErrorDescriptionsDistinct(t *testing.T) {
	seen := map[string]bool{}
	for _, err := range allErrors() {
		if seen[err.Error()] {
			t.Errorf("two errors say %q", err)
		}
		seen[err.Error()] = true
	}
}

// allErrors are the package's fixed errors (the err* variables).
func allErrors() []error {
	return []error{
		errTooLarge, errCompact, errHeaderJSON, errPayloadJSON, errTyp, errAlgType, errAlg, errNoAlgs, errCrit,
		errKeyCount, errKid, errJWKMalformed, errJWKPrivate, errJWKAlg, errJWKUse, errX5CMalformed, errX5CTooLong,
		errKeyAlgMismatch, errSignature, errAudType, errAud, errIatMissing, errIatType, errIatOld, errIatFuture,
		errExpType, errExpPast, errNbfType, errNbfFuture, errIssType, errIssAnonymous, errIss, errNonceMissing,
		errNonceType, errNonceExpired, errNonceUnknown,
		errAttRequired, errAttType, errAttTooLarge, errAttCompact, errAttHeaderJSON, errAttPayloadJSON, errAttTyp,
		errAttCrit, errAttAlg, errAttKid, errAttX5C, errAttIatMissing, errAttIatType, errAttIatOld, errAttIatFuture,
		errAttExpMissing, errAttExpType, errAttExpPast, errAttNbfType, errAttNbfFuture, errAttKeys, errAttTooManyKeys,
		errAttDuplicateKey, errAttNonceMissing, errAttNonceType, errAttIss, errAttCertification, errAttKeyStorage,
		errAttUserAuthentication, errAttKeyStorageLevel, errAttUserAuthenticationLevel, errAttKidUnknown,
		errAttNotAttested, errAttNoTrust, errAttUntrusted, errAttNonceExpired, errAttNonceUnknown,
	}
}

// TestErrorsDoNotEchoClaims: values of the proof never appear in errors.
func TestErrorsDoNotEchoClaims(t *testing.T) {
	f := newFixture(t)
	const secret = "SECRET-VALUE-42"
	k := keys(t)
	for name, edit := range map[string]func(h, c map[string]any){
		"aud":   func(_, c map[string]any) { c["aud"] = secret },
		"iss":   func(_, c map[string]any) { c["iss"] = secret },
		"nonce": func(_, c map[string]any) { c["nonce"] = secret },
		"typ":   func(h, _ map[string]any) { h["typ"] = secret },
		"alg":   func(h, _ map[string]any) { h["alg"] = secret },
		"kid":   func(h, _ map[string]any) { delete(h, "jwk"); h["kid"] = secret },
		"x5c":   func(h, _ map[string]any) { delete(h, "jwk"); h["x5c"] = []string{secret} },
		"jwk":   func(h, _ map[string]any) { h["jwk"].(map[string]any)["x"] = secret },
	} {
		t.Run(name, func(t *testing.T) {
			h, c := header(t, k.p256, "ES256"), f.claims()
			edit(h, c)
			_, err := f.verify(sign(t, k.p256, "ES256", h, c))
			if err == nil {
				t.Fatal("Verify() accepted the proof")
			}
			if strings.Contains(err.Error(), secret) {
				t.Fatalf("Verify() = %q; echoes the %s value", err, name)
			}
		})
	}
}
