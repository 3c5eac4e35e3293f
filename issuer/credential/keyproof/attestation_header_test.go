package keyproof

import (
	"context"
	"slices"
	"testing"
	"time"

	"issuer/nonce"
)

// TestKeyAttestationHeader: a jwt proof signed by one of the keys of its
// key_attestation header, which a trusted wallet provider signed.
func TestKeyAttestationHeader(t *testing.T) {
	k := keys(t)
	wp := newWalletProvider(t)
	f := newAttestationFixture(t, wp)
	att := wp.attestation(t, wp.attestationHeader(), f.attestationClaims(t, k.p256.Public(), k.ed.Public()))
	p, err := f.v.Verify(context.Background(), f.attestedProof(t, k.p256, "ES256", "0", att), Expect{Algs: allAlgs, RequireKeyAttestation: true})
	if err != nil {
		t.Fatalf("Verify() = %v", err)
	}
	checkKey(t, p.Key, k.p256.Public())
	if len(p.AttestedKeys) != 2 {
		t.Fatalf("AttestedKeys has %d keys; want 2", len(p.AttestedKeys))
	}
	checkKey(t, p.AttestedKeys[0], k.p256.Public())
	checkKey(t, p.AttestedKeys[1], k.ed.Public())
	a := p.Attestation
	switch {
	case a == nil:
		t.Fatal("Proof.Attestation is nil")
	case a.Provider != "Test Wallet Provider" || a.Issuer != providerIssuer:
		t.Fatalf("Attestation provider %q, issuer %q", a.Provider, a.Issuer)
	case !slices.Equal(a.KeyStorage, []string{"iso_18045_high"}) || !slices.Equal(a.UserAuthentication, []string{"iso_18045_moderate"}):
		t.Fatalf("Attestation key_storage %q, user_authentication %q", a.KeyStorage, a.UserAuthentication)
	case !a.IssuedAt.Equal(testNow) || !a.Expires.Equal(testNow.Add(time.Hour)):
		t.Fatalf("Attestation iat %v, exp %v", a.IssuedAt, a.Expires)
	}
}

// TestKeyAttestationProofKey: how the proof names its key among the
// attested ones.
func TestKeyAttestationProofKey(t *testing.T) {
	k := keys(t)
	wp := newWalletProvider(t)
	f := newAttestationFixture(t, wp)
	claims := f.attestationClaims(t, k.p256.Public(), k.ed.Public())
	claims["attested_keys"].([]any)[1].(map[string]any)["kid"] = "wallet-ed"
	att := wp.attestation(t, wp.attestationHeader(), claims)
	withHeader := func(key any, alg string, set map[string]any) string {
		h := map[string]any{"typ": Type, "alg": alg, "key_attestation": att}
		for n, v := range set {
			h[n] = v
		}
		return forge(t, key, alg, mustJSON(t, h), mustJSON(t, f.claims()))
	}
	for _, c := range []struct {
		name  string
		proof string
		want  error // nil: accepted
	}{
		{"kid by position", withHeader(k.ed, "EdDSA", map[string]any{"kid": "1"}), nil},
		{"kid by kid member", withHeader(k.ed, "EdDSA", map[string]any{"kid": "wallet-ed"}), nil},
		{"jwk of an attested key", withHeader(k.p256, "ES256", map[string]any{"jwk": publicJWK(t, k.p256.Public())}), nil},
		{"x5c of an attested key", withHeader(k.p256, "ES256", map[string]any{"x5c": x5c(certificate(t, k.p256.Public(), k.p256, nil, "w", false))}), nil},
		{"jwk not attested", withHeader(k.p256b, "ES256", map[string]any{"jwk": publicJWK(t, k.p256b.Public())}), errAttNotAttested},
		{"x5c not attested", withHeader(k.p384, "ES384", map[string]any{"x5c": x5c(certificate(t, k.p384.Public(), k.p384, nil, "w", false))}), errAttNotAttested},
		{"kid past the end", withHeader(k.p256, "ES256", map[string]any{"kid": "2"}), errAttKidUnknown},
		{"kid with a leading zero", withHeader(k.p256, "ES256", map[string]any{"kid": "00"}), errAttKidUnknown},
		{"kid negative", withHeader(k.p256, "ES256", map[string]any{"kid": "-1"}), errAttKidUnknown},
		{"kid unknown", withHeader(k.p256, "ES256", map[string]any{"kid": "did:example:1#k"}), errAttKidUnknown},
		{"kid a number", withHeader(k.p256, "ES256", map[string]any{"kid": 0}), errAttKidUnknown},
		{"no key header", withHeader(k.p256, "ES256", nil), errKeyCount},
		{"kid and jwk", withHeader(k.p256, "ES256", map[string]any{"kid": "0", "jwk": publicJWK(t, k.p256.Public())}), errKeyCount},
		{"signed by another key than kid's", withHeader(k.p256b, "ES256", map[string]any{"kid": "0"}), errSignature},
		{"alg that does not fit kid's key", withHeader(k.p384, "ES384", map[string]any{"kid": "0"}), errKeyAlgMismatch},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.verify(c.proof)
			if c.want == nil {
				if err != nil {
					t.Fatalf("Verify() = %v", err)
				}
				return
			}
			wantProofErr(t, err, c.want)
		})
	}
}

