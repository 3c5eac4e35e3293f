package web_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"issuer/dpop"
	"issuer/issuer"
)

// Helpers of the credential endpoint's tests: a holder with its DPoP key
// and key-proof keys, PID claims, offers that carry them, key proofs,
// credential requests and the assertions on their answers.

// crPIDClaims are claims that satisfy every mandatory claim of both
// default PID configurations: the SD-JWT VC names at the top, the mdoc
// elements whose names differ in the PID namespace.
func crPIDClaims() map[string]any {
	return map[string]any{
		"given_name": "Erika", "family_name": "Mustermann", "birthdate": "1964-08-12",
		"place_of_birth": map[string]any{"locality": "Berlin", "country": "DE"}, "nationalities": []any{"DE"},
		"issuing_authority": "Test PID Provider", "issuing_country": "DE", "date_of_expiry": "2031-01-01",
		"age_equal_or_over": map[string]any{"18": true},
		issuer.PIDDocType:   map[string]any{"birth_date": "1964-08-12", "nationality": []any{"DE"}, "expiry_date": "2031-01-01", "age_over_18": true},
	}
}

// crHolder is a wallet: its DPoP key (wallet) and the keys its
// credentials are bound to.
type crHolder struct {
	*wallet
	AT string
	// Details are the token response's authorization_details.
	Token tokenBody
	// OfferID is the offer the token was redeemed from.
	OfferID string
}

// crNewKey is a fresh P-256 key for a key proof.
func crNewKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// crOffer creates a pre-authorized offer for subject with claims (the PID
// claims when nil) for configs (both PID configurations when none).
func (ts *testServer) crOffer(t testing.TB, subject string, claims map[string]any, configs ...string) issuer.OfferResponse {
	t.Helper()
	if claims == nil {
		claims = crPIDClaims()
	}
	if len(configs) == 0 {
		configs = []string{pidConfig, mdlConfig}
	}
	return ts.offer(t, map[string]any{"subject": subject, "claims": claims, "credential_configuration_ids": configs})
}

// crHolderFor redeems a new PID offer (crOffer) with a new DPoP-bound
// wallet and returns it with its access token.
func (ts *testServer) crHolderFor(t testing.TB, subject string, claims map[string]any, configs ...string) *crHolder {
	t.Helper()
	h := &crHolder{wallet: newWallet(t)}
	o := ts.crOffer(t, subject, claims, configs...)
	h.Token = wantToken(t, ts.redeem(t, code(o), rvProof(t, ts, h.wallet), nil))
	h.AT, h.OfferID = h.Token.AccessToken, o.OfferID
	return h
}

// identifier is the token's credential identifier of configuration id.
func (h *crHolder) identifier(t testing.TB, id string) string {
	t.Helper()
	for _, d := range h.Token.AuthorizationDetails {
		if d.CredentialConfigurationID == id && len(d.CredentialIdentifiers) > 0 {
			return d.CredentialIdentifiers[0]
		}
	}
	t.Fatalf("the token grants no identifier of %s: %+v", id, h.Token.AuthorizationDetails)
	return ""
}

// crNonces posts to the nonce endpoint and returns the c_nonce and the
// DPoP-Nonce header ("" when absent).
func (ts *testServer) crNonces(t testing.TB) (cNonce, dpopNonce string) {
	t.Helper()
	res := sendRaw(t, http.MethodPost, ts.URL+"/nonce", "", nil, nil)
	body := readBody(t, res)
	var b struct {
		CNonce string `json:"c_nonce"`
	}
	if res.StatusCode != http.StatusOK || json.Unmarshal(body, &b) != nil || b.CNonce == "" {
		t.Fatalf("POST /nonce = %d %s", res.StatusCode, body)
	}
	return b.CNonce, res.Header.Get("DPoP-Nonce")
}

// crKeyProof signs a key proof (OpenID4VCI 1.0 Appendix F.1) with key for
// ts, with c_nonce nonce ("" for none); mutate may change the header and
// payload first.
func (ts *testServer) crKeyProof(t testing.TB, key *ecdsa.PrivateKey, nonce string, mutate func(h, p map[string]any)) string {
	t.Helper()
	h := map[string]any{"typ": "openid4vci-proof+jwt", "alg": "ES256", "jwk": publicJWK(&key.PublicKey)}
	p := map[string]any{"aud": ts.URL, "iat": ts.Clock.Now().Unix()}
	if nonce != "" {
		p["nonce"] = nonce
	}
	if mutate != nil {
		mutate(h, p)
	}
	return rawJWS(t, key, h, p, nil)
}

// crFreshProof is a key proof of key with a fresh c_nonce.
func (ts *testServer) crFreshProof(t testing.TB, key *ecdsa.PrivateKey) string {
	t.Helper()
	n, _ := ts.crNonces(t)
	return ts.crKeyProof(t, key, n, nil)
}

