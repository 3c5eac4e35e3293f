package web_test

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"issuer/dpop"
	"issuer/issuer"
)

// The OpenID Connect UserInfo endpoint (OpenID Connect Core §5.3) as a
// DPoP resource server (RFC 9449 §7, RFC 6750 §3): the contract's UserInfo
// section, adversarial H09–H14 adapted to /userinfo, server nonces.

// uiIssue runs the code flow as alice for scope and returns the token
// response, DPoP-bound to w.
func (s *afSetup) uiIssue(t testing.TB, w *wallet, scope string) acToken {
	t.Helper()
	return s.acRedeem(t, s.acNewCode(t, url.Values{"scope": {scope}}, nil), w)
}

// uiThumbprint is the RFC 7638 thumbprint of an EC P-256 key, computed
// here from the required members in lexicographic order, independently of
// the server's code.
func uiThumbprint(pub *ecdsa.PublicKey) string {
	j := publicJWK(pub)
	canonical := fmt.Sprintf(`{"crv":"%s","kty":"%s","x":"%s","y":"%s"}`, j["crv"], j["kty"], j["x"], j["y"])
	sum := sha256.Sum256([]byte(canonical))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// uiAth is the ath claim of a proof for at.
func uiAth(at string) string {
	sum := sha256.Sum256([]byte(at))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// ---------------------------------------------------------------------------

// TestUserInfoSuccess reads the claims by GET and by POST.
func TestUserInfoSuccess(t *testing.T) {
	s := newAuthFlow(t)
	w := newWallet(t)
	tok := s.uiIssue(t, w, acScope)
	want := map[string]any{"sub": s.UserID, "given_name": "Alice"}
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		t.Run(method, func(t *testing.T) {
			if got := uiWantClaims(t, s.uiCall(t, method, tok.AccessToken, w)); !reflect.DeepEqual(got, want) {
				t.Fatalf("claims = %v; want %v", got, want)
			}
		})
	}
	// RFC 9110 §11.1: the auth-scheme is case-insensitive, and 1*SP may
	// separate it from the token.
	for _, scheme := range []string{"dpop ", "DPOP ", "dPoP  "} {
		t.Run("scheme "+strconv.Quote(scheme), func(t *testing.T) {
			w := newWallet(t)
			tok := s.uiIssue(t, w, acScope)
			h := map[string][]string{"Authorization": {scheme + tok.AccessToken}, "DPoP": {s.uiProof(t, w, http.MethodGet, tok.AccessToken, "")}}
			if got := uiWantClaims(t, s.uiRequest(t, http.MethodGet, h)); !reflect.DeepEqual(got, want) {
				t.Fatalf("claims = %v; want %v", got, want)
			}
		})
	}
	t.Run("openid alone", func(t *testing.T) {
		w := newWallet(t)
		tok := s.uiIssue(t, w, "openid")
		if got := uiWantClaims(t, s.uiCall(t, http.MethodGet, tok.AccessToken, w)); !reflect.DeepEqual(got, want) {
			t.Fatalf("claims = %v; want %v", got, want)
		}
	})
	t.Run("stored claims cannot replace sub", func(t *testing.T) {
		id := s.afCreateUser(t, "mallory", afPassword, map[string]any{"sub": "admin", "email": "m@example.com"})
		pk := newPKCE(t)
		uri := s.afPushOK(t, afParams(s.ClientID, pk, url.Values{"scope": {acScope}}), nil)
		loc := s.afSignIn(t, newBrowser(t), url.Values{"client_id": {s.ClientID}, "request_uri": {uri}}, "mallory", afPassword, true)
		w := newWallet(t)
		tok := s.acRedeem(t, acGrant{Code: loc.Query().Get("code"), PKCE: pk}, w)
		got := uiWantClaims(t, s.uiCall(t, http.MethodGet, tok.AccessToken, w))
		if want := map[string]any{"sub": id, "email": "m@example.com"}; !reflect.DeepEqual(got, want) {
			t.Fatalf("claims = %v; want %v (sub is the user ID)", got, want)
		}
	})
}

// TestUserInfoRefused covers every error row of the contract's UserInfo
// section and H09–H13 adapted to /userinfo.
func TestUserInfoRefused(t *testing.T) {
	s := newAuthFlow(t)
	other := newAuthFlow(t)
	w := newWallet(t)
	at := s.uiIssue(t, w, acScope).AccessToken
	at2 := s.uiIssue(t, w, acScope).AccessToken
	get := http.MethodGet
	dpopAuth := "DPoP " + at

	t.Run("no Authorization header", func(t *testing.T) {
		res := s.uiRequest(t, get, map[string][]string{"DPoP": {s.uiProof(t, w, get, at, "")}})
		wantError(t, res, http.StatusUnauthorized, "invalid_request")
		ch := res.Header.Get("WWW-Authenticate")
		if !strings.HasPrefix(ch, `DPoP algs="`) || !strings.Contains(ch, "ES256") || strings.Contains(ch, "error=") {
			t.Errorf(`WWW-Authenticate = %q; want DPoP algs="…ES256…" without an error attribute (RFC 6750 §3.1)`, ch)
		}
	})
	t.Run("H13 Bearer and DPoP Authorization headers", func(t *testing.T) {
		res := s.uiRequest(t, get, map[string][]string{"Authorization": {"Bearer " + at, dpopAuth}, "DPoP": {s.uiProof(t, w, get, at, "")}})
		wantError(t, res, http.StatusBadRequest, "invalid_request")
	})
	t.Run("H13 two DPoP Authorization headers", func(t *testing.T) {
		res := s.uiRequest(t, get, map[string][]string{"Authorization": {dpopAuth, dpopAuth}, "DPoP": {s.uiProof(t, w, get, at, "")}})
		wantError(t, res, http.StatusBadRequest, "invalid_request")
	})

	cases := []struct {
		name   string
		method string // "" for GET
		h      func(t testing.TB) map[string][]string
		status int
		code   string
		prefix string // the challenge must start with it, when set
	}{
		{name: "H09 DPoP-bound token with the Bearer scheme", h: func(t testing.TB) map[string][]string {
			return map[string][]string{"Authorization": {"Bearer " + at}}
		}, status: 401, code: "invalid_token", prefix: `DPoP error="invalid_token"`},
		{name: "H09 DPoP-bound token with the Bearer scheme and a proof", h: func(t testing.TB) map[string][]string {
			return map[string][]string{"Authorization": {"Bearer " + at}, "DPoP": {s.uiProof(t, w, get, at, "")}}
		}, status: 401, code: "invalid_token", prefix: `DPoP error="invalid_token"`},
		{name: "H10 DPoP scheme without a DPoP header", h: func(t testing.TB) map[string][]string {
			return map[string][]string{"Authorization": {dpopAuth}}
		}, status: 401, code: "invalid_token"},
		{name: "H11 proof by another key", h: func(t testing.TB) map[string][]string {
			return map[string][]string{"Authorization": {dpopAuth}, "DPoP": {s.uiProof(t, newWallet(t), get, at, "")}}
		}, status: 401, code: "invalid_token"},
		{name: "H12 proof without ath", h: func(t testing.TB) map[string][]string {
			return map[string][]string{"Authorization": {dpopAuth}, "DPoP": {s.uiProof(t, w, get, "", "")}}
		}, status: 401, code: "invalid_dpop_proof", prefix: `DPoP error="invalid_dpop_proof"`},
		{name: "H12 ath of another token", h: func(t testing.TB) map[string][]string {
			return map[string][]string{"Authorization": {dpopAuth}, "DPoP": {s.uiProof(t, w, get, at2, "")}}
		}, status: 401, code: "invalid_dpop_proof", prefix: `DPoP error="invalid_dpop_proof"`},
		{name: "proof for POST on a GET", h: func(t testing.TB) map[string][]string {
			return map[string][]string{"Authorization": {dpopAuth}, "DPoP": {s.uiProof(t, w, http.MethodPost, at, "")}}
		}, status: 401, code: "invalid_dpop_proof"},
		{name: "proof for GET on a POST", method: http.MethodPost, h: func(t testing.TB) map[string][]string {
			return map[string][]string{"Authorization": {dpopAuth}, "DPoP": {s.uiProof(t, w, get, at, "")}}
		}, status: 401, code: "invalid_dpop_proof"},
		{name: "proof for the token endpoint", h: func(t testing.TB) map[string][]string {
			p, err := dpop.Sign(w.Key, "ES256", dpop.Claims{Method: get, URL: s.TokenURL(), AccessToken: at, IssuedAt: s.Clock.Now()})
			if err != nil {
				t.Fatal(err)
			}
			return map[string][]string{"Authorization": {dpopAuth}, "DPoP": {p}}
		}, status: 401, code: "invalid_dpop_proof"},
		{name: "proof that is not a JWT", h: func(t testing.TB) map[string][]string {
			return map[string][]string{"Authorization": {dpopAuth}, "DPoP": {"not-a-proof"}}
		}, status: 401, code: "invalid_dpop_proof"},
		{name: "two DPoP headers", h: func(t testing.TB) map[string][]string {
			return map[string][]string{"Authorization": {dpopAuth}, "DPoP": {s.uiProof(t, w, get, at, ""), s.uiProof(t, w, get, at, "")}}
		}, status: 401, code: "invalid_dpop_proof"},
		{name: "garbage token", h: func(t testing.TB) map[string][]string {
			return map[string][]string{"Authorization": {"DPoP a.b.c"}, "DPoP": {s.uiProof(t, w, get, "a.b.c", "")}}
		}, status: 401, code: "invalid_token"},
		{name: "random token", h: func(t testing.TB) map[string][]string {
			r := randomCode()
			return map[string][]string{"Authorization": {"DPoP " + r}, "DPoP": {s.uiProof(t, w, get, r, "")}}
		}, status: 401, code: "invalid_token"},
		{name: "token with one payload byte changed", h: func(t testing.TB) map[string][]string {
			parts := strings.Split(at, ".")
			forged := parts[0] + "." + rfFlip(parts[1], 5) + "." + parts[2]
			return map[string][]string{"Authorization": {"DPoP " + forged}, "DPoP": {s.uiProof(t, w, get, forged, "")}}
		}, status: 401, code: "invalid_token"},
		{name: "token of another server", h: func(t testing.TB) map[string][]string {
			ow := newWallet(t)
			ot := other.uiIssue(t, ow, acScope).AccessToken
			return map[string][]string{"Authorization": {"DPoP " + ot}, "DPoP": {s.uiProof(t, ow, get, ot, "")}}
		}, status: 401, code: "invalid_token"},
		{name: "DPoP scheme without a token", h: func(t testing.TB) map[string][]string {
			return map[string][]string{"Authorization": {"DPoP "}, "DPoP": {s.uiProof(t, w, get, at, "")}}
		}, status: 401, code: "invalid_token"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			method := tc.method
			if method == "" {
				method = get
			}
			ch := uiWantRefused(t, s.uiRequest(t, method, tc.h(t)), tc.status, tc.code)
			if tc.prefix != "" && !strings.HasPrefix(ch, tc.prefix) {
				t.Errorf("WWW-Authenticate = %q; want it to start with %s", ch, tc.prefix)
			}
		})
	}
	// None of the refusals harmed the token.
	uiWantClaims(t, s.uiCall(t, get, at, w))

	t.Run("proof replayed", func(t *testing.T) {
		p := s.uiProof(t, w, get, at, "")
		h := map[string][]string{"Authorization": {dpopAuth}, "DPoP": {p}}
		uiWantClaims(t, s.uiRequest(t, get, h))
		uiWantRefused(t, s.uiRequest(t, get, h), http.StatusUnauthorized, "invalid_dpop_proof")
	})
	t.Run("expired token", func(t *testing.T) {
		e := newAuthFlow(t)
		ew := newWallet(t)
		et := e.uiIssue(t, ew, acScope).AccessToken
		e.Clock.Advance(301 * time.Second)
		uiWantRefused(t, e.uiCall(t, get, et, ew), http.StatusUnauthorized, "invalid_token")
	})
	t.Run("token without openid", func(t *testing.T) {
		nw := newWallet(t)
		nt := s.uiIssue(t, nw, pidConfig).AccessToken
		ch := uiWantRefused(t, s.uiCall(t, get, nt, nw), http.StatusForbidden, "insufficient_scope")
		if !strings.Contains(ch, `scope="openid"`) {
			t.Errorf(`WWW-Authenticate = %q; want scope="openid"`, ch)
		}
	})
	t.Run("pre-authorized token", func(t *testing.T) {
		pw := newWallet(t)
		pt := wantToken(t, s.redeem(t, code(s.offer(t, nil)), s.freshProof(t, pw), nil)).AccessToken
		uiWantRefused(t, s.uiCall(t, get, pt, pw), http.StatusForbidden, "insufficient_scope")
	})
}

