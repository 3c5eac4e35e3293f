package web_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jwt"

	"issuer/issuer"
	"issuer/issuer/oauth"
)

// rawResult is a response read without testing.TB, for goroutines.
type rawResult struct {
	status int
	error  string
	token  string
	err    error
}

// redeemNoFatal redeems code with proof; safe to call from any goroutine.
func redeemNoFatal(tokenURL, code, proof string) rawResult {
	req, err := http.NewRequest(http.MethodPost, tokenURL, strings.NewReader(preAuthForm(code).Encode()))
	if err != nil {
		return rawResult{err: err}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("DPoP", proof)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return rawResult{err: err}
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return rawResult{err: err}
	}
	var out struct {
		Error       string `json:"error"`
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return rawResult{status: res.StatusCode, err: err}
	}
	return rawResult{status: res.StatusCode, error: out.Error, token: out.AccessToken}
}

// claimDetails returns the configuration IDs of the authorization_details
// claim of an access token.
func claimDetails(t testing.TB, claims map[string]any) []string {
	t.Helper()
	list, ok := claims["authorization_details"].([]any)
	if !ok {
		t.Fatalf("authorization_details claim = %#v; want an array", claims["authorization_details"])
	}
	var ids []string
	for _, e := range list {
		m, _ := e.(map[string]any)
		id, _ := m["credential_configuration_id"].(string)
		ids = append(ids, id)
		if m["type"] != oauth.TypeOpenIDCredential {
			t.Errorf("authorization_details claim entry type = %v; want openid_credential", m["type"])
		}
		if ci, _ := m["credential_identifiers"].([]any); len(ci) == 0 {
			t.Errorf("authorization_details claim entry %v has no credential_identifiers", m)
		}
	}
	return ids
}

// responseDetails returns the configuration IDs of a token response's
// authorization_details, checking each entry has credential_identifiers.
func responseDetails(t testing.TB, tb tokenBody) []string {
	t.Helper()
	var ids []string
	for _, d := range tb.AuthorizationDetails {
		if d.Type != oauth.TypeOpenIDCredential {
			t.Errorf("authorization_details entry type = %q; want openid_credential", d.Type)
		}
		if len(d.CredentialIdentifiers) == 0 || slices.Contains(d.CredentialIdentifiers, "") {
			t.Errorf("authorization_details entry %+v: credential_identifiers must be non-empty strings", d)
		}
		ids = append(ids, d.CredentialConfigurationID)
	}
	return ids
}

// ---------------------------------------------------------------------------

