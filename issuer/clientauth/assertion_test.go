package clientauth_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"issuer/issuer/clientauth"
	"issuer/issuer/clients"
	"issuer/issuer/oauth"
	"issuer/storage"
)

// JWT client assertions (RFC 7523 §3, OIDC Core §9, FAPI 2.0 §5.3.2.1):
// checklist JWTA-01..11, OIDC-15, FAPI-07, FAPI-08, PAR-05, X-02;
// adversarial C05..C15.

const badAud = "the audience passed in JWT is not correct"

// asFixture is an environment with a private_key_jwt client (keys k1, k2),
// a client_secret_jwt client and a client_secret_basic client.
type asFixture struct {
	*env
	PK, SJ, Basic    clients.Metadata
	Key1, Key2, Evil *ecdsa.PrivateKey
}

func asSetup(t *testing.T, opts ...func(*clientauth.Config)) *asFixture {
	t.Helper()
	f := &asFixture{env: newEnv(t, opts...), Key1: newKey(t), Key2: newKey(t), Evil: newKey(t)}
	f.PK = f.register(t, clients.Metadata{ClientID: "pk", TokenEndpointAuthMethod: oauth.AuthPrivateKeyJWT,
		JWKS: keySet(t, jwkWithKid(f.Key1, "k1"), jwkWithKid(f.Key2, "k2"))})
	f.SJ = f.register(t, clients.Metadata{ClientID: "sj", TokenEndpointAuthMethod: oauth.AuthClientSecretJWT})
	f.Basic = f.register(t, clients.Metadata{ClientID: "basic", TokenEndpointAuthMethod: oauth.AuthClientSecretBasic})
	return f
}

// claims are valid assertion claims of client id.
func (f *asFixture) claims(id string) map[string]any {
	now := f.Clock.Now()
	return map[string]any{"iss": id, "sub": id, "aud": issuerURL,
		"exp": now.Add(5 * time.Minute).Unix(), "iat": now.Unix(), "jti": randomJTI()}
}

// pk is a valid assertion of the private_key_jwt client signed by k1 (kid
// k1), after mod changes its claims.
func (f *asFixture) pk(t testing.TB, mod func(c map[string]any)) string {
	t.Helper()
	c := f.claims(f.PK.ClientID)
	if mod != nil {
		mod(c)
	}
	return signES256(t, f.Key1, map[string]any{"alg": "ES256", "kid": "k1"}, c)
}

// sj is a valid assertion of the client_secret_jwt client, after mod.
func (f *asFixture) sj(t testing.TB, mod func(c map[string]any)) string {
	t.Helper()
	c := f.claims(f.SJ.ClientID)
	if mod != nil {
		mod(c)
	}
	return signHS256(t, []byte(f.SJ.ClientSecret), map[string]any{"alg": "HS256"}, c)
}

// assertion is the request of a client authenticated by assertion a.
func assertion(a string) clientauth.Request {
	return clientauth.Request{Params: map[string]string{"client_assertion_type": assertionType, "client_assertion": a}}
}

// withClientID adds a client_id parameter to req.
func withClientID(req clientauth.Request, id string) clientauth.Request {
	req.Params["client_id"] = id
	return req
}

// signRS256 is a compact JWS of header and claims signed RS256 by key.
func signRS256(t testing.TB, key *rsa.PrivateKey, header, claims map[string]any) string {
	t.Helper()
	input := signingInput(t, header, claims)
	d := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, d[:])
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + b64(sig)
}

func rsaJWK(k *rsa.PublicKey, kid string) map[string]any {
	return map[string]any{"kty": "RSA", "kid": kid, "n": b64(k.N.Bytes()), "e": b64(big.NewInt(int64(k.E)).Bytes())}
}

