package web_test

// HTTP-level tests of DPoP (RFC 9449) at the token endpoint. Every case
// goes through POST /token, changes exactly one thing from a valid request
// (a fresh offer and a fresh ES256 proof made at the server clock), asserts
// the exact status and error code, and, after a refusal, checks that the
// refused request had no side effect: the offer's code still redeems with a
// fresh valid proof.
//
// The sections follow /work/shared/spec/adversarial.md (E: proof structure
// and cryptography, F: claims, time and replay, G: server nonces, H:
// binding) and checklist.md §1; G and the replay cases of F are in
// dpop_nonce_test.go. Helpers specific to DPoP start with "dp" so that they
// do not collide with other test files of the package; those both files use
// are in helpers_proof_test.go.

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"issuer/dpop"
	"issuer/issuer"
	"issuer/issuer/clients"
	"issuer/issuer/oauth"
)

// dpSegments splits a compact JWS and decodes its three parts.
func dpSegments(t testing.TB, jws string) (header, payload, sig []byte) {
	t.Helper()
	parts := strings.Split(jws, ".")
	if len(parts) != 3 {
		t.Fatalf("JWS has %d parts; want 3", len(parts))
	}
	var out [3][]byte
	for i, p := range parts {
		b, err := base64.RawURLEncoding.DecodeString(p)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = b
	}
	return out[0], out[1], out[2]
}

// dpFlipS returns the proof with its ES256 signature's s replaced by n-s:
// the other valid signature of the same message (ECDSA malleability).
func dpFlipS(t testing.TB, proof string) string {
	t.Helper()
	i := strings.LastIndexByte(proof, '.')
	_, _, sig := dpSegments(t, proof)
	n := elliptic.P256().Params().N
	s := new(big.Int).SetBytes(sig[32:])
	out := append([]byte(nil), sig...)
	new(big.Int).Sub(n, s).FillBytes(out[32:])
	return proof[:i+1] + base64.RawURLEncoding.EncodeToString(out)
}

// dpHighS reports whether the ES256 signature of proof has s > n/2.
func dpHighS(t testing.TB, proof string) bool {
	t.Helper()
	_, _, sig := dpSegments(t, proof)
	half := new(big.Int).Rsh(elliptic.P256().Params().N, 1)
	return new(big.Int).SetBytes(sig[32:]).Cmp(half) > 0
}

// dpVerifyES256 checks an ES256 proof's signature with crypto/ecdsa, so
// that a test knows a proof it sends is cryptographically valid.
func dpVerifyES256(t testing.TB, proof string, pub *ecdsa.PublicKey) bool {
	t.Helper()
	i := strings.LastIndexByte(proof, '.')
	_, _, sig := dpSegments(t, proof)
	d := sha256.Sum256([]byte(proof[:i]))
	return ecdsa.Verify(pub, d[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:]))
}

// dpSizedProof returns a valid ES256 proof of exactly size bytes, padded
// with an extra (ignored) member in the header and one in the payload.
func dpSizedProof(t testing.TB, ts *testServer, w *wallet, size int) string {
	t.Helper()
	b64len := func(v any) int {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodedLen(len(b))
	}
	h, p := w.baseProof(ts.TokenURL(), ts.Clock.Now())
	const sigLen = 86 // 64 bytes of ES256 signature, base64url
	for hp := range 4 {
		h["x-pad"] = strings.Repeat("h", hp)
		p["x-pad"] = ""
		base := b64len(h) + 1 + b64len(p) + 1 + sigLen
		est := max((size-base)*3/4-4, 0)
		for pp := est; pp < est+12; pp++ {
			p["x-pad"] = strings.Repeat("p", pp)
			if b64len(h)+1+b64len(p)+1+sigLen == size {
				proof := rawJWS(t, w.Key, h, p, nil)
				if len(proof) != size {
					t.Fatalf("padded proof has %d bytes; want %d", len(proof), size)
				}
				return proof
			}
		}
	}
	t.Fatalf("no padding gives a proof of %d bytes", size)
	return ""
}

// dpCreateClient registers a public client through the admin API and
// returns its client_id.
func dpCreateClient(t testing.TB, ts *testServer, dpopBound bool) string {
	t.Helper()
	res := ts.admin(t, http.MethodPost, "/admin/clients", map[string]any{
		"token_endpoint_auth_method": "none",
		"grant_types":                []string{oauth.GrantPreAuthorizedCode},
		"dpop_bound_access_tokens":   dpopBound,
	})
	body := readBody(t, res)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("POST /admin/clients = %d %s; want 201", res.StatusCode, body)
	}
	var m clients.Metadata
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	if m.ClientID == "" || m.DPoPBoundAccessTokens != dpopBound {
		t.Fatalf("client = %s; want a client_id and dpop_bound_access_tokens %v", body, dpopBound)
	}
	return m.ClientID
}

