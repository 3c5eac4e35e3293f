package web_test

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// Failed sign-ins on the login page are counted per username and address,
// per address and per username, never per client: twenty-five failures
// with made-up usernames from one address do not slow down the client's
// other users (security review M1). (The count was per sign-in session;
// anyone can open as many sessions as they like, so it is per address now.)
func TestLoginFailuresDoNotLockTheClient(t *testing.T) {
	s := newAuthFlow(t)
	uri := s.afPushOK(t, afParams(s.ClientID, newPKCE(t), nil), nil)
	b := newBrowserFrom(t, "127.0.0.7")
	res := b.get(t, s.URL+"/authorize?"+url.Values{"client_id": {s.ClientID}, "request_uri": {uri}}.Encode())
	csrf := afCSRF(t, readBody(t, res))
	for i := range 25 {
		res := b.postForm(t, s.URL+"/authorize/login", url.Values{"csrf_token": {csrf}, "username": {fmt.Sprintf("nobody%d", i)}, "password": {"wrong password"}})
		readBody(t, res)
	}
	// alice, from her own address, is not slowed down.
	loc := s.afSignIn(t, newBrowserFrom(t, "127.0.0.8"), url.Values{"client_id": {s.ClientID}, "request_uri": {s.afPushOK(t, afParams(s.ClientID, newPKCE(t), nil), nil)}}, afUser, afPassword, true)
	if loc.Query().Get("code") == "" {
		t.Fatalf("alice got no code after another address's failures: %s", loc)
	}
	// The attacking address itself waits, even for alice's password.
	res = b.postForm(t, s.URL+"/authorize/login", url.Values{"csrf_token": {csrf}, "username": {afUser}, "password": {afPassword}})
	if page := string(readBody(t, res)); res.StatusCode != http.StatusTooManyRequests || !strings.Contains(page, "too many failed sign-ins") {
		t.Errorf("the address with 25 failures still signs in: %d %s", res.StatusCode, page)
	}
}

// The PAR quota of an attested wallet counts per instance: one instance
// using it up does not block another (security review M2).
func TestPARQuotaPerWalletInstance(t *testing.T) {
	f := atSetup(t)
	ts := f.ts
	id := atWalletID()
	withRedirect := func(_, c map[string]any) { c["redirect_uris"] = []string{afRedirect} }
	instance := func() *atInstance {
		in := f.instance(t, id)
		in.Att = f.attest(t, id, in.Key, withRedirect)
		return in
	}
	a, b := instance(), instance()
	for range 300 {
		res := ts.afPush(t, url.Values{"client_id": {id}}, a.headers(t))
		readBody(t, res)
	}
	wantError(t, ts.afPush(t, afParams(id, newPKCE(t), nil), a.headers(t)), http.StatusTooManyRequests, "invalid_request")
	res := ts.afPush(t, afParams(id, newPKCE(t), nil), b.headers(t))
	if body := readBody(t, res); res.StatusCode != http.StatusCreated {
		t.Fatalf("another instance's PAR = %d %s; want 201", res.StatusCode, body)
	}
}

// /userinfo checks a token's certificate binding (RFC 8705 §3): a
// certificate-bound Bearer token is refused without its certificate or
// with another one (security review M3). The client_credentials token has
// no openid scope, so passing the binding check ends at 403.
func TestUserInfoCertificateBinding(t *testing.T) {
	f := newMTLSFixture(t, optionalDPoP)
	tb, _ := wantCertBound(t, f.ts.postCert(t, &f.dnCert, "/token", ccForm(dnClient), nil), f.dnCert, "Bearer")
	get := func(cert *tls.Certificate) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, f.ts.URL+"/userinfo", nil)
		req.Header.Set("Authorization", "Bearer "+tb.AccessToken)
		res, err := f.ts.tlsClient(t, cert).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	wantError(t, get(nil), http.StatusUnauthorized, "invalid_token")
	wantError(t, get(&f.dnsCert), http.StatusUnauthorized, "invalid_token")
	wantError(t, get(&f.dnCert), http.StatusForbidden, "insufficient_scope")
}

// tls_client_auth compares the subject DN as the certificate has it: a
// certificate with a second CN does not match the registered DN, although
// Go's pkix.Name.String keeps only one CN (security review L2).
func TestMTLSSubjectDNRepeatedAttribute(t *testing.T) {
	f := newMTLSFixture(t, optionalDPoP)
	cn := asn1.ObjectIdentifier{2, 5, 4, 3}
	forged := f.ca.Issue(t, &x509.Certificate{Subject: pkix.Name{
		Country: []string{"DE"}, Organization: []string{"Example Wallets"}, OrganizationalUnit: []string{"Issuance"},
		ExtraNames: []pkix.AttributeTypeAndValue{{Type: cn, Value: "mallory"}, {Type: cn, Value: "backend-1"}},
	}})
	if got := mustParse(t, forged.Certificate[0]).Subject.String(); got != clientDN {
		t.Fatalf("the crafted certificate's pkix.Name.String() = %q; the test needs %q", got, clientDN)
	}
	wantError(t, f.ts.postCert(t, &forged, "/token", ccForm(dnClient), nil), http.StatusUnauthorized, "invalid_client")
	wantCertBound(t, f.ts.postCert(t, &f.dnCert, "/token", ccForm(dnClient), nil), f.dnCert, "Bearer")
}

// A wallet provider restricted to client_ids vouches for those wallets
// only (security review L1).
func TestAttestationProviderClientIDs(t *testing.T) {
	f := atSetup(t)
	ts := f.ts
	key := asNewKey(t)
	allowed := atWalletID()
	p := atCreateProvider(t, ts, map[string]any{"name": "Scoped Wallets", "issuer": "https://scoped.example",
		"client_ids": []string{allowed}, "jwks": map[string]any{"keys": []any{asJWK(key, "sc-1")}}})
	if !slices.Equal(p.ClientIDs, []string{allowed}) {
		t.Fatalf("created provider client_ids = %v; want [%s]", p.ClientIDs, allowed)
	}
	attest := func(id string) *atInstance {
		in := f.instance(t, id)
		c := f.attClaims(id, in.Key)
		c["iss"] = "https://scoped.example"
		in.Att = rawJWS(t, key, map[string]any{"typ": atTyp, "alg": "ES256", "kid": "sc-1"}, c, nil)
		return in
	}
	in := attest(allowed)
	atWantToken(t, in.redeem(t, in.headers(t), nil), allowed)
	other := attest(atWalletID())
	atWantError(t, other.redeem(t, other.headers(t), nil), http.StatusUnauthorized, "invalid_client",
		"the client attestation is not signed by a trusted wallet provider")
	res := ts.admin(t, http.MethodPost, "/admin/wallet-providers", map[string]any{"name": "Bad", "client_ids": []string{"has space"},
		"jwks": map[string]any{"keys": []any{asJWK(key, "sc-2")}}})
	if body := readBody(t, res); res.StatusCode != http.StatusBadRequest {
		t.Errorf("a provider with an invalid client_id = %d %s; want 400", res.StatusCode, body)
	}
}
