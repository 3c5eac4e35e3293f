package dpop

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"
)

// verifyCase is one Verify test: the proof, optional changes to the
// baseline Input and Options, and the wanted error (nil: must pass).
type verifyCase struct {
	name  string
	proof func(t *testing.T) string
	input func(in *Input)
	opts  Options
	want  error
}

func runVerifyCases(t *testing.T, cases []verifyCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := newTestVerifier(t, tc.opts)
			in := baseInput(tc.proof(t))
			if tc.input != nil {
				tc.input(&in)
			}
			p, err := v.Verify(context.Background(), in)
			switch {
			case tc.want == nil && err != nil:
				t.Fatalf("Verify() error = %v; want nil", err)
			case tc.want != nil && !errors.Is(err, tc.want):
				t.Fatalf("Verify() error = %v; want %v", err, tc.want)
			case tc.want != nil && !errors.Is(err, ErrInvalidProof) && !errors.Is(err, ErrUseNonce):
				t.Fatalf("Verify() error = %v; want it to wrap ErrInvalidProof or ErrUseNonce", err)
			case tc.want != nil && p != nil:
				t.Fatalf("Verify() = %+v with error; want nil proof", p)
			}
		})
	}
}

// es256 returns a proof builder for the baseline ES256 proof after edit
// changes its header and payload maps.
func es256(edit func(t *testing.T, h, p map[string]any)) func(t *testing.T) string {
	return func(t *testing.T) string {
		key := keys(t).p256
		h, p := baseHeader(t, key), basePayload()
		if edit != nil {
			edit(t, h, p)
		}
		return forgeMaps(t, key, "ES256", h, p)
	}
}

func setHeader(name string, value any) func(t *testing.T) string {
	return es256(func(_ *testing.T, h, _ map[string]any) { h[name] = value })
}

func setClaim(name string, value any) func(t *testing.T) string {
	return es256(func(_ *testing.T, _, p map[string]any) { p[name] = value })
}

func delHeader(name string) func(t *testing.T) string {
	return es256(func(_ *testing.T, h, _ map[string]any) { delete(h, name) })
}

func delClaim(name string) func(t *testing.T) string {
	return es256(func(_ *testing.T, _, p map[string]any) { delete(p, name) })
}

func setJWK(name string, value any) func(t *testing.T) string {
	return es256(func(_ *testing.T, h, _ map[string]any) { h["jwk"].(map[string]any)[name] = value })
}

// fixed returns a builder of a fixed proof computed from the baseline one.
func fixed(f func(valid string) string) func(t *testing.T) string {
	return func(t *testing.T) string { return f(es256(nil)(t)) }
}

// raw returns a builder of a proof with raw header and payload JSON, where
// JWK in the header is replaced by the baseline key's JWK.
func raw(header, payload string) func(t *testing.T) string {
	return func(t *testing.T) string {
		key := keys(t).p256
		header = strings.Replace(header, "JWK", mustJSON(t, jwkMap(t, key.Public())), 1)
		return forge(t, key, "ES256", header, payload)
	}
}

// basePayloadJSON is the baseline payload as JSON text.
var basePayloadJSON = `{"jti":"jti-1","htm":"POST","htu":"` + testURL + `","iat":1700000000}`

func parts(proof string) []string { return strings.Split(proof, ".") }

func TestVerifyAlgorithms(t *testing.T) {
	k := keys(t)
	v := newTestVerifier(t, Options{Algs: allAlgs})
	for _, tc := range []struct {
		alg string
		key crypto.Signer
	}{
		{"ES256", k.p256},
		{"ES384", k.p384},
		{"PS256", k.rsa2048},
		{"RS256", k.rsa2048},
		{"EdDSA", k.ed},
	} {
		t.Run(tc.alg, func(t *testing.T) {
			c := baseClaims()
			c.Nonce = "n-1"
			proof := mustSign(t, tc.key, tc.alg, c)
			p, err := v.Verify(context.Background(), baseInput(proof))
			if err != nil {
				t.Fatalf("Verify() error = %v; want nil", err)
			}
			checkProof(t, v, p, tc.key.Public(), c)
		})
	}
}