// TestUserInfoRevoked: a token revoked at /revoke by its public client,
// or through its refresh token, is refused.
func TestUserInfoRevoked(t *testing.T) {
	s := newAuthFlow(t)
	pub := registeredClient{ID: s.ClientID}
	t.Run("access token revoked", func(t *testing.T) {
		w := newWallet(t)
		tok := s.uiIssue(t, w, acScope)
		uiWantClaims(t, s.uiCall(t, http.MethodGet, tok.AccessToken, w))
		s.rfRevoke(t, pub, tok.AccessToken, nil)
		uiWantRefused(t, s.uiCall(t, http.MethodGet, tok.AccessToken, w), http.StatusUnauthorized, "invalid_token")
	})
	t.Run("refresh token revoked", func(t *testing.T) {
		w := newWallet(t)
		tok := s.uiIssue(t, w, acScope)
		s.rfRevoke(t, pub, tok.RefreshToken, nil)
		uiWantRefused(t, s.uiCall(t, http.MethodGet, tok.AccessToken, w), http.StatusUnauthorized, "invalid_token")
	})
}

// TestUserInfoNonce: with server nonces on, a proof without the nonce is
// refused with 401 use_dpop_nonce and a DPoP-Nonce header; the retry with
// it succeeds.
func TestUserInfoNonce(t *testing.T) {
	s := newAuthFlow(t, func(c *issuer.Config) { c.DPoP.UseNonce = true })
	w := newWallet(t)
	g := s.acNewCode(t, url.Values{"scope": {acScope}}, nil)
	tokenProof := func(nonce string) string {
		p, err := dpop.Sign(w.Key, "ES256", dpop.Claims{Method: http.MethodPost, URL: s.TokenURL(), Nonce: nonce, IssuedAt: s.Clock.Now()})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	res := s.afExchange(t, s.ClientID, g.Code, g.PKCE.Verifier, tokenProof(""), nil)
	n := dpNonceHeader(t, res)
	wantError(t, res, http.StatusBadRequest, "use_dpop_nonce")
	at := acWantToken(t, s.afExchange(t, s.ClientID, g.Code, g.PKCE.Verifier, tokenProof(n), nil)).AccessToken

	res = s.uiCall(t, http.MethodGet, at, w)
	n = dpNonceHeader(t, res)
	uiWantRefused(t, res, http.StatusUnauthorized, "use_dpop_nonce")
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		h := map[string][]string{"Authorization": {"DPoP " + at}, "DPoP": {s.uiProof(t, w, method, at, n)}}
		if got := uiWantClaims(t, s.uiRequest(t, method, h)); got["sub"] != s.UserID {
			t.Errorf("%s: sub = %v; want %s", method, got["sub"], s.UserID)
		}
	}
	h := map[string][]string{"Authorization": {"DPoP " + at}, "DPoP": {s.uiProof(t, w, http.MethodGet, at, "not-a-nonce")}}
	uiWantRefused(t, s.uiRequest(t, http.MethodGet, h), http.StatusUnauthorized, "use_dpop_nonce")
}

