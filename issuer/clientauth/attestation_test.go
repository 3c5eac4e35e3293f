package clientauth_test

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"slices"
	"strings"
	"testing"
	"time"

	"issuer/issuer/clientauth"
	"issuer/issuer/clients"
	"issuer/issuer/oauth"
	"issuer/issuer/walletprovider"
)

// Wallet attestations (attestation-based client auth -07 §5.1, §6, §9;
// OpenID4VCI App. E; HAIP §4.4.1): checklist ATT-01..05, ATT-11, HAIP-07,
// HAIP-09, VCI-61; adversarial D01..D08, D14, C02.

const (
	atUntrusted = "the client attestation is not signed by a trusted wallet provider"
	atAnchor    = "the client attestation's x5c contains a trust anchor, which it must not"
)

// wantAttested asserts an attested client id bound to key's instance.
func wantAttested(t *testing.T, f *atFixture, req clientauth.Request, id, jkt string) {
	t.Helper()
	before := f.Store.Recorded()
	c, b, err := f.authenticate(t, req)
	wantClient(t, c, err, id)
	if b.Instance != jkt || b.JKT != "" || b.X5T != "" {
		t.Errorf("binding = %+v; want Instance %s only", b, jkt)
	}
	if !c.DPoPBound || c.AuthMethod != oauth.AuthAttestJWT {
		t.Errorf("client = %+v; want a DPoP-bound attest_jwt_client_auth client", c)
	}
	if f.Store.Recorded() != before+1 {
		t.Errorf("the PoP's jti was not recorded")
	}
}

func TestAttestationAccepted(t *testing.T) {
	f := atSetup(t)
	now := f.Clock.Now()
	withAtt := func(mod func(h, c map[string]any)) func(t *testing.T, in *instance) clientauth.Request {
		return func(t *testing.T, in *instance) clientauth.Request {
			in.Att = f.attest(t, in.ID, in.Key, mod)
			return in.request(in.pop(t, nil))
		}
	}
	cases := []struct {
		name string
		req  func(t *testing.T, in *instance) clientauth.Request
	}{
		{"x5c leaf and intermediate chain to the root", func(t *testing.T, in *instance) clientauth.Request { return in.request(in.pop(t, nil)) }},
		{"x5c leaf issued by the root itself", func(t *testing.T, in *instance) clientauth.Request {
			leaf := issueCert(t, f.Root, &x509.Certificate{})
			in.Att = signES256(t, leaf.Key, map[string]any{"typ": atTyp, "alg": "ES256", "x5c": x5c(leaf.Cert)}, f.attClaims(in.ID, in.Key))
			return in.request(in.pop(t, nil))
		}},
		{"JWKS provider, key named by kid", func(t *testing.T, in *instance) clientauth.Request {
			c := f.attClaims(in.ID, in.Key)
			c["iss"] = atJWKSIssuer
			in.Att = signES256(t, f.JWKSKey, map[string]any{"typ": atTyp, "alg": "ES256", "kid": "jw-1"}, c)
			return in.request(in.pop(t, nil))
		}},
		{"JWKS provider, no kid", func(t *testing.T, in *instance) clientauth.Request {
			c := f.attClaims(in.ID, in.Key)
			c["iss"] = atJWKSIssuer
			in.Att = signES256(t, f.JWKSKey, map[string]any{"typ": atTyp, "alg": "ES256"}, c)
			return in.request(in.pop(t, nil))
		}},
		{"HAIP-09 no client_id parameter", func(t *testing.T, in *instance) clientauth.Request {
			return attRequest(in.Att, in.pop(t, nil), nil)
		}},
		{"typ with the application/ prefix, in upper case", withAtt(func(h, _ map[string]any) { h["typ"] = "Application/" + strings.ToUpper(atTyp) })},
		{"without iat", withAtt(func(_, c map[string]any) { delete(c, "iat") })},
		{"FAPI-07 iat and nbf 10 s ahead", withAtt(func(_, c map[string]any) {
			c["iat"], c["nbf"] = now.Add(10*time.Second).Unix(), now.Add(10*time.Second).Unix()
		})},
		{"exp now", withAtt(func(_, c map[string]any) { c["exp"] = now.Unix() })},
		{"App. E claims are ignored", withAtt(func(_, c map[string]any) {
			c["wallet_name"], c["status"] = "Test Wallet", map[string]any{"status_list": map[string]any{"idx": 3}}
		})},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := f.instance(t, "https://wallet.example/"+randomJTI()[:8])
			wantAttested(t, f, tc.req(t, in), in.ID, thumbprint(&in.Key.PublicKey))
		})
	}
}

