package grant_test

import (
	"testing"
	"time"

	"issuer/issuer"
	"issuer/issuer/oauth"
)

func preParams(code string) map[string]string {
	return map[string]string{"grant_type": oauth.GrantPreAuthorizedCode, "pre-authorized_code": code}
}

// TestPreAuthorizedSuccess: VCI-01, VCI-14, VCI-31, DPOP-26. The code gives
// an access token for the offer's subject and configurations, bound to
// the proof's key, recorded with the offer as its grant; an anonymous
// wallet gets no refresh token.
func TestPreAuthorizedSuccess(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	code, _ := e.offerCode(t, false)
	before := e.Store.writes()
	resp := e.mustToken(t, preParams(code), e.proof(t, e.Key))
	if w := e.Store.writes(); w.Issued != before.Issued+1 {
		t.Errorf("writes = %+v; want one redemption", w)
	}
	rec := e.record(t, resp.AccessToken)
	// The redemption carries the offer as read: a store may then redeem
	// without reading it again (storage/postgres: one round trip).
	if o := e.Store.lastRedeemOffer(); o == nil || o.ID != rec.GrantID || o.Subject != alice {
		t.Errorf("Redeem's Offer = %+v; want the offer read by its code", o)
	}
	switch {
	case rec.Subject != alice || rec.JKT != jkt(t, e.Key) || rec.GrantID == "" || rec.Revoked:
		t.Errorf("record = %+v; want alice's, bound to the key, with the offer as grant", rec)
	case len(resp.AuthorizationDetails) != 1 || resp.AuthorizationDetails[0].CredentialConfigurationID != pid ||
		len(resp.AuthorizationDetails[0].CredentialIdentifiers) == 0:
		t.Errorf("authorization_details = %+v; want pid with identifiers", resp.AuthorizationDetails)
	case resp.RefreshToken != "":
		t.Errorf("an anonymous wallet got a refresh token")
	}
}

// TestPreAuthorizedRefused: VCI-02, VCI-10. A missing code is
// invalid_request and stores nothing; an unknown or expired code is
// invalid_grant and stores only the proof's replay key (grantFailure), so
// that the proof cannot be replayed either.
func TestPreAuthorizedRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	t.Run("VCI-02 missing", func(t *testing.T) {
		e.refused(t, preParams(""), oauth.CodeInvalidRequest, "the parameter pre-authorized_code is missing", 0, e.proof(t, e.Key))
	})
	t.Run("VCI-10 unknown", func(t *testing.T) {
		e.refused(t, preParams("no-such-code"), oauth.CodeInvalidGrant, "either the pre-authorized code has expired or is invalid", 1, e.proof(t, e.Key))
	})
	t.Run("VCI-10 expired", func(t *testing.T) {
		code, _ := e.offerCode(t, false)
		e.Clock.Advance(issuer.Defaults().PreAuthorized.CodeTTL + time.Second)
		e.refused(t, preParams(code), oauth.CodeInvalidGrant, "the pre-authorized code has expired", 1, e.proof(t, e.Key))
	})
	t.Run("refused proof is spent", func(t *testing.T) {
		p := e.proof(t, e.Key)
		e.refused(t, preParams("no-such-code"), oauth.CodeInvalidGrant, "", 1, p)
		code, _ := e.offerCode(t, false)
		e.refused(t, preParams(code), oauth.CodeInvalidDPoPProof, "", 0, p)
	})
	t.Run("no proof stores nothing", func(t *testing.T) {
		o := newEnv(t, dpopOptional)
		o.refused(t, preParams("no-such-code"), oauth.CodeInvalidGrant, "either the pre-authorized code has expired or is invalid", 0)
	})
}

// TestPreAuthorizedReplay: VCI-03, VCI-13, OA-17. A code redeemed twice
// is refused the second time and what the first redemption issued is
// revoked; the replay issues nothing.
func TestPreAuthorizedReplay(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	code, _ := e.offerCode(t, false)
	first := e.mustToken(t, preParams(code), e.proof(t, e.Key))
	e.refused(t, preParams(code), oauth.CodeInvalidGrant,
		"the pre-authorized code was already used; the tokens issued for it are revoked", 0, e.proof(t, e.Other))
	if rec := e.record(t, first.AccessToken); !rec.Revoked {
		t.Errorf("the first redemption's token is not revoked: %+v", rec)
	}
}

// TestTxCode: VCI-04, VCI-05, VCI-06, VCI-09. A code offered with a
// transaction code needs it, right; one offered without refuses one.
// Each refusal issues nothing.
func TestTxCode(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	code, tx := e.offerCode(t, true)
	with := func(code, tx string) map[string]string {
		p := preParams(code)
		p["tx_code"] = tx
		return p
	}
	e.refused(t, preParams(code), oauth.CodeInvalidRequest, "the parameter tx_code is missing", 1, e.proof(t, e.Key))
	e.refused(t, with(code, tx+"0"), oauth.CodeInvalidGrant, "the tx_code is invalid", 1, e.proof(t, e.Key))
	e.mustToken(t, with(code, tx), e.proof(t, e.Key))

	plain, _ := e.offerCode(t, false)
	e.refused(t, with(plain, "1234"), oauth.CodeInvalidRequest,
		"the parameter tx_code is not expected: the offer has no transaction code", 1, e.proof(t, e.Key))
}