// dpProofCase is one proof that the token endpoint must refuse.
type dpProofCase struct {
	name  string
	proof func(t *testing.T, ts *testServer, w *wallet) string
}

// dpRunRefused runs each case on ts with a fresh wallet and offer: the
// proof is refused with 400 invalid_dpop_proof and the code stays usable.
func dpRunRefused(t *testing.T, ts *testServer, cases []dpProofCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWallet(t)
			o := ts.offer(t, nil)
			// Sent with ts.post, not ts.redeem, so that an empty value is sent too.
			form := url.Values{"grant_type": {preAuth}, "pre-authorized_code": {code(o)}}
			res := ts.post(t, "/token", form, map[string][]string{"DPoP": {tc.proof(t, ts, w)}})
			e := wantError(t, res, http.StatusBadRequest, dpInvalidProof)
			t.Logf("error_description: %s", e.Description)
			dpStillRedeems(t, ts, code(o), "")
		})
	}
}

// ---------------------------------------------------------------------------
// Policy: required, optional, dpop_bound_access_tokens (E01, H05)
// ---------------------------------------------------------------------------

func TestDPoPPolicy(t *testing.T) {
	t.Run("E01 required policy without DPoP header", func(t *testing.T) {
		ts := newTestServer(t)
		o := ts.offer(t, nil)
		res := ts.redeem(t, code(o), "", nil)
		// Product decision: invalid_request (checklist §7 item 9), never a Bearer token.
		wantError(t, res, http.StatusBadRequest, dpInvalidRequest)
		tb := dpStillRedeems(t, ts, code(o), "")
		if tb.TokenType != "DPoP" {
			t.Errorf("token_type = %q; want DPoP", tb.TokenType)
		}
	})

	t.Run("optional policy without DPoP header gives a short Bearer token", func(t *testing.T) {
		ts := newTestServer(t, func(c *issuer.Config) { c.DPoP.Policy = issuer.DPoPOptional })
		o := ts.offer(t, nil)
		tb := wantToken(t, ts.redeem(t, code(o), "", nil))
		if tb.TokenType != "Bearer" {
			t.Errorf("token_type = %q; want Bearer", tb.TokenType)
		}
		if tb.ExpiresIn <= 0 || tb.ExpiresIn > 300 {
			t.Errorf("expires_in = %d; want 1..300 (OpenID4VCI 1.0 §13.10)", tb.ExpiresIn)
		}
		if _, claims := jwtParts(t, tb.AccessToken); claims["cnf"] != nil {
			t.Errorf("cnf = %v; want no cnf claim on a Bearer token", claims["cnf"])
		}
	})

	t.Run("optional policy with a proof gives a DPoP token", func(t *testing.T) {
		ts := newTestServer(t, func(c *issuer.Config) { c.DPoP.Policy = issuer.DPoPOptional })
		w := newWallet(t)
		o := ts.offer(t, nil)
		dpWantDPoPToken(t, ts.redeem(t, code(o), dpProof(t, ts, w, ""), nil), w.JKT)
	})

	t.Run("optional policy with a bad proof is refused, not downgraded to Bearer", func(t *testing.T) {
		ts := newTestServer(t, func(c *issuer.Config) { c.DPoP.Policy = issuer.DPoPOptional })
		w := newWallet(t)
		o := ts.offer(t, nil)
		bad := dpMutate(t, ts, w, func(h, _ map[string]any) { h["typ"] = "JWT" })
		wantError(t, ts.redeem(t, code(o), bad, nil), http.StatusBadRequest, dpInvalidProof)
		dpStillRedeems(t, ts, code(o), "")
	})

	t.Run("H05 dpop_bound_access_tokens client without DPoP header", func(t *testing.T) {
		ts := newTestServer(t, func(c *issuer.Config) { c.DPoP.Policy = issuer.DPoPOptional })
		clientID := dpCreateClient(t, ts, true)
		o := ts.offer(t, nil)
		extra := url.Values{"client_id": {clientID}}
		wantError(t, ts.redeem(t, code(o), "", extra), http.StatusBadRequest, dpInvalidRequest)
		// The same client with a proof succeeds, and the code was not used.
		w := newWallet(t)
		dpWantDPoPToken(t, ts.redeem(t, code(o), dpProof(t, ts, w, ""), extra), w.JKT)
	})

	t.Run("H05 control: client without dpop_bound_access_tokens may use Bearer under optional", func(t *testing.T) {
		ts := newTestServer(t, func(c *issuer.Config) { c.DPoP.Policy = issuer.DPoPOptional })
		clientID := dpCreateClient(t, ts, false)
		o := ts.offer(t, nil)
		tb := wantToken(t, ts.redeem(t, code(o), "", url.Values{"client_id": {clientID}}))
		if tb.TokenType != "Bearer" {
			t.Errorf("token_type = %q; want Bearer", tb.TokenType)
		}
	})
}