// checkProof checks every field of a verified proof.
func checkProof(t *testing.T, v *Verifier, p *Proof, pub crypto.PublicKey, c Claims) {
	t.Helper()
	jkt, err := Thumbprint(pub)
	if err != nil {
		t.Fatalf("Thumbprint() error = %v", err)
	}
	if p.JKT != jkt {
		t.Errorf("Proof.JKT = %q; want %q", p.JKT, jkt)
	}
	if p.JTI != c.JTI || p.Nonce != c.Nonce || !p.IssuedAt.Equal(c.IssuedAt) {
		t.Errorf("Proof = %+v; want jti %q nonce %q iat %v", p, c.JTI, c.Nonce, c.IssuedAt)
	}
	if eq, ok := p.PublicKey.(interface{ Equal(crypto.PublicKey) bool }); !ok || !eq.Equal(pub) {
		t.Errorf("Proof.PublicKey = %v; want %v", p.PublicKey, pub)
	}
	want := sha256.Sum256([]byte(jkt + "\x00" + c.JTI))
	if !bytes.Equal(p.ReplayKey, want[:]) {
		t.Errorf("Proof.ReplayKey = %x; want %x", p.ReplayKey, want)
	}
	if exp := c.IssuedAt.Add(v.maxAge + v.futureSkew); !p.ReplayExpiry.Equal(exp) {
		t.Errorf("Proof.ReplayExpiry = %v; want %v", p.ReplayExpiry, exp)
	}
}

func TestVerifyShape(t *testing.T) {
	runVerifyCases(t, []verifyCase{
		{name: "baseline", proof: es256(nil)},
		{name: "too large", proof: setClaim("pad", strings.Repeat("x", 8192)), want: errTooLarge},
		{name: "two segments", proof: fixed(func(p string) string { s := parts(p); return s[0] + "." + s[1] }), want: errCompact},
		{name: "empty signature", proof: fixed(func(p string) string { s := parts(p); return s[0] + "." + s[1] + "." }), want: errCompact},
		{name: "empty header", proof: fixed(func(p string) string { s := parts(p); return "." + s[1] + "." + s[2] }), want: errCompact},
		{name: "five segments (JWE)", proof: fixed(func(string) string {
			return enc(`{"alg":"dir","enc":"A256GCM"}`) + "..aXY.Y3Q.dGFn"
		}), want: errCompact},
		{name: "valid proof plus two segments", proof: fixed(func(p string) string { return p + ".a.b" }), want: errCompact},
		{name: "comma-joined", proof: fixed(func(p string) string { return p + "," + p }), want: errCompact},
		{name: "comma-space-joined", proof: fixed(func(p string) string { return p + ", " + p }), want: errCompact},
		{name: "padding", proof: fixed(func(p string) string {
			s := parts(p)
			sig, _ := base64.RawURLEncoding.DecodeString(s[2])
			return s[0] + "." + s[1] + "." + base64.URLEncoding.EncodeToString(sig)
		}), want: errCompact},
		{name: "leading space", proof: fixed(func(p string) string { return " " + p }), want: errCompact},
		{name: "trailing newline", proof: fixed(func(p string) string { return p + "\n" }), want: errCompact},
		{name: "inner newline", proof: fixed(func(p string) string { return p[:10] + "\n" + p[10:] }), want: errCompact},
		{name: "standard alphabet", proof: fixed(func(p string) string { return "+" + p[1:] }), want: errCompact},
		{name: "non-zero trailing bits", proof: fixed(func(p string) string {
			s := parts(p) // 64 bytes encode to 86 chars: the last char carries 4 spare bits
			return s[0] + "." + s[1] + "." + s[2][:len(s[2])-1] + "B"
		}), want: errCompact},
		{name: "JSON serialization", proof: fixed(func(p string) string {
			s := parts(p)
			return `{"protected":"` + s[0] + `","payload":"` + s[1] + `","signature":"` + s[2] + `"}`
		}), want: errCompact},
		{name: "header not an object", proof: raw(`["typ"]`, basePayloadJSON), want: errHeaderJSON},
		{name: "header not JSON", proof: raw(`{"typ":"dpop+jwt",}`, basePayloadJSON), want: errHeaderJSON},
		{name: "header trailing data", proof: raw(`{"typ":"dpop+jwt","alg":"ES256","jwk":JWK}{}`, basePayloadJSON), want: errHeaderJSON},
		{name: "payload not an object", proof: raw(`{"typ":"dpop+jwt","alg":"ES256","jwk":JWK}`, `"jti"`), want: errPayloadJSON},
		{name: "payload invalid UTF-8", proof: raw(`{"typ":"dpop+jwt","alg":"ES256","jwk":JWK}`,
			`{"jti":"\xff","htm":"POST","htu":"`+testURL+`","iat":1700000000}`), want: errPayloadJSON},
	})
}

