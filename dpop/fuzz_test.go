package dpop

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// rfc9449Proof is the proof of RFC 9449 §4.1 (Figure 2).
const rfc9449Proof = "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ.2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg"

func FuzzVerify(f *testing.F) {
	k := keys(f)
	for _, s := range []struct {
		key crypto.Signer
		alg string
	}{{k.p256, "ES256"}, {k.p384, "ES384"}, {k.rsa2048, "PS256"}, {k.rsa2048, "RS256"}, {k.ed, "EdDSA"}} {
		f.Add(mustSign(f, s.key, s.alg, baseClaims()))
	}
	h := baseHeader(f, k.p256)
	f.Add(forge(f, k.p256, "ES256", mustJSON(f, h), `{"jti":"a","htm":"POST","htu":"HTTPS://AS.example.com:443/./token","iat":1700000000,"x":[{"}":"]"}]}`))
	f.Add(rfc9449Proof)
	f.Add(strings.Replace(rfc9449Proof, ".", "..", 1))
	f.Add(rfc9449Proof + "," + rfc9449Proof)
	f.Add(enc(`{"typ":"dpop+jwt","alg":"none","jwk":{"kty":"EC"}}`) + "." + enc(`{}`) + ".")
	f.Add("a.b.c")
	f.Add("")
	v := newTestVerifier(f, Options{Algs: allAlgs})
	f.Fuzz(func(t *testing.T, proof string) {
		p, err := v.Verify(context.Background(), baseInput(proof))
		if err != nil {
			return
		}
		checkAccepted(t, v, proof, p)
	})
}

// checkAccepted checks, independently of the parser under test, that an
// accepted proof has typ dpop+jwt, an allowed alg and a public key of the
// matching type.
func checkAccepted(t *testing.T, v *Verifier, proof string, p *Proof) {
	t.Helper()
	hdrB64, _, _ := strings.Cut(proof, ".")
	raw, err := base64.RawURLEncoding.DecodeString(hdrB64)
	if err != nil {
		t.Fatalf("accepted proof with undecodable header: %v", err)
	}
	var hdr struct {
		Typ string                     `json:"typ"`
		Alg string                     `json:"alg"`
		JWK map[string]json.RawMessage `json:"jwk"`
	}
	if err := json.Unmarshal(raw, &hdr); err != nil {
		t.Fatalf("accepted proof with invalid header JSON: %v", err)
	}
	typ := strings.ToLower(hdr.Typ)
	if typ != "dpop+jwt" && typ != "application/dpop+jwt" {
		t.Fatalf("accepted typ %q", hdr.Typ)
	}
	if !slices.Contains(v.Algs(), hdr.Alg) {
		t.Fatalf("accepted alg %q", hdr.Alg)
	}
	for _, m := range []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"} {
		if _, ok := hdr.JWK[m]; ok {
			t.Fatalf("accepted jwk with private member %q", m)
		}
	}
	var ok bool
	switch hdr.Alg {
	case "ES256", "ES384":
		_, ok = p.PublicKey.(*ecdsa.PublicKey)
	case "PS256", "RS256":
		_, ok = p.PublicKey.(*rsa.PublicKey)
	case "EdDSA":
		_, ok = p.PublicKey.(ed25519.PublicKey)
	}
	if !ok {
		t.Fatalf("accepted %s with key %T", hdr.Alg, p.PublicKey)
	}
	if jkt, err := Thumbprint(p.PublicKey); err != nil || jkt != p.JKT {
		t.Fatalf("Proof.JKT = %q; Thumbprint() = %q, %v", p.JKT, jkt, err)
	}
}

func FuzzNormalizeHTU(f *testing.F) {
	for _, s := range []string{
		"https://as.example.com/token", "HTTPS://AS.Example.com:443/token", "http://a:80", "https://a:/",
		"https://[2001:DB8::1]:8443/a/../b/./c/", "https://a/%2e%2E/%7e/%2f", "https://a/..//b", "https://a/.%2e/x",
		"https://u@a/", "https://a/?q", "ftp://a/", "https://a/%zz", "https://a:0008443",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		once, err := NormalizeHTU(raw)
		if err != nil {
			return
		}
		if !strings.HasPrefix(once, "http://") && !strings.HasPrefix(once, "https://") {
			t.Fatalf("NormalizeHTU(%q) = %q; want an http(s) URI", raw, once)
		}
		twice, err := NormalizeHTU(once)
		if err != nil || twice != once {
			t.Fatalf("NormalizeHTU(NormalizeHTU(%q)) = %q, %v; want %q", raw, twice, err, once)
		}
	})
}

// FuzzVerifySigned fuzzes the header and payload JSON of proofs that carry a
// valid ES256 signature, so that mutations reach every check after the
// signature.
func FuzzVerifySigned(f *testing.F) {
	key := keys(f).p256
	jwk := mustJSON(f, jwkMap(f, key.Public()))
	hdr := `{"typ":"dpop+jwt","alg":"ES256","jwk":` + jwk + `}`
	for _, s := range [][2]string{
		{hdr, basePayloadJSON},
		{hdr, `{"jti":"a","htm":"POST","htu":"HTTPS://AS.example.com:443/./token","iat":1700000000,"nonce":"n","ath":"x"}`},
		{`{"typ":"application/DPoP+jwt","alg":"ES256","kid":"x","jwk":` + jwk + `}`, `{"jti":"\u0061","htm":"POST","htu":"https:\/\/as.example.com\/token","iat":1700000005}`},
		{`{"typ":"dpop+jwt","alg":"ES256","crit":["b64"],"jwk":` + jwk + `}`, basePayloadJSON},
		{`{"typ":"dpop+jwt","alg":"ES256","jwk":` + jwk + `,"alg":"ES256"}`, basePayloadJSON},
	} {
		f.Add(s[0], s[1])
	}
	v := newTestVerifier(f, Options{Algs: allAlgs})
	f.Fuzz(func(t *testing.T, header, payload string) {
		proof := forge(t, key, "ES256", header, payload)
		p, err := v.Verify(context.Background(), baseInput(proof))
		if err != nil {
			return
		}
		checkAccepted(t, v, proof, p)
	})
}

