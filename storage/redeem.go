package storage

import (
	"time"
)

// Redemption asks the store to consume a pre-authorized code.
type Redemption struct {
	CodeHash []byte
	Now      time.Time
	// ReplayKey, when set, is a DPoP proof's replay key. It is checked and
	// recorded in the same transaction as the code, until ReplayExpiry.
	ReplayKey    []byte
	ReplayExpiry time.Time
	// JKT is the thumbprint of the key that redeems the code ("" if none).
	JKT string
	// OfferID, for RedeemAuthCode, is the offer the code came from (its
	// issuer_state): it must still be usable, and is marked redeemed in
	// the same transaction.
	OfferID string
	// Tokens are the records of the tokens issued for this redemption.
	Tokens []Token
}