func TestVerifyRequiredMembers(t *testing.T) {
	runVerifyCases(t, []verifyCase{
		{name: "typ missing", proof: delHeader("typ"), want: errMissingTyp},
		{name: "alg missing", proof: delHeader("alg"), want: errMissingAlg},
		{name: "jwk missing", proof: delHeader("jwk"), want: errMissingJWK},
		{name: "jti missing", proof: delClaim("jti"), want: errMissingJTI},
		{name: "jti empty", proof: setClaim("jti", ""), want: errMissingJTI},
		{name: "htm missing", proof: delClaim("htm"), want: errMissingHTM},
		{name: "htu missing", proof: delClaim("htu"), want: errMissingHTU},
		{name: "iat missing", proof: delClaim("iat"), want: errMissingIAT},
		{name: "jti number", proof: setClaim("jti", 42), want: errPayloadTypes},
		{name: "htm array", proof: setClaim("htm", []string{"POST"}), want: errPayloadTypes},
		{name: "nonce number", proof: setClaim("nonce", 1), want: errPayloadTypes},
		{name: "typ number", proof: setHeader("typ", 1), want: errHeaderTypes},
		{name: "jwk string", proof: setHeader("jwk", "key"), want: errHeaderTypes},
		{name: "typ uppercase member name", proof: raw(`{"TYP":"dpop+jwt","alg":"ES256","jwk":JWK}`, basePayloadJSON), want: errMissingTyp},
		{name: "jti too long", proof: setClaim("jti", strings.Repeat("j", 257)), want: errJTITooLong},
		{name: "jti at limit", proof: setClaim("jti", strings.Repeat("j", 256))},
		{name: "jti 16KiB", proof: setClaim("jti", strings.Repeat("j", 16<<10)), want: errTooLarge},
		{name: "jti 16KiB under a larger size cap", proof: setClaim("jti", strings.Repeat("j", 16<<10)),
			opts: Options{MaxProofSize: 64 << 10}, want: errJTITooLong},
		{name: "duplicate header member", proof: raw(`{"typ":"dpop+jwt","alg":"none","alg":"ES256","jwk":JWK}`, basePayloadJSON), want: errHeaderJSON},
		{name: "duplicate payload member", proof: raw(`{"typ":"dpop+jwt","alg":"ES256","jwk":JWK}`,
			`{"jti":"a","htm":"POST","htu":"https://evil.example/token","htu":"`+testURL+`","iat":1700000000}`), want: errPayloadJSON},
		{name: "duplicate via escape", proof: raw(`{"typ":"dpop+jwt","alg":"ES256","jwk":JWK}`,
			`{"jti":"a","htm":"POST","h\u0074m":"GET","htu":"`+testURL+`","iat":1700000000}`), want: errPayloadJSON},
		{name: "duplicate jwk member", proof: raw(`{"typ":"dpop+jwt","alg":"ES256","jwk":{"kty":"EC","kty":"EC"}}`, basePayloadJSON), want: errJWKMalformed},
		{name: "escaped values", proof: raw(`{"typ":"dpop\u002bjwt","alg":"ES256","jwk":JWK}`,
			`{"jti":"\u006a","htm":"POST","htu":"https:\/\/as.example.com\/token","iat":1700000000}`)},
		{name: "unknown members and whitespace", proof: raw(" {\"typ\" : \"dpop+jwt\",\n\"alg\":\"ES256\",\"x\":[{\"}\":\"]\"}],\"jwk\":JWK} ",
			`{"jti":"a","htm":"POST","htu":"`+testURL+`","iat":1700000000,"extra":{"a":[1,2,{"b":null}]}}`)},
	})
}

func TestVerifyHeader(t *testing.T) {
	hmacProof := func(t *testing.T) string {
		key := keys(t).p256
		h := baseHeader(t, key)
		h["alg"] = "HS256"
		input := enc(mustJSON(t, h)) + "." + enc(mustJSON(t, basePayload()))
		x, _ := base64.RawURLEncoding.DecodeString(h["jwk"].(map[string]any)["x"].(string))
		mac := hmac.New(sha256.New, x)
		mac.Write([]byte(input))
		return input + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
	}
	runVerifyCases(t, []verifyCase{
		{name: "typ JWT", proof: setHeader("typ", "JWT"), want: errTyp},
		{name: "typ at+jwt", proof: setHeader("typ", "at+jwt"), want: errTyp},
		{name: "typ dpop+jwt with suffix", proof: setHeader("typ", "dpop+jwt "), want: errTyp},
		{name: "typ application/dpop+jwt", proof: setHeader("typ", "application/dpop+jwt")},
		{name: "typ uppercase", proof: setHeader("typ", "DPoP+JWT")},
		{name: "typ application/ only", proof: setHeader("typ", "application/"), want: errTyp},
		{name: "crit", proof: setHeader("crit", []string{"exp"}), want: errCrit},
		{name: "crit empty", proof: setHeader("crit", []string{}), want: errCrit},
		{name: "alg none with empty signature", proof: fixed(func(p string) string {
			s := parts(p)
			h, _ := base64.RawURLEncoding.DecodeString(s[0])
			return enc(strings.Replace(string(h), "ES256", "none", 1)) + "." + s[1] + "."
		}), want: errCompact},
		{name: "alg none with signature", proof: setHeader("alg", "none"), want: errAlg},
		{name: "alg HS256 keyed with jwk x", proof: hmacProof, want: errAlg},
		{name: "alg ES512 not listed", proof: setHeader("alg", "ES512"), want: errAlg},
		{name: "alg es256 lowercase", proof: setHeader("alg", "es256"), want: errAlg},
		{name: "alg RS256 not listed", proof: func(t *testing.T) string {
			return mustSign(t, keys(t).rsa2048, "RS256", baseClaims())
		}, want: errAlg},
		{name: "kid jku x5u x5c ignored", proof: es256(func(t *testing.T, h, _ map[string]any) {
			h["kid"], h["jku"], h["x5u"], h["x5c"] = "other", "https://evil.example/jwks", "https://evil.example/x5u", []string{"AAAA"}
		})},
	})
}

