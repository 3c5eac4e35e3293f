package clientauth_test

import (
	"encoding/base64"
	"net/url"
	"strings"
	"testing"
	"time"

	"issuer/issuer/clientauth"
	"issuer/issuer/clients"
	"issuer/issuer/oauth"
	"issuer/storage"
)

// Client secrets, public clients and the reading of credentials (RFC 6749
// §2.3): checklist OA-09, OA-12, OA-13, OA-23, VCI-11; adversarial C01,
// C02, C03, C04, C15.

// basic is an RFC 6749 §2.3.1 Basic header: both parts form-urlencoded.
func basic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
}

// rawBasic is a Basic header whose parts were not form-urlencoded.
func rawBasic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))
}

// secretClients registers a client of each secret method and a public one.
type secretClients struct {
	Basic, Post, Colon, Public, PK clients.Metadata
}

func registerSecretClients(t *testing.T, e *env) secretClients {
	t.Helper()
	return secretClients{
		Basic:  e.register(t, clients.Metadata{ClientID: "basic", TokenEndpointAuthMethod: oauth.AuthClientSecretBasic}),
		Post:   e.register(t, clients.Metadata{ClientID: "post", TokenEndpointAuthMethod: oauth.AuthClientSecretPost}),
		Colon:  e.register(t, clients.Metadata{ClientID: "org:wallet", TokenEndpointAuthMethod: oauth.AuthClientSecretBasic}),
		Public: e.register(t, clients.Metadata{ClientID: "public", TokenEndpointAuthMethod: oauth.AuthNone}),
		PK: e.register(t, clients.Metadata{ClientID: "pk", TokenEndpointAuthMethod: oauth.AuthPrivateKeyJWT,
			JWKS: keySet(t, jwkWithKid(newKey(t), "k1"))}),
	}
}

// TestAnonymousRequest: a request without credentials is no client and
// no error (VCI-11: the grant decides whether it may be anonymous).
func TestAnonymousRequest(t *testing.T) {
	e := newEnv(t)
	c, b, err := e.authenticate(t, clientauth.Request{Params: map[string]string{"grant_type": "x"}})
	if c != nil || err != nil || b != (oauth.Binding{}) {
		t.Fatalf("Authenticate(anonymous) = %v, %+v, %v; want nil, no binding, nil", c, b, err)
	}
}