// TestPreAuthSuccessResponse checks the 200 response and the access token
// of an anonymous wallet (VCI-01, VCI-30, VCI-31, OA-19..21, O04, RFC 9068,
// checklist §7 item 8).
func TestPreAuthSuccessResponse(t *testing.T) {
	ts := newTestServer(t)
	w := newWallet(t)
	o := ts.offer(t, map[string]any{"subject": "alice-42"})
	res := ts.redeem(t, code(o), ts.freshProof(t, w), nil)
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q; want application/json", ct)
	}
	// O04: both cache headers, exactly.
	if got := res.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q; want no-store", got)
	}
	if got := res.Header.Get("Pragma"); got != "no-cache" {
		t.Errorf("Pragma = %q; want no-cache", got)
	}
	tb := wantToken(t, res)

	t.Run("response body", func(t *testing.T) {
		if tb.AccessToken == "" {
			t.Errorf("access_token is empty")
		}
		if tb.TokenType != "DPoP" {
			t.Errorf("token_type = %q; want DPoP", tb.TokenType)
		}
		if tb.ExpiresIn != 300 {
			t.Errorf("expires_in = %d; want 300", tb.ExpiresIn)
		}
		if tb.CNonce == "" {
			t.Errorf("c_nonce is empty")
		}
		if tb.CNonceExpiresIn <= 0 {
			t.Errorf("c_nonce_expires_in = %d; want > 0", tb.CNonceExpiresIn)
		}
		if ids := responseDetails(t, tb); !slices.Equal(ids, []string{pidConfig}) {
			t.Errorf("authorization_details configurations = %v; want [%s]", ids, pidConfig)
		}
	})

	header, claims := jwtParts(t, tb.AccessToken)
	t.Run("access token header", func(t *testing.T) {
		if header["typ"] != "at+jwt" {
			t.Errorf("typ = %v; want at+jwt", header["typ"])
		}
		if header["alg"] != "ES256" {
			t.Errorf("alg = %v; want ES256", header["alg"])
		}
		if kid, _ := header["kid"].(string); kid == "" {
			t.Errorf("kid = %v; want a non-empty string", header["kid"])
		}
	})
	t.Run("access token claims", func(t *testing.T) {
		if claims["iss"] != ts.URL {
			t.Errorf("iss = %v; want %s", claims["iss"], ts.URL)
		}
		if claims["aud"] != ts.URL {
			t.Errorf("aud = %v; want %s", claims["aud"], ts.URL)
		}
		if claims["sub"] != "alice-42" {
			t.Errorf("sub = %v; want alice-42", claims["sub"])
		}
		iat, _ := claims["iat"].(float64)
		exp, _ := claims["exp"].(float64)
		if exp-iat != 300 {
			t.Errorf("exp-iat = %v; want 300", exp-iat)
		}
		if iat != float64(ts.Clock.Now().Unix()) {
			t.Errorf("iat = %v; want the server clock %d", iat, ts.Clock.Now().Unix())
		}
		if jti, _ := claims["jti"].(string); jti == "" {
			t.Errorf("jti = %v; want a non-empty string", claims["jti"])
		}
		cnf, _ := claims["cnf"].(map[string]any)
		if cnf["jkt"] != w.JKT {
			t.Errorf("cnf = %v; want jkt %s", claims["cnf"], w.JKT)
		}
		if ids := claimDetails(t, claims); !slices.Equal(ids, []string{pidConfig}) {
			t.Errorf("authorization_details claim = %v; want [%s]", ids, pidConfig)
		}
		if v, ok := claims["client_id"]; ok {
			t.Errorf("client_id claim = %v; want none for an anonymous wallet", v)
		}
		// The stored record matches and is live.
		jti, _ := claims["jti"].(string)
		rec, err := ts.Store.GetToken(context.Background(), jti)
		if err != nil {
			t.Fatalf("GetToken(%s) = %v", jti, err)
		}
		if rec.Revoked || rec.JKT != w.JKT || rec.Subject != "alice-42" || rec.GrantID != o.OfferID {
			t.Errorf("token record = %+v; want live, jkt %s, sub alice-42, grant %s", rec, w.JKT, o.OfferID)
		}
	})

	t.Run("signature verifies against /jwks", func(t *testing.T) {
		set, err := jwk.Fetch(context.Background(), ts.URL+"/jwks")
		if err != nil {
			t.Fatalf("jwk.Fetch(/jwks) = %v", err)
		}
		if _, err := jwt.Parse([]byte(tb.AccessToken), jwt.WithKeySet(set)); err != nil {
			t.Fatalf("jwt.Parse(access token) = %v; want a valid signature", err)
		}
		// Flip one byte of the payload: the signature must fail.
		parts := strings.Split(tb.AccessToken, ".")
		payload, err := base64.RawURLEncoding.DecodeString(parts[1])
		if err != nil {
			t.Fatal(err)
		}
		i := bytes.Index(payload, []byte("alice-42"))
		if i < 0 {
			t.Fatalf("payload %s has no subject", payload)
		}
		payload[i+len("alice-42")-1] ^= 0x01 // "alice-42" → "alice-43"
		forged := parts[0] + "." + base64.RawURLEncoding.EncodeToString(payload) + "." + parts[2]
		if _, err := jwt.Parse([]byte(forged), jwt.WithKeySet(set)); err == nil {
			t.Fatalf("jwt.Parse(token with one payload byte flipped) succeeded; want a signature failure")
		}
	})
}