func TestKeyAttestationRequired(t *testing.T) {
	f := newAttestationFixture(t, newWalletProvider(t))
	_, err := f.v.Verify(context.Background(), f.valid(t), Expect{Algs: allAlgs, RequireKeyAttestation: true})
	wantProofErr(t, err, errAttRequired)
	if _, err := f.v.Verify(context.Background(), f.valid(t), Expect{Algs: allAlgs}); err != nil {
		t.Fatalf("Verify() without a required attestation = %v", err)
	}
}

// TestKeyAttestationHeaderChecks: each defect of the key attestation of
// a jwt proof.
func TestKeyAttestationHeaderChecks(t *testing.T) {
	k := keys(t)
	wp := newWalletProvider(t)
	f := newAttestationFixture(t, wp)
	now := testNow.Unix()
	for _, c := range []struct {
		name   string
		edit   func(h, c map[string]any)
		code   error
		want   error
		expect Expect
	}{
		{"typ JWT", func(h, _ map[string]any) { h["typ"] = "JWT" }, ErrInvalidProof, errAttTyp, Expect{}},
		{"typ of a proof", func(h, _ map[string]any) { h["typ"] = Type }, ErrInvalidProof, errAttTyp, Expect{}},
		{"crit", func(h, _ map[string]any) { h["crit"] = []string{"x"} }, ErrInvalidProof, errAttCrit, Expect{}},
		{"kid a number", func(h, _ map[string]any) { h["kid"] = 1 }, ErrInvalidProof, errAttKid, Expect{}},
		{"x5c not certificates", func(h, _ map[string]any) { h["x5c"] = []string{"AAAA"} }, ErrInvalidProof, errAttX5C, Expect{}},
		{"no iat", func(_, c map[string]any) { delete(c, "iat") }, ErrInvalidProof, errAttIatMissing, Expect{}},
		{"iat a string", func(_, c map[string]any) { c["iat"] = "now" }, ErrInvalidProof, errAttIatType, Expect{}},
		{"iat old", func(_, c map[string]any) { c["iat"] = now - 3600 }, ErrInvalidProof, errAttIatOld, Expect{}},
		{"iat ahead", func(_, c map[string]any) { c["iat"] = now + 3600 }, ErrInvalidProof, errAttIatFuture, Expect{}},
		{"no exp", func(_, c map[string]any) { delete(c, "exp") }, ErrInvalidProof, errAttExpMissing, Expect{}},
		{"exp past", func(_, c map[string]any) { c["exp"] = now - 1 }, ErrInvalidProof, errAttExpPast, Expect{}},
		{"exp a string", func(_, c map[string]any) { c["exp"] = "x" }, ErrInvalidProof, errAttExpType, Expect{}},
		{"nbf ahead", func(_, c map[string]any) { c["nbf"] = now + 3600 }, ErrInvalidProof, errAttNbfFuture, Expect{}},
		{"nbf a string", func(_, c map[string]any) { c["nbf"] = "x" }, ErrInvalidProof, errAttNbfType, Expect{}},
		{"no attested_keys", func(_, c map[string]any) { delete(c, "attested_keys") }, ErrInvalidProof, errAttKeys, Expect{}},
		{"empty attested_keys", func(_, c map[string]any) { c["attested_keys"] = []any{} }, ErrInvalidProof, errAttKeys, Expect{}},
		{"attested_keys an object", func(_, c map[string]any) { c["attested_keys"] = publicJWK(t, k.p256.Public()) }, ErrInvalidProof, errAttKeys, Expect{}},
		{"same key twice", func(_, c map[string]any) {
			c["attested_keys"] = []any{publicJWK(t, k.p256.Public()), publicJWK(t, k.p256.Public())}
		}, ErrInvalidProof, errAttDuplicateKey, Expect{}},
		{"too many keys", func(_, c map[string]any) {
			list := []any{publicJWK(t, k.p256.Public())}
			for len(list) <= maxAttestedKeys {
				list = append(list, list[0])
			}
			c["attested_keys"] = list
		}, ErrInvalidProof, errAttTooManyKeys, Expect{}},
		{"no nonce", func(_, c map[string]any) { delete(c, "nonce") }, ErrInvalidProof, errAttNonceMissing, Expect{}},
		{"nonce a number", func(_, c map[string]any) { c["nonce"] = 1 }, ErrInvalidProof, errAttNonceType, Expect{}},
		{"iss a number", func(_, c map[string]any) { c["iss"] = 1 }, ErrInvalidProof, errAttIss, Expect{}},
		{"certification a number", func(_, c map[string]any) { c["certification"] = 1 }, ErrInvalidProof, errAttCertification, Expect{}},
		{"key_storage a string", func(_, c map[string]any) { c["key_storage"] = "iso_18045_high" }, ErrInvalidProof, errAttKeyStorage, Expect{}},
		{"key_storage empty", func(_, c map[string]any) { c["key_storage"] = []string{} }, ErrInvalidProof, errAttKeyStorage, Expect{}},
		{"user_authentication of numbers", func(_, c map[string]any) { c["user_authentication"] = []int{1} }, ErrInvalidProof, errAttUserAuthentication, Expect{}},
		{"key_storage too weak", nil, ErrInvalidProof, errAttKeyStorageLevel, Expect{KeyStorage: []string{"iso_18045_moderate"}}},
		{"no key_storage", func(_, c map[string]any) { delete(c, "key_storage") }, ErrInvalidProof, errAttKeyStorageLevel, Expect{KeyStorage: []string{"iso_18045_high"}}},
		{"user_authentication too weak", nil, ErrInvalidProof, errAttUserAuthenticationLevel, Expect{UserAuthentication: []string{"iso_18045_high"}}},
		{"stale nonce", func(_, c map[string]any) { c["nonce"] = f.staleNonce() }, ErrInvalidNonce, errAttNonceExpired, Expect{}},
		{"a DPoP nonce", func(_, c map[string]any) { c["nonce"] = f.nonces.Issue(nonce.DPoP, testNow, time.Minute) }, ErrInvalidNonce, errAttNonceUnknown, Expect{}},
		{"no key_storage nor user_authentication, none required", func(_, c map[string]any) {
			delete(c, "key_storage")
			delete(c, "user_authentication")
		}, nil, nil, Expect{}},
		{"iss of another provider", func(_, c map[string]any) { c["iss"] = "https://other.example.com" }, nil, nil, Expect{}}, // the provider has no issuer: accepted
	} {
		t.Run(c.name, func(t *testing.T) {
			h, claims := wp.attestationHeader(), f.attestationClaims(t, k.p256.Public())
			if c.edit != nil {
				c.edit(h, claims)
			}
			e := c.expect
			e.Algs = allAlgs
			proof := f.attestedProof(t, k.p256, "ES256", "0", wp.attestation(t, h, claims))
			_, err := f.v.Verify(context.Background(), proof, e)
			if c.code == nil {
				if err != nil {
					t.Fatalf("Verify() = %v", err)
				}
				return
			}
			wantErr(t, err, c.code, c.want)
		})
	}
}