// TestAssertionAccepted covers the valid assertions: each algorithm the
// method allows, with and without kid, and the time bounds (FAPI-07).
func TestAssertionAccepted(t *testing.T) {
	f := asSetup(t)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	edPub, edPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	f.register(t, clients.Metadata{ClientID: "rsa", TokenEndpointAuthMethod: oauth.AuthPrivateKeyJWT, JWKS: keySet(t, rsaJWK(&rsaKey.PublicKey, "r1"))})
	f.register(t, clients.Metadata{ClientID: "ed", TokenEndpointAuthMethod: oauth.AuthPrivateKeyJWT,
		JWKS: keySet(t, map[string]any{"kty": "OKP", "crv": "Ed25519", "x": b64(edPub)})})
	now := f.Clock.Now()
	cases := []struct {
		name, client string
		assertion    func(t *testing.T) string
		clientID     bool // send client_id too
	}{
		{"ES256 with kid", "pk", func(t *testing.T) string { return f.pk(t, nil) }, false},
		{"ES256 without kid", "pk", func(t *testing.T) string {
			return signES256(t, f.Key1, map[string]any{"alg": "ES256"}, f.claims("pk"))
		}, false},
		{"second key with its kid", "pk", func(t *testing.T) string {
			return signES256(t, f.Key2, map[string]any{"alg": "ES256", "kid": "k2"}, f.claims("pk"))
		}, false},
		{"second key without kid", "pk", func(t *testing.T) string {
			return signES256(t, f.Key2, map[string]any{"alg": "ES256"}, f.claims("pk"))
		}, false},
		{"RS256", "rsa", func(t *testing.T) string {
			return signRS256(t, rsaKey, map[string]any{"alg": "RS256", "kid": "r1"}, f.claims("rsa"))
		}, false},
		{"EdDSA", "ed", func(t *testing.T) string {
			input := signingInput(t, map[string]any{"alg": "EdDSA"}, f.claims("ed"))
			return input + "." + b64(ed25519.Sign(edPriv, []byte(input)))
		}, false},
		{"client_secret_jwt HS256", "sj", func(t *testing.T) string { return f.sj(t, nil) }, false},
		{"client_secret_jwt HS512", "sj", func(t *testing.T) string {
			return signHS(t, []byte(f.SJ.ClientSecret), "HS512", f.claims("sj"))
		}, false},
		{"JWTA-11 client_id matching the assertion", "pk", func(t *testing.T) string { return f.pk(t, nil) }, true},
		{"JWTA-06 without iat", "pk", func(t *testing.T) string { return f.pk(t, func(c map[string]any) { delete(c, "iat") }) }, false},
		{"FAPI-07 iat 10 s ahead", "pk", func(t *testing.T) string {
			return f.pk(t, func(c map[string]any) { c["iat"] = now.Add(10 * time.Second).Unix() })
		}, false},
		{"FAPI-07 nbf 10 s ahead", "sj", func(t *testing.T) string {
			return f.sj(t, func(c map[string]any) { c["nbf"] = now.Add(10 * time.Second).Unix() })
		}, false},
		{"exp now", "pk", func(t *testing.T) string { return f.pk(t, func(c map[string]any) { c["exp"] = now.Unix() }) }, false},
		{"exp at the 10 minute limit", "pk", func(t *testing.T) string {
			return f.pk(t, func(c map[string]any) { c["exp"] = now.Add(10 * time.Minute).Unix() })
		}, false},
		{"jti of 256 bytes", "sj", func(t *testing.T) string {
			return f.sj(t, func(c map[string]any) { c["jti"] = strings.Repeat("j", 256) })
		}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := assertion(tc.assertion(t))
			if tc.clientID {
				req = withClientID(req, tc.client)
			}
			before := f.Store.Recorded()
			c, b, err := f.authenticate(t, req)
			wantClient(t, c, err, tc.client)
			if b != (oauth.Binding{}) {
				t.Errorf("binding = %+v; want none", b)
			}
			if f.Store.Recorded() != before+1 {
				t.Errorf("the jti was not recorded")
			}
		})
	}
}

