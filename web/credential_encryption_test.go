package web_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"maps"
	"net/http"
	"testing"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwe"

	"issuer/e2e/interop"
	"issuer/issuer"
	"issuer/issuer/schema"
)

// encKey is a wallet's response encryption key: the private key and its
// public JWK as the request carries it.
type encKey struct {
	priv *ecdsa.PrivateKey
	jwk  map[string]any
}

func newEncKey(t testing.TB, kid string) encKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub := publicJWK(&k.PublicKey)
	pub["alg"], pub["use"] = "ECDH-ES", "enc"
	if kid != "" {
		pub["kid"] = kid
	}
	return encKey{priv: k, jwk: pub}
}

// privateJWK is the key as a private JWK (for jose).
func (k encKey) privateJWK() map[string]any {
	out := maps.Clone(k.jwk)
	var d [32]byte
	k.priv.D.FillBytes(d[:])
	out["d"] = base64.RawURLEncoding.EncodeToString(d[:])
	return out
}

// encWantJWE asserts an encrypted 200 or 202 answer and returns the
// compact JWE.
func encWantJWE(t testing.TB, res *http.Response, status int) string {
	t.Helper()
	body := readBody(t, res)
	if res.StatusCode != status || res.Header.Get("Content-Type") != "application/jwt" {
		t.Fatalf("response = %d %s %.80s; want %d application/jwt", res.StatusCode, res.Header.Get("Content-Type"), body, status)
	}
	if res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control = %q; want no-store", res.Header.Get("Cache-Control"))
	}
	return string(body)
}

// encOpen decrypts a JWE with jwx and returns its header and JSON payload.
func encOpen(t testing.TB, k encKey, raw string) (jwe.Headers, map[string]any) {
	t.Helper()
	msg := jwe.NewMessage()
	plain, err := jwe.Decrypt([]byte(raw), jwe.WithKey(jwa.ECDH_ES, k.priv), jwe.WithMessage(msg))
	if err != nil {
		t.Fatalf("jwe.Decrypt: %v", err)
	}
	var out map[string]any
	if err := json.Unmarshal(plain, &out); err != nil {
		t.Fatalf("plaintext %q: %v", plain, err)
	}
	if vs, err := schema.ValidateJSON("credential-response", plain); err != nil || len(vs) > 0 {
		t.Errorf("the plaintext fails the schema credential-response: %v %v", vs, err)
	}
	return msg.ProtectedHeaders(), out
}

// TestCredentialEncrypted: credential_response_encryption gives an
// application/jwt JWE (ECDH-ES, the asked enc, the key's kid) whose
// plaintext is the credential response; jwx and jose both decrypt it.
func TestCredentialEncrypted(t *testing.T) {
	ts := newTestServer(t)
	for _, enc := range []string{"A128GCM", "A256GCM"} {
		t.Run(enc, func(t *testing.T) {
			h := ts.crHolderFor(t, "erika", nil, pidConfig)
			k := newEncKey(t, "wallet-enc-1")
			body := crBody(h.identifier(t, pidConfig), ts.crFreshProof(t, crNewKey(t)))
			body["credential_response_encryption"] = map[string]any{"jwk": k.jwk, "enc": enc}
			raw := encWantJWE(t, ts.crRequest(t, h, body), http.StatusOK)
			hdr, payload := encOpen(t, k, raw)
			if hdr.Algorithm() != jwa.ECDH_ES || hdr.ContentEncryption().String() != enc || hdr.KeyID() != "wallet-enc-1" {
				t.Errorf("JWE header alg %s enc %s kid %q; want ECDH-ES %s wallet-enc-1", hdr.Algorithm(), hdr.ContentEncryption(), hdr.KeyID(), enc)
			}
			creds, _ := payload["credentials"].([]any)
			if len(creds) != 1 || payload["notification_id"] == nil {
				t.Fatalf("plaintext %v; want one credential and a notification_id", payload)
			}
			cred, _ := creds[0].(map[string]any)["credential"].(string)
			crVerifySDJWT(t, ts, cred)

			var verdict struct {
				OK      bool           `json:"ok"`
				Error   string         `json:"error"`
				Header  map[string]any `json:"header"`
				Payload map[string]any `json:"payload"`
			}
			interop.Run(t, "decrypt-jwe.mjs", mustJSON(t, map[string]any{"jwe": raw, "jwk": k.privateJWK()}), &verdict)
			if !verdict.OK || verdict.Header["kid"] != "wallet-enc-1" || verdict.Header["enc"] != enc || verdict.Payload["notification_id"] != payload["notification_id"] {
				t.Errorf("jose: %+v", verdict)
			}
		})
	}
	t.Run("without kid", func(t *testing.T) {
		h := ts.crHolderFor(t, "erika", nil, pidConfig)
		k := newEncKey(t, "")
		body := crBody(h.identifier(t, pidConfig), ts.crFreshProof(t, crNewKey(t)))
		body["credential_response_encryption"] = map[string]any{"jwk": k.jwk, "enc": "A128GCM"}
		hdr, _ := encOpen(t, k, encWantJWE(t, ts.crRequest(t, h, body), http.StatusOK))
		if _, ok := hdr.Get("kid"); ok {
			t.Errorf("JWE header has a kid; the key had none")
		}
	})
}

