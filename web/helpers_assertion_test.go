package web_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"issuer/issuer/oauth"
)

const (
	asType     = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
	asSAMLType = "urn:ietf:params:oauth:client-assertion-type:saml2-bearer"
)

func asNewKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// asJWK is the public JWK of k with a kid.
func asJWK(k *ecdsa.PrivateKey, kid string) map[string]any {
	j := publicJWK(&k.PublicKey)
	j["kid"] = kid
	return j
}

// asClaims are valid assertion claims for client id, dated by the server
// clock.
func asClaims(ts *testServer, id string) map[string]any {
	now := ts.Clock.Now()
	return map[string]any{
		"iss": id, "sub": id, "aud": ts.URL,
		"exp": now.Add(5 * time.Minute).Unix(), "iat": now.Unix(), "jti": randomJTI(),
	}
}

// asInput is the JWS signing input of header and claims.
func asInput(t testing.TB, header, claims map[string]any) string {
	t.Helper()
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	p, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(p)
}

func asB64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// asES signs claims ES256 with key; kid is omitted when "".
func asES(t testing.TB, key *ecdsa.PrivateKey, kid string, claims map[string]any) string {
	t.Helper()
	h := map[string]any{"alg": "ES256", "typ": "JWT"}
	if kid != "" {
		h["kid"] = kid
	}
	return rawJWS(t, key, h, claims, nil)
}

// asHS signs claims with an HMAC (HS256) keyed with secret.
func asHS(t testing.TB, secret []byte, header, claims map[string]any) string {
	t.Helper()
	if header == nil {
		header = map[string]any{"alg": "HS256", "typ": "JWT"}
	}
	input := asInput(t, header, claims)
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(input))
	return input + "." + asB64(m.Sum(nil))
}

// asForm is the form of a client authenticated by assertion.
func asForm(assertion string) url.Values {
	return url.Values{"client_assertion_type": {asType}, "client_assertion": {assertion}}
}

// asToken posts a client_credentials request with a fresh DPoP proof, the
// given form parameters and headers.
func (ts *testServer) asToken(t testing.TB, form url.Values, hdr map[string][]string) *http.Response {
	t.Helper()
	f := url.Values{"grant_type": {oauth.GrantClientCredentials}}
	for k, v := range form {
		f[k] = v
	}
	h := map[string][]string{"DPoP": {proofAt(t, newWallet(t), http.MethodPost, ts.TokenURL(), ts.Clock.Now())}}
	for k, v := range hdr {
		h[k] = v
	}
	return ts.post(t, "/token", f, h)
}

// asWantClient asserts a 200 token response issued to clientID.
func asWantClient(t testing.TB, res *http.Response, clientID string) tokenBody {
	t.Helper()
	tb := wantToken(t, res)
	if tb.TokenType != "DPoP" {
		t.Errorf("token_type = %q; want DPoP", tb.TokenType)
	}
	_, claims := jwtParts(t, tb.AccessToken)
	if claims["client_id"] != clientID {
		t.Fatalf("client_id claim = %v; want %s", claims["client_id"], clientID)
	}
	return tb
}

// asWantRefused asserts 401 invalid_client with a safe, non-empty
// error_description (exactly desc when desc != "").
func asWantRefused(t testing.TB, res *http.Response, desc string, secrets ...string) {
	t.Helper()
	e := wantError(t, res, http.StatusUnauthorized, "invalid_client")
	if e.Description == "" {
		t.Errorf("no error_description")
	}
	if desc != "" && e.Description != desc {
		t.Errorf("error_description = %q; want %q", e.Description, desc)
	}
	wantSafeDescription(t, e.Description, secrets...)
}

// asPostNoFatal posts a form without testing.TB, for goroutines.
func asPostNoFatal(target string, form url.Values, hdr map[string]string) (int, []byte, error) {
	req, err := http.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, b, err
}
