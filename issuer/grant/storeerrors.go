package grant

import (
	"errors"

	"issuer/issuer/oauth"
	"issuer/storage"
)

// redeemAnswers are the invalid_grant descriptions a grant gives when the
// store refuses to redeem its artifact (a code, a refresh token, a
// ticket), one per storage error; "" means the error is not expected of
// that artifact and answers server_error.
type redeemAnswers struct {
	notFound, consumed, expired, locked, rotated, revoked, offerUsed string
	// replay: ErrAlreadyExists means the DPoP proof's jti was recorded
	// before, in the redeeming transaction.
	replay bool
}

// redeemError maps a storage error of redeeming an artifact to the OAuth
// error the token endpoint answers: the one mapping of every grant.
func redeemError(err error, a redeemAnswers) error {
	grant := func(desc string) error {
		if desc == "" {
			return oauth.ErrServer(err)
		}
		return oauth.ErrInvalidGrant("%s", desc)
	}
	switch {
	case errors.Is(err, storage.ErrAlreadyExists) && a.replay:
		return oauth.ErrDPoPReplay()
	case errors.Is(err, storage.ErrNotFound):
		return grant(a.notFound)
	case errors.Is(err, storage.ErrConsumed):
		return grant(a.consumed)
	case errors.Is(err, storage.ErrExpired):
		return grant(a.expired)
	case errors.Is(err, storage.ErrLocked):
		return grant(a.locked)
	case errors.Is(err, storage.ErrRotated):
		return grant(a.rotated)
	case errors.Is(err, storage.ErrRevoked):
		return grant(a.revoked)
	case errors.Is(err, storage.ErrOfferUsed):
		return grant(a.offerUsed)
	}
	return oauth.ErrServer(err)
}

// preAuthorizedAnswers answer RedeemOffer (the pre-authorized code grant).
var preAuthorizedAnswers = redeemAnswers{
	replay:   true,
	notFound: "either the pre-authorized code has expired or is invalid",
	consumed: "the pre-authorized code was already used; the tokens issued for it are revoked",
	expired:  "the pre-authorized code has expired",
	locked:   "the pre-authorized code was invalidated after too many wrong transaction codes",
}

// authCodeAnswers answer RedeemAuthCode (the authorization code grant).
var authCodeAnswers = redeemAnswers{
	replay:    true,
	notFound:  "the authorization code is not correct",
	consumed:  "the authorization code was already used; the tokens issued for it are revoked",
	expired:   "the authorization code is obsolete",
	offerUsed: "the credential offer of the authorization request was already used, or has expired",
}

// refreshAnswers answer the refresh token grant's redemption.
var refreshAnswers = redeemAnswers{
	replay:   true,
	notFound: "the refresh token is not valid",
	revoked:  "the refresh token is not valid",
	consumed: "the refresh token was replaced by rotation; every token of its grant is now revoked",
	rotated:  "the refresh token was replaced by rotation",
	expired:  "the refresh token has expired",
}

// umaTicketAnswers answer GetUMATicket (through CheckTicket) and
// UseUMATicket, which records the proof's jti.
var umaTicketAnswers = redeemAnswers{
	replay:   true,
	notFound: "permission ticket is not correct",
	consumed: "the permission ticket has been used",
	expired:  "the permission ticket has expired",
}