// crDPoP is a DPoP proof of w for POST /credential with ath over at and
// the given server nonce ("" for none).
func (ts *testServer) crDPoP(t testing.TB, w *wallet, at, nonce string) string {
	t.Helper()
	p, err := dpop.Sign(w.Key, "ES256", dpop.Claims{Method: http.MethodPost, URL: ts.URL + "/credential", AccessToken: at, Nonce: nonce, IssuedAt: ts.Clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// crPost posts body (JSON-encoded unless it is a []byte) to /credential
// with the header lines of hdr and Content-Type application/json.
func (ts *testServer) crPost(t testing.TB, hdr http.Header, body any) *http.Response {
	t.Helper()
	raw, ok := body.([]byte)
	if !ok {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			t.Fatal(err)
		}
	}
	return sendRaw(t, http.MethodPost, ts.URL+"/credential", "application/json", bytes.NewReader(raw), hdr)
}

// crAuth is the DPoP Authorization and proof header lines of h.
func (ts *testServer) crAuth(t testing.TB, h *crHolder) http.Header {
	t.Helper()
	return http.Header{"Authorization": {"DPoP " + h.AT}, "Dpop": {ts.crDPoP(t, h.wallet, h.AT, "")}}
}

// crRequest sends body with h's token and a fresh DPoP proof.
func (ts *testServer) crRequest(t testing.TB, h *crHolder, body any) *http.Response {
	t.Helper()
	return ts.crPost(t, ts.crAuth(t, h), body)
}

// crBody is a request body for the credential identifier of config with
// the given JWT proofs.
func crBody(id string, proofs ...string) map[string]any {
	return map[string]any{"credential_identifier": id, "proofs": map[string]any{"jwt": proofs}}
}

// crWantCredentials asserts a 200 credential response with n credentials
// and its headers, and returns the credentials.
func crWantCredentials(t testing.TB, res *http.Response, n int) []string {
	t.Helper()
	body := readBody(t, res)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("POST /credential = %d %s (WWW-Authenticate %q); want 200", res.StatusCode, body, res.Header.Get("WWW-Authenticate"))
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q; want no-store", cc)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q; want application/json", ct)
	}
	var b struct {
		Credentials []struct {
			Credential string `json:"credential"`
		} `json:"credentials"`
	}
	if err := json.Unmarshal(body, &b); err != nil || len(b.Credentials) != n {
		t.Fatalf("credential response %s (%v); want %d credentials", body, err, n)
	}
	out := make([]string, n)
	for i, c := range b.Credentials {
		if c.Credential == "" {
			t.Fatalf("credential %d is empty: %s", i, body)
		}
		out[i] = c.Credential
	}
	return out
}

// crWantError asserts an error answer: status, error, no-store, a Date
// header, and a body with error and error_description only (OpenID4VCI
// 1.0 §8.3.1.2). It returns the description.
func crWantError(t testing.TB, res *http.Response, status int, code string) string {
	t.Helper()
	if res.Header.Get("Date") == "" {
		t.Errorf("the response has no Date header")
	}
	raw := readBody(t, res)
	res.Body = nopBody(raw)
	e := wantError(t, res, status, code)
	var members map[string]any
	if err := json.Unmarshal(raw, &members); err != nil {
		t.Fatal(err)
	}
	for k := range members {
		if k != "error" && k != "error_description" {
			t.Errorf("error body has member %q: %s", k, raw)
		}
	}
	if e.Description == "" {
		t.Errorf("error %s has no error_description", code)
	}
	return e.Description
}

// crWantChallenge asserts a refused token: status, error in the body and
// in a challenge of scheme (with error when code is not "").
func crWantChallenge(t testing.TB, res *http.Response, status int, code, scheme string) string {
	t.Helper()
	ch := res.Header.Get("WWW-Authenticate")
	crWantError(t, res, status, code)
	if !strings.HasPrefix(ch, scheme+" ") && ch != scheme {
		t.Errorf("WWW-Authenticate = %q; want a %s challenge", ch, scheme)
	}
	if status == http.StatusUnauthorized && code != "invalid_request" && !strings.Contains(ch, `error="`+code+`"`) {
		t.Errorf("WWW-Authenticate = %q; want error=%q", ch, code)
	}
	return ch
}

// nopBody makes raw a response body again.
func nopBody(raw []byte) io.ReadCloser { return io.NopCloser(bytes.NewReader(raw)) }

// acRedeemAs runs the authorization code flow of the setup's public client
// for scope, signed in as username, and redeems the code with w's proof.
func (s *afSetup) acRedeemAs(t testing.TB, w *wallet, username, password, scope string) acToken {
	t.Helper()
	pk := newPKCE(t)
	uri := s.afPushOK(t, afParams(s.ClientID, pk, url.Values{"scope": {scope}}), nil)
	loc := s.afSignIn(t, newBrowser(t), url.Values{"client_id": {s.ClientID}, "request_uri": {uri}}, username, password, true)
	return s.acRedeem(t, acGrant{Code: loc.Query().Get("code"), PKCE: pk}, w)
}
