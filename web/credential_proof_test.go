package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"issuer/issuer"
	"issuer/nonce"
)

// TestCredentialKeyProofRefused: how the key proof verifier's verdicts
// reach the wallet (its rules are keyproof's unit tests): a stale or
// forged c_nonce is invalid_nonce, everything else invalid_proof, a
// replayed proof and two proofs of one key too. A refused request spends
// none of its proofs.
func TestCredentialKeyProofRefused(t *testing.T) {
	ts := newTestServer(t)
	h := ts.crHolderFor(t, "erika", nil)
	id := h.identifier(t, pidConfig)
	key := crNewKey(t)
	tests := []struct {
		name   string
		proofs func(t testing.TB) []string
		code   string
		desc   string // when set, the exact description
	}{
		{"L03 no nonce", func(t testing.TB) []string { return []string{ts.crKeyProof(t, key, "", nil)} }, "invalid_proof", ""},
		{"L04 forged nonce", func(t testing.TB) []string {
			return []string{ts.crKeyProof(t, key, rfFlip(ts.mustCNonce(t), 5), nil)}
		}, "invalid_nonce", ""},
		{"L04 a DPoP nonce as c_nonce", func(t testing.TB) []string {
			return []string{ts.crKeyProof(t, key, ts.Svc.Nonces().Issue(nonce.DPoPResource, ts.Clock.Now(), time.Minute), nil)}
		}, "invalid_nonce", ""},
		{"L05 typ JWT", func(t testing.TB) []string {
			return []string{ts.crKeyProof(t, key, ts.mustCNonce(t), func(h, _ map[string]any) { h["typ"] = "JWT" })}
		}, "invalid_proof", ""},
		{"L06 aud of another issuer", func(t testing.TB) []string {
			return []string{ts.crKeyProof(t, key, ts.mustCNonce(t), func(_, p map[string]any) { p["aud"] = "https://other.example" })}
		}, "invalid_proof", ""},
		{"L08 iss on an anonymous pre-authorized token", func(t testing.TB) []string {
			return []string{ts.crKeyProof(t, key, ts.mustCNonce(t), func(_, p map[string]any) { p["iss"] = "some-wallet" })}
		}, "invalid_proof", ""},
		{"L09 alg not allowed", func(t testing.TB) []string {
			return []string{ts.crKeyProof(t, key, ts.mustCNonce(t), func(h, _ map[string]any) { h["alg"] = "ES384" })}
		}, "invalid_proof", ""},
		{"same key twice", func(t testing.TB) []string {
			n := ts.mustCNonce(t)
			return []string{ts.crKeyProof(t, key, n, nil), ts.crKeyProof(t, key, n, nil)}
		}, "invalid_proof", "two proofs of the request are of the same key: one credential per key"},
		{"one bad proof of three", func(t testing.TB) []string {
			n := ts.mustCNonce(t)
			return []string{ts.crKeyProof(t, crNewKey(t), n, nil), ts.crKeyProof(t, crNewKey(t), n, func(h, _ map[string]any) { h["typ"] = "JWT" })}
		}, "invalid_proof", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := crWantError(t, ts.crRequest(t, h, crBody(id, tt.proofs(t)...)), http.StatusBadRequest, tt.code)
			if strings.HasPrefix(d, tt.code) || tt.desc != "" && d != tt.desc {
				t.Errorf("description %q; want %q without the code", d, tt.desc)
			}
		})
	}
	t.Run("L04 expired nonce", func(t *testing.T) {
		n := ts.mustCNonce(t)
		ts.Clock.Advance(5*time.Minute + time.Second)
		h2 := ts.crHolderFor(t, "erika", nil, pidConfig)
		p := ts.crKeyProof(t, key, n, nil)
		crWantError(t, ts.crRequest(t, h2, crBody(h2.identifier(t, pidConfig), p)), http.StatusBadRequest, "invalid_nonce")
	})
}

// TestCredentialKeyProofReplay: a key proof is used once; a refused
// request (here: one of its proofs replayed) spends nothing else.
func TestCredentialKeyProofReplay(t *testing.T) {
	ts := newTestServer(t)
	h := ts.crHolderFor(t, "erika", nil, pidConfig)
	id := h.identifier(t, pidConfig)
	used := ts.crFreshProof(t, crNewKey(t))
	crWantCredentials(t, ts.crRequest(t, h, crBody(id, used)), 1)
	if d := crWantError(t, ts.crRequest(t, h, crBody(id, used)), http.StatusBadRequest, "invalid_proof"); d != "the key proof was used before" {
		t.Errorf("description %q", d)
	}
	// A request refused for its claims spends none of its proofs.
	claims := crPIDClaims()
	delete(claims, "family_name")
	h2 := ts.crHolderFor(t, "max", claims, pidConfig)
	fresh := ts.crFreshProof(t, crNewKey(t))
	crWantError(t, ts.crRequest(t, h2, crBody(h2.identifier(t, pidConfig), fresh)), http.StatusBadRequest, "credential_request_denied")
	// Nor does one refused because its claims cannot be encoded (a date
	// element that is no date), found while signing.
	bad := crPIDClaims()
	bad[issuer.PIDDocType].(map[string]any)["birth_date"] = "12.08.1964"
	h3 := ts.crHolderFor(t, "maxi", bad, mdlConfig)
	crWantError(t, ts.crRequest(t, h3, crBody(h3.identifier(t, mdlConfig), fresh)), http.StatusBadRequest, "credential_request_denied")
	crWantCredentials(t, ts.crRequest(t, h, crBody(id, fresh)), 1)
}

// mustCNonce is a fresh c_nonce from the nonce endpoint.
func (ts *testServer) mustCNonce(t testing.TB) string {
	t.Helper()
	n, _ := ts.crNonces(t)
	return n
}