// ---------------------------------------------------------------------------
// E. Proof structure and cryptography
// ---------------------------------------------------------------------------

// TestDPoPHeaderCount covers E02 and E03: one DPoP field, one JWT.
func TestDPoPHeaderCount(t *testing.T) {
	ts := newTestServer(t)
	cases := []struct {
		name   string
		values func(p1, p2 string) []string
	}{
		{"E02 two DPoP headers, both valid", func(p1, p2 string) []string { return []string{p1, p2} }},
		{"E02 the same valid proof in two DPoP headers", func(p1, _ string) []string { return []string{p1, p1} }},
		{"E03 two proofs comma-joined", func(p1, p2 string) []string { return []string{p1 + "," + p2} }},
		{"E03 two proofs comma-space-joined", func(p1, p2 string) []string { return []string{p1 + ", " + p2} }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWallet(t)
			o := ts.offer(t, nil)
			form := url.Values{"grant_type": {preAuth}, "pre-authorized_code": {code(o)}}
			p1, p2 := dpProof(t, ts, w, ""), dpProof(t, ts, w, "")
			res := ts.post(t, "/token", form, map[string][]string{"DPoP": tc.values(p1, p2)})
			wantError(t, res, http.StatusBadRequest, dpInvalidProof)
			dpStillRedeems(t, ts, code(o), "")
		})
	}
}

