package keyproof

import (
	"context"
	"strings"
	"testing"
)

func TestVerifyShape(t *testing.T) {
	f := newFixture(t)
	valid := f.valid(t)
	parts := strings.Split(valid, ".")
	h, p, s := parts[0], parts[1], parts[2]
	for name, raw := range map[string]string{
		"empty":              "",
		"two parts":          h + "." + p,
		"four parts":         valid + "." + s,
		"empty signature":    h + "." + p + ".",
		"empty header":       "." + p + "." + s,
		"empty payload":      h + ".." + s,
		"padded header":      h + "==." + p + "." + s,
		"standard base64":    strings.NewReplacer("-", "+", "_", "/").Replace(h) + "x+/." + p + "." + s,
		"whitespace":         h + " ." + p + "." + s,
		"two proofs":         valid + "," + valid,
		"JSON serialization": `{"protected":"` + h + `","payload":"` + p + `","signature":"` + s + `"}`,
		"trailing bits":      h + "." + p + "." + s[:len(s)-1] + flipLastBit(s),
		"too large":          h + "." + p + strings.Repeat("A", maxProofSize) + "." + s,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := f.verify(raw)
			want := errCompact
			if name == "too large" {
				want = errTooLarge
			}
			wantProofErr(t, err, want)
		})
	}
}

// flipLastBit changes the unused low bits of the last character of a
// base64url text of 64 bytes (an ES256 signature: 86 characters, the
// last one carrying 2 unused bits).
func flipLastBit(s string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	i := strings.IndexByte(alphabet, s[len(s)-1])
	return string(alphabet[i^1])
}

func TestVerifyJSON(t *testing.T) {
	f := newFixture(t)
	key := keys(t).p256
	hdr := mustJSON(t, header(t, key, "ES256"))
	payload := mustJSON(t, f.claims())
	for _, c := range []struct {
		name, header, payload string
		want                  error
	}{
		{"header not JSON", "{", payload, errHeaderJSON},
		{"header an array", `[1]`, payload, errHeaderJSON},
		{"header trailing data", hdr + `{}`, payload, errHeaderJSON},
		{"duplicate typ", `{"typ":"JWT",` + hdr[1:], payload, errHeaderJSON},
		{"payload not JSON", hdr, "nope", errPayloadJSON},
		{"payload a string", hdr, `"x"`, errPayloadJSON},
		{"duplicate aud", hdr, `{"aud":"https://as.example.com",` + payload[1:], errPayloadJSON},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.verify(forge(t, key, "ES256", c.header, c.payload))
			wantProofErr(t, err, c.want)
		})
	}
	t.Run("escaped names are the same name", func(t *testing.T) {
		_, err := f.verify(forge(t, key, "ES256", hdr, `{"\u0061ud":"x",`+payload[1:]))
		wantProofErr(t, err, errPayloadJSON)
	})
}

func TestVerifyTyp(t *testing.T) {
	f := newFixture(t)
	key := keys(t).p256
	for name, typ := range map[string]any{
		"JWT":             "JWT",
		"dpop+jwt":        "dpop+jwt",
		"upper case":      "OPENID4VCI-PROOF+JWT",
		"application/":    "application/openid4vci-proof+jwt",
		"key attestation": "key-attestation+jwt",
		"a number":        1,
		"null":            nil,
	} {
		t.Run(name, func(t *testing.T) {
			h := header(t, key, "ES256")
			h["typ"] = typ
			_, err := f.verify(sign(t, key, "ES256", h, f.claims()))
			wantProofErr(t, err, errTyp)
		})
	}
	t.Run("missing", func(t *testing.T) {
		h := header(t, key, "ES256")
		delete(h, "typ")
		_, err := f.verify(sign(t, key, "ES256", h, f.claims()))
		wantProofErr(t, err, errTyp)
	})
	t.Run("crit", func(t *testing.T) {
		h := header(t, key, "ES256")
		h["crit"] = []string{"exp"}
		_, err := f.verify(sign(t, key, "ES256", h, f.claims()))
		wantProofErr(t, err, errCrit)
	})
}

