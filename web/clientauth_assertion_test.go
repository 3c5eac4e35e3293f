package web_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"issuer/issuer"
	"issuer/issuer/oauth"
)

// JWT client authentication (RFC 7523 §2.2, OIDC Core §9, FAPI 2.0
// §5.3.2.1): checklist JWTA-01..11, OIDC-15, FAPI-07/08; adversarial C02,
// C05..C15.

// asFixture holds one client of each kind, registered afresh for each
// subtest so that failures in one never throttle another.
type asFixture struct {
	ts        *testServer
	PK        registeredClient // private_key_jwt with keys k1 and k2
	Key1      *ecdsa.PrivateKey
	Key2      *ecdsa.PrivateKey
	SJ        registeredClient // client_secret_jwt
	Basic     registeredClient // client_secret_basic
	Other     *ecdsa.PrivateKey
	PublicJWK map[string]any // the registered JWK of Key1, with its kid
}

func asSetup(t testing.TB, ts *testServer) *asFixture {
	t.Helper()
	f := &asFixture{ts: ts, Key1: asNewKey(t), Key2: asNewKey(t), Other: asNewKey(t)}
	f.PublicJWK = asJWK(f.Key1, "k1")
	f.PK = ts.registerClient(t, map[string]any{
		"token_endpoint_auth_method": "private_key_jwt", "scope": "read",
		"grant_types": []string{oauth.GrantClientCredentials},
		"jwks":        map[string]any{"keys": []any{f.PublicJWK, asJWK(f.Key2, "k2")}},
	})
	f.SJ = ts.ccClient(t, "client_secret_jwt", "read")
	f.Basic = ts.ccClient(t, "client_secret_basic", "read")
	return f
}

// asRS signs claims RS256 with key.
func asRS(t testing.TB, key *rsa.PrivateKey, claims map[string]any) string {
	t.Helper()
	input := asInput(t, map[string]any{"alg": "RS256", "typ": "JWT"}, claims)
	d := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, d[:])
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + asB64(sig)
}

// asNone is an unsigned (alg none) JWT.
func asNone(t testing.TB, claims map[string]any) string {
	t.Helper()
	return asInput(t, map[string]any{"alg": "none", "typ": "JWT"}, claims) + "."
}

// pk signs valid claims of the private_key_jwt client with key k1, after
// mod changes them.
func (f *asFixture) pk(t testing.TB, mod func(c map[string]any)) string {
	t.Helper()
	c := asClaims(f.ts, f.PK.ID)
	if mod != nil {
		mod(c)
	}
	return asES(t, f.Key1, "k1", c)
}

// sj MACs valid claims of the client_secret_jwt client with its secret,
// after mod changes them.
func (f *asFixture) sj(t testing.TB, mod func(c map[string]any)) string {
	t.Helper()
	c := asClaims(f.ts, f.SJ.ID)
	if mod != nil {
		mod(c)
	}
	return asHS(t, []byte(f.SJ.Secret), nil, c)
}

// TestAssertionClientRegistration covers the admin API side of
// private_key_jwt and client_secret_jwt.
func TestAssertionClientRegistration(t *testing.T) {
	ts := newTestServer(t)
	k := asNewKey(t)
	jwks := map[string]any{"keys": []any{asJWK(k, "k1")}}

	t.Run("private_key_jwt with jwks has no secret", func(t *testing.T) {
		c := ts.registerClient(t, map[string]any{"token_endpoint_auth_method": "private_key_jwt", "jwks": jwks,
			"grant_types": []string{oauth.GrantClientCredentials}})
		if c.Secret != "" || c.Method != "private_key_jwt" {
			t.Fatalf("client = %+v; want method private_key_jwt and no client_secret", c)
		}
	})
	t.Run("client_secret_jwt gets a generated secret", func(t *testing.T) {
		c := ts.registerClient(t, map[string]any{"token_endpoint_auth_method": "client_secret_jwt",
			"grant_types": []string{oauth.GrantClientCredentials}})
		if len(c.Secret) < 32 || c.Method != "client_secret_jwt" {
			t.Fatalf("client = %+v; want method client_secret_jwt and a secret of at least 32 characters", c)
		}
	})

	private := publicJWK(&k.PublicKey)
	private["d"] = asB64(k.D.FillBytes(make([]byte, 32)))
	refused := []struct {
		name string
		meta map[string]any
	}{
		{"private_key_jwt without jwks", map[string]any{"token_endpoint_auth_method": "private_key_jwt"}},
		{"private_key_jwt with an empty key set", map[string]any{"token_endpoint_auth_method": "private_key_jwt",
			"jwks": map[string]any{"keys": []any{}}}},
		{"private_key_jwt with a private key (d)", map[string]any{"token_endpoint_auth_method": "private_key_jwt",
			"jwks": map[string]any{"keys": []any{private}}}},
		{"private_key_jwt with a public and a private key", map[string]any{"token_endpoint_auth_method": "private_key_jwt",
			"jwks": map[string]any{"keys": []any{asJWK(asNewKey(t), "a"), private}}}},
		{"private_key_jwt with a symmetric key (k)", map[string]any{"token_endpoint_auth_method": "private_key_jwt",
			"jwks": map[string]any{"keys": []any{map[string]any{"kty": "oct", "k": asB64([]byte(strings.Repeat("s", 32)))}}}}},
		{"private_key_jwt with jwks that is not a key set", map[string]any{"token_endpoint_auth_method": "private_key_jwt",
			"jwks": "not a key set"}},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			res := ts.admin(t, http.MethodPost, "/admin/clients", tc.meta)
			wantError(t, res, http.StatusBadRequest, "invalid_client_metadata")
		})
	}
}