// TestDPoPProofStructure covers E04 to E20: each proof has one defect.
func TestDPoPProofStructure(t *testing.T) {
	ts := newTestServer(t)
	b64 := base64.RawURLEncoding.EncodeToString
	hmacSHA256 := func(key []byte) func([]byte) []byte {
		return func(in []byte) []byte {
			m := hmac.New(sha256.New, key)
			m.Write(in)
			return m.Sum(nil)
		}
	}
	cases := []dpProofCase{
		// E04: not one compact JWS.
		{"E04 not a JWT", func(*testing.T, *testServer, *wallet) string { return "abc" }},
		{"E04 two segments", func(*testing.T, *testServer, *wallet) string { return "eyJhbGciOiJFUzI1NiJ9.e30" }},
		{"E04 valid proof without its signature segment", func(t *testing.T, ts *testServer, w *wallet) string {
			p := dpProof(t, ts, w, "")
			return p[:strings.LastIndexByte(p, '.')]
		}},
		{"E04 empty header value", func(*testing.T, *testServer, *wallet) string { return "" }},
		{"E04 three segments that are not base64url JSON", func(*testing.T, *testServer, *wallet) string { return "a.b.c" }},
		{"E04 padded base64", func(t *testing.T, ts *testServer, w *wallet) string { return dpProof(t, ts, w, "") + "==" }},
		{"E04 four segments", func(t *testing.T, ts *testServer, w *wallet) string { return dpProof(t, ts, w, "") + ".e30" }},
		// E05: other serialisations.
		{"E05 JWS JSON flattened serialisation", func(t *testing.T, ts *testServer, w *wallet) string {
			parts := strings.Split(dpProof(t, ts, w, ""), ".")
			b, _ := json.Marshal(map[string]string{"protected": parts[0], "payload": parts[1], "signature": parts[2]})
			return string(b)
		}},
		{"E05 JWS JSON general serialisation", func(t *testing.T, ts *testServer, w *wallet) string {
			parts := strings.Split(dpProof(t, ts, w, ""), ".")
			b, _ := json.Marshal(map[string]any{
				"payload":    parts[1],
				"signatures": []map[string]string{{"protected": parts[0], "signature": parts[2]}},
			})
			return string(b)
		}},
		{"E05 JWE with five segments", func(t *testing.T, ts *testServer, w *wallet) string {
			hdr := b64([]byte(`{"alg":"RSA-OAEP-256","enc":"A256GCM","typ":"dpop+jwt"}`))
			return hdr + "." + randomJTI() + "." + randomJTI() + "." + randomJTI() + "." + randomJTI()
		}},
		// E06, E07: typ.
		{"E06 typ missing", func(t *testing.T, ts *testServer, w *wallet) string {
			return dpMutate(t, ts, w, func(h, _ map[string]any) { delete(h, "typ") })
		}},
		{"E07 typ JWT", func(t *testing.T, ts *testServer, w *wallet) string {
			return dpMutate(t, ts, w, func(h, _ map[string]any) { h["typ"] = "JWT" })
		}},
		{"E07 typ at+jwt", func(t *testing.T, ts *testServer, w *wallet) string {
			return dpMutate(t, ts, w, func(h, _ map[string]any) { h["typ"] = "at+jwt" })
		}},
		{"E07 typ not a string", func(t *testing.T, ts *testServer, w *wallet) string {
			return dpMutate(t, ts, w, func(h, _ map[string]any) { h["typ"] = []string{"dpop+jwt"} })
		}},
		// E08, E09: alg none and MAC algorithms.
		{"E08 alg none with an empty signature", func(t *testing.T, ts *testServer, w *wallet) string {
			h, p := w.baseProof(ts.TokenURL(), ts.Clock.Now())
			h["alg"] = "none"
			return dpJWS(t, h, p, func([]byte) []byte { return nil })
		}},
		{"E08 alg none with an ES256 signature", func(t *testing.T, ts *testServer, w *wallet) string {
			return dpMutate(t, ts, w, func(h, _ map[string]any) { h["alg"] = "none" })
		}},
		{"E09 alg HS256 keyed with the jwk x coordinate", func(t *testing.T, ts *testServer, w *wallet) string {
			h, p := w.baseProof(ts.TokenURL(), ts.Clock.Now())
			h["alg"] = "HS256"
			x := h["jwk"].(map[string]any)["x"].(string)
			return dpJWS(t, h, p, hmacSHA256([]byte(x)))
		}},
		{"E09 alg HS256 keyed with the jwk JSON", func(t *testing.T, ts *testServer, w *wallet) string {
			h, p := w.baseProof(ts.TokenURL(), ts.Clock.Now())
			h["alg"] = "HS256"
			j, _ := json.Marshal(h["jwk"])
			return dpJWS(t, h, p, hmacSHA256(j))
		}},
		{"E09 alg HS256 keyed with some other secret", func(t *testing.T, ts *testServer, w *wallet) string {
			h, p := w.baseProof(ts.TokenURL(), ts.Clock.Now())
			h["alg"] = "HS256"
			return dpJWS(t, h, p, hmacSHA256([]byte("secret")))
		}},
		// E10: registered but not allowed.
		{"E10 alg ES512 with a P-521 key", func(t *testing.T, ts *testServer, _ *wallet) string {
			return dpES512Proof(t, ts)
		}},
		// E11: algorithm and key mismatch.
		{"E11 alg ES256 with an RSA jwk", func(t *testing.T, ts *testServer, w *wallet) string {
			return dpMutate(t, ts, w, func(h, _ map[string]any) { h["jwk"] = dpJWK(t, &dpRSA2048().PublicKey) })
		}},
		{"E11 alg PS256 with an EC jwk", func(t *testing.T, ts *testServer, w *wallet) string {
			return dpMutate(t, ts, w, func(h, _ map[string]any) { h["alg"] = "PS256" })
		}},
		{"E11 alg ES384 with a P-256 jwk", func(t *testing.T, ts *testServer, w *wallet) string {
			h, p := w.baseProof(ts.TokenURL(), ts.Clock.Now())
			h["alg"] = "ES384"
			return dpJWS(t, h, p, func(in []byte) []byte {
				sig := dpECDSA(t, w.Key, crypto.SHA384, in) // 32+32 bytes on P-256
				out := make([]byte, 96)                     // widened to the ES384 size
				copy(out[16:48], sig[:32])
				copy(out[64:], sig[32:])
				return out
			})
		}},
		{"E11 alg EdDSA with an EC jwk", func(t *testing.T, ts *testServer, w *wallet) string {
			return dpMutate(t, ts, w, func(h, _ map[string]any) { h["alg"] = "EdDSA" })
		}},
		// E12: the key must be the embedded jwk.
		{"E12 jwk missing", func(t *testing.T, ts *testServer, w *wallet) string {
			return dpMutate(t, ts, w, func(h, _ map[string]any) { delete(h, "jwk") })
		}},
		{"E12 kid instead of jwk", func(t *testing.T, ts *testServer, w *wallet) string {
			return dpMutate(t, ts, w, func(h, _ map[string]any) { delete(h, "jwk"); h["kid"] = w.JKT })
		}},
		{"E12 jku instead of jwk", func(t *testing.T, ts *testServer, w *wallet) string {
			return dpMutate(t, ts, w, func(h, _ map[string]any) { delete(h, "jwk"); h["jku"] = "https://evil.example/jwks" })
		}},
		{"E12 jwk not an object", func(t *testing.T, ts *testServer, w *wallet) string {
			return dpMutate(t, ts, w, func(h, _ map[string]any) { j, _ := json.Marshal(h["jwk"]); h["jwk"] = string(j) })
		}},
		{"E12 jwk empty object", func(t *testing.T, ts *testServer, w *wallet) string {
			return dpMutate(t, ts, w, func(h, _ map[string]any) { h["jwk"] = map[string]any{} })
		}},
		// E13, E14: private and symmetric keys.
		{"E13 jwk includes the private d", func(t *testing.T, ts *testServer, w *wallet) string {
			d, err := w.Key.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			return dpMutate(t, ts, w, func(h, _ map[string]any) { h["jwk"].(map[string]any)["d"] = b64(d) })
		}},
		{"E14 jwk is an oct key, alg ES256", func(t *testing.T, ts *testServer, w *wallet) string {
			return dpMutate(t, ts, w, func(h, _ map[string]any) {
				h["jwk"] = map[string]any{"kty": "oct", "k": b64([]byte("0123456789abcdef0123456789abcdef"))}
			})
		}},
		{"E14 jwk is an oct key, alg HS256 keyed with it", func(t *testing.T, ts *testServer, w *wallet) string {
			h, p := w.baseProof(ts.TokenURL(), ts.Clock.Now())
			k := []byte("0123456789abcdef0123456789abcdef")
			h["alg"], h["jwk"] = "HS256", map[string]any{"kty": "oct", "k": b64(k)}
			return dpJWS(t, h, p, hmacSHA256(k))
		}},
		// E15, E16: the signature must verify with the embedded key over these bytes.
		{"E15 jwk is key A, signed with key B", func(t *testing.T, ts *testServer, w *wallet) string {
			h, p := w.baseProof(ts.TokenURL(), ts.Clock.Now())
			return rawJWS(t, newWallet(t).Key, h, p, nil)
		}},
		{"E16 one payload byte changed after signing", func(t *testing.T, ts *testServer, w *wallet) string {
			h, p := w.baseProof(ts.TokenURL(), ts.Clock.Now())
			signed := rawJWS(t, w.Key, h, p, nil)
			jti := p["jti"].(string)
			p["jti"] = string(jti[0]^1) + jti[1:] // still valid base64url text
			pj, _ := json.Marshal(p)
			parts := strings.Split(signed, ".")
			return parts[0] + "." + b64(pj) + "." + parts[2]
		}},
		{"E16 one signature byte changed", func(t *testing.T, ts *testServer, w *wallet) string {
			signed := dpProof(t, ts, w, "")
			_, _, sig := dpSegments(t, signed)
			sig[10] ^= 0x01
			return signed[:strings.LastIndexByte(signed, '.')+1] + b64(sig)
		}},
		// E17, E18: weak or invalid keys.
		{"E17 EC point not on P-256", func(t *testing.T, ts *testServer, w *wallet) string {
			return dpMutate(t, ts, w, func(h, _ map[string]any) {
				j := h["jwk"].(map[string]any)
				y, _ := base64.RawURLEncoding.DecodeString(j["y"].(string))
				y[31] ^= 0x01
				j["y"] = b64(y)
			})
		}},
		{"E17 EC point (0, 0)", func(t *testing.T, ts *testServer, w *wallet) string {
			return dpMutate(t, ts, w, func(h, _ map[string]any) {
				j := h["jwk"].(map[string]any)
				j["x"], j["y"] = b64(make([]byte, 32)), b64(make([]byte, 32))
			})
		}},
		{"E17 EC coordinates of the wrong length", func(t *testing.T, ts *testServer, w *wallet) string {
			return dpMutate(t, ts, w, func(h, _ map[string]any) {
				j := h["jwk"].(map[string]any)
				x, _ := base64.RawURLEncoding.DecodeString(j["x"].(string))
				j["x"] = b64(append([]byte{0}, x...))
			})
		}},
		{"E18 RSA 1024-bit key with PS256", func(t *testing.T, ts *testServer, _ *wallet) string {
			return dpSign(t, ts, dpRSA1024(), "PS256", dpop.Claims{})
		}},
		// E18: Ed25519 keys of small order. crypto/ed25519 verifies the
		// signature R = identity, S = 0 with the identity key on any
		// message: anyone could sign proofs for it.
		{"E18 Ed25519 identity key with the forged signature R = identity, S = 0", func(t *testing.T, ts *testServer, w *wallet) string {
			return dpForgedEd25519(t, ts, w, dpEd25519Identity)
		}},
		{"E18 Ed25519 key of order 8", func(t *testing.T, ts *testServer, w *wallet) string {
			return dpForgedEd25519(t, ts, w, "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05")
		}},
		{"E18 Ed25519 identity key, non-canonical (y = p + 1)", func(t *testing.T, ts *testServer, w *wallet) string {
			return dpForgedEd25519(t, ts, w, "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")
		}},
		// E19: unknown critical extension.
		{"E19 crit lists an unknown extension", func(t *testing.T, ts *testServer, w *wallet) string {
			return dpMutate(t, ts, w, func(h, _ map[string]any) { h["crit"] = []string{"x-ext"}; h["x-ext"] = true })
		}},
		// E20: DER-encoded ECDSA signature.
		{"E20 DER-encoded ECDSA signature", func(t *testing.T, ts *testServer, w *wallet) string {
			h, p := w.baseProof(ts.TokenURL(), ts.Clock.Now())
			return dpJWS(t, h, p, func(in []byte) []byte {
				d := sha256.Sum256(in)
				der, err := ecdsa.SignASN1(rand.Reader, w.Key, d[:])
				if err != nil {
					t.Fatal(err)
				}
				return der
			})
		}},
		{"E20 signature with r and s swapped", func(t *testing.T, ts *testServer, w *wallet) string {
			h, p := w.baseProof(ts.TokenURL(), ts.Clock.Now())
			return dpJWS(t, h, p, func(in []byte) []byte {
				sig := dpECDSA(t, w.Key, crypto.SHA256, in)
				return append(sig[32:], sig[:32]...)
			})
		}},
	}
	dpRunRefused(t, ts, cases)
}