func TestVerifyAlg(t *testing.T) {
	k := keys(t)
	f := newFixture(t)
	verifyWith := func(raw string, algs []string) error {
		_, err := f.v.Verify(context.Background(), raw, Expect{Algs: algs})
		return err
	}
	es256 := sign(t, k.p256, "ES256", header(t, k.p256, "ES256"), f.claims())
	t.Run("not in the configuration", func(t *testing.T) {
		wantProofErr(t, verifyWith(es256, []string{"ES384", "EdDSA"}), errAlg)
	})
	t.Run("empty configuration refuses everything", func(t *testing.T) {
		wantProofErr(t, verifyWith(es256, nil), errNoAlgs)
		wantProofErr(t, verifyWith(es256, []string{}), errNoAlgs)
	})
	t.Run("in the configuration", func(t *testing.T) {
		if err := verifyWith(es256, []string{"EdDSA", "ES256"}); err != nil {
			t.Fatalf("Verify() = %v", err)
		}
	})
	t.Run("HS256 even when configured", func(t *testing.T) {
		h := header(t, k.p256, "HS256")
		raw := forge(t, []byte("a secret of at least 32 bytes, for HS256"), "HS256", mustJSON(t, h), mustJSON(t, f.claims()))
		wantProofErr(t, verifyWith(raw, []string{"HS256", "ES256"}), errAlg)
	})
	t.Run("none even when configured", func(t *testing.T) {
		h := header(t, k.p256, "none")
		raw := enc(mustJSON(t, h)) + "." + enc(mustJSON(t, f.claims())) + ".AA"
		wantProofErr(t, verifyWith(raw, []string{"none", "ES256"}), errAlg)
	})
	t.Run("case matters", func(t *testing.T) {
		h := header(t, k.p256, "es256")
		raw := forge(t, k.p256, "ES256", mustJSON(t, h), mustJSON(t, f.claims()))
		wantProofErr(t, verifyWith(raw, allAlgs), errAlg)
	})
	for name, alg := range map[string]any{"missing": nil, "a number": 256, "an array": []string{"ES256"}} {
		t.Run(name, func(t *testing.T) {
			h := header(t, k.p256, "ES256")
			if alg == nil {
				delete(h, "alg")
			} else {
				h["alg"] = alg
			}
			raw := forge(t, k.p256, "ES256", mustJSON(t, h), mustJSON(t, f.claims()))
			wantProofErr(t, verifyWith(raw, allAlgs), errAlgType)
		})
	}
}

func TestVerifyKeyHeaders(t *testing.T) {
	k := keys(t)
	f := newFixture(t)
	leaf := certificate(t, k.p256.Public(), k.p256, nil, "Wallet key", false)
	jwkOf := publicJWK(t, k.p256.Public())
	for _, c := range []struct {
		name string
		set  map[string]any
		want error
	}{
		{"none", map[string]any{}, errKeyCount},
		{"jwk and kid", map[string]any{"jwk": jwkOf, "kid": "did:example:123#key-1"}, errKeyCount},
		{"jwk and x5c", map[string]any{"jwk": jwkOf, "x5c": x5c(leaf)}, errKeyCount},
		{"kid and x5c", map[string]any{"kid": "k", "x5c": x5c(leaf)}, errKeyCount},
		{"all three", map[string]any{"jwk": jwkOf, "kid": "k", "x5c": x5c(leaf)}, errKeyCount},
		{"kid", map[string]any{"kid": "did:example:123#key-1"}, errKid},
		{"null kid", map[string]any{"kid": nil}, errKid},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := map[string]any{"typ": Type, "alg": "ES256"}
			for name, v := range c.set {
				h[name] = v
			}
			_, err := f.verify(sign(t, k.p256, "ES256", h, f.claims()))
			wantProofErr(t, err, c.want)
		})
	}
	t.Run("kid message", func(t *testing.T) {
		h := map[string]any{"typ": Type, "alg": "ES256", "kid": "did:jwk:x"}
		_, err := f.verify(sign(t, k.p256, "ES256", h, f.claims()))
		if d := description(err); d != "key identifiers (kid, e.g. DIDs) are not supported: send the key as jwk" {
			t.Fatalf("description %q", d)
		}
	})
}