// TestAssertionMetadata covers the discovery of JWT client authentication.
func TestAssertionMetadata(t *testing.T) {
	ts := newTestServer(t)
	m, _ := getJSON(t, ts.URL+"/.well-known/oauth-authorization-server")
	strs := func(name string) []string {
		raw, ok := m[name].([]any)
		if !ok {
			t.Fatalf("%s = %v; want an array", name, m[name])
		}
		var out []string
		for _, v := range raw {
			s, _ := v.(string)
			out = append(out, s)
		}
		return out
	}
	methods := strs("token_endpoint_auth_methods_supported")
	for _, want := range []string{"private_key_jwt", "client_secret_jwt"} {
		if !slices.Contains(methods, want) {
			t.Errorf("token_endpoint_auth_methods_supported = %v; want %s", methods, want)
		}
	}
	algs := strs("token_endpoint_auth_signing_alg_values_supported")
	for _, want := range []string{"ES256", "HS256"} {
		if !slices.Contains(algs, want) {
			t.Errorf("token_endpoint_auth_signing_alg_values_supported = %v; want %s", algs, want)
		}
	}
	for _, a := range algs {
		if strings.EqualFold(a, "none") {
			t.Errorf("token_endpoint_auth_signing_alg_values_supported = %v; must never hold none", algs)
		}
	}
}

// TestAssertionAccepted covers the valid assertions (JWTA-01..08 positive
// cases, FAPI-07 skew).
func TestAssertionAccepted(t *testing.T) {
	ts := newTestServer(t)
	cases := []struct {
		name   string
		client func(f *asFixture) string
		form   func(t *testing.T, f *asFixture) url.Values
	}{
		{"private_key_jwt ES256 with kid", func(f *asFixture) string { return f.PK.ID },
			func(t *testing.T, f *asFixture) url.Values { return asForm(f.pk(t, nil)) }},
		{"private_key_jwt ES256 without kid", func(f *asFixture) string { return f.PK.ID },
			func(t *testing.T, f *asFixture) url.Values { return asForm(asES(t, f.Key1, "", asClaims(ts, f.PK.ID))) }},
		{"private_key_jwt second key with kid", func(f *asFixture) string { return f.PK.ID },
			func(t *testing.T, f *asFixture) url.Values {
				return asForm(asES(t, f.Key2, "k2", asClaims(ts, f.PK.ID)))
			}},
		{"private_key_jwt second key without kid", func(f *asFixture) string { return f.PK.ID },
			func(t *testing.T, f *asFixture) url.Values { return asForm(asES(t, f.Key2, "", asClaims(ts, f.PK.ID))) }},
		{"client_secret_jwt HS256", func(f *asFixture) string { return f.SJ.ID },
			func(t *testing.T, f *asFixture) url.Values { return asForm(f.sj(t, nil)) }},
		{"JWTA-11 client_id in the form matching the assertion", func(f *asFixture) string { return f.PK.ID },
			func(t *testing.T, f *asFixture) url.Values {
				v := asForm(f.pk(t, nil))
				v.Set("client_id", f.PK.ID)
				return v
			}},
		{"JWTA-06 without iat", func(f *asFixture) string { return f.PK.ID },
			func(t *testing.T, f *asFixture) url.Values {
				return asForm(f.pk(t, func(c map[string]any) { delete(c, "iat") }))
			}},
		{"FAPI-07 iat 10 s ahead", func(f *asFixture) string { return f.PK.ID },
			func(t *testing.T, f *asFixture) url.Values {
				return asForm(f.pk(t, func(c map[string]any) { c["iat"] = ts.Clock.Now().Add(10 * time.Second).Unix() }))
			}},
		{"FAPI-07 nbf 10 s ahead", func(f *asFixture) string { return f.PK.ID },
			func(t *testing.T, f *asFixture) url.Values {
				return asForm(f.pk(t, func(c map[string]any) { c["nbf"] = ts.Clock.Now().Add(10 * time.Second).Unix() }))
			}},
		{"nbf now", func(f *asFixture) string { return f.SJ.ID },
			func(t *testing.T, f *asFixture) url.Values {
				return asForm(f.sj(t, func(c map[string]any) { c["nbf"] = ts.Clock.Now().Unix() }))
			}},
		{"exp at the 10 minute limit", func(f *asFixture) string { return f.PK.ID },
			func(t *testing.T, f *asFixture) url.Values {
				return asForm(f.pk(t, func(c map[string]any) { c["exp"] = ts.Clock.Now().Add(10 * time.Minute).Unix() }))
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := asSetup(t, ts)
			asWantClient(t, ts.asToken(t, tc.form(t, f), nil), tc.client(f))
		})
	}
}