func TestVerifyJWK(t *testing.T) {
	k := keys(t)
	all := Options{Algs: allAlgs}
	runVerifyCases(t, []verifyCase{
		{name: "ES256 with RSA jwk", proof: es256(func(t *testing.T, h, _ map[string]any) {
			h["jwk"] = jwkMap(t, k.rsa2048.Public())
		}), opts: all, want: errJWKAlgMismatch},
		{name: "ES256 with P-384 jwk", proof: es256(func(t *testing.T, h, _ map[string]any) {
			h["jwk"] = jwkMap(t, k.p384.Public())
		}), opts: all, want: errJWKAlgMismatch},
		{name: "EdDSA with EC jwk", proof: func(t *testing.T) string {
			h := baseHeader(t, k.ed)
			h["alg"], h["jwk"] = "EdDSA", jwkMap(t, k.p256.Public())
			return forgeMaps(t, k.ed, "EdDSA", h, basePayload())
		}, opts: all, want: errJWKAlgMismatch},
		{name: "jwk with d", proof: setJWK("d", base64.RawURLEncoding.EncodeToString(k.p256.D.Bytes())), want: errJWKPrivate},
		{name: "jwk with p", proof: setJWK("p", "AQAB"), want: errJWKPrivate},
		{name: "jwk with k", proof: setJWK("k", "AQAB"), want: errJWKPrivate},
		{name: "kty oct", proof: setHeader("jwk", map[string]any{"kty": "oct", "k": "c2VjcmV0"}), want: errJWKSymmetric},
		{name: "kty missing", proof: setHeader("jwk", map[string]any{"crv": "P-256"}), want: errJWKMalformed},
		{name: "x not a string", proof: setJWK("x", 1), want: errJWKMalformed},
		{name: "x missing", proof: es256(func(_ *testing.T, h, _ map[string]any) { delete(h["jwk"].(map[string]any), "x") }), want: errJWKMalformed},
		{name: "x short", proof: setJWK("x", "AAAA"), want: errJWKMalformed},
		{name: "x with padding", proof: es256(func(_ *testing.T, h, _ map[string]any) {
			j := h["jwk"].(map[string]any)
			j["x"] = j["x"].(string) + "="
		}), want: errJWKMalformed},
		{name: "RSA modulus with escaped newline", proof: func(t *testing.T) string {
			h := baseHeader(t, k.rsa2048)
			h["alg"] = "RS256"
			j := h["jwk"].(map[string]any)
			j["n"] = j["n"].(string)[:20] + "\n" + j["n"].(string)[20:]
			return forgeMaps(t, k.rsa2048, "RS256", h, basePayload())
		}, opts: all, want: errJWKMalformed},
		{name: "off-curve point", proof: es256(func(_ *testing.T, h, _ map[string]any) {
			j := h["jwk"].(map[string]any)
			y, _ := base64.RawURLEncoding.DecodeString(j["y"].(string))
			y[31] ^= 1
			j["y"] = base64.RawURLEncoding.EncodeToString(y)
		}), want: errJWKPoint},
		{name: "coordinate above the field prime", proof: setJWK("x", base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{0xff}, 32))), want: errJWKPoint},
		{name: "zero point", proof: es256(func(_ *testing.T, h, _ map[string]any) {
			zero := base64.RawURLEncoding.EncodeToString(make([]byte, 32))
			h["jwk"].(map[string]any)["x"], h["jwk"].(map[string]any)["y"] = zero, zero
		}), want: errJWKPoint},
		{name: "RSA 1024", proof: func(t *testing.T) string {
			return mustSign(t, k.rsa1024, "RS256", baseClaims())
		}, opts: all, want: errJWKRSASize},
		{name: "RSA modulus with leading zero", proof: func(t *testing.T) string {
			h := baseHeader(t, k.rsa2048)
			h["alg"] = "RS256"
			j := h["jwk"].(map[string]any)
			n, _ := base64.RawURLEncoding.DecodeString(j["n"].(string))
			j["n"] = base64.RawURLEncoding.EncodeToString(append([]byte{0}, n...))
			return forgeMaps(t, k.rsa2048, "RS256", h, basePayload())
		}, opts: all, want: errJWKMalformed},
		{name: "RSA even exponent", proof: func(t *testing.T) string {
			h := baseHeader(t, k.rsa2048)
			h["alg"] = "RS256"
			h["jwk"].(map[string]any)["e"] = "AQAA"
			return forgeMaps(t, k.rsa2048, "RS256", h, basePayload())
		}, opts: all, want: errJWKRSAExponent},
		{name: "Ed25519 short key", proof: func(t *testing.T) string {
			h := baseHeader(t, k.ed)
			h["alg"] = "EdDSA"
			h["jwk"].(map[string]any)["x"] = "AAAA"
			return forgeMaps(t, k.ed, "EdDSA", h, basePayload())
		}, opts: all, want: errJWKMalformed},
		{name: "Ed25519 identity key, forged signature R = identity, S = 0", proof: func(t *testing.T) string {
			return forgedEd25519Proof(t, smallOrderEd25519[2])
		}, opts: all, want: errJWKSmallOrder},
		{name: "Ed25519 point of order 8", proof: func(t *testing.T) string {
			return forgedEd25519Proof(t, smallOrderEd25519[3])
		}, opts: all, want: errJWKSmallOrder},
		{name: "Ed25519 non-canonical identity", proof: func(t *testing.T) string {
			return forgedEd25519Proof(t, nonCanonicalSmallOrderEd25519[4])
		}, opts: all, want: errJWKPoint},
		{name: "extra jwk members", proof: es256(func(_ *testing.T, h, _ map[string]any) {
			j := h["jwk"].(map[string]any)
			j["kid"], j["use"], j["alg"], j["key_ops"] = "k1", "sig", "ES256", []string{"verify"}
		})},
	})
}

