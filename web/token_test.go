package web_test

import (
	"crypto/rand"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestGrantTypeAndParameters covers adversarial B01–B10 and VCI-15: each
// case changes one parameter of a valid request, and a refused request
// leaves the code redeemable.
func TestGrantTypeAndParameters(t *testing.T) {
	ts := newTestServer(t)
	cases := []struct {
		name   string
		form   func(code string) url.Values
		status int
		code   string // "" means 200
	}{
		{"B01 grant_type missing", func(c string) url.Values {
			return url.Values{"pre-authorized_code": {c}}
		}, 400, "invalid_request"},
		{"B02 grant_type empty", func(c string) url.Values {
			return url.Values{"grant_type": {""}, "pre-authorized_code": {c}}
		}, 400, "invalid_request"},
		{"B03 grant_type twice with different values", func(c string) url.Values {
			return url.Values{"grant_type": {preAuth, "authorization_code"}, "pre-authorized_code": {c}}
		}, 400, "invalid_request"},
		{"B03 grant_type twice with the same value", func(c string) url.Values {
			return url.Values{"grant_type": {preAuth, preAuth}, "pre-authorized_code": {c}}
		}, 400, "invalid_request"},
		{"B04 pre-authorized_code twice with the same value", func(c string) url.Values {
			return url.Values{"grant_type": {preAuth}, "pre-authorized_code": {c, c}}
		}, 400, "invalid_request"},
		{"B05 Grant_Type wrong case", func(c string) url.Values {
			return url.Values{"Grant_Type": {preAuth}, "pre-authorized_code": {c}}
		}, 400, "invalid_request"},
		{"B06 urn:example:unknown", func(c string) url.Values {
			return url.Values{"grant_type": {"urn:example:unknown"}, "pre-authorized_code": {c}}
		}, 400, "unsupported_grant_type"},
		{"B09 implicit", func(c string) url.Values {
			return url.Values{"grant_type": {"implicit"}, "pre-authorized_code": {c}}
		}, 400, "unsupported_grant_type"},
		{"B09 token", func(c string) url.Values {
			return url.Values{"grant_type": {"token"}, "pre-authorized_code": {c}}
		}, 400, "unsupported_grant_type"},
		{"an unknown extension grant", func(c string) url.Values {
			return url.Values{"grant_type": {"urn:example:nope"}, "code": {c}, "pre-authorized_code": {c}}
		}, 400, "unsupported_grant_type"},
		{"grant_type with different case value", func(c string) url.Values {
			return url.Values{"grant_type": {strings.ToUpper(preAuth)}, "pre-authorized_code": {c}}
		}, 400, "unsupported_grant_type"},
		{"VCI-15 unknown parameter foo=bar is ignored", func(c string) url.Values {
			return url.Values{"grant_type": {preAuth}, "pre-authorized_code": {c}, "foo": {"bar"}}
		}, 200, ""},
		{"OA-05 x-debug=1 is ignored", func(c string) url.Values {
			return url.Values{"grant_type": {preAuth}, "pre-authorized_code": {c}, "x-debug": {"1"}}
		}, 200, ""},
		{"OA-04 an empty unknown parameter is ignored", func(c string) url.Values {
			return url.Values{"grant_type": {preAuth}, "pre-authorized_code": {c}, "scope": {""}}
		}, 200, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := ts.offer(t, nil)
			res := ts.post(t, "/token", tc.form(code(o)), map[string][]string{"DPoP": {ts.freshProof(t, newWallet(t))}})
			if tc.code == "" {
				tb := wantToken(t, res)
				if tb.TokenType != "DPoP" {
					t.Fatalf("token_type = %q; want DPoP", tb.TokenType)
				}
				return
			}
			e := wantError(t, res, tc.status, tc.code)
			wantSafeDescription(t, e.Description)
			ts.wantRedeemable(t, code(o), nil)
		})
	}
}

