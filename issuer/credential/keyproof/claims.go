package keyproof

import (
	"errors"
	"time"

	"issuer/nonce"
)

// claims are the payload claims Verify keeps after checking them.
type claims struct {
	iat   time.Time
	nonce string
}

// checkClaims checks the payload of a proof (Appendix F.1) but for the
// liveness of its nonce: aud, iat, exp, nbf, iss and the presence of a
// nonce.
func (v *Verifier) checkClaims(p members, e Expect, now time.Time) (claims, error) {
	var c claims
	if err := v.checkAud(p); err != nil {
		return c, err
	}
	iat, err := v.checkTimes(p, now)
	if err != nil {
		return c, err
	}
	if err := checkIss(p, e.ClientID); err != nil {
		return c, err
	}
	n, present, ok := p.str("nonce")
	switch {
	case present && !ok:
		return c, errNonceType
	case n == "":
		return c, errNonceMissing
	}
	return claims{iat: iat, nonce: n}, nil
}

// checkAud requires aud to be one string, the credential issuer
// identifier: an array, even of that one value, is refused (F.1 defines
// aud as a string).
func (v *Verifier) checkAud(p members) error {
	aud, present, ok := p.str("aud")
	switch {
	case !ok && present:
		return errAudType
	case aud != v.cfg.Audience:
		return errAud
	}
	return nil
}

// checkTimes checks iat (required), exp and nbf (when present) at now and
// returns iat. iat may be MaxAge old and FutureSkew ahead; exp must not
// have passed and nbf must not be ahead by more than FutureSkew.
func (v *Verifier) checkTimes(p members, now time.Time) (time.Time, error) {
	iat, present, ok := p.number("iat")
	switch {
	case !present:
		return time.Time{}, errIatMissing
	case !ok:
		return time.Time{}, errIatType
	}
	unix := float64(now.UnixNano()) / 1e9
	switch {
	case iat < unix-v.cfg.MaxAge.Seconds():
		return time.Time{}, errIatOld
	case iat > unix+v.cfg.FutureSkew.Seconds():
		return time.Time{}, errIatFuture
	}
	if exp, present, ok := p.number("exp"); present && !ok {
		return time.Time{}, errExpType
	} else if present && unix >= exp {
		return time.Time{}, errExpPast
	}
	if nbf, present, ok := p.number("nbf"); present && !ok {
		return time.Time{}, errNbfType
	} else if present && nbf > unix+v.cfg.FutureSkew.Seconds() {
		return time.Time{}, errNbfFuture
	}
	return seconds(iat), nil
}

// checkIss applies Appendix F.1's iss rule. Without a client (an anonymous
// pre-authorized code token) the proof must have no iss. With one, an iss
// must be its client_id, but a missing iss is accepted: F.1 asks for iss
// "when the client is known", and wallets built on earlier drafts omit it
// even then; the access token already names the client, so nothing is
// lost.
func checkIss(p members, clientID string) error {
	iss, present, ok := p.str("iss")
	switch {
	case present && clientID == "":
		return errIssAnonymous
	case !present:
		return nil
	case !ok:
		return errIssType
	case iss != clientID:
		return errIss
	}
	return nil
}

// checkNonce requires n to be a live c_nonce (not expired, issued here,
// for key proofs and not as a DPoP nonce or an attestation challenge);
// expired and unknown are the errors otherwise.
func (v *Verifier) checkNonce(n string, now time.Time, expired, unknown error) error {
	switch err := v.cfg.Nonces.Check(nonce.CNonce, n, now); {
	case err == nil:
		return nil
	case errors.Is(err, nonce.ErrExpired):
		return expired
	default:
		return unknown
	}
}