// dpForgedEd25519 builds, without any private key, an EdDSA proof of w's
// claims whose jwk is the Ed25519 key x (hex) and whose signature is
// R = identity, S = 0.
func dpForgedEd25519(t testing.TB, ts *testServer, w *wallet, x string) string {
	t.Helper()
	key, err := hex.DecodeString(x)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := hex.DecodeString(dpEd25519Identity + strings.Repeat("00", 32))
	if err != nil {
		t.Fatal(err)
	}
	_, p := w.baseProof(ts.TokenURL(), ts.Clock.Now())
	h := map[string]any{"typ": "dpop+jwt", "alg": "EdDSA", "jwk": map[string]any{
		"kty": "OKP", "crv": "Ed25519", "x": base64.RawURLEncoding.EncodeToString(key),
	}}
	proof := dpJWS(t, h, p, func([]byte) []byte { return sig })
	if x == dpEd25519Identity {
		// The premise: the standard library accepts the forgery.
		input := proof[:strings.LastIndexByte(proof, '.')]
		if !ed25519.Verify(key, []byte(input), sig) {
			t.Fatal("test setup: crypto/ed25519 no longer accepts the forged signature")
		}
	}
	return proof
}

// TestDPoPRequestQuery covers DPOP-12: the request's own query is ignored
// too when htu is compared.
func TestDPoPRequestQuery(t *testing.T) {
	ts := newTestServer(t)
	w := newWallet(t)
	form := url.Values{"grant_type": {preAuth}, "pre-authorized_code": {code(ts.offer(t, nil))}}
	res := ts.post(t, "/token?x=1", form, map[string][]string{"DPoP": {dpProof(t, ts, w, "")}})
	dpWantDPoPToken(t, res, w.JKT)
}

