package web_test

import (
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"issuer/dpop"
	"issuer/issuer"
)

// Attestation-based client authentication (draft -07, OpenID4VCI 1.0
// Appendix E, HAIP 1.0 §4.4.1): checklist ATT-01..14, HAIP-06..10;
// adversarial D01..D18 and H08.

// attestJWKS returns an attestation signed by the JWKS provider's key.
func (f *atFixture) attestJWKS(t testing.TB, id string, key *ecdsa.PrivateKey, mod func(h, c map[string]any)) string {
	t.Helper()
	h := map[string]any{"typ": atTyp, "alg": "ES256", "kid": "jw-1"}
	c := f.attClaims(id, key)
	c["iss"] = atJWKSIssuer
	if mod != nil {
		mod(h, c)
	}
	return rawJWS(t, f.JWKSKey, h, c, nil)
}

// atAlgNone is a JWT with alg none and sig appended (may be empty).
func atAlgNone(t testing.TB, header, claims map[string]any, sig string) string {
	t.Helper()
	header["alg"] = "none"
	return asInput(t, header, claims) + "." + sig
}

// atHS256 MACs header and claims with key.
func atHS256(t testing.TB, key []byte, header, claims map[string]any) string {
	t.Helper()
	header["alg"] = "HS256"
	input := asInput(t, header, claims)
	m := hmac.New(sha256.New, key)
	m.Write([]byte(input))
	return input + "." + asB64(m.Sum(nil))
}

// atDecode returns the header and claims of a JWT, to be altered and
// signed again by a case.
func atDecode(t testing.TB, jwt string) (header, claims map[string]any) {
	t.Helper()
	return jwtParts(t, jwt)
}

// atCase is a request that must be refused.
type atCase struct {
	name   string
	req    func(t *testing.T, f *atFixture, in *atInstance) (map[string][]string, url.Values)
	status int    // 401 when 0
	code   string // invalid_client when ""
	desc   string // exact error_description when not ""
}

// withPoP is the instance's attestation with a PoP that mod changed.
func withPoP(mod func(h, c map[string]any)) func(t *testing.T, f *atFixture, in *atInstance) (map[string][]string, url.Values) {
	return func(t *testing.T, f *atFixture, in *atInstance) (map[string][]string, url.Values) {
		return atHeaders(in.Att, in.pop(t, mod)), nil
	}
}

// withAtt is an attestation of the instance's key that mod changed, with a
// valid PoP.
func withAtt(mod func(h, c map[string]any)) func(t *testing.T, f *atFixture, in *atInstance) (map[string][]string, url.Values) {
	return func(t *testing.T, f *atFixture, in *atInstance) (map[string][]string, url.Values) {
		return atHeaders(f.attest(t, in.ID, in.Key, mod), in.pop(t, nil)), nil
	}
}

// withSigned is an attestation signed by signer with x5c chain, and a
// valid PoP.
func withSigned(signer func(t *testing.T, f *atFixture) (*ecdsa.PrivateKey, []*x509.Certificate)) func(t *testing.T, f *atFixture, in *atInstance) (map[string][]string, url.Values) {
	return func(t *testing.T, f *atFixture, in *atInstance) (map[string][]string, url.Values) {
		key, chain := signer(t, f)
		h := map[string]any{"typ": atTyp, "alg": "ES256", "x5c": atX5C(chain...)}
		return atHeaders(rawJWS(t, key, h, f.attClaims(in.ID, in.Key), nil), in.pop(t, nil)), nil
	}
}