// signHS MACs claims with alg HS256, HS384 or HS512.
func signHS(t testing.TB, secret []byte, alg string, claims map[string]any) string {
	t.Helper()
	if alg == "HS256" {
		return signHS256(t, secret, map[string]any{"alg": alg}, claims)
	}
	input := signingInput(t, map[string]any{"alg": alg}, claims)
	h := map[string]func() hash.Hash{"HS384": sha512.New384, "HS512": sha512.New}[alg]
	m := hmac.New(h, secret)
	m.Write([]byte(input))
	return input + "." + b64(m.Sum(nil))
}

// TestAssertionRefused covers every refusal: invalid_client with its
// description, nothing recorded, and the clients still authenticate.
func TestAssertionRefused(t *testing.T) {
	f := asSetup(t)
	now := f.Clock.Now()
	const (
		badSig  = "bad client assertion signature"
		notOne  = "the client assertion is not a JWS token"
		bad     = "bad client assertion format"
		pkAlg   = "the algorithm used by client assertion is not correct"
		sjAlg   = "the algorithm used by client assertion is not correct"
		expired = "the received JWT has expired"
		noJTI   = "the received JWT needs a jti of at most 256 bytes"
		issSub  = "bad client assertion issuer"
	)
	pkWith := func(mod func(c map[string]any)) func(t *testing.T) clientauth.Request {
		return func(t *testing.T) clientauth.Request { return assertion(f.pk(t, mod)) }
	}
	sjWith := func(mod func(c map[string]any)) func(t *testing.T) clientauth.Request {
		return func(t *testing.T) clientauth.Request { return assertion(f.sj(t, mod)) }
	}
	raw := func(a func(t *testing.T) string) func(t *testing.T) clientauth.Request {
		return func(t *testing.T) clientauth.Request { return assertion(a(t)) }
	}
	cases := []struct {
		name string
		req  func(t *testing.T) clientauth.Request
		desc string
	}{
		// JWTA-08: signatures, algorithms and keys.
		{"C05 alg none", raw(func(t *testing.T) string { return unsigned(t, f.claims("pk")) }), pkAlg},
		{"C05 alg none for client_secret_jwt", raw(func(t *testing.T) string { return unsigned(t, f.claims("sj")) }), sjAlg},
		{"C05 alg none with a valid signature appended", raw(func(t *testing.T) string {
			good := strings.Split(f.pk(t, nil), ".")
			return b64([]byte(`{"alg":"none","kid":"k1"}`)) + "." + good[1] + "." + good[2]
		}), pkAlg},
		{"C06 HS256 keyed with the client's public JWK", raw(func(t *testing.T) string {
			k, _ := json.Marshal(jwkWithKid(f.Key1, "k1"))
			return signHS256(t, k, map[string]any{"alg": "HS256", "kid": "k1"}, f.claims("pk"))
		}), pkAlg},
		{"client_secret_jwt client sending ES256", raw(func(t *testing.T) string {
			return signES256(t, f.Key1, map[string]any{"alg": "ES256"}, f.claims("sj"))
		}), sjAlg},
		{"client_secret_jwt MACed with a wrong secret", raw(func(t *testing.T) string {
			return signHS256(t, []byte(f.SJ.ClientSecret+"x"), map[string]any{"alg": "HS256"}, f.claims("sj"))
		}), badSig},
		{"client_secret_jwt MACed with the SHA-256 of its secret", raw(func(t *testing.T) string {
			sum := sha256.Sum256([]byte(f.SJ.ClientSecret))
			return signHS256(t, sum[:], map[string]any{"alg": "HS256"}, f.claims("sj"))
		}), badSig},
		{"unregistered key naming a registered kid", raw(func(t *testing.T) string {
			return signES256(t, f.Evil, map[string]any{"alg": "ES256", "kid": "k1"}, f.claims("pk"))
		}), badSig},
		{"unregistered key without kid", raw(func(t *testing.T) string {
			return signES256(t, f.Evil, map[string]any{"alg": "ES256"}, f.claims("pk"))
		}), badSig},
		{"kid selects the key: k2's signature naming k1", raw(func(t *testing.T) string {
			return signES256(t, f.Key2, map[string]any{"alg": "ES256", "kid": "k1"}, f.claims("pk"))
		}), badSig},
		{"unknown kid", raw(func(t *testing.T) string {
			return signES256(t, f.Key1, map[string]any{"alg": "ES256", "kid": "k9"}, f.claims("pk"))
		}), badSig},
		{"payload changed after signing", raw(func(t *testing.T) string {
			c := f.claims("pk")
			parts := strings.Split(signES256(t, f.Key1, map[string]any{"alg": "ES256"}, c), ".")
			p, _ := base64.RawURLEncoding.DecodeString(parts[1])
			p = bytes.Replace(p, []byte(c["jti"].(string)), []byte(randomJTI()), 1)
			return parts[0] + "." + b64(p) + "." + parts[2]
		}), badSig},
		{"signature removed", raw(func(t *testing.T) string {
			parts := strings.Split(f.pk(t, nil), ".")
			return parts[0] + "." + parts[1] + "."
		}), ""},
		{"C15 client_secret_basic client MACing with its secret", raw(func(t *testing.T) string {
			return signHS256(t, []byte(f.Basic.ClientSecret), map[string]any{"alg": "HS256"}, f.claims("basic"))
		}), "the client cannot be authenticated with a client assertion"},
		{"C15 unknown client", raw(func(t *testing.T) string {
			return signES256(t, f.Evil, map[string]any{"alg": "ES256"}, f.claims("nobody"))
		}), "the client doesn't exist"},
		// JWTA-01, JWTA-09: one compact JWT.
		{"C14 two JWTs joined with a dot", raw(func(t *testing.T) string { return f.pk(t, nil) + "." + f.pk(t, nil) }), notOne},
		{"C14 two JWTs joined with a comma", raw(func(t *testing.T) string { return f.pk(t, nil) + "," + f.pk(t, nil) }), notOne},
		{"C14 not a JWT", raw(func(*testing.T) string { return "not-a-jwt" }), notOne},
		{"C14 JWS JSON serialization", raw(func(t *testing.T) string {
			p := strings.Split(f.pk(t, nil), ".")
			return fmt.Sprintf(`{"protected":%q,"payload":%q,"signature":%q}`, p[0], p[1], p[2])
		}), notOne},
		{"C14 malformed base64", raw(func(t *testing.T) string {
			p := strings.Split(f.pk(t, nil), ".")
			return p[0] + ".$$$not*base64$$$." + p[2]
		}), bad},
		{"exp is a string", pkWith(func(c map[string]any) { c["exp"] = fmt.Sprint(now.Add(time.Minute).Unix()) }), bad},
		// JWTA-02, JWTA-03, JWTA-11: identity.
		{"C13 sub is a user identifier", pkWith(func(c map[string]any) { c["sub"] = "user-12345" }), issSub},
		{"C13 sub is another client", pkWith(func(c map[string]any) { c["sub"] = "sj" }), issSub},
		{"iss is another client", pkWith(func(c map[string]any) { c["iss"] = "sj" }), issSub},
		{"C13 sub missing", pkWith(func(c map[string]any) { delete(c, "sub") }), "the client assertion needs iss and sub"},
		{"iss missing", pkWith(func(c map[string]any) { delete(c, "iss") }), "the client assertion needs iss and sub"},
		{"C12 client_id A, assertion of B", func(t *testing.T) clientauth.Request {
			return withClientID(assertion(f.pk(t, nil)), "sj")
		}, "client_id does not match the client assertion"},
		// JWTA-04, FAPI-08: aud is the issuer identifier, as a string.
		{"C07 aud is the token endpoint", pkWith(func(c map[string]any) { c["aud"] = tokenURL }), badAud},
		{"aud is the PAR endpoint", pkWith(func(c map[string]any) { c["aud"] = parURL }), badAud},
		{"C08 aud names another audience too", pkWith(func(c map[string]any) { c["aud"] = []string{issuerURL, "https://other.example"} }), badAud},
		{"FAPI-08 aud is an array holding only the issuer", pkWith(func(c map[string]any) { c["aud"] = []string{issuerURL} }), badAud},
		{"aud is another issuer", pkWith(func(c map[string]any) { c["aud"] = "https://other.example" }), badAud},
		{"aud with a trailing slash", sjWith(func(c map[string]any) { c["aud"] = issuerURL + "/" }), badAud},
		{"aud missing", pkWith(func(c map[string]any) { delete(c, "aud") }), badAud},
		// JWTA-05, JWTA-06, FAPI-07: times.
		{"C10 exp 60 s ago", pkWith(func(c map[string]any) { c["exp"] = now.Add(-time.Minute).Unix() }), expired},
		{"exp 1 s ago", sjWith(func(c map[string]any) { c["exp"] = now.Add(-time.Second).Unix() }), expired},
		{"exp missing", pkWith(func(c map[string]any) { delete(c, "exp") }), "the received JWT has no exp"},
		{"exp one day ahead", pkWith(func(c map[string]any) { c["exp"] = now.Add(24 * time.Hour).Unix() }), "the received JWT lives too long"},
		{"exp 1 s past the 10 minute limit", pkWith(func(c map[string]any) { c["exp"] = now.Add(10*time.Minute + time.Second).Unix() }), "the received JWT lives too long"},
		{"C11 iat 120 s ahead", pkWith(func(c map[string]any) { c["iat"] = now.Add(2 * time.Minute).Unix() }), "the received JWT was issued in the future"},
		{"iat 11 s ahead", sjWith(func(c map[string]any) { c["iat"] = now.Add(11 * time.Second).Unix() }), "the received JWT was issued in the future"},
		{"nbf 11 s ahead", pkWith(func(c map[string]any) { c["nbf"] = now.Add(11 * time.Second).Unix() }), "the received JWT is not valid yet"},
		// JWTA-07: jti.
		{"jti missing", pkWith(func(c map[string]any) { delete(c, "jti") }), noJTI},
		{"jti empty", sjWith(func(c map[string]any) { c["jti"] = "" }), noJTI},
		{"jti of 257 bytes", sjWith(func(c map[string]any) { c["jti"] = strings.Repeat("j", 257) }), noJTI},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := f.Store.Recorded()
			c, _, err := f.authenticate(t, tc.req(t))
			oe := wantError(t, c, err, oauth.CodeInvalidClient, tc.desc)
			if strings.Contains(oe.Description, f.SJ.ClientSecret) || strings.Contains(oe.Description, f.Basic.ClientSecret) {
				t.Errorf("description %q holds a secret", oe.Description)
			}
			f.wantNothingStored(t, before)
			c, _, err = f.authenticate(t, assertion(f.pk(t, nil)))
			wantClient(t, c, err, "pk")
			c, _, err = f.authenticate(t, assertion(f.sj(t, nil)))
			wantClient(t, c, err, "sj")
		})
	}
}

