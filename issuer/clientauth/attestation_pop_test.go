package clientauth_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"issuer/issuer/clientauth"
	"issuer/issuer/oauth"
	"issuer/nonce"
	"issuer/storage"
)

// Attestation PoPs (-07 §5.2, §8, §9 (3), (7) to (10)): checklist ATT-06..
// ATT-12, X-02, X-03; adversarial D09..D13, D15, D17.

const badPoPKey = "the client attestation PoP is not signed by the key of the attestation's cnf"

func TestPoPAccepted(t *testing.T) {
	f := atSetup(t)
	now := f.Clock.Now()
	for _, tc := range []struct {
		name string
		mod  func(h, c map[string]any)
	}{
		{"iat now", nil},
		{"iat 60 s old", func(_, c map[string]any) { c["iat"] = now.Add(-time.Minute).Unix() }},
		{"FAPI-07 iat 10 s ahead", func(_, c map[string]any) { c["iat"] = now.Add(10 * time.Second).Unix() }},
		{"exp ahead and nbf 10 s ahead", func(_, c map[string]any) {
			c["exp"], c["nbf"] = now.Add(time.Minute).Unix(), now.Add(10*time.Second).Unix()
		}},
		{"exp now", func(_, c map[string]any) { c["exp"] = now.Unix() }},
		{"typ with the application/ prefix", func(h, _ map[string]any) { h["typ"] = "application/" + atPoPTyp }},
		{"jti of 256 bytes", func(_, c map[string]any) { c["jti"] = strings.Repeat("j", 256) }},
		{"a valid challenge though none is required", func(_, c map[string]any) { c["challenge"] = f.Auth.Challenge(t.Context()).AttestationChallenge }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := f.instance(t, "https://wallet.example/"+randomJTI()[:8])
			wantAttested(t, f, in.request(in.pop(t, tc.mod)), in.ID, thumbprint(&in.Key.PublicKey))
		})
	}
}