// TestAttestationAccepted covers the valid attestations: x5c chains to a
// configured root, a JWKS provider, and the tolerated variations.
func TestAttestationAccepted(t *testing.T) {
	f := atSetup(t)
	now := func() time.Time { return f.ts.Clock.Now() }
	cases := []struct {
		name string
		req  func(t *testing.T, in *atInstance) (map[string][]string, url.Values)
	}{
		{"x5c leaf and intermediate chain to the configured root", func(t *testing.T, in *atInstance) (map[string][]string, url.Values) {
			return in.headers(t), nil
		}},
		{"x5c leaf issued by the root itself", func(t *testing.T, in *atInstance) (map[string][]string, url.Values) {
			leaf := atIssue(t, f.Root, "direct leaf", false, nil)
			h := map[string]any{"typ": atTyp, "alg": "ES256", "x5c": atX5C(leaf.Cert)}
			return atHeaders(rawJWS(t, leaf.Key, h, f.attClaims(in.ID, in.Key), nil), in.pop(t, nil)), nil
		}},
		{"JWKS provider, key named by kid", func(t *testing.T, in *atInstance) (map[string][]string, url.Values) {
			return atHeaders(f.attestJWKS(t, in.ID, in.Key, nil), in.pop(t, nil)), nil
		}},
		{"JWKS provider, no kid", func(t *testing.T, in *atInstance) (map[string][]string, url.Values) {
			return atHeaders(f.attestJWKS(t, in.ID, in.Key, func(h, _ map[string]any) { delete(h, "kid") }), in.pop(t, nil)), nil
		}},
		{"HAIP-09 no client_id in the form", func(t *testing.T, in *atInstance) (map[string][]string, url.Values) {
			return in.headers(t), url.Values{"client_id": {""}}
		}},
		{"typ with the application/ prefix", func(t *testing.T, in *atInstance) (map[string][]string, url.Values) {
			att := f.attest(t, in.ID, in.Key, func(h, _ map[string]any) { h["typ"] = "application/" + atTyp })
			return atHeaders(att, in.pop(t, func(h, _ map[string]any) { h["typ"] = "application/" + atPoPTyp })), nil
		}},
		{"attestation without iat, nbf now", func(t *testing.T, in *atInstance) (map[string][]string, url.Values) {
			return atHeaders(f.attest(t, in.ID, in.Key, func(_, c map[string]any) {
				delete(c, "iat")
				c["nbf"] = now().Unix()
			}), in.pop(t, nil)), nil
		}},
		{"FAPI-07 attestation iat and nbf 10 s ahead", func(t *testing.T, in *atInstance) (map[string][]string, url.Values) {
			return atHeaders(f.attest(t, in.ID, in.Key, func(_, c map[string]any) {
				c["iat"], c["nbf"] = now().Add(10*time.Second).Unix(), now().Add(10*time.Second).Unix()
			}), in.pop(t, nil)), nil
		}},
		{"App. E claims wallet_name, wallet_link and status are ignored", func(t *testing.T, in *atInstance) (map[string][]string, url.Values) {
			return atHeaders(f.attest(t, in.ID, in.Key, func(_, c map[string]any) {
				c["wallet_link"] = "https://wallet.example/info"
				c["status"] = map[string]any{"status_list": map[string]any{"idx": 3, "uri": "https://wallet-provider.example/status"}}
			}), in.pop(t, nil)), nil
		}},
		{"PoP iat 60 s old", func(t *testing.T, in *atInstance) (map[string][]string, url.Values) {
			return atHeaders(in.Att, in.pop(t, func(_, c map[string]any) { c["iat"] = now().Add(-60 * time.Second).Unix() })), nil
		}},
		{"FAPI-07 PoP iat 10 s ahead", func(t *testing.T, in *atInstance) (map[string][]string, url.Values) {
			return atHeaders(in.Att, in.pop(t, func(_, c map[string]any) { c["iat"] = now().Add(10 * time.Second).Unix() })), nil
		}},
		{"PoP with exp ahead and nbf now", func(t *testing.T, in *atInstance) (map[string][]string, url.Values) {
			return atHeaders(in.Att, in.pop(t, func(_, c map[string]any) {
				c["exp"], c["nbf"] = now().Add(time.Minute).Unix(), now().Unix()
			})), nil
		}},
		{"PoP with a valid challenge though none is required", func(t *testing.T, in *atInstance) (map[string][]string, url.Values) {
			ch := f.ts.Svc.ClientAuth.Challenge(t.Context()).AttestationChallenge
			return atHeaders(in.Att, in.pop(t, func(_, c map[string]any) { c["challenge"] = ch })), nil
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := f.instance(t, atWalletID())
			hdr, form := tc.req(t, in)
			b := atWantToken(t, in.redeem(t, hdr, form), in.ID)
			if b.RefreshToken == "" {
				t.Errorf("no refresh_token; a wallet without registration has the refresh_token grant")
			}
			if jkt := rfJKT(t, b.AccessToken); jkt != in.DPoP.JKT {
				t.Errorf("cnf.jkt = %s; want the DPoP key %s", jkt, in.DPoP.JKT)
			}
		})
	}
}