// TestAssertionUnusableRegisteredKey: a registered key that no longer
// passes the JWK policy (stored by an older version: here RSA 1024) is
// left out, so its signatures do not authenticate; the client's other
// keys still do.
func TestAssertionUnusableRegisteredKey(t *testing.T) {
	f := asSetup(t)
	weak, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	good := newKey(t)
	if err := f.Store.CreateClient(t.Context(), storage.Client{ID: "old", AuthMethod: oauth.AuthPrivateKeyJWT,
		JWKS: keySet(t, rsaJWK(&weak.PublicKey, "weak"), jwkWithKid(good, "good"))}); err != nil {
		t.Fatal(err)
	}
	c, _, err := f.authenticate(t, assertion(signRS256(t, weak, map[string]any{"alg": "RS256", "kid": "weak"}, f.claims("old"))))
	wantError(t, c, err, oauth.CodeInvalidClient, "bad client assertion signature")
	c, _, err = f.authenticate(t, assertion(signES256(t, good, map[string]any{"alg": "ES256"}, f.claims("old"))))
	wantClient(t, c, err, "old")
}

// TestAssertionPermissiveAudience covers the setting for RFC 7523 and
// PAR-05 deployments: the token and PAR endpoint URLs, and a one-element
// array, are accepted; several audiences and foreign values still not.
func TestAssertionPermissiveAudience(t *testing.T) {
	f := asSetup(t, func(c *clientauth.Config) { c.PermissiveAssertionAudience = true })
	for _, tc := range []struct {
		name string
		aud  any
		ok   bool
	}{
		{"issuer", issuerURL, true},
		{"issuer in a one-element array", []string{issuerURL}, true},
		{"PAR-05 token endpoint", tokenURL, true},
		{"PAR-05 PAR endpoint", parURL, true},
		{"token endpoint in a one-element array", []string{tokenURL}, true},
		{"C08 two audiences", []string{issuerURL, "https://other.example"}, false},
		{"an empty array", []string{}, false},
		{"another server", "https://other.example", false},
		{"the revocation endpoint", issuerURL + "/revoke", false},
		{"a number", 7, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _, err := f.authenticate(t, assertion(f.pk(t, func(c map[string]any) { c["aud"] = tc.aud })))
			if tc.ok {
				wantClient(t, c, err, "pk")
			} else {
				wantError(t, c, err, oauth.CodeInvalidClient, badAud)
			}
		})
	}
}