// TestKeyAttestationAlg: the key attestation's alg, like the proof's, is
// one of proof_signing_alg_values_supported (Appendix F.1), never none nor
// HS*.
func TestKeyAttestationAlg(t *testing.T) {
	k := keys(t)
	wp := newWalletProvider(t)
	f := newAttestationFixture(t, wp)
	// The proof is ES384, the attestation ES256 (its provider's key).
	proof := func(h map[string]any, key any, alg string) string {
		att := forge(t, key, alg, mustJSON(t, h), mustJSON(t, f.attestationClaims(t, k.p384.Public())))
		return f.attestedProof(t, k.p384, "ES384", "0", att)
	}
	es256 := wp.attestationHeader()
	hs256 := wp.attestationHeader()
	hs256["alg"] = "HS256"
	for _, c := range []struct {
		name  string
		proof string
		algs  []string
		want  error // nil: accepted
	}{
		{"both configured", proof(es256, wp.key, "ES256"), []string{"ES384", "ES256"}, nil},
		{"only the proof's", proof(es256, wp.key, "ES256"), []string{"ES384"}, errAttAlg},
		{"HS256 configured", proof(hs256, []byte("a shared secret of 32 bytes or more"), "HS256"), []string{"ES384", "HS256"}, errAttAlg},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.v.Verify(context.Background(), c.proof, Expect{Algs: c.algs})
			if c.want == nil {
				if err != nil {
					t.Fatalf("Verify() = %v", err)
				}
				return
			}
			wantProofErr(t, err, c.want)
		})
	}
}