// TestAttestationRefused covers the attestation's own checks; every
// refusal is invalid_client (C02: invalid_request) and records nothing.
func TestAttestationRefused(t *testing.T) {
	f := atSetup(t)
	now := f.Clock.Now()
	type build func(t *testing.T, in *instance) clientauth.Request
	withAtt := func(mod func(h, c map[string]any)) build {
		return func(t *testing.T, in *instance) clientauth.Request {
			in.Att = f.attest(t, in.ID, in.Key, mod)
			return in.request(in.pop(t, nil))
		}
	}
	signedBy := func(c *cert, chain ...*x509.Certificate) build {
		return func(t *testing.T, in *instance) clientauth.Request {
			in.Att = signES256(t, c.Key, map[string]any{"typ": atTyp, "alg": "ES256", "x5c": x5c(chain...)}, f.attClaims(in.ID, in.Key))
			return in.request(in.pop(t, nil))
		}
	}
	selfSigned := issueCert(t, nil, &x509.Certificate{Subject: pkix.Name{CommonName: "Test Wallet Provider Attestations"}})
	otherRoot := newCA(t, "Other Root")
	otherLeaf := issueCert(t, otherRoot, &x509.Certificate{})
	noSign := issueCert(t, f.Inter, &x509.Certificate{KeyUsage: x509.KeyUsageKeyAgreement})
	priv := publicJWK(&newKey(t).PublicKey)
	priv["d"] = b64(make([]byte, 32))
	const twoMethods = "the client used more than one authentication method"
	cases := []struct {
		name string
		req  build
		code string // invalid_client when ""
		desc string
	}{
		// ATT-01: one attestation and one PoP.
		{"D01 attestation without PoP", func(t *testing.T, in *instance) clientauth.Request {
			return clientauth.Request{ClientAttestation: []string{in.Att}}
		}, "", "the OAuth-Client-Attestation-PoP header is missing"},
		{"PoP without attestation", func(t *testing.T, in *instance) clientauth.Request {
			return clientauth.Request{ClientAttestationPoP: []string{in.pop(t, nil)}}
		}, "", "the OAuth-Client-Attestation header is missing"},
		{"D02 two attestations", func(t *testing.T, in *instance) clientauth.Request {
			r := in.request(in.pop(t, nil))
			r.ClientAttestation = append(r.ClientAttestation, in.Att)
			return r
		}, "", "the request has more than one OAuth-Client-Attestation header"},
		{"two PoPs", func(t *testing.T, in *instance) clientauth.Request {
			r := in.request(in.pop(t, nil))
			r.ClientAttestationPoP = append(r.ClientAttestationPoP, in.pop(t, nil))
			return r
		}, "", "the request has more than one OAuth-Client-Attestation-PoP header"},
		{"two attestations joined with a comma", func(t *testing.T, in *instance) clientauth.Request {
			return attRequest(in.Att+","+in.Att, in.pop(t, nil), nil)
		}, "", "the client attestation is not one compact JWT"},
		{"empty attestation", func(t *testing.T, in *instance) clientauth.Request {
			return attRequest("", in.pop(t, nil), nil)
		}, "", "the client attestation is not one compact JWT"},
		{"attestation not base64", func(t *testing.T, in *instance) clientauth.Request {
			p := strings.Split(in.Att, ".")
			return attRequest(p[0]+".$$$."+p[2], in.pop(t, nil), nil)
		}, "", "the client attestation is malformed"},
		// ATT-02: typ, alg and the required claims.
		{"D03 typ JWT", withAtt(func(h, _ map[string]any) { h["typ"] = "JWT" }), "", "the client attestation's typ must be oauth-client-attestation+jwt"},
		{"no typ", withAtt(func(h, _ map[string]any) { delete(h, "typ") }), "", "the client attestation's typ must be oauth-client-attestation+jwt"},
		{"typ of a PoP", withAtt(func(h, _ map[string]any) { h["typ"] = atPoPTyp }), "", "the client attestation's typ must be oauth-client-attestation+jwt"},
		{"alg none, unsigned", func(t *testing.T, in *instance) clientauth.Request {
			return attRequest(signingInput(t, map[string]any{"typ": atTyp, "alg": "none"}, f.attClaims(in.ID, in.Key))+".", in.pop(t, nil), nil)
		}, "", "the client attestation is malformed"},
		{"alg none with the valid signature appended", withAtt(func(h, _ map[string]any) { h["alg"] = "none" }), "", "the client attestation's algorithm is not allowed"},
		{"ATT-03 alg outside the allow-list (RS256)", withAtt(func(h, _ map[string]any) { h["alg"] = "RS256" }), "", "the client attestation's algorithm is not allowed"},
		{"HS256 keyed with the JWKS provider's JWK", func(t *testing.T, in *instance) clientauth.Request {
			c := f.attClaims(in.ID, in.Key)
			c["iss"] = atJWKSIssuer
			return in.request2(signHS256(t, []byte(b64(f.JWKSKey.X.Bytes())), map[string]any{"typ": atTyp, "alg": "HS256", "kid": "jw-1"}, c), in.pop(t, nil))
		}, "", "the client attestation's algorithm is not allowed"},
		{"crit", withAtt(func(h, _ map[string]any) { h["crit"] = []string{"exp"} }), "", "the client attestation uses header parameters this server does not support (crit, b64)"},
		{"b64", withAtt(func(h, _ map[string]any) { h["b64"] = true }), "", "the client attestation uses header parameters this server does not support (crit, b64)"},
		{"no sub", withAtt(func(_, c map[string]any) { delete(c, "sub") }), "", "the client attestation has no sub"},
		{"sub not a valid client_id", func(t *testing.T, in *instance) clientauth.Request {
			in.ID = "has space"
			in.Att = f.attest(t, in.ID, in.Key, nil)
			return in.request(in.pop(t, nil))
		}, "", "the client attestation's sub is not a valid client_id"},
		{"-07 no iss", withAtt(func(_, c map[string]any) { delete(c, "iss") }), "", "the client attestation has no iss"},
		{"no exp", withAtt(func(_, c map[string]any) { delete(c, "exp") }), "", "the client attestation has no exp"},
		{"no cnf", withAtt(func(_, c map[string]any) { delete(c, "cnf") }), "", "the client attestation has no cnf.jwk"},
		{"cnf.kid instead of cnf.jwk", withAtt(func(_, c map[string]any) { c["cnf"] = map[string]any{"kid": "k"} }), "", "the client attestation has no cnf.jwk"},
		// ATT-03, HAIP-07, VCI-61: signed by a trusted provider.
		{"D04 self-signed x5c", signedBy(selfSigned, selfSigned.Cert), "", atUntrusted},
		{"D04 x5c chaining to another root", signedBy(otherLeaf, otherLeaf.Cert), "", atUntrusted},
		{"D04 the trusted chain, signed by another key", func(t *testing.T, in *instance) clientauth.Request {
			in.Att = signES256(t, newKey(t), map[string]any{"typ": atTyp, "alg": "ES256", "x5c": x5c(f.Leaf.Cert, f.Inter.Cert)}, f.attClaims(in.ID, in.Key))
			return in.request(in.pop(t, nil))
		}, "", atUntrusted},
		{"x5c without its intermediate", signedBy(f.Leaf, f.Leaf.Cert), "", atUntrusted},
		{"x5c leaf without digitalSignature", signedBy(noSign, noSign.Cert, f.Inter.Cert), "", atUntrusted},
		{"D05 the anchor inside x5c", signedBy(f.Leaf, f.Leaf.Cert, f.Inter.Cert, f.Root.Cert), "", atAnchor},
		{"D05 the anchor alone, signing", signedBy(f.Root, f.Root.Cert), "", atAnchor},
		{"HAIP-07 only a kid, no x5c", func(t *testing.T, in *instance) clientauth.Request {
			in.Att = signES256(t, f.Leaf.Key, map[string]any{"typ": atTyp, "alg": "ES256", "kid": "leaf"}, f.attClaims(in.ID, in.Key))
			return in.request(in.pop(t, nil))
		}, "", atUntrusted},
		{"x5c not base64 DER", withAtt(func(h, _ map[string]any) {
			h["x5c"] = []string{base64.StdEncoding.EncodeToString([]byte("not a certificate"))}
		}), "",
			"the client attestation's x5c is not a list of base64 DER certificates"},
		{"x5c of 31 certificates", withAtt(func(h, _ map[string]any) {
			h["x5c"] = x5c(slices.Repeat([]*x509.Certificate{f.Leaf.Cert}, 31)...)
		}), "", "the client attestation's x5c has more than 30 certificates"},
		{"iss of the JWKS provider on an x5c attestation", withAtt(func(_, c map[string]any) { c["iss"] = atJWKSIssuer }), "", atUntrusted},
		{"JWKS provider, unknown kid", func(t *testing.T, in *instance) clientauth.Request {
			c := f.attClaims(in.ID, in.Key)
			c["iss"] = atJWKSIssuer
			return in.request2(signES256(t, f.JWKSKey, map[string]any{"typ": atTyp, "alg": "ES256", "kid": "jw-9"}, c), in.pop(t, nil))
		}, "", atUntrusted},
		{"JWKS provider's kid, signed by another key", func(t *testing.T, in *instance) clientauth.Request {
			c := f.attClaims(in.ID, in.Key)
			c["iss"] = atJWKSIssuer
			return in.request2(signES256(t, newKey(t), map[string]any{"typ": atTyp, "alg": "ES256", "kid": "jw-1"}, c), in.pop(t, nil))
		}, "", atUntrusted},
		{"payload changed after signing", func(t *testing.T, in *instance) clientauth.Request {
			p := strings.Split(in.Att, ".")
			forged := strings.Split(f.attest(t, "https://wallet.example/forged", in.Key, nil), ".")
			return attRequest(p[0]+"."+forged[1]+"."+p[2], in.pop(t, func(_, c map[string]any) { c["iss"] = "https://wallet.example/forged" }), nil)
		}, "", atUntrusted},
		// ATT-02, FAPI-07: times.
		{"D06 exp 60 s ago", withAtt(func(_, c map[string]any) { c["exp"] = now.Add(-time.Minute).Unix() }), "", "the client attestation has expired"},
		{"exp 1 s ago", withAtt(func(_, c map[string]any) { c["exp"] = now.Add(-time.Second).Unix() }), "", "the client attestation has expired"},
		{"nbf 11 s ahead", withAtt(func(_, c map[string]any) { c["nbf"] = now.Add(11 * time.Second).Unix() }), "", "the client attestation is not valid yet"},
		{"FAPI-07 iat 61 s ahead", withAtt(func(_, c map[string]any) { c["iat"] = now.Add(61 * time.Second).Unix() }), "", "the client attestation was issued in the future"},
		{"iat 11 s ahead", withAtt(func(_, c map[string]any) { c["iat"] = now.Add(11 * time.Second).Unix() }), "", "the client attestation was issued in the future"},
		// ATT-04: the instance key.
		{"D08 cnf.jwk with the private d", withAtt(func(_, c map[string]any) { c["cnf"] = map[string]any{"jwk": priv} }), "", "the client attestation's cnf.jwk must be a public key"},
		{"cnf.jwk symmetric", withAtt(func(_, c map[string]any) {
			c["cnf"] = map[string]any{"jwk": map[string]any{"kty": "oct", "k": b64([]byte(strings.Repeat("k", 32)))}}
		}), "", "the client attestation's cnf.jwk must be a public key"},
		{"cnf.jwk not a JWK", withAtt(func(_, c map[string]any) { c["cnf"] = map[string]any{"jwk": map[string]any{"kty": "EC"}} }), "", "the client attestation's cnf.jwk is not a JWK"},
		// ATT-11, HAIP-09: the client.
		{"D14 client_id of another wallet", func(t *testing.T, in *instance) clientauth.Request {
			r := in.request(in.pop(t, nil))
			r.Params["client_id"] = "https://wallet.example/other"
			return r
		}, "", "client_id does not match the sub of the client attestation"},
		{"sub registered with another method", func(t *testing.T, in *instance) clientauth.Request {
			f.register(t, clients.Metadata{ClientID: in.ID, TokenEndpointAuthMethod: oauth.AuthNone})
			return in.request(in.pop(t, nil))
		}, "", "the client is registered with another authentication method than attest_jwt_client_auth"},
		// C02, OA-12: one method per request.
		{"C02 attestation and Basic", func(t *testing.T, in *instance) clientauth.Request {
			r := in.request(in.pop(t, nil))
			r.Authorization = basic(in.ID, strings.Repeat("s", 40))
			return r
		}, oauth.CodeInvalidRequest, twoMethods},
		{"C02 attestation and client_secret", func(t *testing.T, in *instance) clientauth.Request {
			r := in.request(in.pop(t, nil))
			r.Params["client_secret"] = strings.Repeat("s", 40)
			return r
		}, oauth.CodeInvalidRequest, twoMethods},
		{"C02 attestation and client_assertion", func(t *testing.T, in *instance) clientauth.Request {
			r := in.request(in.pop(t, nil))
			r.Params["client_assertion_type"], r.Params["client_assertion"] = assertionType, in.pop(t, nil)
			return r
		}, oauth.CodeInvalidRequest, twoMethods},
		{"C02 a PoP alone and Basic", func(t *testing.T, in *instance) clientauth.Request {
			return clientauth.Request{ClientAttestationPoP: []string{in.pop(t, nil)}, Authorization: basic(in.ID, "s")}
		}, oauth.CodeInvalidRequest, twoMethods},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := f.instance(t, "https://wallet.example/"+randomJTI()[:8])
			req := tc.req(t, in)
			code := tc.code
			if code == "" {
				code = oauth.CodeInvalidClient
			}
			before := f.Store.Recorded()
			c, b, err := f.authenticate(t, req)
			wantError(t, c, err, code, tc.desc)
			if b != (oauth.Binding{}) {
				t.Errorf("binding = %+v on a refusal", b)
			}
			f.wantNothingStored(t, before)
		})
	}
}