// TestPoPRefused covers the PoP's checks: each refusal is invalid_client
// with its description and records nothing.
func TestPoPRefused(t *testing.T) {
	f := atSetup(t)
	now := f.Clock.Now()
	type build func(t *testing.T, in *instance) string
	mod := func(m func(h, c map[string]any)) build {
		return func(t *testing.T, in *instance) string { return in.pop(t, m) }
	}
	const (
		typ  = "the client attestation PoP's typ must be oauth-client-attestation-pop+jwt"
		alg  = "the client attestation PoP's algorithm is not allowed"
		aud  = "the audience of the client attestation PoP is not correct"
		jti  = "the client attestation PoP needs a jti of at most 256 bytes"
		old  = "the client attestation PoP is too old"
		late = "the client attestation PoP was issued in the future"
	)
	cases := []struct {
		name string
		pop  build
		desc string
	}{
		// ATT-07, D09, D17: signed by the cnf key, asymmetric.
		{"D09 signed by another key", func(t *testing.T, in *instance) string {
			return signES256(t, newKey(t), map[string]any{"typ": atPoPTyp, "alg": "ES256"}, in.popClaims())
		}, badPoPKey},
		{"signed by the wallet provider's leaf", func(t *testing.T, in *instance) string {
			return signES256(t, f.Leaf.Key, map[string]any{"typ": atPoPTyp, "alg": "ES256"}, in.popClaims())
		}, badPoPKey},
		{"D17 alg none, unsigned", func(t *testing.T, in *instance) string {
			return signingInput(t, map[string]any{"typ": atPoPTyp, "alg": "none"}, in.popClaims()) + "."
		}, "the client attestation PoP is malformed"},
		{"D17 alg none with a valid signature appended", mod(func(h, _ map[string]any) { h["alg"] = "none" }), alg},
		{"D17 HS256 keyed with the cnf JWK's x", func(t *testing.T, in *instance) string {
			return signHS256(t, []byte(publicJWK(&in.Key.PublicKey)["x"].(string)), map[string]any{"typ": atPoPTyp, "alg": "HS256"}, in.popClaims())
		}, alg},
		{"alg outside the allow-list (ES512)", mod(func(h, _ map[string]any) { h["alg"] = "ES512" }), alg},
		{"alg ES384 on a P-256 signature", mod(func(h, _ map[string]any) { h["alg"] = "ES384" }), badPoPKey},
		{"the attestation again", func(t *testing.T, in *instance) string { return in.Att }, typ},
		{"typ JWT", mod(func(h, _ map[string]any) { h["typ"] = "JWT" }), typ},
		{"no typ", mod(func(h, _ map[string]any) { delete(h, "typ") }), typ},
		{"crit b64", mod(func(h, _ map[string]any) { h["b64"], h["crit"] = false, []string{"b64"} }),
			"the client attestation PoP uses header parameters this server does not support (crit, b64)"},
		{"two PoPs joined with a comma", func(t *testing.T, in *instance) string { return in.pop(t, nil) + "," + in.pop(t, nil) },
			"the client attestation PoP is not one compact JWT"},
		// ATT-06, D10, D15: iss, aud, jti.
		{"D15 iss differs from the attestation's sub", mod(func(_, c map[string]any) { c["iss"] = "https://wallet.example/other" }),
			"the client attestation PoP's iss must be the client_id, the sub of the attestation"},
		{"no iss", mod(func(_, c map[string]any) { delete(c, "iss") }), "the client attestation PoP has no iss"},
		{"D10 aud is the token endpoint", mod(func(_, c map[string]any) { c["aud"] = tokenURL }), aud},
		{"aud is an array holding the issuer", mod(func(_, c map[string]any) { c["aud"] = []string{issuerURL} }), aud},
		{"aud is another issuer", mod(func(_, c map[string]any) { c["aud"] = "https://other.example" }), aud},
		{"no aud", mod(func(_, c map[string]any) { delete(c, "aud") }), aud},
		{"no jti", mod(func(_, c map[string]any) { delete(c, "jti") }), jti},
		{"jti of 257 bytes", mod(func(_, c map[string]any) { c["jti"] = strings.Repeat("j", 257) }), jti},
		// ATT-08, FAPI-07: times.
		{"D12 iat one hour old", mod(func(_, c map[string]any) { c["iat"] = now.Add(-time.Hour).Unix() }), old},
		{"iat 61 s old", mod(func(_, c map[string]any) { c["iat"] = now.Add(-61 * time.Second).Unix() }), old},
		{"FAPI-07 iat 61 s ahead", mod(func(_, c map[string]any) { c["iat"] = now.Add(61 * time.Second).Unix() }), late},
		{"iat 11 s ahead", mod(func(_, c map[string]any) { c["iat"] = now.Add(11 * time.Second).Unix() }), late},
		{"-07 no iat", mod(func(_, c map[string]any) { delete(c, "iat") }), "the client attestation PoP has no iat"},
		{"exp 1 s ago", mod(func(_, c map[string]any) { c["exp"] = now.Add(-time.Second).Unix() }), "the client attestation PoP has expired"},
		{"nbf 11 s ahead", mod(func(_, c map[string]any) { c["nbf"] = now.Add(11 * time.Second).Unix() }), "the client attestation PoP is not valid yet"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := f.instance(t, "https://wallet.example/"+randomJTI()[:8])
			before := f.Store.Recorded()
			c, _, err := f.authenticate(t, in.request(tc.pop(t, in)))
			wantError(t, c, err, oauth.CodeInvalidClient, tc.desc)
			f.wantNothingStored(t, before)
		})
	}
}