// TestAuthorizationDetails covers B15–B19, J16, VCI-24..27, VCI-30..31.
func TestAuthorizationDetails(t *testing.T) {
	ts := newTestServer(t)
	refused := []struct {
		name    string
		details string
		code    string
	}{
		{"B15 not JSON", `[{"type":"openid_credential",`, "invalid_request"},
		{"B16 an object, not an array", `{"type":"openid_credential","credential_configuration_id":"` + pidConfig + `"}`, "invalid_authorization_details"},
		{"B16 empty array", `[]`, "invalid_authorization_details"},
		{"B16 a string, not an array", `"openid_credential"`, "invalid_authorization_details"},
		{"B16 an entry that is not an object", `["openid_credential"]`, "invalid_authorization_details"},
		{"B16 an entry without type", `[{"credential_configuration_id":"` + pidConfig + `"}]`, "invalid_authorization_details"},
		{"B16 an entry without credential_configuration_id", `[{"type":"openid_credential"}]`, "invalid_authorization_details"},
		{"B17 unknown credential_configuration_id", `[{"type":"openid_credential","credential_configuration_id":"org.example.unknown"}]`, "invalid_authorization_details"},
		{"B18/J16 a known configuration the offer does not cover", `[{"type":"openid_credential","credential_configuration_id":"` + mdlConfig + `"}]`, "invalid_authorization_details"},
		{"B18/J16 a covered and an uncovered configuration", `[{"type":"openid_credential","credential_configuration_id":"` + pidConfig + `"},{"type":"openid_credential","credential_configuration_id":"` + mdlConfig + `"}]`, "invalid_authorization_details"},
		{"B19 type payment_initiation", `[{"type":"payment_initiation","credential_configuration_id":"` + pidConfig + `"}]`, "invalid_authorization_details"},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			o := ts.offer(t, nil) // covers pid only
			res := ts.redeemFresh(t, code(o), url.Values{"authorization_details": {tc.details}})
			e := wantError(t, res, http.StatusBadRequest, tc.code)
			wantSafeDescription(t, e.Description, "org.example.unknown", "payment_initiation")
			ts.wantRedeemable(t, code(o), nil)
		})
	}

	t.Run("VCI-27 subset of the offer", func(t *testing.T) {
		o := ts.offer(t, map[string]any{"credential_configuration_ids": []string{pidConfig, mdlConfig}})
		tb := wantToken(t, ts.redeemFresh(t, code(o), url.Values{
			"authorization_details": {`[{"type":"openid_credential","credential_configuration_id":"` + pidConfig + `"}]`},
		}))
		if ids := responseDetails(t, tb); !slices.Equal(ids, []string{pidConfig}) {
			t.Errorf("response authorization_details = %v; want only [%s]", ids, pidConfig)
		}
		_, claims := jwtParts(t, tb.AccessToken)
		if ids := claimDetails(t, claims); !slices.Equal(ids, []string{pidConfig}) {
			t.Errorf("authorization_details claim = %v; want only [%s]", ids, pidConfig)
		}
	})
	t.Run("VCI-27 no authorization_details grants the whole offer", func(t *testing.T) {
		o := ts.offer(t, map[string]any{"credential_configuration_ids": []string{pidConfig, mdlConfig}})
		tb := wantToken(t, ts.redeemFresh(t, code(o), nil))
		ids := responseDetails(t, tb)
		if !slices.Equal(ids, []string{pidConfig, mdlConfig}) {
			t.Errorf("response authorization_details = %v; want [%s %s]", ids, pidConfig, mdlConfig)
		}
		// Each configuration gets its own identifier.
		if len(tb.AuthorizationDetails) == 2 && tb.AuthorizationDetails[0].CredentialIdentifiers[0] == tb.AuthorizationDetails[1].CredentialIdentifiers[0] {
			t.Errorf("both configurations share the credential identifier %q", tb.AuthorizationDetails[0].CredentialIdentifiers[0])
		}
	})
	t.Run("VCI-26 unknown fields in an entry are ignored", func(t *testing.T) {
		o := ts.offer(t, nil)
		tb := wantToken(t, ts.redeemFresh(t, code(o), url.Values{
			"authorization_details": {`[{"type":"openid_credential","credential_configuration_id":"` + pidConfig + `","foo":1,"bar":{"x":[1,2]}}]`},
		}))
		if ids := responseDetails(t, tb); !slices.Equal(ids, []string{pidConfig}) {
			t.Errorf("response authorization_details = %v; want [%s]", ids, pidConfig)
		}
	})
}

