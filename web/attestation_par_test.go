package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
)

// The authorization code flow for an unregistered wallet that authenticates
// with its attestation at PAR and at the token endpoint (HAIP §4.3, §4.4.1):
// its redirect URIs come from the attestation, the code is bound to the
// instance key, and the refresh token too.
func TestAttestationAuthorizationCodeFlow(t *testing.T) {
	f := atSetup(t)
	ts := f.ts
	ts.afCreateUser(t, afUser, afPassword, nil)
	id := atWalletID()
	withRedirect := func(_, c map[string]any) { c["redirect_uris"] = []string{afRedirect} }
	newInstance := func() *atInstance {
		in := f.instance(t, id)
		in.Att = f.attest(t, id, in.Key, withRedirect)
		return in
	}
	push := func(in *atInstance, form url.Values) *http.Response {
		return ts.afPush(t, form, in.headers(t))
	}
	exchange := func(in *atInstance, code, verifier string) *http.Response {
		form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {afRedirect}, "code_verifier": {verifier}, "client_id": {id}}
		h := in.headers(t)
		h["DPoP"] = []string{ts.freshProof(t, in.DPoP)}
		return ts.post(t, "/token", form, h)
	}
	codeFor := func(in *atInstance, pk afPKCE) string {
		res := push(in, afParams(id, pk, nil))
		body := readBody(t, res)
		if res.StatusCode != http.StatusCreated {
			t.Fatalf("PAR with an attestation = %d %s; want 201", res.StatusCode, body)
		}
		uri := afJSONString(t, body, "request_uri")
		loc := ts.afSignIn(t, newBrowser(t), url.Values{"client_id": {id}, "request_uri": {uri}}, afUser, afPassword, true)
		return loc.Query().Get("code")
	}

	t.Run("code, token and refresh for an unregistered wallet", func(t *testing.T) {
		in, pk := newInstance(), newPKCE(t)
		tb := atWantToken(t, exchange(in, codeFor(in, pk), pk.Verifier), id)
		if tb.RefreshToken == "" {
			t.Fatal("no refresh token for the attested wallet")
		}
	})
	t.Run("another instance of the wallet cannot redeem the code", func(t *testing.T) {
		in, pk := newInstance(), newPKCE(t)
		code := codeFor(in, pk)
		wantError(t, exchange(newInstance(), code, pk.Verifier), http.StatusBadRequest, "invalid_grant")
	})
	t.Run("PAR without the attestation (HAIP-10)", func(t *testing.T) {
		wantError(t, ts.afPush(t, afParams(id, newPKCE(t), nil), nil), http.StatusUnauthorized, "invalid_client")
	})
	t.Run("PAR with client_id other than the attestation's sub (HAIP-09)", func(t *testing.T) {
		in := newInstance()
		wantError(t, push(in, afParams(atWalletID(), newPKCE(t), nil)), http.StatusUnauthorized, "invalid_client")
	})
	t.Run("a redirect URI the attestation does not list", func(t *testing.T) {
		in := newInstance()
		wantError(t, push(in, afParams(id, newPKCE(t), url.Values{"redirect_uri": {"https://evil.example/cb"}})), http.StatusBadRequest, "invalid_request")
	})
	t.Run("an attestation without redirect_uris cannot use the code flow", func(t *testing.T) {
		in := f.instance(t, id)
		wantError(t, push(in, afParams(id, newPKCE(t), nil)), http.StatusBadRequest, "invalid_request")
	})
}

// afJSONString returns the string member name of a JSON object body.
func afJSONString(t testing.TB, body []byte, name string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	s, _ := m[name].(string)
	if s == "" {
		t.Fatalf("%s has no %s", body, name)
	}
	return s
}