// TestDPoPSignatureMalleability covers E20's high-S half: high-S ECDSA
// signatures are accepted on purpose, and malleability gives nothing
// because replay detection is keyed by key thumbprint and jti.
func TestDPoPSignatureMalleability(t *testing.T) {
	t.Run("E20 high-S signature accepted", func(t *testing.T) {
		ts := newTestServer(t)
		w := newWallet(t)
		p := dpProof(t, ts, w, "")
		if !dpHighS(t, p) {
			p = dpFlipS(t, p)
		}
		if !dpHighS(t, p) || !dpVerifyES256(t, p, &w.Key.PublicKey) {
			t.Fatal("test setup: the proof should carry a valid high-S signature")
		}
		dpWantDPoPToken(t, ts.redeem(t, code(ts.offer(t, nil)), p, nil), w.JKT)
	})

	t.Run("E20 malleated signature of a used proof is a replay", func(t *testing.T) {
		ts := newTestServer(t)
		w := newWallet(t)
		p := dpProof(t, ts, w, "")
		q := dpFlipS(t, p)
		if q == p || !dpVerifyES256(t, q, &w.Key.PublicKey) {
			t.Fatal("test setup: the malleated proof should be a different valid signature")
		}
		dpWantDPoPToken(t, ts.redeem(t, code(ts.offer(t, nil)), p, nil), w.JKT)
		o := ts.offer(t, nil)
		wantError(t, ts.redeem(t, code(o), q, nil), http.StatusBadRequest, dpInvalidProof)
		dpStillRedeems(t, ts, code(o), "")
	})
}

// ---------------------------------------------------------------------------
// F. Proof claims, time and replay
// ---------------------------------------------------------------------------