// request2 is a request with attestation att, pop and the instance's
// client_id.
func (in *instance) request2(att, pop string) clientauth.Request {
	return attRequest(att, pop, map[string]string{"client_id": in.ID})
}

// TestAttestationExpiredLeaf: the x5c chain is verified at the clock's
// time: the same attestation is refused once the leaf has expired.
func TestAttestationExpiredLeaf(t *testing.T) {
	f := atSetup(t)
	leaf := issueCert(t, f.Inter, &x509.Certificate{NotBefore: f.Clock.Now().Add(-time.Hour), NotAfter: f.Clock.Now().Add(time.Minute)})
	in := f.instance(t, "https://wallet.example/a")
	sign := func() string {
		return signES256(t, leaf.Key, map[string]any{"typ": atTyp, "alg": "ES256", "x5c": x5c(leaf.Cert, f.Inter.Cert)}, f.attClaims(in.ID, in.Key))
	}
	wantAttested(t, f, in.request2(sign(), in.pop(t, nil)), in.ID, thumbprint(&in.Key.PublicKey))
	f.Clock.Advance(2 * time.Minute)
	c, _, err := f.authenticate(t, in.request2(sign(), in.pop(t, nil)))
	wantError(t, c, err, oauth.CodeInvalidClient, atUntrusted)
}

