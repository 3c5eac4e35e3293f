package offer_test

import (
	"strings"
	"testing"
	"time"

	"issuer/issuer/oauth"
	"issuer/issuer/offer"
)

// The descriptions of Check's answers: part of the contract, as a guesser
// must learn nothing from them but what a live code tells.
const (
	descTxMissing    = "the parameter tx_code is missing"
	descTxUnexpected = "the parameter tx_code is not expected: the offer has no transaction code"
	descTxWrong      = "the tx_code is invalid"
	descTxLocking    = "the tx_code is invalid; the pre-authorized code is now invalidated"
	descLocked       = "the pre-authorized code was invalidated after too many wrong transaction codes"
	descExpired      = "the pre-authorized code has expired"
)

// wrong returns a transaction code of the same shape as tx but different.
func wrong(tx string) string {
	b := []byte(tx)
	if b[0] == '0' {
		b[0] = '1'
	} else {
		b[0] = '0'
	}
	return string(b)
}

// TestCheckTxCode covers the transaction code at redemption on a live
// code: VCI-04 (J06), VCI-05 (J07), VCI-06 (J08, J11, J12). Only a wrong
// value counts against the code; a missing or unexpected one is a
// malformed request and counts nothing.
func TestCheckTxCode(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	spaced := func(tx string) string { return " " + tx }
	for _, tc := range []struct {
		name      string
		protected bool
		tx        func(right string) string // nil: no tx_code parameter
		err, desc string
		failures  int
	}{
		{"VCI-01 no tx_code, none expected", false, nil, "", "", 0},
		{"VCI-05 J07 tx_code not expected", false, func(string) string { return "123456" }, oauth.CodeInvalidRequest, descTxUnexpected, 0},
		{"VCI-04 J06 tx_code missing", true, nil, oauth.CodeInvalidRequest, descTxMissing, 0},
		{"VCI-04 J06 tx_code empty counts as absent", true, func(string) string { return "" }, oauth.CodeInvalidRequest, descTxMissing, 0},
		{"VCI-05 an empty tx_code where none is expected is absent", false, func(string) string { return "" }, "", "", 0},
		{"VCI-06 J08 wrong tx_code", true, wrong, oauth.CodeInvalidGrant, descTxWrong, 1},
		{"J11 leading space", true, spaced, oauth.CodeInvalidGrant, descTxWrong, 1},
		{"J11 trailing space", true, func(tx string) string { return tx + " " }, oauth.CodeInvalidGrant, descTxWrong, 1},
		{"J11 full-width digits", true, func(tx string) string {
			return strings.Map(func(r rune) rune { return r - '0' + '０' }, tx)
		}, oauth.CodeInvalidGrant, descTxWrong, 1},
		{"J12 10000 characters", true, func(tx string) string { return tx + strings.Repeat("1", 10000-len(tx)) }, oauth.CodeInvalidGrant, descTxWrong, 1},
		{"J12 prefix of the right one", true, func(tx string) string { return tx[:len(tx)-1] }, oauth.CodeInvalidGrant, descTxWrong, 1},
		{"VCI-06 right tx_code", true, func(tx string) string { return tx }, "", "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := req()
			if tc.protected {
				r = req(withTx(offer.TxCodeRequest{}))
			}
			resp := e.create(t, r)
			c := code(t, resp)
			params := map[string]string{}
			if tc.tx != nil {
				params["tx_code"] = tc.tx(resp.TxCode)
			}
			before := e.stored(t, c)
			err := e.Offers.Check(t.Context(), before, params, e.Clock.Now())
			if tc.err == "" {
				if err != nil {
					t.Fatalf("Check() = %v; want nil", err)
				}
				e.unchanged(t, c, before)
				return
			}
			wantError(t, err, tc.err, tc.desc)
			if resp.TxCode != "" && strings.Contains(err.Error(), resp.TxCode) {
				t.Errorf("the error %q shows the transaction code", err)
			}
			after := e.stored(t, c)
			if after.Failures != before.Failures+tc.failures || after.Locked {
				t.Errorf("failures %d → %d, locked %v; want +%d, not locked", before.Failures, after.Failures, after.Locked, tc.failures)
			}
			if tc.failures == 0 {
				e.unchanged(t, c, before)
			}
		})
	}
}

// TestCheckTxCodeLockout: VCI-08 (J09, J10). The budget of wrong
// transaction codes is counted per code; the wrong try that spends it
// says so, and from then on even the right one is refused as invalid_grant.
func TestCheckTxCodeLockout(t *testing.T) {
	t.Parallel()
	for _, budget := range []int{1, 3, 5} {
		e := newEnv(t, func(c *offer.Config) { c.TxCodeMaxAttempts = budget })
		resp := e.create(t, req(withTx(offer.TxCodeRequest{})))
		c := code(t, resp)
		for i := 1; i < budget; i++ {
			wantError(t, e.check(t, c, map[string]string{"tx_code": wrong(resp.TxCode)}), oauth.CodeInvalidGrant, descTxWrong)
		}
		if o := e.stored(t, c); o.Failures != budget-1 || o.Locked {
			t.Fatalf("budget %d: after %d wrong tries failures = %d, locked %v; want %d, not locked", budget, budget-1, o.Failures, o.Locked, budget-1)
		}
		wantError(t, e.check(t, c, map[string]string{"tx_code": wrong(resp.TxCode)}), oauth.CodeInvalidGrant, descTxLocking)
		locked := e.stored(t, c)
		if !locked.Locked || locked.Failures != budget {
			t.Fatalf("budget %d: after the last wrong try failures = %d, locked %v; want %d, locked", budget, locked.Failures, locked.Locked, budget)
		}
		// J09: the right one after the lockout; nothing more is counted.
		for _, params := range []map[string]string{{"tx_code": resp.TxCode}, {"tx_code": wrong(resp.TxCode)}, {}} {
			wantError(t, e.check(t, c, params), oauth.CodeInvalidGrant, descLocked)
		}
		e.unchanged(t, c, locked)
	}
}

