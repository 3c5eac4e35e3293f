package web_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"issuer/issuer"
	"issuer/issuer/oauth"
)

// rawBasic is a Basic header whose parts were not form-urlencoded.
func rawBasic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))
}

// TestClientAuthentication covers C01, C03, OA-08..12, OA-23, VCI-11.
func TestClientAuthentication(t *testing.T) {
	ts := newTestServer(t)
	basicClient := ts.registerClient(t, map[string]any{
		"client_id": "wallet-basic", "token_endpoint_auth_method": "client_secret_basic", "grant_types": []string{preAuth},
	})
	postClient := ts.registerClient(t, map[string]any{
		"client_id": "wallet-post", "token_endpoint_auth_method": "client_secret_post", "grant_types": []string{preAuth},
	})
	colonClient := ts.registerClient(t, map[string]any{
		"client_id": "org:wallet", "token_endpoint_auth_method": "client_secret_basic", "grant_types": []string{preAuth},
	})
	publicClient := ts.registerClient(t, map[string]any{
		"client_id": "wallet-public", "token_endpoint_auth_method": "none", "grant_types": []string{preAuth},
	})
	publicNoGrant := ts.registerClient(t, map[string]any{
		"client_id": "wallet-no-grant", "token_endpoint_auth_method": "none",
	})
	for _, c := range []registeredClient{basicClient, postClient, colonClient} {
		if len(c.Secret) < 32 {
			t.Fatalf("client %s secret %q; want at least 32 characters", c.ID, c.Secret)
		}
	}
	if publicClient.Secret != "" || publicNoGrant.Secret != "" {
		t.Fatalf("public clients got secrets %q, %q; want none", publicClient.Secret, publicNoGrant.Secret)
	}

	cases := []struct {
		name      string
		form      url.Values // added to the valid request
		auth      string     // Authorization header
		status    int        // 200 for success
		code      string
		clientID  string // for 200: the expected client_id claim
		challenge bool   // a 401 that must carry WWW-Authenticate: Basic
		desc      string // exact error_description when not ""
	}{
		{name: "C01 basic with a wrong secret", auth: basicAuth(basicClient.ID, basicClient.Secret+"x"),
			status: 401, code: "invalid_client", challenge: true},
		{name: "C01 basic with an empty secret", auth: basicAuth(basicClient.ID, ""),
			status: 401, code: "invalid_client", challenge: true},
		{name: "C01 basic with the right secret", auth: basicAuth(basicClient.ID, basicClient.Secret),
			status: 200, clientID: basicClient.ID},
		// RFC 9110 §11.1: the scheme is case-insensitive, and 1*SP separates it.
		{name: "basic scheme in lower case", auth: "basic" + strings.TrimPrefix(basicAuth(basicClient.ID, basicClient.Secret), "Basic"),
			status: 200, clientID: basicClient.ID},
		{name: "basic scheme in upper case, two spaces", auth: "BASIC " + strings.TrimPrefix(basicAuth(basicClient.ID, basicClient.Secret), "Basic"),
			status: 200, clientID: basicClient.ID},
		{name: "client_secret_post with the right secret", form: url.Values{"client_id": {postClient.ID}, "client_secret": {postClient.Secret}},
			status: 200, clientID: postClient.ID},
		{name: "client_secret_post with a wrong secret", form: url.Values{"client_id": {postClient.ID}, "client_secret": {"x" + postClient.Secret}},
			status: 401, code: "invalid_client"},
		{name: "OA-12 basic plus client_secret in the body", auth: basicAuth(basicClient.ID, basicClient.Secret),
			form: url.Values{"client_secret": {basicClient.Secret}}, status: 400, code: "invalid_request"},
		{name: "client_secret_basic client using client_secret_post", form: url.Values{"client_id": {basicClient.ID}, "client_secret": {basicClient.Secret}},
			status: 401, code: "invalid_client"},
		{name: "client_secret_post client using basic", auth: basicAuth(postClient.ID, postClient.Secret),
			status: 401, code: "invalid_client", challenge: true},
		{name: "client_secret without client_id", form: url.Values{"client_secret": {postClient.Secret}},
			status: 400, code: "invalid_request"},
		{name: "basic and a different client_id in the body", auth: basicAuth(basicClient.ID, basicClient.Secret),
			form: url.Values{"client_id": {postClient.ID}}, status: 401, code: "invalid_client", challenge: true},
		{name: "basic and the same client_id in the body", auth: basicAuth(basicClient.ID, basicClient.Secret),
			form: url.Values{"client_id": {basicClient.ID}}, status: 200, clientID: basicClient.ID},
		{name: "C03 basic with an unencoded colon in the client_id", auth: rawBasic(colonClient.ID, colonClient.Secret),
			status: 401, code: "invalid_client", challenge: true},
		{name: "OA-09 basic with the colon form-urlencoded as %3A", auth: basicAuth(colonClient.ID, colonClient.Secret),
			status: 200, clientID: colonClient.ID},
		{name: "basic that is not base64", auth: "Basic !!!not-base64!!!",
			status: 401, code: "invalid_client", challenge: true},
		{name: "basic without a colon", auth: "Basic " + base64.StdEncoding.EncodeToString([]byte(basicClient.ID)),
			status: 401, code: "invalid_client", challenge: true},
		{name: "unknown public client_id", form: url.Values{"client_id": {"nobody"}},
			status: 401, code: "invalid_client"},
		{name: "unknown client in basic", auth: basicAuth("nobody", strings.Repeat("s", 40)),
			status: 401, code: "invalid_client", challenge: true},
		{name: "registered public client", form: url.Values{"client_id": {publicClient.ID}},
			status: 200, clientID: publicClient.ID},
		{name: "confidential client identifying as public", form: url.Values{"client_id": {basicClient.ID}},
			status: 401, code: "invalid_client"},
		{name: "public client without the pre-authorized grant", form: url.Values{"client_id": {publicNoGrant.ID}},
			status: 400, code: "unauthorized_client",
			desc: "the client " + publicNoGrant.ID + " doesn't support the grant type " + preAuth},
		{name: "client_assertion present", form: url.Values{
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {"eyJhbGciOiJub25lIn0.e30."},
		}, status: 401, code: "invalid_client"},
		{name: "client_assertion_type alone", form: url.Values{
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		}, status: 401, code: "invalid_client"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := ts.offer(t, nil)
			form := preAuthForm(code(o))
			for k, v := range tc.form {
				form[k] = v
			}
			h := map[string][]string{"DPoP": {ts.freshProof(t, newWallet(t))}}
			if tc.auth != "" {
				h["Authorization"] = []string{tc.auth}
			}
			res := ts.post(t, "/token", form, h)
			if tc.status == http.StatusOK {
				tb := wantToken(t, res)
				_, claims := jwtParts(t, tb.AccessToken)
				if claims["client_id"] != tc.clientID {
					t.Fatalf("client_id claim = %v; want %s", claims["client_id"], tc.clientID)
				}
				return
			}
			challenge := res.Header.Get("WWW-Authenticate")
			e := wantError(t, res, tc.status, tc.code)
			if tc.challenge && !strings.HasPrefix(challenge, "Basic") {
				t.Errorf("WWW-Authenticate = %q; want it to start with Basic", challenge)
			}
			if tc.desc != "" && e.Description != tc.desc {
				t.Errorf("error_description = %q; want %q", e.Description, tc.desc)
			}
			wantSafeDescription(t, e.Description, basicClient.Secret, postClient.Secret, colonClient.Secret)
			ts.wantRedeemable(t, code(o), nil)
		})
	}
}