// TestAttestationFreshness covers ATT-05 / D07: with max_attestation_age,
// an older attestation, or one without iat, is use_fresh_attestation; an
// expired one stays invalid_client.
func TestAttestationFreshness(t *testing.T) {
	f := atSetup(t, func(c *clientauth.Config) { c.Attestation.MaxAttestationAge = 24 * time.Hour })
	now := f.Clock.Now()
	for _, tc := range []struct {
		name string
		mod  func(_, c map[string]any)
		code string // "" when accepted
	}{
		{"D07 iat 30 days ago", func(_, c map[string]any) { c["iat"] = now.Add(-30 * 24 * time.Hour).Unix() }, oauth.CodeUseFreshAttestation},
		{"iat 24 h and 1 s ago", func(_, c map[string]any) { c["iat"] = now.Add(-24*time.Hour - time.Second).Unix() }, oauth.CodeUseFreshAttestation},
		{"no iat", func(_, c map[string]any) { delete(c, "iat") }, oauth.CodeUseFreshAttestation},
		{"iat 24 h ago", func(_, c map[string]any) { c["iat"] = now.Add(-24 * time.Hour).Unix() }, ""},
		{"D06 expired and old", func(_, c map[string]any) {
			c["iat"], c["exp"] = now.Add(-30*24*time.Hour).Unix(), now.Add(-time.Minute).Unix()
		}, oauth.CodeInvalidClient},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := f.instance(t, "https://wallet.example/"+randomJTI()[:8])
			in.Att = f.attest(t, in.ID, in.Key, tc.mod)
			if tc.code == "" {
				wantAttested(t, f, in.request(in.pop(t, nil)), in.ID, thumbprint(&in.Key.PublicKey))
				return
			}
			before := f.Store.Recorded()
			c, _, err := f.authenticate(t, in.request(in.pop(t, nil)))
			wantError(t, c, err, tc.code, "")
			f.wantNothingStored(t, before)
		})
	}
}