// TestPreAuthorizedCode covers J01–J05 and X-02.
func TestPreAuthorizedCode(t *testing.T) {
	t.Run("J01 missing code", func(t *testing.T) {
		ts := newTestServer(t)
		res := ts.post(t, "/token", url.Values{"grant_type": {preAuth}}, map[string][]string{"DPoP": {ts.freshProof(t, newWallet(t))}})
		wantError(t, res, http.StatusBadRequest, "invalid_request")
	})
	t.Run("J01 empty code counts as absent", func(t *testing.T) {
		ts := newTestServer(t)
		wantError(t, ts.redeemFresh(t, "", nil), http.StatusBadRequest, "invalid_request")
	})
	t.Run("J02 unknown code", func(t *testing.T) {
		ts := newTestServer(t)
		ts.offer(t, nil)
		wantError(t, ts.redeemFresh(t, randomCode(), nil), http.StatusBadRequest, "invalid_grant")
	})
	t.Run("J03 expired code", func(t *testing.T) {
		ts := newTestServer(t)
		o := ts.offer(t, nil)
		ts.Clock.Advance(10*time.Minute + time.Second)
		e := wantError(t, ts.redeemFresh(t, code(o), nil), http.StatusBadRequest, "invalid_grant")
		wantSafeDescription(t, e.Description, code(o))
	})
	t.Run("J03 code still valid just before the default TTL", func(t *testing.T) {
		ts := newTestServer(t)
		o := ts.offer(t, nil)
		ts.Clock.Advance(10*time.Minute - time.Second)
		wantToken(t, ts.redeemFresh(t, code(o), nil))
	})
	t.Run("J04 redeemed twice revokes the first token", func(t *testing.T) {
		ts := newTestServer(t)
		o := ts.offer(t, nil)
		first := wantToken(t, ts.redeemFresh(t, code(o), nil))
		_, claims := jwtParts(t, first.AccessToken)
		jti, _ := claims["jti"].(string)
		rec, err := ts.Store.GetToken(context.Background(), jti)
		if err != nil || rec.Revoked {
			t.Fatalf("first token record = %+v, %v; want live", rec, err)
		}
		e := wantError(t, ts.redeemFresh(t, code(o), nil), http.StatusBadRequest, "invalid_grant")
		wantSafeDescription(t, e.Description, code(o))
		rec, err = ts.Store.GetToken(context.Background(), jti)
		if err != nil {
			t.Fatalf("GetToken(%s) = %v", jti, err)
		}
		if !rec.Revoked {
			t.Fatalf("first token record Revoked = false after the code was replayed; want true (OA-17)")
		}
		// A third attempt is refused too.
		wantError(t, ts.redeemFresh(t, code(o), nil), http.StatusBadRequest, "invalid_grant")
	})
	t.Run("J05 X-02 64 concurrent redemptions", func(t *testing.T) {
		ts := newTestServer(t)
		o := ts.offer(t, nil)
		const n = 64
		proofs := make([]string, n)
		for i := range proofs {
			proofs[i] = ts.freshProof(t, newWallet(t))
		}
		results := make([]rawResult, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				results[i] = redeemNoFatal(ts.TokenURL(), code(o), proofs[i])
			})
		}
		close(start)
		wg.Wait()
		ok, grant := 0, 0
		for i, r := range results {
			switch {
			case r.err != nil:
				t.Errorf("request %d: %v", i, r.err)
			case r.status == http.StatusOK && r.token != "":
				ok++
			case r.status == http.StatusBadRequest && r.error == "invalid_grant":
				grant++
			default:
				t.Errorf("request %d: got %d %s; want 200 or 400 invalid_grant", i, r.status, r.error)
			}
		}
		if ok != 1 || grant != n-1 {
			t.Fatalf("got %d successes and %d invalid_grant; want 1 and %d", ok, grant, n-1)
		}
	})
}