// TestSecretAuthentication covers each secret method, the public client
// and the refusals of a wrong secret, a wrong method and malformed
// credentials, with the Basic challenge on the refusals of a request that
// used the Authorization header (OA-23).
func TestSecretAuthentication(t *testing.T) {
	e := newEnv(t)
	sc := registerSecretClients(t, e)
	const (
		twoMethods = "the client used more than one authentication method"
		badSecret  = "bad client credential"
		malformed  = "the Authorization header is malformed"
		unknown    = "the client doesn't exist"
	)
	cases := []struct {
		name      string
		params    map[string]string
		auth      string
		client    string // the client authenticated; "" when refused
		code      string
		desc      string
		challenge bool // a Basic challenge on the refusal
	}{
		{name: "C01 basic with the right secret", auth: basic(sc.Basic.ClientID, sc.Basic.ClientSecret), client: sc.Basic.ClientID},
		{name: "C01 basic with a wrong secret", auth: basic(sc.Basic.ClientID, sc.Basic.ClientSecret+"x"),
			code: oauth.CodeInvalidClient, desc: badSecret, challenge: true},
		{name: "C01 basic with an empty secret", auth: basic(sc.Basic.ClientID, ""),
			code: oauth.CodeInvalidClient, desc: badSecret, challenge: true},
		{name: "basic scheme in lower case", auth: "basic" + strings.TrimPrefix(basic(sc.Basic.ClientID, sc.Basic.ClientSecret), "Basic"), client: sc.Basic.ClientID},
		{name: "basic with surrounding spaces", auth: "BASIC  " + strings.TrimPrefix(basic(sc.Basic.ClientID, sc.Basic.ClientSecret), "Basic ") + " ", client: sc.Basic.ClientID},
		{name: "OA-09 client_id with a colon sent as %3A", auth: basic(sc.Colon.ClientID, sc.Colon.ClientSecret), client: sc.Colon.ClientID},
		{name: "C03 client_id with an unencoded colon", auth: rawBasic(sc.Colon.ClientID, sc.Colon.ClientSecret),
			code: oauth.CodeInvalidClient, desc: unknown, challenge: true},
		{name: "basic that is not base64", auth: "Basic !!!not-base64!!!", code: oauth.CodeInvalidClient, desc: malformed, challenge: true},
		{name: "basic without a colon", auth: "Basic " + base64.StdEncoding.EncodeToString([]byte(sc.Basic.ClientID)),
			code: oauth.CodeInvalidClient, desc: malformed, challenge: true},
		{name: "basic with an empty client_id", auth: basic("", "secret"), code: oauth.CodeInvalidClient, desc: malformed, challenge: true},
		{name: "basic with a bad percent escape", auth: "Basic " + base64.StdEncoding.EncodeToString([]byte("a%zz:b")),
			code: oauth.CodeInvalidClient, desc: malformed, challenge: true},
		{name: "Bearer scheme", auth: "Bearer abc", code: oauth.CodeInvalidRequest,
			desc: "only the Basic scheme is accepted in the Authorization header"},
		{name: "basic and the same client_id in the form", auth: basic(sc.Basic.ClientID, sc.Basic.ClientSecret),
			params: map[string]string{"client_id": sc.Basic.ClientID}, client: sc.Basic.ClientID},
		{name: "basic and another client_id in the form", auth: basic(sc.Basic.ClientID, sc.Basic.ClientSecret),
			params: map[string]string{"client_id": sc.Post.ClientID}, code: oauth.CodeInvalidClient,
			desc: "client_id does not match the Authorization header", challenge: true},
		{name: "unknown client in basic", auth: basic("nobody", strings.Repeat("s", 40)),
			code: oauth.CodeInvalidClient, desc: unknown, challenge: true},
		{name: "client_secret_post with the right secret", params: map[string]string{"client_id": sc.Post.ClientID, "client_secret": sc.Post.ClientSecret},
			client: sc.Post.ClientID},
		{name: "client_secret_post with a wrong secret", params: map[string]string{"client_id": sc.Post.ClientID, "client_secret": "x" + sc.Post.ClientSecret},
			code: oauth.CodeInvalidClient, desc: badSecret},
		{name: "client_secret without client_id", params: map[string]string{"client_secret": sc.Post.ClientSecret},
			code: oauth.CodeInvalidRequest, desc: "the parameter client_id is missing"},
		{name: "C15 client_secret_basic client using client_secret_post", params: map[string]string{"client_id": sc.Basic.ClientID, "client_secret": sc.Basic.ClientSecret},
			code: oauth.CodeInvalidClient, desc: "the client cannot be authenticated with client_secret_post"},
		{name: "C15 client_secret_post client using basic", auth: basic(sc.Post.ClientID, sc.Post.ClientSecret),
			code: oauth.CodeInvalidClient, desc: "the client cannot be authenticated with client_secret_basic", challenge: true},
		{name: "C15 private_key_jwt client using basic", auth: basic(sc.PK.ClientID, strings.Repeat("s", 40)),
			code: oauth.CodeInvalidClient, desc: "the client cannot be authenticated with client_secret_basic", challenge: true},
		{name: "registered public client", params: map[string]string{"client_id": sc.Public.ClientID}, client: sc.Public.ClientID},
		{name: "unknown public client", params: map[string]string{"client_id": "nobody"}, code: oauth.CodeInvalidClient, desc: unknown},
		{name: "confidential client identifying as public", params: map[string]string{"client_id": sc.Basic.ClientID},
			code: oauth.CodeInvalidClient, desc: "the client cannot be authenticated with none"},
		{name: "public client sending a secret", params: map[string]string{"client_id": sc.Public.ClientID, "client_secret": strings.Repeat("s", 40)},
			code: oauth.CodeInvalidClient, desc: "the client cannot be authenticated with client_secret_post"},
		{name: "OA-12 basic and client_secret in the form", auth: basic(sc.Basic.ClientID, sc.Basic.ClientSecret),
			params: map[string]string{"client_secret": sc.Basic.ClientSecret}, code: oauth.CodeInvalidRequest, desc: twoMethods},
		{name: "C02 basic and client_assertion", auth: basic(sc.Basic.ClientID, sc.Basic.ClientSecret),
			params: map[string]string{"client_assertion_type": assertionType, "client_assertion": "a.b.c"}, code: oauth.CodeInvalidRequest, desc: twoMethods},
		{name: "C02 client_secret and client_assertion", params: map[string]string{"client_id": sc.Post.ClientID, "client_secret": sc.Post.ClientSecret,
			"client_assertion_type": assertionType, "client_assertion": "a.b.c"}, code: oauth.CodeInvalidRequest, desc: twoMethods},
		{name: "C02 basic and a client_assertion_type alone", auth: basic(sc.Basic.ClientID, sc.Basic.ClientSecret),
			params: map[string]string{"client_assertion_type": assertionType}, code: oauth.CodeInvalidRequest, desc: twoMethods},
		{name: "C15 client_assertion_type alone", params: map[string]string{"client_assertion_type": assertionType},
			code: oauth.CodeInvalidClient, desc: "the parameter client_assertion is missing"},
		{name: "C15 saml2-bearer client_assertion_type", params: map[string]string{"client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:saml2-bearer", "client_assertion": "a.b.c"},
			code: oauth.CodeInvalidClient, desc: "the client_assertion_type is not supported"},
		{name: "C15 client_assertion without its type", params: map[string]string{"client_assertion": "a.b.c"},
			code: oauth.CodeInvalidClient, desc: "the client_assertion_type is not supported"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := e.Store.Recorded()
			c, b, err := e.authenticate(t, clientauth.Request{Params: tc.params, Authorization: tc.auth, RemoteIP: "192.0.2.1"})
			if tc.client != "" {
				wantClient(t, c, err, tc.client)
				if b != (oauth.Binding{}) {
					t.Errorf("binding = %+v; want none", b)
				}
				return
			}
			oe := wantError(t, c, err, tc.code, tc.desc)
			switch {
			case tc.challenge && (oe.Challenge == nil || oe.Challenge.Scheme != oauth.SchemeBasic):
				t.Errorf("challenge = %+v; want Basic (OA-23)", oe.Challenge)
			case !tc.challenge && oe.Challenge != nil:
				t.Errorf("challenge = %+v; want none", oe.Challenge)
			}
			for _, s := range []string{sc.Basic.ClientSecret, sc.Post.ClientSecret, sc.Colon.ClientSecret} {
				if strings.Contains(oe.Description, s) {
					t.Errorf("description %q holds a secret", oe.Description)
				}
			}
			e.wantNothingStored(t, before)
		})
	}
}

