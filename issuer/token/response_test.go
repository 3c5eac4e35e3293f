package token_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"issuer/issuer/oauth"
	"issuer/issuer/token"
	"issuer/nonce"
)

// TestResponseTokenType covers DPOP-20, OIDC-08, OA-19 and VCI-58: a DPoP
// bound token is of type DPoP; a certificate-bound one (RFC 8705) and an
// unbound one are Bearer; expires_in is the token's life (the capped five
// minutes for an unbound one, the configured hour for a bound one); the
// scope is the token's.
func TestResponseTokenType(t *testing.T) {
	m := newMinter(t, nil, nil)
	for _, tc := range []struct {
		name    string
		b       oauth.Binding
		typ     string
		expires int64
	}{
		{"DPOP-20 DPoP key", oauth.Binding{JKT: "j"}, "DPoP", 3600},
		{"DPoP key and certificate", oauth.Binding{JKT: "j", X5T: "x"}, "DPoP", 3600},
		{"certificate", oauth.Binding{X5T: "x"}, "Bearer", 3600},
		{"VCI-58 unbound", oauth.Binding{}, "Bearer", 300},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok, rec, err := m.Access(token.Grant{Subject: "s", Scope: "openid"}, tc.b, t0)
			if err != nil {
				t.Fatal(err)
			}
			r := m.Response(tok, rec, nil, t0)
			if r.AccessToken != tok || r.TokenType != tc.typ || r.ExpiresIn != tc.expires || r.Scope != "openid" {
				t.Errorf("access_token ok %v, token_type %q, expires_in %d, scope %q; want true, %q, %d, openid",
					r.AccessToken == tok, r.TokenType, r.ExpiresIn, r.Scope, tc.typ, tc.expires)
			}
			if r.RefreshToken != "" || r.IDToken != "" || r.Upgraded != nil {
				t.Errorf("response %+v has a refresh token, ID token or upgraded: those are the grant's to add", r)
			}
		})
	}
}

// TestResponseCNonce covers VCI-30, VCI-32, D13-01 and VCI-39: a response
// for credential issuance (authorization_details) carries the details
// and, in the draft 13 compatibility mode, a c_nonce the credential
// endpoint accepts for CNonceTTL; in 1.0 mode (CNonceInResponse off) and
// for a token without details there is no c_nonce.
func TestResponseCNonce(t *testing.T) {
	nonces := testNonces(t)
	for _, tc := range []struct {
		name    string
		on      bool
		details []oauth.AuthorizationDetail
		want    bool
	}{
		{"D13-01 details, c_nonce on", true, pidDetails, true},
		{"VCI-32 details, c_nonce off", false, pidDetails, false},
		{"no details, c_nonce on", true, nil, false},
		{"no details, c_nonce off", false, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newMinter(t, nil, func(c *token.Config) {
				c.CNonceInResponse, c.CNonceTTL = tc.on, 90*time.Second
			})
			tok, rec, err := m.Access(token.Grant{Subject: "s", Details: tc.details}, oauth.Binding{JKT: "j"}, t0)
			if err != nil {
				t.Fatal(err)
			}
			r := m.Response(tok, rec, tc.details, t0)
			if !reflect.DeepEqual(r.AuthorizationDetails, tc.details) {
				t.Errorf("authorization_details = %v; want %v", r.AuthorizationDetails, tc.details)
			}
			if !tc.want {
				if r.CNonce != "" || r.CNonceExpiresIn != 0 {
					t.Errorf("c_nonce %q, c_nonce_expires_in %d; want neither", r.CNonce, r.CNonceExpiresIn)
				}
				return
			}
			if r.CNonceExpiresIn != 90 {
				t.Errorf("c_nonce_expires_in = %d; want 90", r.CNonceExpiresIn)
			}
			checkCNonce(t, nonces, r.CNonce, t0, 90*time.Second)
		})
	}
}

// TestCNonce: the c_nonce the minter issues (the nonce endpoint's and the
// token response's) is a c_nonce of the shared nonce manager, valid for
// CNonceTTL from the given time, never a DPoP nonce (DPOP-36, G07), and
// two are never equal (VCI-36).
func TestCNonce(t *testing.T) {
	m := newMinter(t, nil, func(c *token.Config) { c.CNonceTTL = 2 * time.Minute })
	a, b := m.CNonce(t0), m.CNonce(t0)
	if a == b {
		t.Fatal("two c_nonce values are equal")
	}
	checkCNonce(t, testNonces(t), a, t0, 2*time.Minute)
}

// checkCNonce checks that v is a c_nonce of nonces issued at issued that
// lives exactly ttl, and is refused for any other purpose.
func checkCNonce(t *testing.T, nonces *nonce.Manager, v string, issued time.Time, ttl time.Duration) {
	t.Helper()
	if err := nonces.Check(nonce.CNonce, v, issued.Add(ttl)); err != nil {
		t.Errorf("c_nonce at the end of its life: %v; want valid", err)
	}
	if err := nonces.Check(nonce.CNonce, v, issued.Add(ttl+time.Second)); !errors.Is(err, nonce.ErrExpired) {
		t.Errorf("c_nonce after its life: %v; want ErrExpired", err)
	}
	for _, p := range []nonce.Purpose{nonce.DPoP, nonce.AttestationChallenge} {
		if err := nonces.Check(p, v, issued); !errors.Is(err, nonce.ErrInvalid) {
			t.Errorf("c_nonce as purpose %d: %v; want ErrInvalid", p, err)
		}
	}
}