// TestPoPChallenge covers ATT-09, ATT-12, D13 and X-03: when challenges
// are required, a PoP without one or with one this server did not issue
// (or no longer accepts) is use_attestation_challenge with a fresh
// challenge; a challenge from the endpoint or the response header works.
func TestPoPChallenge(t *testing.T) {
	f := atSetup(t, func(c *clientauth.Config) { c.Attestation.RequireChallenge = true })
	ttl := clientauth.DefaultAttestationConfig().ChallengeTTL
	wantChallenged := func(t *testing.T, req clientauth.Request) {
		t.Helper()
		before := f.Store.Recorded()
		c, _, err := f.authenticate(t, req)
		oe := wantError(t, c, err, oauth.CodeUseAttestationChallenge, "")
		if err := f.Nonces.Check(nonce.AttestationChallenge, oe.AttestationChallenge, f.Clock.Now()); err != nil {
			t.Errorf("the refusal's challenge %q: %v; want a fresh challenge", oe.AttestationChallenge, err)
		}
		f.wantNothingStored(t, before)
	}
	withChallenge := func(ch string) func(_, c map[string]any) {
		return func(_, c map[string]any) { c["challenge"] = ch }
	}
	t.Run("D13 no challenge, then the retry with the refusal's", func(t *testing.T) {
		in := f.instance(t, "https://wallet.example/a")
		c, _, err := f.authenticate(t, in.request(in.pop(t, nil)))
		oe := wantError(t, c, err, oauth.CodeUseAttestationChallenge, "the client attestation PoP must carry a challenge from this server")
		wantAttested(t, f, in.request(in.pop(t, withChallenge(oe.AttestationChallenge))), in.ID, thumbprint(&in.Key.PublicKey))
	})
	t.Run("ATT-12 a challenge of the endpoint", func(t *testing.T) {
		in := f.instance(t, "https://wallet.example/a")
		ch := f.Auth.Challenge(t.Context()).AttestationChallenge
		wantAttested(t, f, in.request(in.pop(t, withChallenge(ch))), in.ID, thumbprint(&in.Key.PublicKey))
	})
	t.Run("a challenge of the response header", func(t *testing.T) {
		in := f.instance(t, "https://wallet.example/a")
		ch := f.Auth.ChallengeHeader()
		if ch == "" {
			t.Fatal("ChallengeHeader() = \"\"; want a challenge when they are required")
		}
		wantAttested(t, f, in.request(in.pop(t, withChallenge(ch))), in.ID, thumbprint(&in.Key.PublicKey))
	})
	for _, tc := range []struct {
		name string
		ch   func() string
	}{
		{"D13 another value", randomJTI},
		{"an empty challenge", func() string { return "" }},
		{"a challenge with one character changed", func() string {
			ch := []byte(f.Auth.Challenge(t.Context()).AttestationChallenge)
			ch[len(ch)/2] ^= 1
			return string(ch)
		}},
		{"X-03 a c_nonce is not a challenge", func() string { return f.Nonces.Issue(nonce.CNonce, f.Clock.Now(), time.Minute) }},
		{"X-03 a DPoP nonce is not a challenge", func() string { return f.Nonces.Issue(nonce.DPoP, f.Clock.Now(), time.Minute) }},
		{"an expired challenge", func() string {
			ch := f.Auth.Challenge(t.Context()).AttestationChallenge
			f.Clock.Advance(ttl + time.Second)
			return ch
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := f.instance(t, "https://wallet.example/a")
			ch := tc.ch()
			wantChallenged(t, in.request(in.pop(t, withChallenge(ch))))
		})
	}
	t.Run("without the requirement", func(t *testing.T) {
		g := atSetup(t)
		if h := g.Auth.ChallengeHeader(); h != "" {
			t.Errorf("ChallengeHeader() = %q; want none when challenges are not required", h)
		}
		in := g.instance(t, "https://wallet.example/a")
		wantAttested(t, g, in.request(in.pop(t, nil)), in.ID, thumbprint(&in.Key.PublicKey))
		c, _, err := g.authenticate(t, in.request(in.pop(t, withChallenge(randomJTI()))))
		oe := wantError(t, c, err, oauth.CodeUseAttestationChallenge, "the challenge of the client attestation PoP is invalid or expired")
		if oe.AttestationChallenge == "" {
			t.Errorf("no fresh challenge with the refusal")
		}
	})
}