// TestAttestationRefused covers D01..D06, D08..D10, D12, D14..D17, HAIP-07,
// ATT-01..11 and the two-methods case: each refusal has its status, error
// and description, and leaves the instance able to authenticate.
func TestAttestationRefused(t *testing.T) {
	f := atSetup(t)
	now := func() time.Time { return f.ts.Clock.Now() }
	other := atIssue(t, nil, "Other Root", true, nil)
	otherInter := atIssue(t, other, "Other CA", true, nil)
	otherLeaf := atIssue(t, otherInter, "Other Attestations", false, nil)
	cases := []atCase{
		// ATT-01: exactly one of each header.
		{name: "D01 attestation without PoP", desc: "the OAuth-Client-Attestation-PoP header is missing",
			req: func(t *testing.T, f *atFixture, in *atInstance) (map[string][]string, url.Values) {
				return map[string][]string{hdrAtt: {in.Att}}, nil
			}},
		{name: "PoP without attestation", desc: "the OAuth-Client-Attestation header is missing",
			req: func(t *testing.T, f *atFixture, in *atInstance) (map[string][]string, url.Values) {
				return map[string][]string{hdrPoP: {in.pop(t, nil)}}, nil
			}},
		{name: "D02 two attestation headers", desc: "the request has more than one OAuth-Client-Attestation header",
			req: func(t *testing.T, f *atFixture, in *atInstance) (map[string][]string, url.Values) {
				return map[string][]string{hdrAtt: {in.Att, in.Att}, hdrPoP: {in.pop(t, nil)}}, nil
			}},
		{name: "two PoP headers", desc: "the request has more than one OAuth-Client-Attestation-PoP header",
			req: func(t *testing.T, f *atFixture, in *atInstance) (map[string][]string, url.Values) {
				return map[string][]string{hdrAtt: {in.Att}, hdrPoP: {in.pop(t, nil), in.pop(t, nil)}}, nil
			}},
		{name: "two attestations joined with a comma in one header", desc: "the client attestation is not one compact JWT",
			req: func(t *testing.T, f *atFixture, in *atInstance) (map[string][]string, url.Values) {
				return atHeaders(in.Att+","+in.Att, in.pop(t, nil)), nil
			}},
		{name: "concatenated serialization (attestation~PoP) in the attestation header", desc: "the OAuth-Client-Attestation-PoP header is missing",
			req: func(t *testing.T, f *atFixture, in *atInstance) (map[string][]string, url.Values) {
				return map[string][]string{hdrAtt: {in.Att + "~" + in.pop(t, nil)}}, nil
			}},
		{name: "empty attestation header", desc: "the client attestation is not one compact JWT",
			req: func(t *testing.T, f *atFixture, in *atInstance) (map[string][]string, url.Values) {
				return atHeaders("", in.pop(t, nil)), nil
			}},
		{name: "attestation not base64", desc: "the client attestation is malformed",
			req: func(t *testing.T, f *atFixture, in *atInstance) (map[string][]string, url.Values) {
				return atHeaders("a$b.c*d.e!f", in.pop(t, nil)), nil
			}},
		// ATT-02: the attestation's header and claims.
		{name: "D03 attestation typ JWT", desc: "the client attestation's typ must be oauth-client-attestation+jwt",
			req: withAtt(func(h, _ map[string]any) { h["typ"] = "JWT" })},
		{name: "attestation without typ", desc: "the client attestation's typ must be oauth-client-attestation+jwt",
			req: withAtt(func(h, _ map[string]any) { delete(h, "typ") })},
		{name: "attestation typ of a PoP", desc: "the client attestation's typ must be oauth-client-attestation+jwt",
			req: withAtt(func(h, _ map[string]any) { h["typ"] = atPoPTyp })},
		{name: "attestation alg none, unsigned", desc: "the client attestation is malformed",
			req: func(t *testing.T, f *atFixture, in *atInstance) (map[string][]string, url.Values) {
				h, c := atDecode(t, in.Att)
				return atHeaders(atAlgNone(t, h, c, ""), in.pop(t, nil)), nil
			}},
		{name: "attestation alg none with the valid signature appended", desc: "the client attestation's algorithm is not allowed",
			req: func(t *testing.T, f *atFixture, in *atInstance) (map[string][]string, url.Values) {
				h, c := atDecode(t, in.Att)
				return atHeaders(atAlgNone(t, h, c, strings.Split(in.Att, ".")[2]), in.pop(t, nil)), nil
			}},
		{name: "attestation HS256 keyed with the JWKS provider's public JWK", desc: "the client attestation's algorithm is not allowed",
			req: func(t *testing.T, f *atFixture, in *atInstance) (map[string][]string, url.Values) {
				key, err := json.Marshal(asJWK(f.JWKSKey, "jw-1"))
				if err != nil {
					t.Fatal(err)
				}
				c := f.attClaims(in.ID, in.Key)
				c["iss"] = atJWKSIssuer
				return atHeaders(atHS256(t, key, map[string]any{"typ": atTyp, "kid": "jw-1"}, c), in.pop(t, nil)), nil
			}},
		{name: "attestation with crit", desc: "the client attestation uses header parameters this server does not support (crit, b64)",
			req: withAtt(func(h, _ map[string]any) { h["crit"] = []string{"exp"} })},
		{name: "attestation without sub", desc: "the client attestation has no sub",
			req: withAtt(func(_, c map[string]any) { delete(c, "sub") })},
		{name: "attestation sub is not a valid client_id", desc: "the client attestation's sub is not a valid client_id",
			req: withAtt(func(_, c map[string]any) { c["sub"] = "two words" })},
		{name: "-07 attestation without iss", desc: "the client attestation has no iss",
			req: withAtt(func(_, c map[string]any) { delete(c, "iss") })},
		{name: "attestation without exp", desc: "the client attestation has no exp",
			req: withAtt(func(_, c map[string]any) { delete(c, "exp") })},
		{name: "attestation without cnf", desc: "the client attestation has no cnf.jwk",
			req: withAtt(func(_, c map[string]any) { delete(c, "cnf") })},
		{name: "attestation with cnf.kid instead of cnf.jwk", desc: "the client attestation has no cnf.jwk",
			req: withAtt(func(_, c map[string]any) { c["cnf"] = map[string]any{"kid": "k"} })},
		// ATT-03, HAIP-07: the signature of a trusted provider.
		{name: "D04 self-signed certificate in x5c", desc: atUntrusted,
			req: withSigned(func(t *testing.T, f *atFixture) (*ecdsa.PrivateKey, []*x509.Certificate) {
				self := atIssue(t, nil, "Test Wallet Provider Root", true, nil)
				return self.Key, []*x509.Certificate{self.Cert}
			})},
		{name: "D04 x5c chains to another root", desc: atUntrusted,
			req: withSigned(func(t *testing.T, f *atFixture) (*ecdsa.PrivateKey, []*x509.Certificate) {
				return otherLeaf.Key, []*x509.Certificate{otherLeaf.Cert, otherInter.Cert}
			})},
		{name: "D04 x5c of the trusted chain, signed by another key", desc: atUntrusted,
			req: withSigned(func(t *testing.T, f *atFixture) (*ecdsa.PrivateKey, []*x509.Certificate) {
				return asNewKey(t), []*x509.Certificate{f.Leaf.Cert, f.Inter.Cert}
			})},
		{name: "x5c without its intermediate", desc: atUntrusted,
			req: withSigned(func(t *testing.T, f *atFixture) (*ecdsa.PrivateKey, []*x509.Certificate) {
				return f.Leaf.Key, []*x509.Certificate{f.Leaf.Cert}
			})},
		{name: "x5c leaf has expired", desc: atUntrusted,
			req: withSigned(func(t *testing.T, f *atFixture) (*ecdsa.PrivateKey, []*x509.Certificate) {
				old := atIssue(t, f.Inter, "expired leaf", false, func(c *x509.Certificate) {
					c.NotBefore, c.NotAfter = time.Now().Add(-48*time.Hour), time.Now().Add(-time.Hour)
				})
				return old.Key, []*x509.Certificate{old.Cert, f.Inter.Cert}
			})},
		{name: "x5c leaf may not sign (no digitalSignature key usage)", desc: atUntrusted,
			req: withSigned(func(t *testing.T, f *atFixture) (*ecdsa.PrivateKey, []*x509.Certificate) {
				leaf := atIssue(t, f.Inter, "key agreement leaf", false, func(c *x509.Certificate) { c.KeyUsage = x509.KeyUsageKeyAgreement })
				return leaf.Key, []*x509.Certificate{leaf.Cert, f.Inter.Cert}
			})},
		{name: "D05 trust anchor inside x5c", desc: atAnchor,
			req: withSigned(func(t *testing.T, f *atFixture) (*ecdsa.PrivateKey, []*x509.Certificate) {
				return f.Leaf.Key, []*x509.Certificate{f.Leaf.Cert, f.Inter.Cert, f.Root.Cert}
			})},
		{name: "D05 x5c is the trust anchor alone, which signs", desc: atAnchor,
			req: withSigned(func(t *testing.T, f *atFixture) (*ecdsa.PrivateKey, []*x509.Certificate) {
				return f.Root.Key, []*x509.Certificate{f.Root.Cert}
			})},
		{name: "HAIP-07 only a kid, no x5c", desc: atUntrusted,
			req: withAtt(func(h, _ map[string]any) {
				delete(h, "x5c")
				h["kid"] = "leaf"
			})},
		{name: "HAIP-07 the leaf's key as a jwk header, no x5c", desc: atUntrusted,
			req: func(t *testing.T, f *atFixture, in *atInstance) (map[string][]string, url.Values) {
				h := map[string]any{"typ": atTyp, "alg": "ES256", "jwk": publicJWK(&f.Leaf.Key.PublicKey)}
				return atHeaders(rawJWS(t, f.Leaf.Key, h, f.attClaims(in.ID, in.Key), nil), in.pop(t, nil)), nil
			}},
		{name: "x5c is not base64 DER", desc: "the client attestation's x5c is not a list of base64 DER certificates",
			req: withAtt(func(h, _ map[string]any) { h["x5c"] = []string{"bm90IGEgY2VydGlmaWNhdGU="} })},
		{name: "iss of the JWKS provider on an x5c attestation", desc: atUntrusted,
			req: withAtt(func(_, c map[string]any) { c["iss"] = atJWKSIssuer })},
		{name: "JWKS provider, unknown kid", desc: atUntrusted,
			req: func(t *testing.T, f *atFixture, in *atInstance) (map[string][]string, url.Values) {
				return atHeaders(f.attestJWKS(t, in.ID, in.Key, func(h, _ map[string]any) { h["kid"] = "jw-2" }), in.pop(t, nil)), nil
			}},
		{name: "JWKS provider's kid, signed by another key", desc: atUntrusted,
			req: func(t *testing.T, f *atFixture, in *atInstance) (map[string][]string, url.Values) {
				c := f.attClaims(in.ID, in.Key)
				c["iss"] = atJWKSIssuer
				return atHeaders(rawJWS(t, asNewKey(t), map[string]any{"typ": atTyp, "alg": "ES256", "kid": "jw-1"}, c, nil), in.pop(t, nil)), nil
			}},
		{name: "attestation payload changed after signing", desc: atUntrusted,
			req: func(t *testing.T, f *atFixture, in *atInstance) (map[string][]string, url.Values) {
				parts := strings.Split(in.Att, ".")
				_, c := atDecode(t, in.Att)
				c["sub"] = in.ID + "x"
				p, err := json.Marshal(c)
				if err != nil {
					t.Fatal(err)
				}
				forged := parts[0] + "." + asB64(p) + "." + parts[2]
				pop := in.pop(t, func(_, c map[string]any) { c["iss"] = in.ID + "x" })
				return atHeaders(forged, pop), url.Values{"client_id": {""}}
			}},
		// ATT-02, FAPI-07: the attestation's times.
		{name: "D06 attestation exp 60 s ago", desc: "the client attestation has expired",
			req: withAtt(func(_, c map[string]any) {
				c["iat"], c["exp"] = now().Add(-time.Hour).Unix(), now().Add(-60*time.Second).Unix()
			})},
		{name: "attestation nbf 120 s ahead", desc: "the client attestation is not valid yet",
			req: withAtt(func(_, c map[string]any) { c["nbf"] = now().Add(120 * time.Second).Unix() })},
		{name: "FAPI-07 attestation iat 61 s ahead", desc: "the client attestation was issued in the future",
			req: withAtt(func(_, c map[string]any) { c["iat"] = now().Add(61 * time.Second).Unix() })},
		// ATT-04: the instance key.
		{name: "D08 cnf.jwk with the private d", desc: "the client attestation's cnf.jwk must be a public key",
			req: withAtt(func(_, c map[string]any) {
				j := publicJWK(&asNewKey(t).PublicKey)
				j["d"] = asB64(make([]byte, 32))
				c["cnf"] = map[string]any{"jwk": j}
			})},
		{name: "cnf.jwk symmetric", desc: "the client attestation's cnf.jwk must be a public key",
			req: withAtt(func(_, c map[string]any) {
				c["cnf"] = map[string]any{"jwk": map[string]any{"kty": "oct", "k": asB64([]byte(strings.Repeat("k", 32)))}}
			})},
		{name: "cnf.jwk not a JWK", desc: "the client attestation's cnf.jwk is not a JWK",
			req: withAtt(func(_, c map[string]any) { c["cnf"] = map[string]any{"jwk": map[string]any{"kty": "EC"}} })},
		// ATT-06, ATT-07, D09, D10, D15, D17: the PoP.
		{name: "D09 PoP signed by another key", desc: atBadPoPKey,
			req: func(t *testing.T, f *atFixture, in *atInstance) (map[string][]string, url.Values) {
				c := map[string]any{"iss": in.ID, "aud": f.ts.URL, "jti": randomJTI(), "iat": now().Unix()}
				return atHeaders(in.Att, rawJWS(t, asNewKey(t), map[string]any{"typ": atPoPTyp, "alg": "ES256"}, c, nil)), nil
			}},
		{name: "PoP signed by the wallet provider's leaf", desc: atBadPoPKey,
			req: func(t *testing.T, f *atFixture, in *atInstance) (map[string][]string, url.Values) {
				c := map[string]any{"iss": in.ID, "aud": f.ts.URL, "jti": randomJTI(), "iat": now().Unix()}
				return atHeaders(in.Att, rawJWS(t, f.Leaf.Key, map[string]any{"typ": atPoPTyp, "alg": "ES256"}, c, nil)), nil
			}},
		{name: "PoP is the attestation again", desc: "the client attestation PoP's typ must be oauth-client-attestation-pop+jwt",
			req: func(t *testing.T, f *atFixture, in *atInstance) (map[string][]string, url.Values) {
				return atHeaders(in.Att, in.Att), nil
			}},
		{name: "PoP typ JWT", desc: "the client attestation PoP's typ must be oauth-client-attestation-pop+jwt",
			req: withPoP(func(h, _ map[string]any) { h["typ"] = "JWT" })},
		{name: "D17 PoP alg none, unsigned", desc: "the client attestation PoP is malformed",
			req: func(t *testing.T, f *atFixture, in *atInstance) (map[string][]string, url.Values) {
				h, c := atDecode(t, in.pop(t, nil))
				return atHeaders(in.Att, atAlgNone(t, h, c, "")), nil
			}},
		{name: "D17 PoP alg none with a valid signature appended", desc: "the client attestation PoP's algorithm is not allowed",
			req: func(t *testing.T, f *atFixture, in *atInstance) (map[string][]string, url.Values) {
				pop := in.pop(t, nil)
				h, c := atDecode(t, pop)
				return atHeaders(in.Att, atAlgNone(t, h, c, strings.Split(pop, ".")[2])), nil
			}},
		{name: "D17 PoP HS256 keyed with the cnf JWK", desc: "the client attestation PoP's algorithm is not allowed",
			req: func(t *testing.T, f *atFixture, in *atInstance) (map[string][]string, url.Values) {
				key, err := json.Marshal(publicJWK(&in.Key.PublicKey))
				if err != nil {
					t.Fatal(err)
				}
				c := map[string]any{"iss": in.ID, "aud": f.ts.URL, "jti": randomJTI(), "iat": now().Unix()}
				return atHeaders(in.Att, atHS256(t, key, map[string]any{"typ": atPoPTyp}, c)), nil
			}},
		{name: "PoP with crit b64", desc: "the client attestation PoP uses header parameters this server does not support (crit, b64)",
			req: withPoP(func(h, _ map[string]any) { h["b64"], h["crit"] = false, []string{"b64"} })},
		{name: "D15 PoP iss differs from the attestation's sub", desc: "the client attestation PoP's iss must be the client_id, the sub of the attestation",
			req: withPoP(func(_, c map[string]any) { c["iss"] = "https://wallet.example/other" })},
		{name: "PoP without iss", desc: "the client attestation PoP has no iss",
			req: withPoP(func(_, c map[string]any) { delete(c, "iss") })},
		{name: "D10 PoP aud is the token endpoint URL", desc: atBadAud,
			req: func(t *testing.T, f *atFixture, in *atInstance) (map[string][]string, url.Values) {
				return atHeaders(in.Att, in.pop(t, func(_, c map[string]any) { c["aud"] = f.ts.TokenURL() })), nil
			}},
		{name: "PoP aud is an array holding the issuer", desc: atBadAud,
			req: func(t *testing.T, f *atFixture, in *atInstance) (map[string][]string, url.Values) {
				return atHeaders(in.Att, in.pop(t, func(_, c map[string]any) { c["aud"] = []string{f.ts.URL} })), nil
			}},
		{name: "PoP aud is another issuer", desc: atBadAud,
			req: withPoP(func(_, c map[string]any) { c["aud"] = "https://other.example" })},
		{name: "PoP without aud", desc: atBadAud,
			req: withPoP(func(_, c map[string]any) { delete(c, "aud") })},
		{name: "PoP without jti", desc: "the client attestation PoP needs a jti of at most 256 bytes",
			req: withPoP(func(_, c map[string]any) { delete(c, "jti") })},
		{name: "PoP jti of 257 bytes", desc: "the client attestation PoP needs a jti of at most 256 bytes",
			req: withPoP(func(_, c map[string]any) { c["jti"] = strings.Repeat("j", 257) })},
		// ATT-08: the PoP's times.
		{name: "D12 PoP iat one hour old", desc: "the client attestation PoP is too old",
			req: withPoP(func(_, c map[string]any) { c["iat"] = now().Add(-time.Hour).Unix() })},
		{name: "PoP iat 61 s old", desc: "the client attestation PoP is too old",
			req: withPoP(func(_, c map[string]any) { c["iat"] = now().Add(-61 * time.Second).Unix() })},
		{name: "FAPI-07 PoP iat 61 s ahead", desc: "the client attestation PoP was issued in the future",
			req: withPoP(func(_, c map[string]any) { c["iat"] = now().Add(61 * time.Second).Unix() })},
		{name: "-07 PoP without iat", desc: "the client attestation PoP has no iat",
			req: withPoP(func(_, c map[string]any) { delete(c, "iat") })},
		{name: "PoP exp passed", desc: "the client attestation PoP has expired",
			req: withPoP(func(_, c map[string]any) { c["exp"] = now().Add(-time.Second).Unix() })},
		{name: "PoP nbf 120 s ahead", desc: "the client attestation PoP is not valid yet",
			req: withPoP(func(_, c map[string]any) { c["nbf"] = now().Add(120 * time.Second).Unix() })},
		// ATT-11, HAIP-09: the client.
		{name: "D14 client_id wallet A, attestation sub wallet B", desc: "client_id does not match the sub of the client attestation",
			req: func(t *testing.T, f *atFixture, in *atInstance) (map[string][]string, url.Values) {
				return in.headers(t), url.Values{"client_id": {"https://wallet.example/other"}}
			}},
		{name: "the sub is a client registered with another method", desc: "the client is registered with another authentication method than attest_jwt_client_auth",
			req: func(t *testing.T, f *atFixture, in *atInstance) (map[string][]string, url.Values) {
				c := f.ts.registerClient(t, map[string]any{"client_id": atWalletID(), "grant_types": []string{preAuth}})
				key := asNewKey(t)
				other := &atInstance{f: f, ID: c.ID, Key: key, Att: f.attest(t, c.ID, key, nil)}
				return other.headers(t), url.Values{"client_id": {c.ID}}
			}},
		// D16: the combined mode of later drafts is not supported.
		{name: "D16 combined mode: a DPoP proof by the cnf key instead of a PoP", desc: "the OAuth-Client-Attestation-PoP header is missing",
			req: func(t *testing.T, f *atFixture, in *atInstance) (map[string][]string, url.Values) {
				jkt, err := dpop.Thumbprint(in.Key.Public())
				if err != nil {
					t.Fatal(err)
				}
				return map[string][]string{hdrAtt: {in.Att}, "DPoP": {f.ts.freshProof(t, &wallet{Key: in.Key, JKT: jkt})}}, nil
			}},
		// C02: two methods.
		{name: "C02 attestation and HTTP Basic", status: http.StatusBadRequest, code: "invalid_request", desc: atTwoAuth,
			req: func(t *testing.T, f *atFixture, in *atInstance) (map[string][]string, url.Values) {
				h := in.headers(t)
				h["Authorization"] = []string{basicAuth(in.ID, strings.Repeat("s", 40))}
				return h, nil
			}},
		{name: "C02 attestation and client_secret", status: http.StatusBadRequest, code: "invalid_request", desc: atTwoAuth,
			req: func(t *testing.T, f *atFixture, in *atInstance) (map[string][]string, url.Values) {
				return in.headers(t), url.Values{"client_secret": {strings.Repeat("s", 40)}}
			}},
		{name: "C02 attestation and client_assertion", status: http.StatusBadRequest, code: "invalid_request", desc: atTwoAuth,
			req: func(t *testing.T, f *atFixture, in *atInstance) (map[string][]string, url.Values) {
				return in.headers(t), url.Values{"client_assertion_type": {asType}, "client_assertion": {in.pop(t, nil)}}
			}},
		{name: "C02 PoP alone and HTTP Basic", status: http.StatusBadRequest, code: "invalid_request", desc: atTwoAuth,
			req: func(t *testing.T, f *atFixture, in *atInstance) (map[string][]string, url.Values) {
				return map[string][]string{hdrPoP: {in.pop(t, nil)}, "Authorization": {basicAuth(in.ID, "x")}}, nil
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := f.instance(t, atWalletID())
			hdr, form := tc.req(t, f, in)
			status, code := cmpOr(tc.status, http.StatusUnauthorized), cmpOr(tc.code, "invalid_client")
			atWantError(t, in.redeem(t, hdr, form), status, code, tc.desc)
			// No lasting effect: the instance still authenticates.
			atWantToken(t, in.redeem(t, in.headers(t), nil), in.ID)
		})
	}
}

