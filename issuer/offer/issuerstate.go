package offer

import (
	"context"
	"crypto/sha256"
	"errors"

	"issuer/issuer/oauth"
	"issuer/storage"
)

// ByIssuerState finds the live offer an issuer_state names. The value
// may come from an attacker (OpenID4VCI 1.0 §5.1.3): it is looked up by its
// hash, and an unknown, expired or locked offer is refused alike.
func (s *Offers) ByIssuerState(ctx context.Context, state string) (storage.Offer, error) {
	bad := oauth.ErrInvalidRequest("the issuer_state is not valid or has expired")
	o, err := s.store.GetOfferByIssuerState(ctx, IssuerStateHash(state))
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return o, bad
	case err != nil:
		return o, oauth.ErrServer(err)
	case o.Locked || !o.RedeemedAt.IsZero() || s.cfg.Now().After(o.ExpiresAt):
		// An offer is for one issuance, through either of its grants.
		return o, bad
	}
	return o, nil
}

// IssuerStateHash is the lookup key of an issuer_state.
func IssuerStateHash(state string) []byte {
	sum := sha256.Sum256([]byte("issuer_state\x00" + state))
	return sum[:]
}