func TestVerifySignature(t *testing.T) {
	k := keys(t)
	runVerifyCases(t, []verifyCase{
		{name: "key A embedded, signed by key B", proof: func(t *testing.T) string {
			return forgeMaps(t, k.p256b, "ES256", baseHeader(t, k.p256), basePayload())
		}, want: errSignature},
		{name: "payload changed after signing", proof: fixed(func(p string) string {
			s := parts(p)
			pay, _ := base64.RawURLEncoding.DecodeString(s[1])
			pay = bytes.Replace(pay, []byte("jti-1"), []byte("jti-2"), 1)
			return s[0] + "." + enc(string(pay)) + "." + s[2]
		}), want: errSignature},
		{name: "DER signature", proof: func(t *testing.T) string {
			h, p := enc(mustJSON(t, baseHeader(t, k.p256))), enc(mustJSON(t, basePayload()))
			digest := sha256.Sum256([]byte(h + "." + p))
			der, err := ecdsa.SignASN1(rand.Reader, k.p256, digest[:])
			if err != nil {
				t.Fatal(err)
			}
			return h + "." + p + "." + base64.RawURLEncoding.EncodeToString(der)
		}, want: errSignature},
		{name: "signature truncated", proof: fixed(func(p string) string { return p[:len(p)-2] }), want: errSignature},
		{name: "zero signature", proof: fixed(func(p string) string {
			s := parts(p)
			return s[0] + "." + s[1] + "." + base64.RawURLEncoding.EncodeToString(make([]byte, 64))
		}), want: errSignature},
		{name: "high-S signature accepted", proof: fixed(func(p string) string {
			s := parts(p)
			sig, _ := base64.RawURLEncoding.DecodeString(s[2])
			n := k.p256.Curve.Params().N
			sv := new(big.Int).SetBytes(sig[32:])
			new(big.Int).Sub(n, sv).FillBytes(sig[32:])
			return s[0] + "." + s[1] + "." + base64.RawURLEncoding.EncodeToString(sig)
		})},
	})
}

