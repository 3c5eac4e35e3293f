package offer

import (
	"context"
	"encoding/json"
	"errors"

	"issuer/issuer/oauth"
	"issuer/storage"
)

// SupplyClaims stores the claims (a JSON object) of a deferred offer,
// replacing those supplied before: the deferred credential endpoint issues
// the offer's pending transactions with them (and checks its mandatory
// claims then). They are kept for DeferredTTL from now. An offer that is
// unknown, swept or not deferred is refused.
func (s *Offers) SupplyClaims(ctx context.Context, id string, claims json.RawMessage) error {
	if len(claims) == 0 || claims[0] != '{' || !json.Valid(claims) {
		return oauth.ErrInvalidRequest("the body must be a JSON object of claims")
	}
	o, err := s.store.GetOffer(ctx, id)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return oauth.ErrNotFound("no such credential offer")
	case err != nil:
		return oauth.ErrServer(err)
	case !o.Deferred:
		return oauth.ErrInvalidRequest("the offer is not deferred: its claims were given when it was created")
	}
	now := s.cfg.Now()
	rec := storage.CredentialRecord{
		ID: storage.ClaimsRecordID(id), Kind: storage.RecordClaims, OfferID: id, Subject: o.Subject,
		CreatedAt: now, ExpiresAt: now.Add(s.cfg.DeferredTTL), Claims: claims,
	}
	err = s.store.CreateCredentialRecord(ctx, rec)
	if errors.Is(err, storage.ErrAlreadyExists) {
		_, err = s.store.UpdateCredentialRecord(ctx, rec.ID, now, func(x *storage.CredentialRecord) error {
			x.Claims, x.ExpiresAt, x.CreatedAt = claims, rec.ExpiresAt, now
			return nil
		})
	}
	if err != nil {
		// An expired record that the sweeper has not deleted yet: its ID
		// is taken until then.
		if errors.Is(err, storage.ErrNotFound) {
			return oauth.ErrInvalidRequest("the claims supplied before have expired and are being removed: try again later")
		}
		return oauth.ErrServer(err)
	}
	return nil
}