// TestPoPReplay covers ATT-10 / D11 and X-02: a PoP's jti is single use
// per instance key.
func TestPoPReplay(t *testing.T) {
	const used = "the client attestation PoP was used before"
	f := atSetup(t)
	jkt := func(in *instance) string { return thumbprint(&in.Key.PublicKey) }
	t.Run("D11 the same PoP replayed", func(t *testing.T) {
		in := f.instance(t, "https://wallet.example/a")
		pop := in.pop(t, nil)
		wantAttested(t, f, in.request(pop), in.ID, jkt(in))
		c, _, err := f.authenticate(t, in.request(pop))
		wantError(t, c, err, oauth.CodeInvalidClient, used)
	})
	t.Run("D11 a new PoP reusing a jti, 50 s later", func(t *testing.T) {
		in := f.instance(t, "https://wallet.example/a")
		id := randomJTI()
		wantAttested(t, f, in.request(in.pop(t, func(_, c map[string]any) { c["jti"] = id })), in.ID, jkt(in))
		f.Clock.Advance(50 * time.Second)
		c, _, err := f.authenticate(t, in.request(in.pop(t, func(_, c map[string]any) { c["jti"] = id })))
		wantError(t, c, err, oauth.CodeInvalidClient, used)
	})
	t.Run("the same jti from another instance is no replay", func(t *testing.T) {
		a, b := f.instance(t, "https://wallet.example/a"), f.instance(t, "https://wallet.example/a")
		id := randomJTI()
		wantAttested(t, f, a.request(a.pop(t, func(_, c map[string]any) { c["jti"] = id })), a.ID, jkt(a))
		wantAttested(t, f, b.request(b.pop(t, func(_, c map[string]any) { c["jti"] = id })), b.ID, jkt(b))
	})
	t.Run("a refused PoP does not use its jti", func(t *testing.T) {
		in := f.instance(t, "https://wallet.example/a")
		id := randomJTI()
		c, _, err := f.authenticate(t, in.request(in.pop(t, func(_, c map[string]any) { c["jti"], c["aud"] = id, tokenURL })))
		wantError(t, c, err, oauth.CodeInvalidClient, "the audience of the client attestation PoP is not correct")
		wantAttested(t, f, in.request(in.pop(t, func(_, c map[string]any) { c["jti"] = id })), in.ID, jkt(in))
	})
	t.Run("X-02 8 concurrent uses of one PoP", func(t *testing.T) {
		in := f.instance(t, "https://wallet.example/a")
		req := in.request(in.pop(t, nil))
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Go(func() { _, _, errs[i] = f.Auth.Authenticate(t.Context(), req) })
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

// TestInstanceBinding covers ATT-14's input, VCI-62 and HAIP-08: two
// instances of one wallet share the client but not the binding, and the
// limiter key of an attested client names its instance.
func TestInstanceBinding(t *testing.T) {
	f := atSetup(t)
	a, b := f.instance(t, "https://wallet.example/w"), f.instance(t, "https://wallet.example/w")
	ca, ba, err := f.authenticate(t, a.request(a.pop(t, nil)))
	wantClient(t, ca, err, a.ID)
	cb, bb, err := f.authenticate(t, b.request(b.pop(t, nil)))
	wantClient(t, cb, err, b.ID)
	if ba.Instance != thumbprint(&a.Key.PublicKey) || bb.Instance != thumbprint(&b.Key.PublicKey) || ba.Instance == bb.Instance {
		t.Fatalf("instances = %q, %q; want each instance key's thumbprint", ba.Instance, bb.Instance)
	}
	if ka, kb := clientauth.LimiterKey(ca, ba), clientauth.LimiterKey(cb, bb); ka == kb || ka != a.ID+"\x00"+ba.Instance {
		t.Errorf("LimiterKey = %q, %q; want one per instance", ka, kb)
	}
	plain := &storage.Client{ID: "plain"}
	if k := clientauth.LimiterKey(plain, oauth.Binding{}); k != "plain" {
		t.Errorf("LimiterKey(unattested) = %q; want the client_id", k)
	}
}