// TestAssertionRefused covers C02, C05..C08, C10..C15 and the
// method-mismatch cases: each refused with 401 invalid_client (C02: 400
// invalid_request), after which the client still authenticates.
func TestAssertionRefused(t *testing.T) {
	ts := newTestServer(t)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	const (
		badAud  = "the audience passed in JWT is not correct"
		expired = "the received JWT has expired"
		unknown = "the client doesn't exist"
	)
	only := func(a string) (url.Values, map[string][]string) { return asForm(a), nil }
	now := func() time.Time { return ts.Clock.Now() }

	cases := []struct {
		name   string
		req    func(t *testing.T, f *asFixture) (url.Values, map[string][]string)
		status int    // 401 when 0
		desc   string // exact error_description when not ""
	}{
		// JWTA-08: signatures and algorithms.
		{name: "C05 alg none", req: func(t *testing.T, f *asFixture) (url.Values, map[string][]string) {
			return only(asNone(t, asClaims(ts, f.PK.ID)))
		}},
		{name: "C05 alg none for client_secret_jwt", req: func(t *testing.T, f *asFixture) (url.Values, map[string][]string) {
			return only(asNone(t, asClaims(ts, f.SJ.ID)))
		}},
		{name: "C05 alg none with a valid ES256 signature appended", req: func(t *testing.T, f *asFixture) (url.Values, map[string][]string) {
			good := strings.Split(f.pk(t, nil), ".")
			h := asB64([]byte(`{"alg":"none","kid":"k1"}`))
			return only(h + "." + good[1] + "." + good[2])
		}},
		{name: "C06 HS256 keyed with the client's public JWK JSON", req: func(t *testing.T, f *asFixture) (url.Values, map[string][]string) {
			key, err := json.Marshal(f.PublicJWK)
			if err != nil {
				t.Fatal(err)
			}
			return only(asHS(t, key, map[string]any{"alg": "HS256", "kid": "k1"}, asClaims(ts, f.PK.ID)))
		}},
		{name: "C06 HS256 keyed with the client's public key PEM", req: func(t *testing.T, f *asFixture) (url.Values, map[string][]string) {
			der, err := x509.MarshalPKIXPublicKey(&f.Key1.PublicKey)
			if err != nil {
				t.Fatal(err)
			}
			key := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
			return only(asHS(t, key, map[string]any{"alg": "HS256"}, asClaims(ts, f.PK.ID)))
		}},
		{name: "signature by an unregistered key with a registered kid", req: func(t *testing.T, f *asFixture) (url.Values, map[string][]string) {
			return only(asES(t, f.Other, "k1", asClaims(ts, f.PK.ID)))
		}},
		{name: "signature by an unregistered key without kid", req: func(t *testing.T, f *asFixture) (url.Values, map[string][]string) {
			return only(asES(t, f.Other, "", asClaims(ts, f.PK.ID)))
		}},
		{name: "one payload byte flipped", req: func(t *testing.T, f *asFixture) (url.Values, map[string][]string) {
			c := asClaims(ts, f.PK.ID)
			parts := strings.Split(asES(t, f.Key1, "k1", c), ".")
			p, err := base64.RawURLEncoding.DecodeString(parts[1])
			if err != nil {
				t.Fatal(err)
			}
			i := bytes.Index(p, []byte(c["jti"].(string)))
			p[i] ^= 1 // still a valid JSON string
			return only(parts[0] + "." + asB64(p) + "." + parts[2])
		}},
		{name: "signature removed", req: func(t *testing.T, f *asFixture) (url.Values, map[string][]string) {
			parts := strings.Split(f.pk(t, nil), ".")
			return only(parts[0] + "." + parts[1] + ".")
		}},
		// JWTA-04, FAPI-08: the audience is the issuer identifier as a string.
		{name: "C07 aud is the token endpoint URL", desc: badAud, req: func(t *testing.T, f *asFixture) (url.Values, map[string][]string) {
			return only(f.pk(t, func(c map[string]any) { c["aud"] = ts.TokenURL() }))
		}},
		{name: "C08 aud names another audience too", desc: badAud, req: func(t *testing.T, f *asFixture) (url.Values, map[string][]string) {
			return only(f.pk(t, func(c map[string]any) { c["aud"] = []string{ts.URL, "https://other.example"} }))
		}},
		{name: "FAPI-08 aud is an array holding only the issuer", desc: badAud, req: func(t *testing.T, f *asFixture) (url.Values, map[string][]string) {
			return only(f.pk(t, func(c map[string]any) { c["aud"] = []string{ts.URL} }))
		}},
		{name: "aud is another issuer", desc: badAud, req: func(t *testing.T, f *asFixture) (url.Values, map[string][]string) {
			return only(f.pk(t, func(c map[string]any) { c["aud"] = "https://other.example" }))
		}},
		{name: "aud is the issuer with a trailing slash", desc: badAud, req: func(t *testing.T, f *asFixture) (url.Values, map[string][]string) {
			return only(f.sj(t, func(c map[string]any) { c["aud"] = ts.URL + "/" }))
		}},
		{name: "aud missing", req: func(t *testing.T, f *asFixture) (url.Values, map[string][]string) {
			return only(f.pk(t, func(c map[string]any) { delete(c, "aud") }))
		}},
		// JWTA-05, JWTA-06, FAPI-07: times.
		{name: "C10 exp 60 s ago", desc: expired, req: func(t *testing.T, f *asFixture) (url.Values, map[string][]string) {
			return only(f.pk(t, func(c map[string]any) {
				c["exp"] = now().Add(-60 * time.Second).Unix()
				c["iat"] = now().Add(-2 * time.Minute).Unix()
			}))
		}},
		{name: "C10 exp 60 s ago for client_secret_jwt", desc: expired, req: func(t *testing.T, f *asFixture) (url.Values, map[string][]string) {
			return only(f.sj(t, func(c map[string]any) { c["exp"] = now().Add(-60 * time.Second).Unix() }))
		}},
		{name: "exp missing", req: func(t *testing.T, f *asFixture) (url.Values, map[string][]string) {
			return only(f.pk(t, func(c map[string]any) { delete(c, "exp") }))
		}},
		{name: "exp one day ahead", req: func(t *testing.T, f *asFixture) (url.Values, map[string][]string) {
			return only(f.pk(t, func(c map[string]any) { c["exp"] = now().Add(24 * time.Hour).Unix() }))
		}},
		{name: "exp one second past the 10 minute limit", req: func(t *testing.T, f *asFixture) (url.Values, map[string][]string) {
			return only(f.pk(t, func(c map[string]any) { c["exp"] = now().Add(10*time.Minute + time.Second).Unix() }))
		}},
		{name: "exp is a string", req: func(t *testing.T, f *asFixture) (url.Values, map[string][]string) {
			return only(f.pk(t, func(c map[string]any) { c["exp"] = fmt.Sprint(now().Add(time.Minute).Unix()) }))
		}},
		{name: "C11 iat 120 s ahead", req: func(t *testing.T, f *asFixture) (url.Values, map[string][]string) {
			return only(f.pk(t, func(c map[string]any) { c["iat"] = now().Add(120 * time.Second).Unix() }))
		}},
		{name: "FAPI-07 iat 61 s ahead", req: func(t *testing.T, f *asFixture) (url.Values, map[string][]string) {
			return only(f.pk(t, func(c map[string]any) { c["iat"] = now().Add(61 * time.Second).Unix() }))
		}},
		{name: "iat 11 s ahead", req: func(t *testing.T, f *asFixture) (url.Values, map[string][]string) {
			return only(f.sj(t, func(c map[string]any) { c["iat"] = now().Add(11 * time.Second).Unix() }))
		}},
		{name: "FAPI-07 nbf 120 s ahead", req: func(t *testing.T, f *asFixture) (url.Values, map[string][]string) {
			return only(f.pk(t, func(c map[string]any) { c["nbf"] = now().Add(120 * time.Second).Unix() }))
		}},
		// JWTA-02, JWTA-03, JWTA-07, JWTA-11: identity and jti.
		{name: "C12 client_id A in the form, iss and sub B", req: func(t *testing.T, f *asFixture) (url.Values, map[string][]string) {
			v := asForm(f.pk(t, nil))
			v.Set("client_id", f.SJ.ID)
			return v, nil
		}},
		{name: "C12 client_id A in the form, client_secret_jwt assertion of B", req: func(t *testing.T, f *asFixture) (url.Values, map[string][]string) {
			v := asForm(f.sj(t, nil))
			v.Set("client_id", f.PK.ID)
			return v, nil
		}},
		{name: "C13 sub is a user identifier", req: func(t *testing.T, f *asFixture) (url.Values, map[string][]string) {
			return only(f.pk(t, func(c map[string]any) { c["sub"] = "user-12345" }))
		}},
		{name: "C13 sub is another client", req: func(t *testing.T, f *asFixture) (url.Values, map[string][]string) {
			return only(f.pk(t, func(c map[string]any) { c["sub"] = f.SJ.ID }))
		}},
		{name: "C13 sub missing", req: func(t *testing.T, f *asFixture) (url.Values, map[string][]string) {
			return only(f.pk(t, func(c map[string]any) { delete(c, "sub") }))
		}},
		{name: "iss is another client", req: func(t *testing.T, f *asFixture) (url.Values, map[string][]string) {
			return only(f.pk(t, func(c map[string]any) { c["iss"] = f.SJ.ID }))
		}},
		{name: "iss missing", req: func(t *testing.T, f *asFixture) (url.Values, map[string][]string) {
			return only(f.pk(t, func(c map[string]any) { delete(c, "iss") }))
		}},
		{name: "jti missing", req: func(t *testing.T, f *asFixture) (url.Values, map[string][]string) {
			return only(f.pk(t, func(c map[string]any) { delete(c, "jti") }))
		}},
		{name: "jti empty", req: func(t *testing.T, f *asFixture) (url.Values, map[string][]string) {
			return only(f.sj(t, func(c map[string]any) { c["jti"] = "" }))
		}},
		// JWTA-01, JWTA-09: one compact JWT.
		{name: "C14 two JWTs joined with a dot", req: func(t *testing.T, f *asFixture) (url.Values, map[string][]string) {
			return only(f.pk(t, nil) + "." + f.pk(t, nil))
		}},
		{name: "C14 two JWTs joined with a comma", req: func(t *testing.T, f *asFixture) (url.Values, map[string][]string) {
			return only(f.pk(t, nil) + "," + f.pk(t, nil))
		}},
		{name: "OA-06 client_assertion sent twice", status: http.StatusBadRequest, req: func(t *testing.T, f *asFixture) (url.Values, map[string][]string) {
			v := asForm(f.pk(t, nil))
			v.Add("client_assertion", f.pk(t, nil))
			return v, nil
		}},
		{name: "C14 malformed base64", req: func(t *testing.T, f *asFixture) (url.Values, map[string][]string) {
			parts := strings.Split(f.pk(t, nil), ".")
			return only(parts[0] + ".$$$not*base64$$$." + parts[2])
		}},
		{name: "C14 padded standard base64", req: func(t *testing.T, f *asFixture) (url.Values, map[string][]string) {
			parts := strings.Split(f.pk(t, nil), ".")
			p, _ := base64.RawURLEncoding.DecodeString(parts[1])
			return only(parts[0] + "." + base64.StdEncoding.EncodeToString(append(p, ' ', ' ')) + "." + parts[2])
		}},
		{name: "C14 an encrypted assertion (JWE, five parts)", desc: "client_assertion cannot be encrypted (JWE)", req: func(t *testing.T, f *asFixture) (url.Values, map[string][]string) {
			jwe := asB64([]byte(`{"alg":"RSA-OAEP-256","enc":"A256GCM"}`)) + ".a2V5.aXY.Y2lwaGVydGV4dA.dGFn"
			return only(jwe)
		}},
		{name: "C14 not a JWT", req: func(t *testing.T, f *asFixture) (url.Values, map[string][]string) {
			return only("not-a-jwt")
		}},
		{name: "C14 JWS JSON serialization", req: func(t *testing.T, f *asFixture) (url.Values, map[string][]string) {
			parts := strings.Split(f.pk(t, nil), ".")
			return only(fmt.Sprintf(`{"protected":%q,"payload":%q,"signature":%q}`, parts[0], parts[1], parts[2]))
		}},
		// C15: the assertion type and the client's registered method.
		{name: "C15 saml2-bearer client_assertion_type", req: func(t *testing.T, f *asFixture) (url.Values, map[string][]string) {
			v := asForm(f.pk(t, nil))
			v.Set("client_assertion_type", asSAMLType)
			return v, nil
		}},
		{name: "C15 client_assertion without client_assertion_type", req: func(t *testing.T, f *asFixture) (url.Values, map[string][]string) {
			return url.Values{"client_assertion": {f.pk(t, nil)}}, nil
		}},
		{name: "C15 unknown client", desc: unknown, req: func(t *testing.T, f *asFixture) (url.Values, map[string][]string) {
			return only(asES(t, f.Other, "", asClaims(ts, "no-such-client")))
		}},
		{name: "C15 client_secret_basic client with an assertion MACed with its secret", req: func(t *testing.T, f *asFixture) (url.Values, map[string][]string) {
			return only(asHS(t, []byte(f.Basic.Secret), nil, asClaims(ts, f.Basic.ID)))
		}},
		{name: "C15 private_key_jwt client using client_secret_post", req: func(t *testing.T, f *asFixture) (url.Values, map[string][]string) {
			return url.Values{"client_id": {f.PK.ID}, "client_secret": {strings.Repeat("s", 40)}}, nil
		}},
		{name: "C15 private_key_jwt client with client_id only", req: func(t *testing.T, f *asFixture) (url.Values, map[string][]string) {
			return url.Values{"client_id": {f.PK.ID}}, nil
		}},
		{name: "C15 private_key_jwt client using Basic", req: func(t *testing.T, f *asFixture) (url.Values, map[string][]string) {
			return nil, map[string][]string{"Authorization": {basicAuth(f.PK.ID, strings.Repeat("s", 40))}}
		}},
		{name: "C15 client_secret_jwt MACed with a wrong secret", req: func(t *testing.T, f *asFixture) (url.Values, map[string][]string) {
			return only(asHS(t, []byte(f.SJ.Secret+"x"), nil, asClaims(ts, f.SJ.ID)))
		}},
		{name: "C15 client_secret_jwt client sending ES256", req: func(t *testing.T, f *asFixture) (url.Values, map[string][]string) {
			return only(asES(t, f.Key1, "k1", asClaims(ts, f.SJ.ID)))
		}},
		{name: "C15 client_secret_jwt client sending RS256", req: func(t *testing.T, f *asFixture) (url.Values, map[string][]string) {
			return only(asRS(t, rsaKey, asClaims(ts, f.SJ.ID)))
		}},
		{name: "C15 client_secret_jwt client using client_secret_post with its secret", req: func(t *testing.T, f *asFixture) (url.Values, map[string][]string) {
			return url.Values{"client_id": {f.SJ.ID}, "client_secret": {f.SJ.Secret}}, nil
		}},
		// C02: two methods at once.
		{name: "C02 Basic and client_assertion", status: http.StatusBadRequest, req: func(t *testing.T, f *asFixture) (url.Values, map[string][]string) {
			return asForm(f.pk(t, nil)), map[string][]string{"Authorization": {basicAuth(f.Basic.ID, f.Basic.Secret)}}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := asSetup(t, ts)
			form, hdr := tc.req(t, f)
			res := ts.asToken(t, form, hdr)
			if tc.status == http.StatusBadRequest {
				e := wantError(t, res, http.StatusBadRequest, "invalid_request")
				wantSafeDescription(t, e.Description, f.SJ.Secret, f.Basic.Secret)
			} else {
				asWantRefused(t, res, tc.desc, f.SJ.Secret, f.Basic.Secret)
			}
			// No lasting effect: both JWT clients still authenticate.
			asWantClient(t, ts.asToken(t, asForm(f.pk(t, nil)), nil), f.PK.ID)
			asWantClient(t, ts.asToken(t, asForm(f.sj(t, nil)), nil), f.SJ.ID)
		})
	}
}

