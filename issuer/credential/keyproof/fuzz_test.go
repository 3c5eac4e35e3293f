package keyproof

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"issuer/dpop"
)

// FuzzVerify: any string gives a proof or an error wrapping one code,
// never a panic; an accepted proof satisfies, by an independent parse, the
// rules of Appendix F.1.
func FuzzVerify(f *testing.F) {
	fx := newFixture(f)
	k := keys(f)
	f.Add(fx.valid(f))
	f.Add(sign(f, k.ed, "EdDSA", header(f, k.ed, "EdDSA"), fx.claims()))
	f.Add(sign(f, k.rsa2048, "PS256", header(f, k.rsa2048, "PS256"), fx.claims()))
	leaf := certificate(f, k.p384.Public(), k.p384, nil, "Wallet key", false)
	f.Add(sign(f, k.p384, "ES384", map[string]any{"typ": Type, "alg": "ES384", "x5c": x5c(leaf)}, fx.claims()))
	h := header(f, k.p256, "ES256")
	h["kid"] = "k"
	f.Add(sign(f, k.p256, "ES256", h, fx.claims()))
	f.Add(enc(`{"typ":"openid4vci-proof+jwt","alg":"none","jwk":{"kty":"EC"}}`) + "." + enc(`{}`) + ".")
	f.Add(enc(`{"typ":"openid4vci-proof+jwt","alg":"ES256","jwk":{"kty":"EC","crv":"P-256","x":"AA","y":"AA","d":"AA"}}`) + "." + enc(`{"iat":1e400}`) + ".AA")
	f.Add("a.b.c")
	f.Add("")
	wp := newWalletProvider(f)
	att := wp.attestation(f, wp.attestationHeader(), fx.attestationClaims(f, k.p256.Public(), k.ed.Public()))
	f.Add(fx.attestedProof(f, k.p256, "ES256", "0", att))
	fx.v = newAttestationFixture(f, wp).v
	f.Fuzz(func(t *testing.T, raw string) {
		p, err := fx.verify(raw)
		if err != nil {
			if errors.Is(err, ErrInvalidProof) == errors.Is(err, ErrInvalidNonce) {
				t.Fatalf("Verify() = %v; want exactly one code", err)
			}
			return
		}
		checkAccepted(t, fx, raw, p)
	})
}

// checkAccepted checks an accepted proof with encoding/json and jwx
// rather than the package's parser.
func checkAccepted(t *testing.T, fx *fixture, raw string, p Proof) {
	t.Helper()
	parts := strings.Split(raw, ".")
	hb, err1 := base64.RawURLEncoding.DecodeString(parts[0])
	pb, err2 := base64.RawURLEncoding.DecodeString(parts[1])
	var hdr struct {
		Typ string         `json:"typ"`
		Alg string         `json:"alg"`
		JWK map[string]any `json:"jwk"`
	}
	var claims map[string]any
	if len(parts) != 3 || err1 != nil || err2 != nil || json.Unmarshal(hb, &hdr) != nil || json.Unmarshal(pb, &claims) != nil {
		t.Fatalf("accepted %q, which encoding/json cannot read", raw)
	}
	if hdr.Typ != Type || claims["aud"] != testAud || claims["nonce"] == nil || claims["iss"] != nil {
		t.Fatalf("accepted typ %q, aud %v, nonce %v, iss %v", hdr.Typ, claims["aud"], claims["nonce"], claims["iss"])
	}
	for _, m := range privateMembers {
		if _, ok := hdr.JWK[m]; ok {
			t.Fatalf("accepted a jwk with %q", m)
		}
	}
	var ok bool
	switch hdr.Alg {
	case "ES256", "ES384", "ES512":
		_, ok = p.Key.Public.(*ecdsa.PublicKey)
	case "PS256", "PS384", "PS512", "RS256", "RS384", "RS512":
		_, ok = p.Key.Public.(*rsa.PublicKey)
	case "EdDSA":
		_, ok = p.Key.Public.(ed25519.PublicKey)
	}
	if !ok {
		t.Fatalf("accepted alg %q with a %T key", hdr.Alg, p.Key.Public)
	}
	if err := dpop.CheckPublicKey(p.Key.Public); err != nil {
		t.Fatalf("accepted a key dpop.CheckPublicKey refuses: %v", err)
	}
	if jkt, err := dpop.Thumbprint(p.Key.Public); err != nil || jkt != p.Key.Thumbprint {
		t.Fatalf("Key.Thumbprint = %q; dpop.Thumbprint = %q, %v", p.Key.Thumbprint, jkt, err)
	}
	if _, err := fx.v.Verify(context.Background(), raw, Expect{Algs: []string{"none", "HS256"}}); err == nil {
		t.Fatal("accepted the proof with only none and HS256 allowed")
	}
	if p.Attestation != nil && (p.Attestation.Provider == "" || !slices.ContainsFunc(p.AttestedKeys, func(k Key) bool { return k.Thumbprint == p.Key.Thumbprint })) {
		t.Fatalf("accepted a key attestation of provider %q whose keys lack the proof's", p.Attestation.Provider)
	}
}

