package web_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"
)

// idtBody is a token response with the members this test reads.
type idtBody struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	IDToken      string `json:"id_token"`
}

func idtToken(t *testing.T, res *http.Response) idtBody {
	t.Helper()
	body := readBody(t, res)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("token response = %d %s; want 200", res.StatusCode, body)
	}
	var b idtBody
	if err := json.Unmarshal(body, &b); err != nil {
		t.Fatal(err)
	}
	return b
}

// A refresh of an OpenID grant returns a new ID token with the same iss,
// sub, aud and auth_time, a new iat, no nonce, and the at_hash of the new
// access token (OpenID Connect Core §12.2); a refresh narrowed to exclude
// openid returns none.
func TestRefreshIDToken(t *testing.T) {
	s := newAuthFlow(t)
	pk, w := newPKCE(t), newWallet(t)
	c := s.afCode(t, afParams(s.ClientID, pk, url.Values{"scope": {"openid " + pidConfig}, "nonce": {"n-1"}}), nil)
	first := idtToken(t, s.afExchange(t, s.ClientID, c, pk.Verifier, w.Proof(t, s.TokenURL(), ""), nil))
	_, orig := jwtParts(t, first.IDToken)
	if first.RefreshToken == "" {
		t.Fatal("no refresh token")
	}
	s.Clock.Advance(90 * time.Second)
	refresh := func(scope string) idtBody {
		form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {first.RefreshToken}, "client_id": {s.ClientID}}
		if scope != "" {
			form.Set("scope", scope)
		}
		return idtToken(t, s.post(t, "/token", form, map[string][]string{"DPoP": {s.freshProof(t, w)}}))
	}
	next := refresh("")
	if next.IDToken == "" {
		t.Fatal("the refresh of an OpenID grant returned no id_token")
	}
	_, got := jwtParts(t, next.IDToken)
	for _, k := range []string{"iss", "sub", "aud", "auth_time"} {
		if got[k] != orig[k] {
			t.Errorf("%s = %v; want the original %v", k, got[k], orig[k])
		}
	}
	if got["iat"] == orig["iat"] || got["iat"].(float64) != float64(s.Clock.Now().Unix()) {
		t.Errorf("iat = %v; want the refresh time %d", got["iat"], s.Clock.Now().Unix())
	}
	if _, ok := got["nonce"]; ok {
		t.Errorf("the refreshed ID token has a nonce: %v", got["nonce"])
	}
	sum := sha256.Sum256([]byte(next.AccessToken))
	if got["at_hash"] != base64.RawURLEncoding.EncodeToString(sum[:16]) {
		t.Errorf("at_hash = %v; want the hash of the new access token", got["at_hash"])
	}
	if narrowed := refresh(pidConfig); narrowed.IDToken != "" {
		t.Errorf("a refresh narrowed to %s returned an id_token", pidConfig)
	}
}