// TestAssertionReplay covers C09 / JWTA-07: a jti is single use.
func TestAssertionReplay(t *testing.T) {
	ts := newTestServer(t)
	t.Run("C09 the same assertion replayed", func(t *testing.T) {
		f := asSetup(t, ts)
		a := f.pk(t, nil)
		asWantClient(t, ts.asToken(t, asForm(a), nil), f.PK.ID)
		asWantRefused(t, ts.asToken(t, asForm(a), nil), "")
	})
	t.Run("C09 client_secret_jwt assertion replayed", func(t *testing.T) {
		f := asSetup(t, ts)
		a := f.sj(t, nil)
		asWantClient(t, ts.asToken(t, asForm(a), nil), f.SJ.ID)
		asWantRefused(t, ts.asToken(t, asForm(a), nil), "", f.SJ.Secret)
	})
	t.Run("C09 a new assertion reusing a jti", func(t *testing.T) {
		f := asSetup(t, ts)
		jti := randomJTI()
		asWantClient(t, ts.asToken(t, asForm(f.pk(t, func(c map[string]any) { c["jti"] = jti })), nil), f.PK.ID)
		again := f.pk(t, func(c map[string]any) {
			c["jti"] = jti
			c["exp"] = ts.Clock.Now().Add(6 * time.Minute).Unix()
		})
		asWantRefused(t, ts.asToken(t, asForm(again), nil), "")
	})
	t.Run("C09 replayed later within its lifetime", func(t *testing.T) {
		f := asSetup(t, ts)
		a := f.pk(t, nil)
		asWantClient(t, ts.asToken(t, asForm(a), nil), f.PK.ID)
		ts.Clock.Advance(4 * time.Minute)
		asWantRefused(t, ts.asToken(t, asForm(a), nil), "")
	})
	t.Run("C09 replayed at the introspection endpoint", func(t *testing.T) {
		f := asSetup(t, ts)
		a := f.pk(t, nil)
		tb := asWantClient(t, ts.asToken(t, asForm(a), nil), f.PK.ID)
		form := asForm(a)
		form.Set("token", tb.AccessToken)
		asWantRefused(t, ts.post(t, "/introspect", form, nil), "")
	})
	t.Run("C09 8 concurrent requests with the same assertion", func(t *testing.T) {
		f := asSetup(t, ts)
		a := f.pk(t, nil)
		const n = 8
		proofs := make([]string, n)
		for i := range proofs {
			proofs[i] = proofAt(t, newWallet(t), http.MethodPost, ts.TokenURL(), ts.Clock.Now())
		}
		form := asForm(a)
		form.Set("grant_type", oauth.GrantClientCredentials)
		type result struct {
			status int
			body   []byte
			err    error
		}
		results := make([]result, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				s, b, err := asPostNoFatal(ts.TokenURL(), form, map[string]string{"DPoP": proofs[i]})
				results[i] = result{s, b, err}
			}()
		}
		close(start)
		wg.Wait()
		ok := 0
		for i, r := range results {
			if r.err != nil {
				t.Fatalf("request %d: %v", i, r.err)
			}
			switch r.status {
			case http.StatusOK:
				ok++
			case http.StatusUnauthorized:
				var e oauthError
				if json.Unmarshal(r.body, &e) != nil || e.Error != "invalid_client" {
					t.Errorf("request %d: 401 %s; want invalid_client", i, r.body)
				}
			default:
				t.Errorf("request %d: %d %s; want 200 or 401", i, r.status, r.body)
			}
		}
		if ok != 1 {
			t.Fatalf("%d of %d concurrent requests with one assertion succeeded; want exactly 1", ok, n)
		}
	})
}