// TestAttestationMissingIssuerAllowed: with allow_missing_iss, an
// attestation without iss is accepted from a provider without issuer, and
// still refused by a provider that names one.
func TestAttestationMissingIssuerAllowed(t *testing.T) {
	key := newKey(t)
	f := atSetup(t, func(c *clientauth.Config) {
		c.Attestation.AllowMissingIssuer = true
		c.Attestation.Providers = append(c.Attestation.Providers, walletprovider.Provider{
			Name: "issuerless", JWKS: map[string]any{"keys": []any{jwkWithKid(key, "il-1")}}})
	})
	in := f.instance(t, "https://wallet.example/a")
	c := f.attClaims(in.ID, in.Key)
	delete(c, "iss")
	wantAttested(t, f, in.request2(signES256(t, key, map[string]any{"typ": atTyp, "alg": "ES256"}, c), in.pop(t, nil)), in.ID, thumbprint(&in.Key.PublicKey))
	cl, _, err := f.authenticate(t, in.request2(f.attest(t, in.ID, in.Key, func(_, c map[string]any) { delete(c, "iss") }), in.pop(t, nil)))
	wantError(t, cl, err, oauth.CodeInvalidClient, atUntrusted)
}

// TestAttestedClient: the client of an attestation is the registered
// client sub when it uses this method (its registration kept, DPoP bound),
// else a client made from the attestation, with the grants of a wallet and
// only the redirect_uris the allow-list accepts.
func TestAttestedClient(t *testing.T) {
	f := atSetup(t)
	t.Run("registered", func(t *testing.T) {
		in := f.instance(t, "https://wallet.example/registered")
		f.register(t, clients.Metadata{ClientID: in.ID, TokenEndpointAuthMethod: oauth.AuthAttestJWT,
			GrantTypes: []string{oauth.GrantAuthorizationCode}, RedirectURIs: []string{"https://wallet.example/cb"}, Scope: "pid"})
		c, _, err := f.authenticate(t, in.request(in.pop(t, nil)))
		wantClient(t, c, err, in.ID)
		if !slices.Equal(c.GrantTypes, []string{oauth.GrantAuthorizationCode}) || c.Scope != "pid" || !c.DPoPBound ||
			!slices.Equal(c.RedirectURIs, []string{"https://wallet.example/cb"}) {
			t.Errorf("client = %+v; want the registration, DPoP bound", c)
		}
	})
	t.Run("unregistered", func(t *testing.T) {
		in := f.instance(t, "https://wallet.example/unregistered")
		in.Att = f.attest(t, in.ID, in.Key, func(_, c map[string]any) {
			c["redirect_uris"] = []string{"https://wallet.example/cb", "http://wallet.example/cb", "javascript:alert(1)", "com.example.wallet:/cb"}
		})
		c, _, err := f.authenticate(t, in.request(in.pop(t, nil)))
		wantClient(t, c, err, in.ID)
		want := []string{oauth.GrantAuthorizationCode, oauth.GrantPreAuthorizedCode, oauth.GrantRefreshToken}
		if !slices.Equal(c.GrantTypes, want) || !c.DPoPBound || c.AuthMethod != oauth.AuthAttestJWT {
			t.Errorf("client = %+v; want grants %v, DPoP bound", c, want)
		}
		if !slices.Equal(c.RedirectURIs, []string{"https://wallet.example/cb", "com.example.wallet:/cb"}) {
			t.Errorf("redirect URIs = %v; want only those of the allow-list", c.RedirectURIs)
		}
		if _, err := f.Store.GetClient(t.Context(), in.ID); err == nil {
			t.Errorf("the attested client was registered; want nothing stored")
		}
	})
}