func TestVerifyHTMAndHTU(t *testing.T) {
	runVerifyCases(t, []verifyCase{
		{name: "htm post", proof: setClaim("htm", "post"), want: errHTM},
		{name: "htm GET", proof: setClaim("htm", "GET"), want: errHTM},
		{name: "request GET", proof: es256(nil), input: func(in *Input) { in.Method = "GET" }, want: errHTM},
		// RFC 9449 §4.3 (9) compares ignoring query and fragment (DPOP-12).
		{name: "htu with query", proof: setClaim("htu", testURL+"?a=b")},
		{name: "htu with empty query", proof: setClaim("htu", testURL+"?")},
		{name: "htu with fragment", proof: setClaim("htu", testURL+"#f")},
		{name: "htu with query and fragment, request with another query", proof: setClaim("htu", testURL+"?x=1#y"),
			input: func(in *Input) { in.URL = testURL + "?z=2" }},
		{name: "htu with query, normalised", proof: setClaim("htu", "HTTPS://AS.Example.com:443/token?a=b")},
		{name: "htu of another endpoint with query", proof: setClaim("htu", "https://as.example.com/par?x=1"), want: errHTUMismatch},
		{name: "htu with query before the path", proof: setClaim("htu", "https://as.example.com?/token"), want: errHTUMismatch},
		{name: "htu only a query", proof: setClaim("htu", "?x=1"), want: errHTUSyntax},
		{name: "htu http", proof: setClaim("htu", "http://as.example.com/token"), want: errHTUMismatch},
		{name: "htu other path", proof: setClaim("htu", "https://as.example.com/authorize"), want: errHTUMismatch},
		{name: "htu /Token", proof: setClaim("htu", "https://as.example.com/Token"), want: errHTUMismatch},
		{name: "htu /token/", proof: setClaim("htu", "https://as.example.com/token/"), want: errHTUMismatch},
		{name: "htu internal host", proof: setClaim("htu", "https://as.internal:8443/token"), want: errHTUMismatch},
		{name: "htu other port", proof: setClaim("htu", "https://as.example.com:8443/token"), want: errHTUMismatch},
		{name: "htu userinfo", proof: setClaim("htu", "https://user@as.example.com/token"), want: errHTUSyntax},
		{name: "htu relative", proof: setClaim("htu", "/token"), want: errHTUSyntax},
		{name: "htu not a URI", proof: setClaim("htu", "https://as.example.com/to ken"), want: errHTUSyntax},
		{name: "htu uppercase host and default port", proof: setClaim("htu", "HTTPS://AS.Example.com:443/token")},
		{name: "htu dot segments and encoding", proof: setClaim("htu", "https://as.example.com/a/../%74oken")},
		{name: "request URL with query and fragment", proof: es256(nil), input: func(in *Input) { in.URL = testURL + "?x=1#y" }},
		{name: "request URL differs only in case", proof: es256(nil), input: func(in *Input) { in.URL = "https://AS.example.COM/token" }},
		{name: "request URL invalid", proof: es256(nil), input: func(in *Input) { in.URL = "as.example.com/token" }, want: errHTUMismatch},
	})
}

func TestVerifyIAT(t *testing.T) {
	at := func(d time.Duration) func(t *testing.T) string { return setClaim("iat", testNow.Add(d).Unix()) }
	runVerifyCases(t, []verifyCase{
		{name: "string", proof: setClaim("iat", "1700000000"), want: errIATType},
		{name: "float", proof: setClaim("iat", 1.5), want: errIATType},
		{name: "integral float", proof: raw(`{"typ":"dpop+jwt","alg":"ES256","jwk":JWK}`,
			`{"jti":"a","htm":"POST","htu":"`+testURL+`","iat":1700000000.0}`), want: errIATType},
		{name: "exponent", proof: raw(`{"typ":"dpop+jwt","alg":"ES256","jwk":JWK}`,
			`{"jti":"a","htm":"POST","htu":"`+testURL+`","iat":17e8}`), want: errIATType},
		{name: "negative", proof: setClaim("iat", -1), want: errIATType},
		{name: "null", proof: setClaim("iat", nil), want: errIATType},
		{name: "huge", proof: raw(`{"typ":"dpop+jwt","alg":"ES256","jwk":JWK}`,
			`{"jti":"a","htm":"POST","htu":"`+testURL+`","iat":99999999999999999999}`), want: errIATType},
		{name: "now-10m", proof: at(-10 * time.Minute), want: errIATOld},
		{name: "now-61s", proof: at(-61 * time.Second), want: errIATOld},
		{name: "now-60s", proof: at(-60 * time.Second)},
		{name: "now+10s", proof: at(10 * time.Second)},
		{name: "now+11s", proof: at(11 * time.Second), want: errIATFuture},
		{name: "now+61s", proof: at(61 * time.Second), want: errIATFuture},
		{name: "now+61s with larger skew", proof: at(61 * time.Second), opts: Options{FutureSkew: time.Minute}, want: errIATFuture},
		{name: "now+60s with larger skew", proof: at(60 * time.Second), opts: Options{FutureSkew: time.Minute}},
	})
}

