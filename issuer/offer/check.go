package offer

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"time"

	"issuer/issuer/oauth"
	"issuer/storage"
)

// Check applies, at redemption, the rules of the code's state and of the
// transaction code in params to o, the offer of the code.
// A code that was redeemed before is let through only with a request that
// could have redeemed it, its transaction code included: Redeem then
// refuses it and revokes what the first redemption started (RFC 6749
// §4.1.2). So whoever saw only the QR code of an offer with a transaction
// code cannot cut off the wallet that redeemed it, and cannot guess the
// transaction code either: wrong ones count and lock a redeemed code as
// they lock a live one, and a locked code revokes nothing.
func (s *Offers) Check(ctx context.Context, o storage.Offer, params map[string]string, now time.Time) error {
	switch {
	case o.Locked:
		return oauth.ErrInvalidGrant("the pre-authorized code was invalidated after too many wrong transaction codes")
	case o.RedeemedAt.IsZero() && now.After(o.ExpiresAt):
		return oauth.ErrInvalidGrant("the pre-authorized code has expired")
	}
	return s.checkTxCode(ctx, o, params)
}

// checkTxCode checks the request's transaction code against the offer's
// (VCI-04..VCI-08). A wrong one counts against the code, redeemed or not,
// and gets the same answers in both cases, so that a guesser learns
// neither that the code was redeemed nor anything a live code would not
// tell.
func (s *Offers) checkTxCode(ctx context.Context, o storage.Offer, params map[string]string) error {
	// An empty value is no value (RFC 6749 §3.2), whoever parsed the form.
	txCode := params["tx_code"]
	hasTx := txCode != ""
	switch {
	case o.TxCode == nil && hasTx:
		return oauth.ErrInvalidRequest("the parameter tx_code is not expected: the offer has no transaction code")
	case o.TxCode == nil:
		return nil
	case !hasTx:
		return oauth.ErrInvalidRequest("the parameter tx_code is missing")
	}
	sum := sha256.Sum256([]byte(txCode))
	if subtle.ConstantTimeCompare(sum[:], o.TxCode.Hash) == 1 {
		return nil
	}
	after, err := s.store.RecordTxCodeFailure(ctx, o.CodeHash, s.cfg.TxCodeMaxAttempts)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return oauth.ErrServer(err)
	}
	if after.Locked {
		return oauth.ErrInvalidGrant("the tx_code is invalid; the pre-authorized code is now invalidated")
	}
	return errWrongTxCode()
}

// errWrongTxCode is the answer to a wrong transaction code that did not
// lock the code.
func errWrongTxCode() *oauth.Error { return oauth.ErrInvalidGrant("the tx_code is invalid") }