// TestUserInfoBearer: where DPoP is optional, an unbound token issued
// without a proof is presented with the Bearer scheme.
func TestUserInfoBearer(t *testing.T) {
	s := newAuthFlow(t, func(c *issuer.Config) { c.DPoP.Policy = issuer.DPoPOptional })
	g := s.acNewCode(t, url.Values{"scope": {acScope}}, nil)
	tok := acWantToken(t, s.afExchange(t, s.ClientID, g.Code, g.PKCE.Verifier, "", nil))
	if tok.TokenType != "Bearer" {
		t.Fatalf("token_type = %q; want Bearer", tok.TokenType)
	}
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		got := uiWantClaims(t, s.uiRequest(t, method, map[string][]string{"Authorization": {"Bearer " + tok.AccessToken}}))
		if got["sub"] != s.UserID {
			t.Errorf("%s: sub = %v; want %s", method, got["sub"], s.UserID)
		}
	}
	// RFC 9110 §11.1: the scheme is case-insensitive.
	for _, scheme := range []string{"bearer ", "BEARER ", "bEaReR  "} {
		got := uiWantClaims(t, s.uiRequest(t, http.MethodGet, map[string][]string{"Authorization": {scheme + tok.AccessToken}}))
		if got["sub"] != s.UserID {
			t.Errorf("scheme %q: sub = %v; want %s", scheme, got["sub"], s.UserID)
		}
	}
	// A DPoP-bound token on the same server still needs its proof (H09).
	w := newWallet(t)
	bound := s.uiIssue(t, w, acScope).AccessToken
	uiWantRefused(t, s.uiRequest(t, http.MethodGet, map[string][]string{"Authorization": {"Bearer " + bound}}), http.StatusUnauthorized, "invalid_token")
}