// TestCheckLockoutPerCode: wrong tries at one code spend nothing of
// another's budget (J10 counts per code, whoever sends them).
func TestCheckLockoutPerCode(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *offer.Config) { c.TxCodeMaxAttempts = 2 })
	a := e.create(t, req(withTx(offer.TxCodeRequest{})))
	b := e.create(t, req(withTx(offer.TxCodeRequest{})))
	for range 2 {
		_ = e.check(t, code(t, a), map[string]string{"tx_code": wrong(a.TxCode)})
	}
	if !e.stored(t, code(t, a)).Locked {
		t.Fatal("a is not locked")
	}
	if err := e.check(t, code(t, b), map[string]string{"tx_code": b.TxCode}); err != nil {
		t.Errorf("Check(b) = %v; want nil", err)
	}
}

// TestCheckExpiry: VCI-03, VCI-10 (J03). A live code is refused after
// its expiry (and not at it); the refusal counts nothing, even with a
// wrong transaction code.
func TestCheckExpiry(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	resp := e.create(t, req(withTx(offer.TxCodeRequest{})))
	c := code(t, resp)
	e.Clock.Advance(e.Cfg.CodeTTL)
	if err := e.check(t, c, map[string]string{"tx_code": resp.TxCode}); err != nil {
		t.Fatalf("Check() at the expiry = %v; want nil", err)
	}
	e.Clock.Advance(time.Nanosecond)
	before := e.stored(t, c)
	for _, params := range []map[string]string{{"tx_code": resp.TxCode}, {"tx_code": wrong(resp.TxCode)}, {}} {
		wantError(t, e.check(t, c, params), oauth.CodeInvalidGrant, descExpired)
	}
	e.unchanged(t, c, before)
}

// TestCheckRedeemedCode: a code redeemed before goes through Check only
// with a request that could have redeemed it (Redeem then refuses it and
// revokes, RFC 6749 §4.1.2), whatever its expiry; the transaction code
// is checked as on a live code, with the same answers (J13 reaches
// Redeem only with the right one), and wrong ones count and lock it.
func TestCheckRedeemedCode(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *offer.Config) { c.TxCodeMaxAttempts = 3 })
	plain := code(t, e.create(t, req()))
	resp := e.create(t, req(withTx(offer.TxCodeRequest{})))
	c := code(t, resp)
	e.redeem(t, plain)
	e.redeem(t, c)
	e.Clock.Advance(e.Cfg.CodeTTL + time.Hour) // past the expiry: a late replay
	if err := e.check(t, plain, map[string]string{}); err != nil {
		t.Errorf("Check(redeemed, expired, no tx_code) = %v; want nil (Redeem revokes)", err)
	}
	wantError(t, e.check(t, plain, map[string]string{"tx_code": "123456"}), oauth.CodeInvalidRequest, descTxUnexpected)
	if err := e.check(t, c, map[string]string{"tx_code": resp.TxCode}); err != nil {
		t.Errorf("Check(redeemed, right tx_code) = %v; want nil (Redeem revokes)", err)
	}
	before := e.stored(t, c)
	wantError(t, e.check(t, c, map[string]string{}), oauth.CodeInvalidRequest, descTxMissing)
	e.unchanged(t, c, before)
	wantError(t, e.check(t, c, map[string]string{"tx_code": wrong(resp.TxCode)}), oauth.CodeInvalidGrant, descTxWrong)
	wantError(t, e.check(t, c, map[string]string{"tx_code": wrong(resp.TxCode)}), oauth.CodeInvalidGrant, descTxWrong)
	wantError(t, e.check(t, c, map[string]string{"tx_code": wrong(resp.TxCode)}), oauth.CodeInvalidGrant, descTxLocking)
	o := e.stored(t, c)
	if !o.Locked || o.Failures != 3 || o.RedeemedAt.IsZero() {
		t.Fatalf("redeemed offer after 3 wrong tries: %+v; want locked, 3 failures, still redeemed", o)
	}
	// Locked, a redeemed code lets no replay through to revoke anything.
	wantError(t, e.check(t, c, map[string]string{"tx_code": resp.TxCode}), oauth.CodeInvalidGrant, descLocked)
}

// TestCheckSweptOffer: an offer swept between its lookup and a wrong
// transaction code gets the answer of a wrong code, not a server error.
func TestCheckSweptOffer(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	resp := e.create(t, req(withTx(offer.TxCodeRequest{})))
	o := e.stored(t, code(t, resp))
	o.CodeHash = codeHash("another code")
	wantError(t, e.Offers.Check(t.Context(), o, map[string]string{"tx_code": wrong(resp.TxCode)}, e.Clock.Now()), oauth.CodeInvalidGrant, descTxWrong)
}
