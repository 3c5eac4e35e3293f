package web_test

import (
	"net/http"
	"net/url"
	"testing"

	"issuer/issuer"
)

// An offer with both grants is for one issuance: whichever grant is used
// first ends the other.
func TestOfferUsedOnceAcrossGrants(t *testing.T) {
	bothGrants := map[string]any{"subject": afUser, "grants": []string{preAuth, "authorization_code"}}
	stateParams := func(s *afSetup, pk afPKCE, o issuer.OfferResponse) url.Values {
		return afParams(s.ClientID, pk, url.Values{"scope": {""}, "issuer_state": {o.CredentialOffer.Grants.AuthorizationCode.IssuerState}})
	}

	t.Run("a redeemed pre-authorized code ends the issuer_state", func(t *testing.T) {
		s := newAuthFlow(t)
		o := s.offer(t, bothGrants)
		wantToken(t, s.redeem(t, code(o), newWallet(t).Proof(t, s.TokenURL(), ""), nil))
		wantError(t, s.afPush(t, stateParams(s, newPKCE(t), o), nil), http.StatusBadRequest, "invalid_request")
	})
	t.Run("a code redeemed through the issuer_state ends the pre-authorized code", func(t *testing.T) {
		s := newAuthFlow(t)
		o := s.offer(t, bothGrants)
		pk, w := newPKCE(t), newWallet(t)
		c := s.afCode(t, stateParams(s, pk, o), nil)
		wantToken(t, s.afExchange(t, s.ClientID, c, pk.Verifier, w.Proof(t, s.TokenURL(), ""), nil))
		wantError(t, s.redeem(t, code(o), newWallet(t).Proof(t, s.TokenURL(), ""), nil), http.StatusBadRequest, "invalid_grant")
		if res := s.get(t, o.QRURL); res.StatusCode != http.StatusNotFound {
			t.Errorf("QR page of the used offer = %d; want 404", res.StatusCode)
		}
	})
	t.Run("a code issued before the pre-authorized redemption is refused after it", func(t *testing.T) {
		s := newAuthFlow(t)
		o := s.offer(t, bothGrants)
		pk := newPKCE(t)
		c := s.afCode(t, stateParams(s, pk, o), nil)
		wantToken(t, s.redeem(t, code(o), newWallet(t).Proof(t, s.TokenURL(), ""), nil))
		wantError(t, s.afExchange(t, s.ClientID, c, pk.Verifier, newWallet(t).Proof(t, s.TokenURL(), ""), nil), http.StatusBadRequest, "invalid_grant")
	})
}

// get fetches u and closes the body.
func (ts *testServer) get(t testing.TB, u string) *http.Response {
	t.Helper()
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	readBody(t, res)
	return res
}

// Codes from several authorization requests with one issuer_state,
// redeemed at once: the offer is checked and marked in the transaction
// that consumes a code, so exactly one redemption succeeds.
func TestOfferUsedOnceConcurrentCodes(t *testing.T) {
	s := newAuthFlow(t)
	o := s.offer(t, map[string]any{"subject": afUser, "grants": []string{"authorization_code"}})
	state := o.CredentialOffer.Grants.AuthorizationCode.IssuerState
	const n = 4
	type pending struct {
		code, verifier string
		w              *wallet
	}
	codes := make([]pending, n)
	for i := range codes {
		pk := newPKCE(t)
		codes[i] = pending{s.afCode(t, afParams(s.ClientID, pk, url.Values{"scope": {""}, "issuer_state": {state}}), nil), pk.Verifier, newWallet(t)}
	}
	statuses := make(chan int, n)
	for _, p := range codes {
		go func() {
			res := s.afExchange(t, s.ClientID, p.code, p.verifier, p.w.Proof(t, s.TokenURL(), ""), nil)
			readBody(t, res)
			statuses <- res.StatusCode
		}()
	}
	ok := 0
	for range n {
		if <-statuses == http.StatusOK {
			ok++
		}
	}
	if ok != 1 {
		t.Fatalf("%d of %d codes of one offer were redeemed; want exactly 1", ok, n)
	}
}
