package web_test

import (
	"crypto/ecdsa"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"issuer/issuer"
)

// Key attestations at the credential endpoint (OpenID4VCI 1.0 Appendix D,
// F.1, F.3; VCI-48): the PID SD-JWT VC configuration requires them with
// key_storage iso_18045_high, for jwt proofs and the attestation proof
// type; the wallet provider is a CA generated here and trusted through
// the admin API.

const (
	kaTyp  = "key-attestation+jwt"
	kaHigh = "iso_18045_high"
)

// kaRequired is the proof type object with key_attestations_required.
func kaRequired() map[string]any {
	return map[string]any{"proof_signing_alg_values_supported": []any{"ES256"},
		"key_attestations_required": map[string]any{"key_storage": []any{kaHigh}}}
}

// kaFixture is a server whose PID SD-JWT VC needs key attestations, a
// wallet provider's CA registered through the admin API, and a holder.
type kaFixture struct {
	ts     *testServer
	Issuer *atCA // the wallet provider's attestation signer, under Root
	h      *crHolder
}

func kaSetup(t testing.TB) *kaFixture {
	t.Helper()
	ts := newTestServer(t, func(c *issuer.Config) {
		c.Tokens.CNonceTTL = time.Minute
		pid := c.CredentialConfigurations[pidConfig].(map[string]any)
		pid["proof_types_supported"] = map[string]any{"jwt": kaRequired(), "attestation": kaRequired()}
	})
	root := atIssue(t, nil, "Key Attestation Root", true, nil)
	atCreateProvider(t, ts, map[string]any{"name": "Key attesting wallets", "x5c_roots": atX5C(root.Cert)})
	return &kaFixture{ts: ts, Issuer: atIssue(t, root, "Key Attestation Signer", false, nil), h: ts.crHolderFor(t, "erika", nil)}
}

// attest is a key attestation of keys, signed by signer with x5c [signer],
// with nonce and key_storage iso_18045_high; mod may change its claims.
func (f *kaFixture) attest(t testing.TB, signer *atCA, nonce string, keys []*ecdsa.PrivateKey, mod func(c map[string]any)) string {
	t.Helper()
	now := f.ts.Clock.Now()
	attested := make([]any, len(keys))
	for i, k := range keys {
		attested[i] = publicJWK(&k.PublicKey)
	}
	c := map[string]any{"iss": "https://wallet-provider.example", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"attested_keys": attested, "key_storage": []any{kaHigh}, "user_authentication": []any{kaHigh}, "nonce": nonce}
	if mod != nil {
		mod(c)
	}
	return rawJWS(t, signer.Key, map[string]any{"typ": kaTyp, "alg": "ES256", "x5c": atX5C(signer.Cert)}, c, nil)
}

// proof is a jwt key proof of keys[0] that names it as attested key "0"
// of att, with c_nonce nonce.
func (f *kaFixture) proof(t testing.TB, key *ecdsa.PrivateKey, nonce, att string) string {
	t.Helper()
	return f.ts.crKeyProof(t, key, nonce, func(h, _ map[string]any) {
		delete(h, "jwk")
		h["kid"], h["key_attestation"] = "0", att
	})
}

// send asks for the PID SD-JWT VC with proofs of proofType.
func (f *kaFixture) send(t testing.TB, proofType string, proofs ...string) *http.Response {
	t.Helper()
	return f.ts.crRequest(t, f.h, map[string]any{"credential_identifier": f.h.identifier(t, pidConfig), "proofs": map[string]any{proofType: proofs}})
}

// wantBound asserts one verified SD-JWT VC per key, bound to it.
func (f *kaFixture) wantBound(t testing.TB, res *http.Response, keys ...*ecdsa.PrivateKey) {
	t.Helper()
	for i, cred := range crWantCredentials(t, res, len(keys)) {
		if got := crCnfThumbprint(t, crVerifySDJWT(t, f.ts, cred)); got != crJWK(t, keys[i]) {
			t.Errorf("credential %d is bound to %s; want attested key %d, %s", i, got, i, crJWK(t, keys[i]))
		}
	}
}