func TestKeyAttestationHeaderShape(t *testing.T) {
	k := keys(t)
	wp := newWalletProvider(t)
	f := newAttestationFixture(t, wp)
	att := wp.attestation(t, wp.attestationHeader(), f.attestationClaims(t, k.p256.Public()))
	for _, c := range []struct {
		name string
		att  any
		want error
	}{
		{"an object", map[string]any{"jwt": att}, errAttType},
		{"an array", []string{att}, errAttType},
		{"null", nil, errAttType},
		{"two parts", att[:len(att)-90], errAttCompact},
		{"not JSON inside", enc("x") + "." + enc("{}") + ".AA", errAttHeaderJSON},
		{"payload not JSON", enc(`{"typ":"key-attestation+jwt"}`) + "." + enc("x") + ".AA", errAttPayloadJSON},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := map[string]any{"typ": Type, "alg": "ES256", "kid": "0", "key_attestation": c.att}
			_, err := f.verify(sign(t, k.p256, "ES256", h, f.claims()))
			wantProofErr(t, err, c.want)
		})
	}
}

// TestKeyAttestationAttestedKeyErrors: a bad attested key is named by its
// position and defect.
func TestKeyAttestationAttestedKeyErrors(t *testing.T) {
	k := keys(t)
	wp := newWalletProvider(t)
	f := newAttestationFixture(t, wp)
	for _, c := range []struct {
		name string
		key  map[string]any
		want string
	}{
		{"private", func() map[string]any {
			j := publicJWK(t, k.p256.Public())
			j["d"] = "AAAA"
			return j
		}(), "the key attestation's attested_keys[1] must be a public key, without private members (d, p, q, dp, dq, qi, k, oth)"},
		{"small order", map[string]any{"kty": "OKP", "crv": "Ed25519", "x": enc(string(mustHex(t, smallOrderEd25519[1])))},
			"the key attestation's attested_keys[1] is not an acceptable key: the Ed25519 key is a point of small order"},
		{"not a JWK", map[string]any{"kty": "EC"}, "the key attestation's attested_keys[1] is not a valid JWK"},
	} {
		t.Run(c.name, func(t *testing.T) {
			claims := f.attestationClaims(t, k.ed.Public())
			claims["attested_keys"] = append(claims["attested_keys"].([]any), c.key)
			_, err := f.verify(f.attestedProof(t, k.ed, "EdDSA", "0", wp.attestation(t, wp.attestationHeader(), claims)))
			wantProofErr(t, err, ErrInvalidProof)
			if d := description(err); d != c.want {
				t.Fatalf("description %q; want %q", d, c.want)
			}
		})
	}
}