// cmpOr returns v, or def when v is the zero value.
func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// TestAttestationFreshness covers D07 and ATT-05: with a maximum age, an
// older attestation, or one without iat, is use_fresh_attestation (401).
func TestAttestationFreshness(t *testing.T) {
	f := atSetup(t, func(c *issuer.Config) { c.ClientAttestation.MaxAttestationAge = 24 * time.Hour })
	now := f.ts.Clock.Now()
	for _, tc := range []struct {
		name string
		mod  func(h, c map[string]any)
		desc string
	}{
		{"D07 iat 30 days ago", func(_, c map[string]any) { c["iat"] = now.Add(-30 * 24 * time.Hour).Unix() },
			"the client attestation was issued more than 24h0m0s ago; get a fresh one"},
		{"iat 24 h and 1 s ago", func(_, c map[string]any) { c["iat"] = now.Add(-24*time.Hour - time.Second).Unix() },
			"the client attestation was issued more than 24h0m0s ago; get a fresh one"},
		{"no iat", func(_, c map[string]any) { delete(c, "iat") },
			"the client attestation has no iat; this server accepts attestations issued at most 24h0m0s ago"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := f.instance(t, atWalletID())
			in.Att = f.attest(t, in.ID, in.Key, tc.mod)
			atWantError(t, in.redeem(t, in.headers(t), nil), http.StatusUnauthorized, "use_fresh_attestation", tc.desc)
		})
	}
	t.Run("iat 24 h ago is fresh enough", func(t *testing.T) {
		in := f.instance(t, atWalletID())
		in.Att = f.attest(t, in.ID, in.Key, func(_, c map[string]any) { c["iat"] = now.Add(-24 * time.Hour).Unix() })
		atWantToken(t, in.redeem(t, in.headers(t), nil), in.ID)
	})
	t.Run("D06 an expired attestation is invalid_client, not use_fresh_attestation", func(t *testing.T) {
		in := f.instance(t, atWalletID())
		in.Att = f.attest(t, in.ID, in.Key, func(_, c map[string]any) { c["exp"] = now.Add(-time.Second).Unix() })
		atWantError(t, in.redeem(t, in.headers(t), nil), http.StatusUnauthorized, "invalid_client", "the client attestation has expired")
	})
}