// TestPreAuthReplay covers J04 and J13 for the tokens a redemption started:
// a replayed code revokes the redemption's tokens and those refreshed from
// them, in the redeeming transaction. For an offer with a transaction code
// the replay must carry the right one: whoever saw only the QR code gets
// the answers a live code gives and cannot cut the wallet off, however
// often it tries, and nothing stored changes.
func TestPreAuthReplay(t *testing.T) {
	ts := newTestServer(t)
	rs := ts.rfRegister(t, "pa-resource-server", oauth.AuthClientSecretBasic, oauth.GrantClientCredentials)
	c := ts.rfRegister(t, "pa-wallet", oauth.AuthNone, preAuth, rfGrant)
	// redeemAs redeems o's code as the wallet c with w's key.
	redeemAs := func(t *testing.T, o issuer.OfferResponse, w *wallet, extra url.Values) *http.Response {
		t.Helper()
		form := preAuthForm(code(o))
		for k, v := range extra {
			form[k] = v
		}
		h := map[string][]string{"DPoP": {ts.freshProof(t, w)}}
		rfIdentify(c, form, h)
		return ts.post(t, "/token", form, h)
	}
	// issue redeems o (with its tx_code, if any) and refreshes once; it
	// returns the wallet's key, its refresh token and its two access tokens.
	issue := func(t *testing.T, o issuer.OfferResponse) (*wallet, string, map[string]string) {
		t.Helper()
		var extra url.Values
		if o.TxCode != "" {
			extra = url.Values{"tx_code": {o.TxCode}}
		}
		w := newWallet(t)
		first := rfWantToken(t, redeemAs(t, o, w, extra))
		refreshed := ts.rfRefreshOK(t, c, first.RefreshToken, w)
		return w, first.RefreshToken, map[string]string{"the redemption's access token": first.AccessToken, "the refreshed access token": refreshed.AccessToken}
	}

	t.Run("J04 a replay revokes the refreshed tokens too", func(t *testing.T) {
		o := ts.offer(t, nil)
		_, _, ats := issue(t, o)
		wantError(t, ts.redeemFresh(t, code(o), nil), http.StatusBadRequest, "invalid_grant")
		ts.rfWantInactive(t, rs, ats)
	})
	// wrongTxAnswers sends n wrong transaction codes with o's code and
	// returns the error descriptions.
	wrongTxAnswers := func(t *testing.T, o issuer.OfferResponse, n int) []string {
		t.Helper()
		var got []string
		for range n {
			e := wantError(t, ts.redeemFresh(t, code(o), url.Values{"tx_code": {wrongTx(o.TxCode)}}), http.StatusBadRequest, "invalid_grant")
			got = append(got, e.Description)
		}
		return got
	}
	budget := issuer.Defaults().PreAuthorized.TxCodeMaxAttempts
	t.Run("a replay without the right tx_code changes nothing", func(t *testing.T) {
		o := ts.offer(t, map[string]any{"tx_code": map[string]any{}})
		w, rt, ats := issue(t, o)
		wantError(t, ts.redeemFresh(t, code(o), nil), http.StatusBadRequest, "invalid_request")
		wantError(t, ts.redeemFresh(t, code(o), url.Values{"tx_code": {""}}), http.StatusBadRequest, "invalid_request")
		wantError(t, ts.redeemFresh(t, code(o), url.Values{"tx_code": {wrongTx(o.TxCode)}}), http.StatusBadRequest, "invalid_grant")
		ts.rfWantActive(t, rs, ats)
		// The wallet's refresh token works, and its key redeeming again
		// with the right tx_code is a replay that revokes the grant.
		ats["the access token refreshed after the replays"] = ts.rfRefreshOK(t, c, rt, w).AccessToken
		wantError(t, redeemAs(t, o, w, url.Values{"tx_code": {o.TxCode}}), http.StatusBadRequest, "invalid_grant")
		ts.rfWantInactive(t, rs, ats)
	})
	t.Run("guessing the tx_code of a redeemed code is capped as for a live one", func(t *testing.T) {
		// A live code's answers to wrong tx_codes, past its budget.
		live := ts.offer(t, map[string]any{"tx_code": map[string]any{}})
		want := wrongTxAnswers(t, live, budget+2)
		o := ts.offer(t, map[string]any{"tx_code": map[string]any{}})
		w, rt, ats := issue(t, o)
		if got := wrongTxAnswers(t, o, budget+2); !slices.Equal(got, want) {
			t.Fatalf("wrong tx_codes on the redeemed code: %q; want %q, the answers of a live code", got, want)
		}
		// Locked: the right tx_code no longer revokes anything, so that a
		// guesser who saw the QR code cannot cut the wallet off.
		wantError(t, ts.redeemFresh(t, code(o), url.Values{"tx_code": {o.TxCode}}), http.StatusBadRequest, "invalid_grant")
		ts.rfWantActive(t, rs, ats)
		ts.rfRefreshOK(t, c, rt, w)
	})
}