// TestSecretWithoutStoredHash: a secret client whose record holds no
// hash (a damaged or hand-made record) authenticates with no secret, not
// even the empty one.
func TestSecretWithoutStoredHash(t *testing.T) {
	e := newEnv(t)
	if err := e.Store.CreateClient(t.Context(), storage.Client{ID: "nohash", AuthMethod: oauth.AuthClientSecretBasic}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"", "x"} {
		c, _, err := e.authenticate(t, clientauth.Request{Authorization: basic("nohash", s)})
		wantError(t, c, err, oauth.CodeInvalidClient, "bad client credential")
	}
}

// TestSecretGuessingDelay covers C04 / OA-13: after 20 wrong secrets of
// one client from one address, that client's attempts from that address
// wait (1 s, doubling per further failure), even with the right secret,
// while the client from another address, and another client from the same
// address, are served; a success forgets the failures.
func TestSecretGuessingDelay(t *testing.T) {
	e := newEnv(t)
	sc := registerSecretClients(t, e)
	const delayed = "too many failed authentications; try again later"
	try := func(id, secret, ip string) (*storage.Client, error) {
		c, _, err := e.authenticate(t, clientauth.Request{Authorization: basic(id, secret), RemoteIP: ip})
		return c, err
	}
	wantDelay := func(t *testing.T, c *storage.Client, err error, d time.Duration) {
		t.Helper()
		oe := wantError(t, c, err, oauth.CodeInvalidClient, delayed)
		if oe.RetryAfter != d {
			t.Errorf("RetryAfter = %v; want %v", oe.RetryAfter, d)
		}
		if oe.Challenge == nil || oe.Challenge.Scheme != oauth.SchemeBasic {
			t.Errorf("challenge = %+v; want Basic", oe.Challenge)
		}
	}
	const guesser, client = "198.51.100.7", "203.0.113.9"
	for i := range 20 {
		c, err := try(sc.Basic.ClientID, "wrong", guesser)
		if oe := wantError(t, c, err, oauth.CodeInvalidClient, "bad client credential"); oe.RetryAfter != 0 {
			t.Fatalf("failure %d: RetryAfter = %v; want none within the free failures", i+1, oe.RetryAfter)
		}
	}
	c, err := try(sc.Basic.ClientID, sc.Basic.ClientSecret, guesser)
	wantDelay(t, c, err, time.Second)

	c, err = try(sc.Basic.ClientID, sc.Basic.ClientSecret, client)
	wantClient(t, c, err, sc.Basic.ClientID) // the client, from its own address
	c, err = try(sc.Colon.ClientID, sc.Colon.ClientSecret, guesser)
	wantClient(t, c, err, sc.Colon.ClientID) // another client, from the guesser's address

	e.Clock.Advance(time.Second)
	c, err = try(sc.Basic.ClientID, "wrong", guesser)
	wantError(t, c, err, oauth.CodeInvalidClient, "bad client credential")
	c, err = try(sc.Basic.ClientID, "wrong", guesser)
	wantDelay(t, c, err, 2*time.Second)

	e.Clock.Advance(2 * time.Second)
	c, err = try(sc.Basic.ClientID, sc.Basic.ClientSecret, guesser)
	wantClient(t, c, err, sc.Basic.ClientID)
	// The success forgot the failures: the next wrong secret is not delayed,
	// and neither is the right one after it.
	c, err = try(sc.Basic.ClientID, "wrong", guesser)
	wantError(t, c, err, oauth.CodeInvalidClient, "bad client credential")
	c, err = try(sc.Basic.ClientID, sc.Basic.ClientSecret, guesser)
	wantClient(t, c, err, sc.Basic.ClientID)
}

// TestSecretGuessingDelayPost: client_secret_post is delayed the same
// way, without a Basic challenge.
func TestSecretGuessingDelayPost(t *testing.T) {
	e := newEnv(t)
	sc := registerSecretClients(t, e)
	req := func(secret string) clientauth.Request {
		return clientauth.Request{Params: map[string]string{"client_id": sc.Post.ClientID, "client_secret": secret}, RemoteIP: "198.51.100.7"}
	}
	for range 20 {
		_, _, _ = e.authenticate(t, req("wrong"))
	}
	c, _, err := e.authenticate(t, req(sc.Post.ClientSecret))
	oe := wantError(t, c, err, oauth.CodeInvalidClient, "too many failed authentications; try again later")
	if oe.RetryAfter != time.Second || oe.Challenge != nil {
		t.Errorf("RetryAfter, Challenge = %v, %+v; want 1s and no challenge", oe.RetryAfter, oe.Challenge)
	}
}