func TestVerifyEXP(t *testing.T) {
	at := func(d time.Duration) func(t *testing.T) string { return setClaim("exp", testNow.Add(d).Unix()) }
	withEXP := func(exp string) func(t *testing.T) string {
		return raw(`{"typ":"dpop+jwt","alg":"ES256","jwk":JWK}`, `{"jti":"a","htm":"POST","htu":"`+testURL+`","iat":1700000000,"exp":`+exp+`}`)
	}
	runVerifyCases(t, []verifyCase{
		{name: "now+60s", proof: at(time.Minute)},
		{name: "now", proof: at(0)},
		{name: "now-9s, within the clock skew", proof: at(-9 * time.Second)},
		{name: "now-10s", proof: at(-10 * time.Second), want: errEXPPast},
		{name: "now-11s", proof: at(-11 * time.Second), want: errEXPPast},
		{name: "now-10m", proof: at(-10 * time.Minute), want: errEXPPast},
		{name: "now-20s with a larger skew", proof: at(-20 * time.Second), opts: Options{FutureSkew: 30 * time.Second}},
		{name: "fraction", proof: withEXP("1700000030.5")},
		{name: "exponent", proof: withEXP("1.70000003e9")},
		{name: "fraction in the past", proof: withEXP("1699999989.5"), want: errEXPPast},
		{name: "zero", proof: withEXP("0"), want: errEXPPast},
		{name: "negative", proof: withEXP("-1"), want: errEXPPast},
		{name: "huge negative", proof: withEXP("-1e400"), want: errEXPPast},
		{name: "huge", proof: withEXP("1e400")},
		{name: "string", proof: setClaim("exp", "1700000060"), want: errEXPType},
		{name: "null", proof: setClaim("exp", nil), want: errEXPType},
		{name: "bool", proof: setClaim("exp", true), want: errEXPType},
		{name: "object", proof: setClaim("exp", map[string]any{}), want: errEXPType},
	})
}

func TestVerifyNonce(t *testing.T) {
	check := func(in *Input) { in.CheckNonce = func(n string) bool { return n == "good" } }
	runVerifyCases(t, []verifyCase{
		{name: "required and missing", proof: es256(nil), input: check, want: ErrUseNonce},
		{name: "required and wrong", proof: setClaim("nonce", "stale"), input: check, want: ErrUseNonce},
		{name: "required and empty", proof: setClaim("nonce", ""), input: check, want: ErrUseNonce},
		{name: "required and right", proof: setClaim("nonce", "good"), input: check},
		{name: "not in use, nonce ignored", proof: setClaim("nonce", "whatever")},
	})
	t.Run("ErrUseNonce is not ErrInvalidProof", func(t *testing.T) {
		v := newTestVerifier(t, Options{})
		in := baseInput(es256(nil)(t))
		check(&in)
		_, err := v.Verify(context.Background(), in)
		if !errors.Is(err, ErrUseNonce) || errors.Is(err, ErrInvalidProof) {
			t.Fatalf("Verify() error = %v; want ErrUseNonce only", err)
		}
	})
}

func TestVerifyATH(t *testing.T) {
	const token = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU" // RFC 9449 §7.1
	const ath = "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"
	withToken := func(in *Input) { in.AccessToken = token }
	runVerifyCases(t, []verifyCase{
		{name: "missing", proof: es256(nil), input: withToken, want: errMissingATH},
		{name: "wrong", proof: setClaim("ath", "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEA"), input: withToken, want: errATH},
		{name: "hash of another token", proof: setClaim("ath", ath), input: func(in *Input) { in.AccessToken = token + "x" }, want: errATH},
		{name: "padded", proof: setClaim("ath", ath+"="), input: withToken, want: errATH},
		{name: "right (RFC 9449 example)", proof: setClaim("ath", ath), input: withToken},
		{name: "made by Sign", proof: func(t *testing.T) string {
			c := baseClaims()
			c.AccessToken = token
			return mustSign(t, keys(t).p256, "ES256", c)
		}, input: withToken},
		{name: "ignored without access token", proof: setClaim("ath", "anything")},
	})
}

func TestVerifyContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	v := newTestVerifier(t, Options{})
	if _, err := v.Verify(ctx, baseInput(es256(nil)(t))); !errors.Is(err, context.Canceled) {
		t.Fatalf("Verify() error = %v; want %v", err, context.Canceled)
	}
}