// TestAttestationMissingIssuer covers allow_missing_iss (checklist §7
// item 6): an attestation without iss from a provider without issuer.
func TestAttestationMissingIssuer(t *testing.T) {
	f := atSetup(t, func(c *issuer.Config) {
		c.ClientAttestation.AllowMissingIssuer = true
		c.ClientAttestation.Providers[0].Issuer = ""
	})
	in := f.instance(t, atWalletID())
	in.Att = f.attest(t, in.ID, in.Key, func(_, c map[string]any) { delete(c, "iss") })
	atWantToken(t, in.redeem(t, in.headers(t), nil), in.ID)
	// The JWKS provider has an issuer: its attestations still need iss.
	in2 := f.instance(t, atWalletID())
	in2.Att = f.attestJWKS(t, in2.ID, in2.Key, func(_, c map[string]any) { delete(c, "iss") })
	atWantError(t, in2.redeem(t, in2.headers(t), nil), http.StatusUnauthorized, "invalid_client", atUntrusted)
}

// atChallengeHeader returns the one challenge header of a response.
func atChallengeHeader(t testing.TB, res *http.Response) string {
	t.Helper()
	v := res.Header.Values(hdrChallenge)
	if len(v) != 1 || v[0] == "" {
		t.Fatalf("%s headers = %q; want exactly one value", hdrChallenge, v)
	}
	return v[0]
}