// TestAssertionReplay covers C09 / JWTA-07: a jti is single use per
// client, until the assertion expires.
func TestAssertionReplay(t *testing.T) {
	const used = "the jwt token has already been used"
	t.Run("C09 the same assertion replayed", func(t *testing.T) {
		f := asSetup(t)
		a := f.pk(t, nil)
		c, _, err := f.authenticate(t, assertion(a))
		wantClient(t, c, err, "pk")
		f.Clock.Advance(4 * time.Minute)
		c, _, err = f.authenticate(t, assertion(a))
		wantError(t, c, err, oauth.CodeInvalidClient, used)
	})
	t.Run("C09 a new assertion reusing a jti", func(t *testing.T) {
		f := asSetup(t)
		jti := randomJTI()
		c, _, err := f.authenticate(t, assertion(f.sj(t, func(c map[string]any) { c["jti"] = jti })))
		wantClient(t, c, err, "sj")
		c, _, err = f.authenticate(t, assertion(f.sj(t, func(c map[string]any) {
			c["jti"], c["exp"] = jti, f.Clock.Now().Add(7*time.Minute).Unix()
		})))
		wantError(t, c, err, oauth.CodeInvalidClient, used)
	})
	t.Run("the same jti of another client is no replay", func(t *testing.T) {
		f := asSetup(t)
		jti := randomJTI()
		c, _, err := f.authenticate(t, assertion(f.pk(t, func(c map[string]any) { c["jti"] = jti })))
		wantClient(t, c, err, "pk")
		c, _, err = f.authenticate(t, assertion(f.sj(t, func(c map[string]any) { c["jti"] = jti })))
		wantClient(t, c, err, "sj")
	})
	t.Run("a refused assertion does not use its jti", func(t *testing.T) {
		f := asSetup(t)
		jti := randomJTI()
		c, _, err := f.authenticate(t, assertion(f.pk(t, func(c map[string]any) { c["jti"], c["aud"] = jti, tokenURL })))
		wantError(t, c, err, oauth.CodeInvalidClient, badAud)
		c, _, err = f.authenticate(t, assertion(f.pk(t, func(c map[string]any) { c["jti"] = jti })))
		wantClient(t, c, err, "pk")
	})
	t.Run("X-02 8 concurrent uses of one assertion", func(t *testing.T) {
		f := asSetup(t)
		a := f.pk(t, nil)
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Go(func() { _, _, errs[i] = f.Auth.Authenticate(t.Context(), assertion(a)) })
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
			} else {
				wantError(t, nil, err, oauth.CodeInvalidClient, used)
			}
		}
		if ok != 1 {
			t.Fatalf("%d of 8 concurrent uses succeeded; want 1", ok)
		}
	})
}