// TestCredentialKeyAttestationIssued: a trusted key attestation gets a
// credential for each attested key, as the key_attestation header of a
// jwt proof (F.1) and as the attestation proof type (F.3); the metadata
// says what is required.
func TestCredentialKeyAttestationIssued(t *testing.T) {
	f := kaSetup(t)
	t.Run("jwt proof with key_attestation of two keys: two credentials", func(t *testing.T) {
		keys := []*ecdsa.PrivateKey{crNewKey(t), crNewKey(t)}
		n, _ := f.ts.crNonces(t)
		f.wantBound(t, f.send(t, "jwt", f.proof(t, keys[0], n, f.attest(t, f.Issuer, n, keys, nil))), keys...)
	})
	t.Run("attestation proof type with two keys: two credentials", func(t *testing.T) {
		keys := []*ecdsa.PrivateKey{crNewKey(t), crNewKey(t)}
		n, _ := f.ts.crNonces(t)
		att := f.attest(t, f.Issuer, n, keys, func(c map[string]any) { delete(c, "exp") })
		f.wantBound(t, f.send(t, "attestation", att), keys...)
		// One attestation, one use.
		crWantError(t, f.send(t, "attestation", att), http.StatusBadRequest, "invalid_proof")
	})
	t.Run("the metadata lists key_attestations_required", func(t *testing.T) {
		res := sendRaw(t, http.MethodGet, f.ts.URL+"/.well-known/openid-credential-issuer", "", nil, nil)
		var m struct {
			Configurations map[string]struct {
				ProofTypes map[string]struct {
					Required *struct {
						KeyStorage []string `json:"key_storage"`
					} `json:"key_attestations_required"`
				} `json:"proof_types_supported"`
			} `json:"credential_configurations_supported"`
		}
		if err := json.Unmarshal(readBody(t, res), &m); err != nil {
			t.Fatal(err)
		}
		for _, pt := range []string{"jwt", "attestation"} {
			if r := m.Configurations[pidConfig].ProofTypes[pt].Required; r == nil || len(r.KeyStorage) != 1 || r.KeyStorage[0] != kaHigh {
				t.Errorf("%s proof type of %s: key_attestations_required %+v; want key_storage [%s]", pt, pidConfig, r, kaHigh)
			}
		}
	})
}