// TestUserInfoThumbprint covers H14 (DPOP-26): a proof whose JWK carries
// kid, use and alg binds the token to the RFC 7638 thumbprint of the key's
// required members only; such proofs also pass dpop_jkt and /userinfo.
func TestUserInfoThumbprint(t *testing.T) {
	s := newAuthFlow(t)
	w := newWallet(t)
	jkt := uiThumbprint(&w.Key.PublicKey)
	proof := func(method, target, at string) string {
		jwkMembers := publicJWK(&w.Key.PublicKey)
		jwkMembers["kid"], jwkMembers["use"], jwkMembers["alg"] = "key-1", "sig", "ES256"
		h := map[string]any{"typ": "dpop+jwt", "alg": "ES256", "jwk": jwkMembers}
		p := map[string]any{"jti": randomJTI(), "htm": method, "htu": target, "iat": s.Clock.Now().Unix()}
		if at != "" {
			p["ath"] = uiAth(at)
		}
		return rawJWS(t, w.Key, h, p, nil)
	}
	g := s.acNewCode(t, url.Values{"scope": {acScope}, "dpop_jkt": {jkt}}, map[string][]string{"DPoP": {proof(http.MethodPost, s.URL+"/par", "")}})
	tok := acWantToken(t, s.afExchange(t, s.ClientID, g.Code, g.PKCE.Verifier, proof(http.MethodPost, s.TokenURL(), ""), nil))
	if got := rfJKT(t, tok.AccessToken); got != jkt {
		t.Fatalf("cnf.jkt = %q; want the RFC 7638 thumbprint %q", got, jkt)
	}
	h := map[string][]string{"Authorization": {"DPoP " + tok.AccessToken}, "DPoP": {proof(http.MethodGet, s.URL+"/userinfo", tok.AccessToken)}}
	if got := uiWantClaims(t, s.uiRequest(t, http.MethodGet, h)); got["sub"] != s.UserID {
		t.Errorf("sub = %v; want %s", got["sub"], s.UserID)
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