// TestDPoPProofClaims covers F01 to F17 and F20: each payload has one
// defect.
func TestDPoPProofClaims(t *testing.T) {
	ts := newTestServer(t)
	u, err := url.Parse(ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	hostPort := u.Host // 127.0.0.1:PORT
	claim := func(mutate func(p map[string]any, now time.Time)) func(*testing.T, *testServer, *wallet) string {
		return func(t *testing.T, ts *testServer, w *wallet) string {
			return dpMutate(t, ts, w, func(_, p map[string]any) { mutate(p, ts.Clock.Now()) })
		}
	}
	set := func(name string, v any) func(*testing.T, *testServer, *wallet) string {
		return claim(func(p map[string]any, _ time.Time) { p[name] = v })
	}
	del := func(name string) func(*testing.T, *testServer, *wallet) string {
		return claim(func(p map[string]any, _ time.Time) { delete(p, name) })
	}
	cases := []dpProofCase{
		{"F01 htm missing", del("htm")},
		{"F01 htm empty", set("htm", "")},
		{"F02 htm lower-case post", set("htm", "post")},
		{"F03 htm GET on a POST", set("htm", "GET")},
		{"F03 htm not a string", set("htm", 1)},
		{"F04 htu missing", del("htu")},
		{"F04 htu empty", set("htu", "")},
		// F05, F06 (revised, DPOP-12): a query or fragment in htu is ignored, not refused; see TestDPoPProofAccepted.
		{"F07 htu with the wrong scheme", set("htu", "https://"+hostPort+"/token")},
		{"F08 htu of another endpoint (PAR)", set("htu", ts.URL+"/par")},
		{"F08 htu of another endpoint with a query (DPOP-12)", set("htu", ts.URL+"/par?x=1")},
		{"F08 htu whose query holds the token path", set("htu", ts.URL+"?/token")},
		{"F08 htu of another endpoint (nonce)", set("htu", ts.URL+issuer.PathNonce)},
		{"F09 htu path in another case", set("htu", ts.URL+"/Token")},
		{"F09 htu path with a trailing slash", set("htu", ts.URL+"/token/")},
		{"F09 htu relative", set("htu", "/token")},
		{"F11 htu of the internal upstream", set("htu", "http://10.0.0.5:8080/token")},
		{"F11 htu with another host, same port", set("htu", "http://localhost:"+u.Port()+"/token")},
		{"F11 htu with another port", set("htu", "http://127.0.0.1:1/token")},
		{"F12 iat missing", del("iat")},
		{"F13 iat now-10min", claim(func(p map[string]any, now time.Time) { p["iat"] = now.Add(-10 * time.Minute).Unix() })},
		{"F13 iat now-61s (max age 60s)", claim(func(p map[string]any, now time.Time) { p["iat"] = now.Add(-61 * time.Second).Unix() })},
		{"F14 iat now+61s", claim(func(p map[string]any, now time.Time) { p["iat"] = now.Add(61 * time.Second).Unix() })},
		{"F14 iat now+11s (future skew 10s)", claim(func(p map[string]any, now time.Time) { p["iat"] = now.Add(11 * time.Second).Unix() })},
		{"F16 iat as a string", claim(func(p map[string]any, now time.Time) { p["iat"] = fmt.Sprint(now.Unix()) })},
		{"F16 iat as a float", claim(func(p map[string]any, now time.Time) { p["iat"] = float64(now.Unix()) + 0.5 })},
		{"F16 iat negative", set("iat", -1)},
		{"F16 iat null", set("iat", nil)},
		// RFC 7519 §4.1.4: an exp, when present, is honoured (10 s leeway, as for iat).
		{"exp now-11s", claim(func(p map[string]any, now time.Time) { p["exp"] = now.Add(-11 * time.Second).Unix() })},
		{"exp now-10min", claim(func(p map[string]any, now time.Time) { p["exp"] = now.Add(-10 * time.Minute).Unix() })},
		{"exp as a string", claim(func(p map[string]any, now time.Time) { p["exp"] = fmt.Sprint(now.Add(time.Minute).Unix()) })},
		{"exp null", set("exp", nil)},
		{"exp an object", set("exp", map[string]any{"t": 1})},
		{"F17 jti missing", del("jti")},
		{"F17 jti empty", set("jti", "")},
		{"F17 jti not a string", set("jti", 12345)},
		{"F20 jti of 16 KiB", set("jti", strings.Repeat("j", 16<<10))},
		{"F20 jti of 1 KiB (under the proof size cap)", set("jti", strings.Repeat("j", 1<<10))},
	}
	dpRunRefused(t, ts, cases)
}

// TestDPoPProofAccepted holds the positive controls of sections F and H:
// proofs that look unusual but are valid.
func TestDPoPProofAccepted(t *testing.T) {
	ts := newTestServer(t)
	cases := []struct {
		name   string
		mutate func(h, p map[string]any, now time.Time)
	}{
		{"F10 htu with an upper-case scheme", func(_, p map[string]any, _ time.Time) {
			p["htu"] = "HTTP" + strings.TrimPrefix(ts.TokenURL(), "http")
		}},
		{"F15 iat now+10s", func(_, p map[string]any, now time.Time) { p["iat"] = now.Add(10 * time.Second).Unix() }},
		{"F05 htu with a query (DPOP-12: ignored)", func(_, p map[string]any, _ time.Time) { p["htu"] = ts.TokenURL() + "?grant_type=x" }},
		{"F05 htu with an empty query", func(_, p map[string]any, _ time.Time) { p["htu"] = ts.TokenURL() + "?" }},
		{"F06 htu with a fragment", func(_, p map[string]any, _ time.Time) { p["htu"] = ts.TokenURL() + "#frag" }},
		{"DPOP-12 htu with a query and a fragment", func(_, p map[string]any, _ time.Time) { p["htu"] = ts.TokenURL() + "?x=1#y" }},
		{"exp now+60s", func(_, p map[string]any, now time.Time) { p["exp"] = now.Add(time.Minute).Unix() }},
		{"exp now-9s (within the 10 s leeway)", func(_, p map[string]any, now time.Time) { p["exp"] = now.Add(-9 * time.Second).Unix() }},
		{"exp with a fraction", func(_, p map[string]any, now time.Time) { p["exp"] = float64(now.Add(time.Minute).Unix()) + 0.25 }},
		{"F22 ath claim at the token endpoint is ignored", func(_, p map[string]any, _ time.Time) {
			sum := sha256.Sum256([]byte("some-access-token"))
			p["ath"] = base64.RawURLEncoding.EncodeToString(sum[:])
		}},
		{"H14 jwk with kid, use and alg members", func(h, _ map[string]any, _ time.Time) {
			j := h["jwk"].(map[string]any)
			j["kid"], j["use"], j["alg"] = "wallet-key-1", "sig", "ES256"
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWallet(t)
			p := dpMutate(t, ts, w, func(h, p map[string]any) { tc.mutate(h, p, ts.Clock.Now()) })
			// H14: cnf.jkt is the RFC 7638 thumbprint of the bare key.
			dpWantDPoPToken(t, ts.redeem(t, code(ts.offer(t, nil)), p, nil), dpThumbprint(t, &w.Key.PublicKey))
		})
	}
}

// TestDPoPSizeCaps covers DPOP-16 and F20 at the HTTP level: the proof and
// its jti are bounded.
func TestDPoPSizeCaps(t *testing.T) {
	ts := newTestServer(t)
	t.Run("proof of exactly 8 KiB accepted", func(t *testing.T) {
		w := newWallet(t)
		dpWantDPoPToken(t, ts.redeem(t, code(ts.offer(t, nil)), dpSizedProof(t, ts, w, 8192), nil), w.JKT)
	})
	dpRunRefused(t, ts, []dpProofCase{
		{"proof of 8 KiB + 1 byte", func(t *testing.T, ts *testServer, w *wallet) string {
			return dpSizedProof(t, ts, w, 8193)
		}},
		{"proof header over 8 KiB", func(t *testing.T, ts *testServer, w *wallet) string {
			return dpMutate(t, ts, w, func(h, _ map[string]any) { h["x-pad"] = strings.Repeat("h", 8<<10) })
		}},
		{"F20 jti of 16 KiB", func(t *testing.T, ts *testServer, w *wallet) string {
			return dpMutate(t, ts, w, func(_, p map[string]any) { p["jti"] = strings.Repeat("j", 16<<10) })
		}},
	})
}

// TestDPoPForwardedHeaders covers A10: htu is compared with the configured
// public URL, never with what request headers claim.
func TestDPoPForwardedHeaders(t *testing.T) {
	ts := newTestServer(t)
	forwarded := func(r *http.Request) {
		r.Header.Set("X-Forwarded-Host", "evil.example")
		r.Header.Set("X-Forwarded-Proto", "https")
	}
	t.Run("A10 X-Forwarded-Host with a matching htu", func(t *testing.T) {
		w := newWallet(t)
		o := ts.offer(t, nil)
		p := dpSign(t, ts, w.Key, "ES256", dpop.Claims{URL: "https://evil.example/token"})
		r := dpRedeemRaw(ts, code(o), p, forwarded)
		if r.err != nil {
			t.Fatal(r.err)
		}
		if r.status != http.StatusBadRequest || r.errorCode() != dpInvalidProof {
			t.Fatalf("got %d %s; want 400 %s", r.status, r.body, dpInvalidProof)
		}
		dpStillRedeems(t, ts, code(o), "")
	})
	t.Run("A10 Host header with a matching htu", func(t *testing.T) {
		w := newWallet(t)
		o := ts.offer(t, nil)
		p := dpSign(t, ts, w.Key, "ES256", dpop.Claims{URL: "http://evil.example/token"})
		r := dpRedeemRaw(ts, code(o), p, func(r *http.Request) { r.Host = "evil.example" })
		if r.err != nil {
			t.Fatal(r.err)
		}
		if r.status != http.StatusBadRequest || r.errorCode() != dpInvalidProof {
			t.Fatalf("got %d %s; want 400 %s", r.status, r.body, dpInvalidProof)
		}
		dpStillRedeems(t, ts, code(o), "")
	})
	t.Run("A10 control: X-Forwarded-Host does not break a proof for the public URL", func(t *testing.T) {
		w := newWallet(t)
		r := dpRedeemRaw(ts, code(ts.offer(t, nil)), dpProof(t, ts, w, ""), forwarded)
		if r.err != nil {
			t.Fatal(r.err)
		}
		if r.status != http.StatusOK {
			t.Fatalf("got %d %s; want 200", r.status, r.body)
		}
	})
}