// TestErrorDescriptionNotEchoed covers O05 / OA-25.
func TestErrorDescriptionNotEchoed(t *testing.T) {
	ts := newTestServer(t)
	const hostile = `x"<script>alert(1)</script>`
	cases := []struct {
		name   string
		form   func(code string) url.Values
		status int
		code   string
	}{
		{"O05 grant_type with quote and script", func(c string) url.Values {
			return url.Values{"grant_type": {hostile}, "pre-authorized_code": {c}}
		}, 400, "unsupported_grant_type"},
		{"O05 grant_type with CRLF", func(c string) url.Values {
			return url.Values{"grant_type": {hostile + "\r\nSet-Cookie: a=b"}, "pre-authorized_code": {c}}
		}, 400, "invalid_request"},
		{"O05 client_id with quote and script", func(c string) url.Values {
			return url.Values{"grant_type": {preAuth}, "pre-authorized_code": {c}, "client_id": {hostile}}
		}, 401, "invalid_client"},
		{"O05 parameter name with script repeated", func(c string) url.Values {
			return url.Values{"grant_type": {preAuth}, "pre-authorized_code": {c}, hostile: {"1", "2"}}
		}, 400, "invalid_request"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := ts.offer(t, nil)
			res := ts.post(t, "/token", tc.form(code(o)), map[string][]string{"DPoP": {ts.freshProof(t, newWallet(t))}})
			if res.Header.Get("Set-Cookie") != "" {
				t.Errorf("response has Set-Cookie %q; want none", res.Header.Get("Set-Cookie"))
			}
			e := wantError(t, res, tc.status, tc.code)
			wantSafeDescription(t, e.Description, hostile, "<script>", "alert(1)", "\r", "\n", "Set-Cookie")
			ts.wantRedeemable(t, code(o), nil)
		})
	}
}

// TestRejectedRequestsChangeNothing: after a batch of varied bad requests
// against one offer, its code still redeems.
func TestRejectedRequestsChangeNothing(t *testing.T) {
	ts := newTestServer(t)
	o := ts.offer(t, nil)
	c := code(o)
	w := newWallet(t)
	now := ts.Clock.Now()
	badSig := func() string {
		h, p := w.baseProof(ts.TokenURL(), now)
		sig := make([]byte, 64)
		_, _ = rand.Read(sig)
		return rawJWS(t, w.Key, h, p, sig)
	}
	type bad struct {
		name   string
		form   url.Values
		dpop   []string // nil: a fresh valid proof
		status int
		code   string
	}
	cases := []bad{
		{"unsupported grant_type", url.Values{"grant_type": {"urn:example:nope"}, "pre-authorized_code": {c}}, nil, 400, "unsupported_grant_type"},
		{"grant_type missing", url.Values{"pre-authorized_code": {c}}, nil, 400, "invalid_request"},
		{"code repeated", url.Values{"grant_type": {preAuth}, "pre-authorized_code": {c, c}}, nil, 400, "invalid_request"},
		{"unexpected tx_code", url.Values{"grant_type": {preAuth}, "pre-authorized_code": {c}, "tx_code": {"123456"}}, nil, 400, "invalid_request"},
		{"authorization_details outside the offer", url.Values{"grant_type": {preAuth}, "pre-authorized_code": {c},
			"authorization_details": {`[{"type":"openid_credential","credential_configuration_id":"` + mdlConfig + `"}]`}}, nil, 400, "invalid_authorization_details"},
		{"unknown client_id", url.Values{"grant_type": {preAuth}, "pre-authorized_code": {c}, "client_id": {"nobody"}}, nil, 401, "invalid_client"},
		{"client_assertion", url.Values{"grant_type": {preAuth}, "pre-authorized_code": {c},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {"a.b.c"}}, nil, 401, "invalid_client"},
		{"no DPoP proof", preAuthForm(c), []string{}, 400, "invalid_request"},
		{"DPoP proof with a bad signature", preAuthForm(c), []string{badSig()}, 400, "invalid_dpop_proof"},
		{"DPoP proof for another URL", preAuthForm(c), []string{proofAt(t, w, http.MethodPost, ts.URL+"/other", now)}, 400, "invalid_dpop_proof"},
		{"DPoP proof for GET", preAuthForm(c), []string{proofAt(t, w, http.MethodGet, ts.TokenURL(), now)}, 400, "invalid_dpop_proof"},
		{"DPoP proof too old", preAuthForm(c), []string{proofAt(t, w, http.MethodPost, ts.TokenURL(), now.Add(-5*time.Minute))}, 400, "invalid_dpop_proof"},
		{"two DPoP headers", preAuthForm(c), []string{ts.freshProof(t, w), ts.freshProof(t, w)}, 400, "invalid_dpop_proof"},
		{"DPoP proof not a JWT", preAuthForm(c), []string{"not-a-jwt"}, 400, "invalid_dpop_proof"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			proofs := tc.dpop
			if proofs == nil {
				proofs = []string{ts.freshProof(t, newWallet(t))}
			}
			h := map[string][]string{}
			if len(proofs) > 0 {
				h["DPoP"] = proofs
			}
			wantError(t, ts.post(t, "/token", tc.form, h), tc.status, tc.code)
		})
	}
	ts.wantRedeemable(t, c, nil)
}