// mustJSON encodes v.
func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCredentialEncryptionRefused: each bad credential_response_encryption
// is 400 invalid_encryption_parameters in plain JSON, and nothing is
// spent: the same proof then gets its credential.
func TestCredentialEncryptionRefused(t *testing.T) {
	ts := newTestServer(t)
	h := ts.crHolderFor(t, "erika", nil, pidConfig)
	id := h.identifier(t, pidConfig)
	proof := ts.crFreshProof(t, crNewKey(t))
	good := newEncKey(t, "k")
	with := func(mod func(jwk map[string]any)) map[string]any {
		k := maps.Clone(good.jwk)
		mod(k)
		return k
	}
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	offCurve := with(func(k map[string]any) { k["y"] = k["x"] })
	for name, enc := range map[string]any{
		"not an object":  "ECDH-ES",
		"no jwk":         map[string]any{"enc": "A128GCM"},
		"no enc":         map[string]any{"jwk": good.jwk},
		"enc A192GCM":    map[string]any{"jwk": good.jwk, "enc": "A192GCM"},
		"enc not string": map[string]any{"jwk": good.jwk, "enc": 1},
		"zip":            map[string]any{"jwk": good.jwk, "enc": "A128GCM", "zip": "DEF"},
		"private jwk":    map[string]any{"jwk": with(func(k map[string]any) { k["d"] = good.privateJWK()["d"] }), "enc": "A128GCM"},
		"no alg":         map[string]any{"jwk": with(func(k map[string]any) { delete(k, "alg") }), "enc": "A128GCM"},
		"alg RSA-OAEP":   map[string]any{"jwk": with(func(k map[string]any) { k["alg"] = "RSA-OAEP-256" }), "enc": "A128GCM"},
		"alg ECDH-ES+KW": map[string]any{"jwk": with(func(k map[string]any) { k["alg"] = "ECDH-ES+A128KW" }), "enc": "A128GCM"},
		"use sig":        map[string]any{"jwk": with(func(k map[string]any) { k["use"] = "sig" }), "enc": "A128GCM"},
		"P-384":          map[string]any{"jwk": func() map[string]any { k := dpJWK(t, p384.Public()); k["alg"] = "ECDH-ES"; return k }(), "enc": "A128GCM"},
		"octet key":      map[string]any{"jwk": map[string]any{"kty": "oct", "k": "AAAA", "alg": "ECDH-ES"}, "enc": "A128GCM"},
		"off the curve":  map[string]any{"jwk": offCurve, "enc": "A128GCM"},
		"jwk not a JWK":  map[string]any{"jwk": "key", "enc": "A128GCM"},
	} {
		t.Run(name, func(t *testing.T) {
			body := crBody(id, proof)
			body["credential_response_encryption"] = enc
			crWantError(t, ts.crRequest(t, h, body), http.StatusBadRequest, "invalid_encryption_parameters")
		})
	}
	crWantCredentials(t, ts.crRequest(t, h, crBody(id, proof)), 1)
}

// TestCredentialEncryptionRequired: with credential.require_encryption a
// request without credential_response_encryption is refused; one with it
// is answered.
func TestCredentialEncryptionRequired(t *testing.T) {
	ts := newTestServer(t, func(c *issuer.Config) { c.Credential.RequireEncryption = true })
	h := ts.crHolderFor(t, "erika", nil, pidConfig)
	id := h.identifier(t, pidConfig)
	proof := ts.crFreshProof(t, crNewKey(t))
	if d := crWantError(t, ts.crRequest(t, h, crBody(id, proof)), http.StatusBadRequest, "invalid_encryption_parameters"); d == "" {
		t.Fatal("no description")
	}
	k := newEncKey(t, "k")
	body := crBody(id, proof)
	body["credential_response_encryption"] = map[string]any{"jwk": k.jwk, "enc": "A256GCM"}
	encOpen(t, k, encWantJWE(t, ts.crRequest(t, h, body), http.StatusOK))
}