// FuzzParseObject checks the JSON object scanner against encoding/json.
func FuzzParseObject(f *testing.F) {
	for _, s := range []string{
		`{}`, ` {"a" : "b" } `, `{"a":1,"a":2}`, `{"a":{"b":[1,"]}",{"c":null}]},"d":true}`,
		`{"\u0061":"x","a":"y"}`, `{"k":"\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"}`, `[1]`, `{"a":1}x`, "{\"a\":\"\xff\"}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var buf [maxMembers]member
		ms, err := parseObject(data, buf[:0])
		var want map[string]json.RawMessage
		jsonErr := json.Unmarshal(data, &want)
		if err != nil {
			if jsonErr == nil && want != nil && err == errNotObject && utf8.Valid(data) {
				t.Fatalf("parseObject(%q) error = %v; encoding/json accepts it", data, err)
			}
			return
		}
		if jsonErr != nil || want == nil || len(want) != len(ms) {
			t.Fatalf("parseObject(%q) = %d members; encoding/json: %d, %v", data, len(ms), len(want), jsonErr)
		}
		for _, m := range ms {
			w, ok := want[string(m.name)]
			if !ok || !bytes.Equal(bytes.TrimSpace(w), m.value) {
				t.Fatalf("parseObject(%q) member %q = %q; encoding/json: %q", data, m.name, m.value, w)
			}
			var ws string
			got, isString := stringValue(m.value)
			jsonIsString := m.value[0] == '"' && json.Unmarshal(m.value, &ws) == nil
			if jsonIsString != isString || string(got) != ws {
				t.Fatalf("stringValue(%q) = %q, %v; encoding/json: %q", m.value, got, isString, ws)
			}
		}
	})
}

// FuzzPublicJWK fuzzes the proof's own JWK parser and the key policy: any
// bytes give a key or an error, and an accepted key passes CheckPublicKey,
// has the type its alg needs, is valid by an independent check, and its
// JWK, written out again, parses to the same thumbprint.
func FuzzPublicJWK(f *testing.F) {
	k := keys(f)
	for i, pub := range []crypto.PublicKey{k.p256.Public(), k.p384.Public(), k.rsa2048.Public(), k.rsa2048.Public(), k.ed.Public()} {
		f.Add(mustJSON(f, jwkMap(f, pub)), uint8(i))
	}
	for _, x := range slices.Concat(smallOrderEd25519[:3], nonCanonicalSmallOrderEd25519[:2]) {
		f.Add(`{"kty":"OKP","crv":"Ed25519","x":"`+base64.RawURLEncoding.EncodeToString(mustHex(f, x))+`"}`, uint8(4))
	}
	f.Add(`{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}`, uint8(0))
	f.Add(`{"kty":"RSA","n":"AQAB","e":"AQAB","d":"AQ"}`, uint8(2))
	f.Fuzz(func(t *testing.T, raw string, algIndex uint8) {
		a := &algorithms[int(algIndex)%len(algorithms)]
		if !json.Valid([]byte(raw)) { // the proof parser validates the header first
			return
		}
		fields, err := parseJWKFields([]byte(raw))
		if err != nil {
			return
		}
		pub, jkt, err := publicKey(&fields, a)
		if err != nil {
			return
		}
		if err := CheckPublicKey(pub); err != nil {
			t.Fatalf("accepted %s key %q that CheckPublicKey refuses: %v", a.name, raw, err)
		}
		checkKeyIndependently(t, a, pub)
		again, err := appendPublicJWK(nil, pub)
		if err != nil {
			t.Fatalf("appendPublicJWK(accepted key) = %v", err)
		}
		f2, err := parseJWKFields(again)
		if err != nil {
			t.Fatalf("parseJWKFields(%q) = %v", again, err)
		}
		if _, jkt2, err := publicKey(&f2, a); err != nil || jkt2 != jkt {
			t.Fatalf("round trip of %q: %q, %v; want thumbprint %q", raw, jkt2, err, jkt)
		}
	})
}

// checkKeyIndependently checks an accepted key without CheckPublicKey.
func checkKeyIndependently(t *testing.T, a *algorithm, pub crypto.PublicKey) {
	t.Helper()
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if _, err := k.ECDH(); err != nil || a.kty != ktyEC || k.Curve != a.curve {
			t.Fatalf("accepted EC key for %s that crypto/ecdh refuses: %v", a.name, err)
		}
	case *rsa.PublicKey:
		if n := k.N.BitLen(); a.kty != ktyRSA || n < 2048 || n > 4096 || k.E < 3 || k.E%2 == 0 || k.N.Bit(0) == 0 {
			t.Fatalf("accepted RSA key of %d bits, e = %d for %s", n, k.E, a.name)
		}
	case ed25519.PublicKey:
		if a.kty != ktyOKP {
			t.Fatalf("accepted Ed25519 key for %s", a.name)
		}
		for _, bad := range slices.Concat(smallOrderEd25519, nonCanonicalSmallOrderEd25519) {
			if bytes.Equal(k, mustHex(t, bad)) {
				t.Fatalf("accepted the small-order Ed25519 key %s", bad)
			}
		}
	default:
		t.Fatalf("accepted key of type %T", pub)
	}
}