// TestAttestationChallenge covers D13, ATT-09 and ATT-12: the challenge
// endpoint, use_attestation_challenge with a fresh challenge header, and
// the separation of challenges from DPoP nonces and c_nonces.
func TestAttestationChallenge(t *testing.T) {
	f := atSetup(t, func(c *issuer.Config) { c.ClientAttestation.RequireChallenge = true })
	ts := f.ts
	withChallenge := func(ch string) func(h, c map[string]any) {
		return func(_, c map[string]any) { c["challenge"] = ch }
	}
	t.Run("ATT-12 POST /challenge", func(t *testing.T) {
		res := ts.post(t, "/challenge", nil, nil)
		body := readBody(t, res)
		var m map[string]string
		if res.StatusCode != http.StatusOK || json.Unmarshal(body, &m) != nil || m["attestation_challenge"] == "" {
			t.Fatalf("POST /challenge = %d %s; want 200 with attestation_challenge", res.StatusCode, body)
		}
		if res.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("Cache-Control = %q; want no-store", res.Header.Get("Cache-Control"))
		}
		in := f.instance(t, atWalletID())
		atWantToken(t, in.redeem(t, atHeaders(in.Att, in.pop(t, withChallenge(m["attestation_challenge"]))), nil), in.ID)
	})
	t.Run("ATT-12 GET /challenge is 405", func(t *testing.T) {
		res := sendRaw(t, http.MethodGet, ts.URL+"/challenge", "", nil, nil)
		wantError(t, res, http.StatusMethodNotAllowed, "invalid_request")
	})
	t.Run("D13 a PoP without challenge, then the retry with the header's challenge", func(t *testing.T) {
		in := f.instance(t, atWalletID())
		o := ts.offer(t, nil)
		form := url.Values{"grant_type": {preAuth}, "pre-authorized_code": {code(o)}, "client_id": {in.ID}}
		send := func(pop string) *http.Response {
			h := atHeaders(in.Att, pop)
			h["DPoP"] = []string{ts.freshProof(t, in.DPoP)}
			return ts.post(t, "/token", form, h)
		}
		res := send(in.pop(t, nil))
		ch := atChallengeHeader(t, res)
		atWantError(t, res, http.StatusUnauthorized, "use_attestation_challenge", "the client attestation PoP must carry a challenge from this server")
		// The refusal burned neither the code nor anything else.
		res = send(in.pop(t, withChallenge(ch)))
		next := atChallengeHeader(t, res)
		atWantToken(t, res, in.ID)
		if next == ch {
			t.Errorf("the token response repeats the challenge; want a fresh one")
		}
	})
	refused := []struct {
		name      string
		challenge func(t *testing.T) string
	}{
		{"D13 another value", func(t *testing.T) string { return randomJTI() }},
		{"a challenge with one character changed", func(t *testing.T) string {
			ch := ts.Svc.ClientAuth.Challenge(t.Context()).AttestationChallenge
			return rfFlip(ch, 5)
		}},
		{"a c_nonce is not a challenge", func(t *testing.T) string {
			res := ts.post(t, "/nonce", nil, nil)
			var m map[string]string
			if err := json.Unmarshal(readBody(t, res), &m); err != nil {
				t.Fatal(err)
			}
			return m["c_nonce"]
		}},
		{"an expired challenge", func(t *testing.T) string {
			ch := ts.Svc.ClientAuth.Challenge(t.Context()).AttestationChallenge
			ts.Clock.Advance(5*time.Minute + time.Second)
			return ch
		}},
		{"an empty challenge", func(t *testing.T) string { return "" }},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			ch := tc.challenge(t)
			in := f.instance(t, atWalletID()) // made after the clock moves
			res := in.redeem(t, atHeaders(in.Att, in.pop(t, withChallenge(ch))), nil)
			fresh := atChallengeHeader(t, res)
			atWantError(t, res, http.StatusUnauthorized, "use_attestation_challenge", "the challenge of the client attestation PoP is invalid or expired")
			atWantToken(t, in.redeem(t, atHeaders(in.Att, in.pop(t, withChallenge(fresh))), nil), in.ID)
		})
	}
	t.Run("a challenge is not a DPoP nonce", func(t *testing.T) {
		nts := newTestServer(t, func(c *issuer.Config) { c.DPoP.UseNonce = true })
		ch := nts.Svc.ClientAuth.Challenge(t.Context()).AttestationChallenge
		res := nts.redeem(t, code(nts.offer(t, nil)), newWallet(t).Proof(t, nts.TokenURL(), ch), nil)
		wantError(t, res, http.StatusBadRequest, "use_dpop_nonce")
	})
	t.Run("without the requirement, no challenge header, and an invalid challenge is still refused", func(t *testing.T) {
		g := atSetup(t)
		in := g.instance(t, atWalletID())
		res := in.redeem(t, in.headers(t), nil)
		if v := res.Header.Values(hdrChallenge); len(v) != 0 {
			t.Errorf("%s = %q on a server that requires no challenge", hdrChallenge, v)
		}
		atWantToken(t, res, in.ID)
		res = in.redeem(t, atHeaders(in.Att, in.pop(t, withChallenge("forged"))), nil)
		atChallengeHeader(t, res)
		wantError(t, res, http.StatusUnauthorized, "use_attestation_challenge")
	})
}