// TestCredentialKeyAttestationRefused: what the credential endpoint
// refuses of key attestations, with nothing issued.
func TestCredentialKeyAttestationRefused(t *testing.T) {
	f := kaSetup(t)
	stranger := atIssue(t, nil, "Untrusted Wallet Provider", true, nil)
	strangerSigner := atIssue(t, stranger, "Untrusted Signer", false, nil)
	cases := []struct {
		name, code, desc string
		send             func(t *testing.T, keys []*ecdsa.PrivateKey, n string) *http.Response
	}{
		{"a jwt proof without key attestation", "invalid_proof",
			"this credential requires a key attestation: a key_attestation header or the attestation proof type",
			func(t *testing.T, keys []*ecdsa.PrivateKey, n string) *http.Response {
				return f.send(t, "jwt", f.ts.crKeyProof(t, keys[0], n, nil))
			}},
		{"a key_attestation of an untrusted CA", "invalid_proof", "the key attestation is not signed by a trusted wallet provider",
			func(t *testing.T, keys []*ecdsa.PrivateKey, n string) *http.Response {
				return f.send(t, "jwt", f.proof(t, keys[0], n, f.attest(t, strangerSigner, n, keys, nil)))
			}},
		{"an attestation proof of an untrusted CA", "invalid_proof", "the key attestation is not signed by a trusted wallet provider",
			func(t *testing.T, keys []*ecdsa.PrivateKey, n string) *http.Response {
				return f.send(t, "attestation", f.attest(t, strangerSigner, n, keys, nil))
			}},
		{"key_storage below the required level", "invalid_proof", "the key attestation's key_storage asserts none of the levels this credential requires",
			func(t *testing.T, keys []*ecdsa.PrivateKey, n string) *http.Response {
				att := f.attest(t, f.Issuer, n, keys, func(c map[string]any) { c["key_storage"] = []any{"iso_18045_moderate"} })
				return f.send(t, "jwt", f.proof(t, keys[0], n, att))
			}},
		{"no key_storage at all", "invalid_proof", "the key attestation's key_storage asserts none of the levels this credential requires",
			func(t *testing.T, keys []*ecdsa.PrivateKey, n string) *http.Response {
				return f.send(t, "attestation", f.attest(t, f.Issuer, n, keys, func(c map[string]any) { delete(c, "key_storage") }))
			}},
		{"a key_attestation with a stale nonce", "invalid_nonce", "the key attestation's nonce has expired: get a new c_nonce from the nonce endpoint",
			func(t *testing.T, keys []*ecdsa.PrivateKey, n string) *http.Response {
				f.ts.Clock.Advance(90 * time.Second) // c_nonce_ttl is a minute
				fresh, _ := f.ts.crNonces(t)
				return f.send(t, "jwt", f.proof(t, keys[0], fresh, f.attest(t, f.Issuer, n, keys, nil)))
			}},
		{"an attestation proof with a stale nonce", "invalid_nonce", "the key attestation's nonce has expired: get a new c_nonce from the nonce endpoint",
			func(t *testing.T, keys []*ecdsa.PrivateKey, n string) *http.Response {
				f.ts.Clock.Advance(90 * time.Second)
				return f.send(t, "attestation", f.attest(t, f.Issuer, n, keys, nil))
			}},
		{"a proof key the attestation does not attest", "invalid_proof", "the key proof's key is not one of the attested_keys of its key_attestation",
			func(t *testing.T, keys []*ecdsa.PrivateKey, n string) *http.Response {
				other := crNewKey(t)
				return f.send(t, "jwt", f.ts.crKeyProof(t, other, n, func(h, _ map[string]any) { h["key_attestation"] = f.attest(t, f.Issuer, n, keys, nil) }))
			}},
		{"two attestation proofs", "invalid_proof", "proofs.attestation must hold exactly one key attestation",
			func(t *testing.T, keys []*ecdsa.PrivateKey, n string) *http.Response {
				return f.send(t, "attestation", f.attest(t, f.Issuer, n, keys[:1], nil), f.attest(t, f.Issuer, n, keys[1:], nil))
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f.h = f.ts.crHolderFor(t, "erika", nil) // a fresh token: the clock may have moved
			keys := []*ecdsa.PrivateKey{crNewKey(t), crNewKey(t)}
			n, _ := f.ts.crNonces(t)
			if desc := crWantError(t, tc.send(t, keys, n), http.StatusBadRequest, tc.code); desc != tc.desc {
				t.Errorf("error_description = %q; want %q", desc, tc.desc)
			}
		})
	}
	t.Run("the attestation proof type for a configuration without it", func(t *testing.T) {
		h := f.ts.crHolderFor(t, "erika", nil)
		n, _ := f.ts.crNonces(t)
		res := f.ts.crRequest(t, h, map[string]any{"credential_identifier": h.identifier(t, mdlConfig),
			"proofs": map[string]any{"attestation": []string{f.attest(t, f.Issuer, n, []*ecdsa.PrivateKey{crNewKey(t)}, nil)}}})
		if desc := crWantError(t, res, http.StatusBadRequest, "invalid_proof"); desc != "the credential configuration "+mdlConfig+" does not take attestation proofs" {
			t.Errorf("error_description = %q", desc)
		}
	})
}