// TestTransactionCode covers J06–J13 and VCI-18, VCI-22.
func TestTransactionCode(t *testing.T) {
	ts := newTestServer(t)
	withTx := func(t *testing.T) issuer.OfferResponse {
		t.Helper()
		o := ts.offer(t, map[string]any{"tx_code": map[string]any{}})
		if o.TxCode == "" {
			t.Fatalf("offer with tx_code {} returned no tx_code value")
		}
		return o
	}

	t.Run("J06 tx_code missing", func(t *testing.T) {
		o := withTx(t)
		wantError(t, ts.redeemFresh(t, code(o), nil), http.StatusBadRequest, "invalid_request")
		ts.wantRedeemable(t, code(o), url.Values{"tx_code": {o.TxCode}})
	})
	t.Run("J06 tx_code empty counts as absent", func(t *testing.T) {
		o := withTx(t)
		wantError(t, ts.redeemFresh(t, code(o), url.Values{"tx_code": {""}}), http.StatusBadRequest, "invalid_request")
		ts.wantRedeemable(t, code(o), url.Values{"tx_code": {o.TxCode}})
	})
	t.Run("J07 tx_code not expected", func(t *testing.T) {
		o := ts.offer(t, nil)
		wantError(t, ts.redeemFresh(t, code(o), url.Values{"tx_code": {"123456"}}), http.StatusBadRequest, "invalid_request")
		ts.wantRedeemable(t, code(o), nil)
	})
	t.Run("J08 wrong tx_code", func(t *testing.T) {
		o := withTx(t)
		e := wantError(t, ts.redeemFresh(t, code(o), url.Values{"tx_code": {wrongTx(o.TxCode)}}), http.StatusBadRequest, "invalid_grant")
		wantSafeDescription(t, e.Description, wrongTx(o.TxCode))
		// One wrong try is under the budget: the right one still works.
		ts.wantRedeemable(t, code(o), url.Values{"tx_code": {o.TxCode}})
	})
	t.Run("J09 five wrong tx_codes then the right one", func(t *testing.T) {
		o := withTx(t)
		for i := range 5 {
			res := ts.redeemFresh(t, code(o), url.Values{"tx_code": {wrongTx(o.TxCode)}})
			body := readBody(t, res)
			var e oauthError
			_ = json.Unmarshal(body, &e)
			if res.StatusCode != http.StatusBadRequest || e.Error != "invalid_grant" {
				t.Fatalf("wrong try %d: got %d %s; want 400 invalid_grant", i+1, res.StatusCode, body)
			}
		}
		wantError(t, ts.redeemFresh(t, code(o), url.Values{"tx_code": {o.TxCode}}), http.StatusBadRequest, "invalid_grant")
	})
	for _, tc := range []struct {
		name string
		mod  func(string) string
	}{
		{"J11 leading space", func(s string) string { return " " + s }},
		{"J11 trailing space", func(s string) string { return s + " " }},
		{"J11 full-width digits", func(s string) string {
			return strings.Map(func(r rune) rune { return r - '0' + '０' }, s)
		}},
		{"J12 10000 characters", func(s string) string { return s + strings.Repeat("1", 10000-len(s)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := withTx(t)
			sent := tc.mod(o.TxCode)
			if tc.name == "J12 10000 characters" && len(sent) != 10000 {
				t.Fatalf("tx_code has %d characters; want 10000", len(sent))
			}
			e := wantError(t, ts.redeemFresh(t, code(o), url.Values{"tx_code": {sent}}), http.StatusBadRequest, "invalid_grant")
			wantSafeDescription(t, e.Description, o.TxCode)
			// The comparison was exact, and one miss leaves the code alive.
			ts.wantRedeemable(t, code(o), url.Values{"tx_code": {o.TxCode}})
		})
	}
	t.Run("J13 correct tx_code replayed after success", func(t *testing.T) {
		o := withTx(t)
		wantToken(t, ts.redeemFresh(t, code(o), url.Values{"tx_code": {o.TxCode}}))
		wantError(t, ts.redeemFresh(t, code(o), url.Values{"tx_code": {o.TxCode}}), http.StatusBadRequest, "invalid_grant")
	})

	t.Run("VCI-22 numeric length 6", func(t *testing.T) {
		raw := adminOfferRaw(t, ts, map[string]any{
			"credential_configuration_ids": []string{pidConfig}, "subject": "s", "tx_code": map[string]any{"length": 6},
		})
		if tx, _ := raw["tx_code"].(string); !regexp.MustCompile(`^[0-9]{6}$`).MatchString(tx) {
			t.Errorf("tx_code = %q; want ^[0-9]{6}$", tx)
		}
		obj := offerTxObject(t, raw)
		if obj["length"] != float64(6) {
			t.Errorf("offer tx_code.length = %v; want 6", obj["length"])
		}
		if v, ok := obj["input_mode"]; ok {
			t.Errorf("offer tx_code.input_mode = %v; want it omitted for numeric", v)
		}
	})
	t.Run("VCI-18 text mode", func(t *testing.T) {
		raw := adminOfferRaw(t, ts, map[string]any{
			"credential_configuration_ids": []string{pidConfig}, "subject": "s",
			"tx_code": map[string]any{"input_mode": "text", "length": 8, "description": "see your letter"},
		})
		tx, _ := raw["tx_code"].(string)
		if len(tx) != 8 || strings.ContainsFunc(tx, func(r rune) bool { return !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') }) {
			t.Errorf("tx_code = %q; want 8 upper-case letters or digits", tx)
		}
		obj := offerTxObject(t, raw)
		if obj["input_mode"] != "text" || obj["length"] != float64(8) || obj["description"] != "see your letter" {
			t.Errorf("offer tx_code = %v; want input_mode text, length 8 and the description", obj)
		}
	})
}

// wrongTx returns a transaction code of the same shape as tx but different.
func wrongTx(tx string) string {
	b := []byte(tx)
	if b[0] == '0' {
		b[0] = '1'
	} else {
		b[0] = '0'
	}
	return string(b)
}

// offerTxObject returns the tx_code object of the offer's pre-authorized grant.
func offerTxObject(t testing.TB, raw map[string]any) map[string]any {
	t.Helper()
	co, _ := raw["credential_offer"].(map[string]any)
	grants, _ := co["grants"].(map[string]any)
	g, _ := grants[preAuth].(map[string]any)
	obj, ok := g["tx_code"].(map[string]any)
	if !ok {
		t.Fatalf("credential_offer %v has no tx_code object", co)
	}
	return obj
}