// TestAttestationReplay covers D11 and ATT-10: a PoP's jti is single use,
// also under concurrency.
func TestAttestationReplay(t *testing.T) {
	f := atSetup(t)
	t.Run("D11 the same PoP replayed", func(t *testing.T) {
		in := f.instance(t, atWalletID())
		h := in.headers(t)
		atWantToken(t, in.redeem(t, h, nil), in.ID)
		atWantError(t, in.redeem(t, h, nil), http.StatusUnauthorized, "invalid_client", "the client attestation PoP was used before")
	})
	t.Run("D11 a new PoP reusing a jti, 50 s later", func(t *testing.T) {
		in := f.instance(t, atWalletID())
		jti := randomJTI()
		atWantToken(t, in.redeem(t, atHeaders(in.Att, in.pop(t, func(_, c map[string]any) { c["jti"] = jti })), nil), in.ID)
		f.ts.Clock.Advance(50 * time.Second)
		again := in.pop(t, func(_, c map[string]any) { c["jti"] = jti })
		atWantError(t, in.redeem(t, atHeaders(in.Att, again), nil), http.StatusUnauthorized, "invalid_client", "the client attestation PoP was used before")
	})
	t.Run("the same jti from another instance is not a replay", func(t *testing.T) {
		id, jti := atWalletID(), randomJTI()
		for range 2 {
			in := f.instance(t, id)
			atWantToken(t, in.redeem(t, atHeaders(in.Att, in.pop(t, func(_, c map[string]any) { c["jti"] = jti })), nil), id)
		}
	})
	t.Run("D11 replayed at /revoke", func(t *testing.T) {
		in := f.instance(t, atWalletID())
		h := in.headers(t)
		b := atWantToken(t, in.redeem(t, h, nil), in.ID)
		atWantError(t, f.ts.post(t, "/revoke", url.Values{"token": {b.RefreshToken}}, h), http.StatusUnauthorized, "invalid_client", "the client attestation PoP was used before")
	})
	t.Run("D11 8 concurrent requests with one PoP, each for its own offer", func(t *testing.T) {
		in := f.instance(t, atWalletID())
		pop := in.pop(t, nil)
		const n = 8
		type request struct {
			form url.Values
			hdr  map[string]string
		}
		reqs := make([]request, n)
		for i := range reqs {
			reqs[i] = request{
				form: url.Values{"grant_type": {preAuth}, "pre-authorized_code": {code(f.ts.offer(t, nil))}, "client_id": {in.ID}},
				hdr:  map[string]string{hdrAtt: in.Att, hdrPoP: pop, "DPoP": f.ts.freshProof(t, newWallet(t))},
			}
		}
		results := make([]struct {
			status int
			body   []byte
			err    error
		}, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				results[i].status, results[i].body, results[i].err = asPostNoFatal(f.ts.TokenURL(), reqs[i].form, reqs[i].hdr)
			}()
		}
		close(start)
		wg.Wait()
		ok := 0
		for i, r := range results {
			switch {
			case r.err != nil:
				t.Fatalf("request %d: %v", i, r.err)
			case r.status == http.StatusOK:
				ok++
			case r.status == http.StatusUnauthorized && strings.Contains(string(r.body), "the client attestation PoP was used before"):
			default:
				t.Errorf("request %d: %d %s; want 200 or 401 for a replayed PoP", i, r.status, r.body)
			}
		}
		if ok != 1 {
			t.Fatalf("%d of %d concurrent requests with one PoP succeeded; want exactly 1", ok, n)
		}
	})
}

// TestAttestationLargeChain covers D18 and ATT-18: a 12 KiB attestation
// with a long x5c chain is accepted.
func TestAttestationLargeChain(t *testing.T) {
	f := atSetup(t)
	parent := f.Inter
	chain := []*x509.Certificate{f.Inter.Cert}
	for i := range 16 {
		parent = atIssue(t, parent, "Intermediate "+string(rune('A'+i)), true, nil)
		chain = append([]*x509.Certificate{parent.Cert}, chain...)
	}
	leaf := atIssue(t, parent, "Deep leaf", false, nil)
	in := f.instance(t, atWalletID())
	h := map[string]any{"typ": atTyp, "alg": "ES256", "x5c": atX5C(append([]*x509.Certificate{leaf.Cert}, chain...)...)}
	in.Att = rawJWS(t, leaf.Key, h, f.attClaims(in.ID, in.Key), nil)
	if len(in.Att) < 12<<10 {
		t.Fatalf("attestation of %d bytes; the test needs at least 12 KiB", len(in.Att))
	}
	atWantToken(t, in.redeem(t, in.headers(t), nil), in.ID)
}