// TestAnonymousAccessDisabled covers C16, VCI-12, VCI-55 and O03: the
// metadata flag and the enforcement agree.
func TestAnonymousAccessDisabled(t *testing.T) {
	ts := newTestServer(t, func(c *issuer.Config) { c.PreAuthorized.AnonymousAccess = new(false) })
	res := sendRaw(t, http.MethodGet, ts.URL+"/.well-known/oauth-authorization-server", "", nil, nil)
	body := readBody(t, res)
	var meta map[string]any
	if err := json.Unmarshal(body, &meta); err != nil {
		t.Fatalf("metadata %s: %v", body, err)
	}
	if v, ok := meta["pre-authorized_grant_anonymous_access_supported"]; !ok || v != false {
		t.Fatalf("pre-authorized_grant_anonymous_access_supported = %v (present %t); want false", v, ok)
	}
	public := ts.registerClient(t, map[string]any{
		"client_id": "wallet-public", "token_endpoint_auth_method": "none", "grant_types": []string{preAuth},
	})
	t.Run("C16 anonymous request", func(t *testing.T) {
		o := ts.offer(t, nil)
		wantError(t, ts.redeemFresh(t, code(o), nil), http.StatusUnauthorized, "invalid_client")
		// Nothing consumed: the same code works for an identified client.
		wantToken(t, ts.redeemFresh(t, code(o), url.Values{"client_id": {public.ID}}))
	})
	t.Run("O03 registered public client succeeds", func(t *testing.T) {
		o := ts.offer(t, nil)
		tb := wantToken(t, ts.redeemFresh(t, code(o), url.Values{"client_id": {public.ID}}))
		_, claims := jwtParts(t, tb.AccessToken)
		if claims["client_id"] != public.ID {
			t.Fatalf("client_id claim = %v; want %s", claims["client_id"], public.ID)
		}
	})
}