func TestVerifyErrorsDoNotEchoInput(t *testing.T) {
	v := newTestVerifier(t, Options{})
	const marker = "ATTACKER<script>"
	for _, proof := range []func(t *testing.T) string{
		setHeader("typ", marker), setHeader("alg", marker), setClaim("htm", marker),
		setClaim("htu", "https://"+marker+"/token"), setClaim("iat", marker),
	} {
		_, err := v.Verify(context.Background(), baseInput(proof(t)))
		if err == nil || strings.Contains(err.Error(), "ATTACKER") {
			t.Errorf("Verify() error = %v; want an error without the input", err)
		}
	}
}

// TestRFC9449Example verifies the proof of RFC 9449 §4.1 (Figure 2), made by
// another implementation, at the time it claims.
func TestRFC9449Example(t *testing.T) {
	const proof = "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ.2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg"
	v := newTestVerifier(t, Options{})
	p, err := v.Verify(context.Background(), Input{
		Proof: proof, Method: "POST", URL: "https://server.example.com/token", Now: time.Unix(1562262616, 0),
	})
	if err != nil {
		t.Fatalf("Verify() error = %v; want nil", err)
	}
	if p.JTI != "-BwC3ESc6acc2lTc" {
		t.Errorf("Proof.JTI = %q; want %q", p.JTI, "-BwC3ESc6acc2lTc")
	}
	if want := "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"; p.JKT != want {
		t.Errorf("Proof.JKT = %q; want %q", p.JKT, want)
	}
}

func TestNewVerifier(t *testing.T) {
	for _, tc := range []struct {
		name     string
		opts     Options
		wantAlgs []string
		wantErr  bool
	}{
		{name: "defaults", wantAlgs: []string{"ES256"}},
		{name: "all", opts: Options{Algs: allAlgs}, wantAlgs: allAlgs},
		{name: "duplicates collapse", opts: Options{Algs: []string{"ES256", "ES256", "EdDSA"}}, wantAlgs: []string{"ES256", "EdDSA"}},
		{name: "none", opts: Options{Algs: []string{"none"}}, wantErr: true},
		{name: "HS256", opts: Options{Algs: []string{"ES256", "HS256"}}, wantErr: true},
		{name: "ES512", opts: Options{Algs: []string{"ES512"}}, wantErr: true},
		{name: "unknown", opts: Options{Algs: []string{"es256"}}, wantErr: true},
		{name: "skew 60s", opts: Options{FutureSkew: 60 * time.Second}, wantAlgs: []string{"ES256"}},
		{name: "skew 61s", opts: Options{FutureSkew: 61 * time.Second}, wantErr: true},
		{name: "negative age", opts: Options{MaxAge: -time.Second}, wantErr: true},
		{name: "negative size", opts: Options{MaxProofSize: -1}, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := NewVerifier(tc.opts)
			if (err != nil) != tc.wantErr {
				t.Fatalf("NewVerifier() error = %v; want error %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			got := v.Algs()
			if strings.Join(got, ",") != strings.Join(tc.wantAlgs, ",") {
				t.Fatalf("Algs() = %v; want %v", got, tc.wantAlgs)
			}
			got[0] = "changed"
			if v.Algs()[0] == "changed" {
				t.Fatalf("Algs() shares its slice with the Verifier")
			}
		})
	}
}

func TestVerifierDefaults(t *testing.T) {
	v := newTestVerifier(t, Options{})
	if v.maxAge != 60*time.Second || v.futureSkew != 10*time.Second || v.maxProofSize != 8192 || v.maxJTILength != 256 {
		t.Fatalf("NewVerifier(Options{}) = %+v; want the documented defaults", v)
	}
}

// forgedEd25519Proof returns the proof anyone can make without a private
// key for the Ed25519 key x (hex): signature R = identity, S = 0, which
// crypto/ed25519 accepts for the identity key.
func forgedEd25519Proof(t *testing.T, x string) string {
	h := map[string]any{"typ": "dpop+jwt", "alg": "EdDSA", "jwk": map[string]any{
		"kty": "OKP", "crv": "Ed25519", "x": base64.RawURLEncoding.EncodeToString(mustHex(t, x)),
	}}
	sig := append(mustHex(t, smallOrderEd25519[2]), make([]byte, 32)...)
	return enc(mustJSON(t, h)) + "." + enc(mustJSON(t, basePayload())) + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// TestHTUMismatchNamesTheExpectedURL: a client with a wrong base URL is
// told which URL this endpoint expects (issue 15).
func TestHTUMismatchNamesTheExpectedURL(t *testing.T) {
	v := newTestVerifier(t, Options{})
	_, err := v.Verify(context.Background(), baseInput(setClaim("htu", "https://as.example.com/other")(t)))
	if !errors.Is(err, errHTUMismatch) || !strings.Contains(err.Error(), "expected "+testURL) {
		t.Fatalf("Verify() error = %v; want an htu mismatch that names %s", err, testURL)
	}
}