// TestAssertionIntrospectRevoke covers assertion authentication at the
// introspection and revocation endpoints.
func TestAssertionIntrospectRevoke(t *testing.T) {
	ts := newTestServer(t)
	intro := func(t *testing.T, form url.Values, hdr map[string][]string) (*http.Response, map[string]any) {
		res := ts.post(t, "/introspect", form, hdr)
		if res.StatusCode != http.StatusOK {
			return res, nil
		}
		var m map[string]any
		if err := json.Unmarshal(readBody(t, res), &m); err != nil {
			t.Fatal(err)
		}
		return res, m
	}
	with := func(form url.Values, token string) url.Values {
		form.Set("token", token)
		return form
	}

	for _, kind := range []string{"private_key_jwt", "client_secret_jwt"} {
		t.Run(kind+" introspects and revokes its token", func(t *testing.T) {
			f := asSetup(t, ts)
			id, assertion := f.PK.ID, func() string { return f.pk(t, nil) }
			if kind == "client_secret_jwt" {
				id, assertion = f.SJ.ID, func() string { return f.sj(t, nil) }
			}
			tb := asWantClient(t, ts.asToken(t, asForm(assertion()), nil), id)
			res, m := intro(t, with(asForm(assertion()), tb.AccessToken), nil)
			if res.StatusCode != http.StatusOK || m["active"] != true || m["client_id"] != id {
				t.Fatalf("introspection = %d %v; want 200 active token of %s", res.StatusCode, m, id)
			}
			res = ts.post(t, "/revoke", with(asForm(assertion()), tb.AccessToken), nil)
			if body := readBody(t, res); res.StatusCode != http.StatusOK {
				t.Fatalf("revoke = %d %s; want 200", res.StatusCode, body)
			}
			res, m = intro(t, with(asForm(assertion()), tb.AccessToken), nil)
			if res.StatusCode != http.StatusOK || m["active"] != false {
				t.Fatalf("introspection after revocation = %d %v; want 200 active false", res.StatusCode, m)
			}
		})
	}

	refused := []struct {
		name, path string
		form       func(t *testing.T, f *asFixture) url.Values
		desc       string
	}{
		{"C10 expired assertion at /introspect", "/introspect", func(t *testing.T, f *asFixture) url.Values {
			return asForm(f.pk(t, func(c map[string]any) { c["exp"] = ts.Clock.Now().Add(-time.Minute).Unix() }))
		}, "the received JWT has expired"},
		{"C07 aud token endpoint at /introspect", "/introspect", func(t *testing.T, f *asFixture) url.Values {
			return asForm(f.sj(t, func(c map[string]any) { c["aud"] = ts.URL + "/introspect" }))
		}, "the audience passed in JWT is not correct"},
		{"C05 alg none at /revoke", "/revoke", func(t *testing.T, f *asFixture) url.Values {
			return asForm(asNone(t, asClaims(ts, f.PK.ID)))
		}, ""},
		{"C15 unknown client at /revoke", "/revoke", func(t *testing.T, f *asFixture) url.Values {
			return asForm(asES(t, f.Other, "", asClaims(ts, "no-such-client")))
		}, "the client doesn't exist"},
		{"C15 saml2-bearer type at /introspect", "/introspect", func(t *testing.T, f *asFixture) url.Values {
			v := asForm(f.pk(t, nil))
			v.Set("client_assertion_type", asSAMLType)
			return v
		}, ""},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			f := asSetup(t, ts)
			asWantRefused(t, ts.post(t, tc.path, with(tc.form(t, f), "some-token"), nil), tc.desc, f.SJ.Secret)
		})
	}
	for _, path := range []string{"/introspect", "/revoke"} {
		t.Run("C02 Basic and client_assertion at "+path, func(t *testing.T) {
			f := asSetup(t, ts)
			res := ts.post(t, path, with(asForm(f.pk(t, nil)), "some-token"),
				map[string][]string{"Authorization": {basicAuth(f.Basic.ID, f.Basic.Secret)}})
			wantError(t, res, http.StatusBadRequest, "invalid_request")
		})
	}
}

// TestAssertionPermissiveAudience covers the client_auth setting for
// PAR-05/RFC 7523 deployments: the token endpoint URL and a one-element
// array are accepted as aud; several audiences and foreign values are
// still refused.
func TestAssertionPermissiveAudience(t *testing.T) {
	ts := newTestServer(t, func(c *issuer.Config) { c.ClientAuth.PermissiveAssertionAudience = true })
	f := asSetup(t, ts)
	for _, tt := range []struct {
		name string
		aud  any
		ok   bool
	}{
		{"issuer as a string", ts.URL, true},
		{"issuer in a one-element array", []string{ts.URL}, true},
		{"token endpoint URL", ts.TokenURL(), true},
		{"token endpoint URL in an array", []string{ts.TokenURL()}, true},
		{"C08 two audiences", []string{ts.URL, "https://other.example"}, false},
		{"another server", "https://other.example", false},
		{"the revocation endpoint", ts.URL + "/revoke", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := ts.asToken(t, asForm(f.pk(t, func(c map[string]any) { c["aud"] = tt.aud })), nil)
			if tt.ok {
				asWantClient(t, res, f.PK.ID)
			} else {
				asWantRefused(t, res, "the audience passed in JWT is not correct")
			}
		})
	}
}