// FuzzVerifyAttestation: any string gives attested keys or an error
// wrapping one code, never a panic; accepted keys pass the key policy.
func FuzzVerifyAttestation(f *testing.F) {
	k := keys(f)
	wp := newWalletProvider(f)
	fx := newAttestationFixture(f, wp)
	f.Add(wp.attestation(f, wp.attestationHeader(), fx.attestationClaims(f, k.p256.Public(), k.ed.Public())))
	f.Add(enc(`{"typ":"key-attestation+jwt","alg":"ES256","x5c":["AAAA"]}`) + "." + enc(`{"attested_keys":[{"kty":"EC"}],"iat":1e400}`) + ".AA")
	f.Add("")
	f.Fuzz(func(t *testing.T, raw string) {
		a, err := fx.v.VerifyAttestation(context.Background(), raw, Expect{Algs: allAlgs})
		if err != nil {
			if errors.Is(err, ErrInvalidProof) == errors.Is(err, ErrInvalidNonce) {
				t.Fatalf("VerifyAttestation() = %v; want exactly one code", err)
			}
			return
		}
		if len(a.Keys) == 0 || a.Attestation.Provider == "" {
			t.Fatalf("accepted an attestation of %d keys from provider %q", len(a.Keys), a.Attestation.Provider)
		}
		for _, key := range a.Keys {
			if err := dpop.CheckPublicKey(key.Public); err != nil {
				t.Fatalf("accepted an attested key dpop.CheckPublicKey refuses: %v", err)
			}
		}
	})
}

// FuzzParseObject checks parseObject against a reference built on
// json.Decoder's tokens, which sees every member name, duplicates
// included.
func FuzzParseObject(f *testing.F) {
	for _, s := range []string{
		`{}`, ` {"a" : "b" } `, `{"a":1,"a":2}`, `{"a":{"b":[1,"]},",{"c":null}]},"d":true}`,
		`{"\u0061":"x","a":"y"}`, `{"k":"\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00,"}`, `[1]`, `{"a":1}x`,
		"{\"a\":\"\xff\"}", `null`, `{"a":[{},{}],"b":{"c":{"d":[]}}}`, `{"\\":","}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := parseObject(data)
		want, ok := referenceObject(data)
		if (err == nil) != ok {
			t.Fatalf("parseObject(%q) error = %v; reference accepts: %v", data, err, ok)
		}
		if err != nil {
			return
		}
		if len(got) != len(want) {
			t.Fatalf("parseObject(%q) = %d members; reference %d", data, len(got), len(want))
		}
		for name, v := range want {
			if string(got[name]) != string(v) {
				t.Fatalf("parseObject(%q)[%q] = %q; reference %q", data, name, got[name], v)
			}
		}
	})
}

// referenceObject parses data with json.Decoder, refusing duplicates.
func referenceObject(data []byte) (map[string]json.RawMessage, bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, false
	}
	m := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		name, ok := tok.(string)
		if _, dup := m[name]; err != nil || !ok || dup {
			return nil, false
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, false
		}
		m[name] = v
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false
	}
	return m, true
}