// TestAnonymousAccessEnabled is the other half of O03: the default
// metadata says true and an anonymous request succeeds.
func TestAnonymousAccessEnabled(t *testing.T) {
	ts := newTestServer(t)
	res := sendRaw(t, http.MethodGet, ts.URL+"/.well-known/oauth-authorization-server", "", nil, nil)
	var meta map[string]any
	if err := json.Unmarshal(readBody(t, res), &meta); err != nil {
		t.Fatal(err)
	}
	if meta["pre-authorized_grant_anonymous_access_supported"] != true {
		t.Fatalf("pre-authorized_grant_anonymous_access_supported = %v; want true", meta["pre-authorized_grant_anonymous_access_supported"])
	}
	o := ts.offer(t, nil)
	wantToken(t, ts.redeemFresh(t, code(o), nil))
}

// TestClientSecretThrottling covers C04 / OA-13: after 20 wrong secrets
// from one address, the client's requests from that address wait (1 s,
// doubling per further failure), even with the right secret, while the
// client from another address is served: a client_id is no secret, so
// guessing slows down but locks nobody out.
func TestClientSecretThrottling(t *testing.T) {
	ts := newTestServer(t)
	c := ts.ccClient(t, "client_secret_basic", "read")
	w := newWallet(t)
	guesser := &http.Client{Transport: fromAddress("127.0.0.2")}
	as := func(hc *http.Client, rc registeredClient) *http.Response {
		h := map[string][]string{
			"Authorization": {basicAuth(rc.ID, rc.Secret)},
			"DPoP":          {proofAt(t, w, http.MethodPost, ts.TokenURL(), ts.Clock.Now())},
		}
		return ts.postVia(t, hc, "/token", url.Values{"grant_type": {oauth.GrantClientCredentials}}, h)
	}
	wrong := registeredClient{ID: c.ID, Secret: "not-the-secret"}
	wantDelayed := func(t *testing.T, res *http.Response, seconds string) {
		t.Helper()
		if got := res.Header.Get("Retry-After"); got != seconds {
			t.Errorf("Retry-After = %q; want %q", got, seconds)
		}
		if e := wantError(t, res, 401, "invalid_client"); e.Description != "too many failed authentications; try again later" {
			t.Fatalf("error_description = %q; want the delay", e.Description)
		}
	}
	for range 20 {
		e := wantError(t, as(guesser, wrong), 401, "invalid_client")
		if e.Description != "bad client credential" {
			t.Fatalf("error_description = %q", e.Description)
		}
	}
	wantDelayed(t, as(guesser, c), "1")
	wantToken(t, as(http.DefaultClient, c)) // the client, from its own address
	ts.Clock.Advance(time.Second)
	wantError(t, as(guesser, wrong), 401, "invalid_client")
	wantDelayed(t, as(guesser, wrong), "2")
	ts.Clock.Advance(2 * time.Second)
	wantToken(t, as(guesser, c)) // a success from the address forgets its failures
	wantError(t, as(guesser, wrong), 401, "invalid_client")
	wantToken(t, as(guesser, c))
}
