package credential

import (
	"bytes"
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"

	"github.com/lestrrat-go/jwx/v2/jwk"

	"issuer/issuer/credential/keyproof"
	"issuer/issuer/oauth"
	"issuer/issuer/token"
	"issuer/storage"
)

// Pending is the answer of a deferred issuance (OpenID4VCI 1.0 §8.3,
// §9.2): 202 with the transaction and the seconds to wait before asking
// the deferred credential endpoint.
type Pending struct {
	TransactionID string `json:"transaction_id"`
	Interval      int64  `json:"interval"`
}

// deferredBody is the deferred credential request (§9.1); unknown
// members are ignored.
type deferredBody struct {
	TransactionID *string         `json:"transaction_id"`
	Encryption    json.RawMessage `json:"credential_response_encryption"`
}

// errTransaction is invalid_transaction_id, the same for an unknown,
// expired, foreign or spent transaction_id (no oracle).
var errTransaction = oauth.New(http.StatusBadRequest, oauth.CodeInvalidTransactionID,
	"the transaction_id is unknown, has expired, was used, or is not of this access token's grant")

// deferIssuance keeps the verified proof keys in a transaction (its ID
// the hash of the transaction_id), spends the proofs and answers 202.
func (s *Service) deferIssuance(ctx context.Context, rec storage.Token, offerID string, conf *Configuration, keys []keyproof.Key, proofs []spent, enc *encryption) (*Reply, error) {
	holders := make([]json.RawMessage, 0, len(keys))
	for _, k := range keys {
		raw, err := json.Marshal(k.JWK)
		if err != nil {
			return nil, oauth.ErrServer(err)
		}
		holders = append(holders, raw)
	}
	if err := s.spend(ctx, proofs); err != nil {
		return nil, err
	}
	id, now := token.Random(), s.cfg.Now()
	err := s.store.CreateCredentialRecord(ctx, storage.CredentialRecord{
		ID: recordID(id), Kind: storage.RecordTransaction, OfferID: offerID,
		GrantID: rec.GrantID, Subject: rec.Subject, ClientID: rec.ClientID, ConfigurationID: conf.ID,
		CreatedAt: now, ExpiresAt: now.Add(s.cfg.DeferredTTL), HolderKeys: holders,
	})
	if err != nil {
		return nil, oauth.ErrServer(err)
	}
	s.log.InfoContext(ctx, "credential issuance deferred", "configuration", conf.ID, "count", len(keys), "grant", rec.GrantID)
	return reply(http.StatusAccepted, s.pending(id), enc)
}

// pending is the 202 body of transaction id.
func (s *Service) pending(id string) Pending {
	return Pending{TransactionID: id, Interval: max(1, int64(s.cfg.DeferredInterval.Seconds()))}
}

// Deferred is the deferred credential endpoint (§9): the access token (a
// token of the grant, subject and client that obtained the transaction,
// with the deferred URL as htu) and {"transaction_id"}. While the offer's
// claims have not been supplied, 202 again with the same transaction_id;
// once they are, the credentials, one per kept key, and a notification_id
// (200), once: the transaction is then spent. The mandatory claims are
// checked as at the credential endpoint.
func (s *Service) Deferred(ctx context.Context, r Request) (*Reply, error) {
	rec, err := s.parts.Access.Access(ctx, r.Access, s.cfg.DeferredURL)
	if err != nil {
		return nil, err
	}
	b, enc, err := s.parseDeferred(r)
	if err != nil {
		return nil, err
	}
	id := recordID(*b.TransactionID)
	tr, err := s.transaction(ctx, id, rec)
	if err != nil {
		return nil, err
	}
	conf := s.cfg.Configurations[tr.ConfigurationID]
	if conf == nil {
		return nil, errDenied("the credential configuration of the transaction is no longer offered")
	}
	src, ready, err := s.suppliedClaims(ctx, tr.OfferID)
	if err != nil || !ready {
		if err == nil {
			return reply(http.StatusAccepted, s.pending(*b.TransactionID), enc)
		}
		return nil, err
	}
	return s.issueDeferred(ctx, rec, tr, conf, src, enc)
}

// issueDeferred signs the transaction's credentials, spends it and mints
// the notification_id.
func (s *Service) issueDeferred(ctx context.Context, rec storage.Token, tr storage.CredentialRecord, conf *Configuration, src map[string]any, enc *encryption) (*Reply, error) {
	content, err := prepare(conf, src)
	if err != nil {
		return nil, err
	}
	keys, err := holderKeys(tr.HolderKeys)
	if err != nil {
		return nil, err
	}
	resp, err := s.signAll(ctx, content, keys)
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now()
	_, err = s.store.UpdateCredentialRecord(ctx, tr.ID, now, func(x *storage.CredentialRecord) error {
		if !x.IssuedAt.IsZero() {
			return errTransaction
		}
		x.IssuedAt = now
		return nil
	})
	switch {
	case errors.Is(err, storage.ErrNotFound) || errors.Is(err, errTransaction):
		return nil, errTransaction
	case err != nil:
		return nil, oauth.ErrServer(err)
	}
	if resp.NotificationID, err = s.newNotification(ctx, rec, tr.OfferID, conf); err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "deferred credentials issued", "configuration", conf.ID, "count", len(resp.Credentials), "grant", rec.GrantID)
	return reply(http.StatusOK, resp, enc)
}

// parseDeferred checks the deferred request's content type and members.
func (s *Service) parseDeferred(r Request) (deferredBody, *encryption, error) {
	var b deferredBody
	if mt, _, err := mime.ParseMediaType(r.ContentType); err != nil || mt != "application/json" {
		return b, nil, errRequest("the deferred credential request must be sent as application/json")
	}
	if !bytes.HasPrefix(bytes.TrimLeft(r.Body, " \t\r\n"), []byte("{")) || json.Unmarshal(r.Body, &b) != nil {
		return b, nil, errRequest("the body is not a JSON object with members of the expected types")
	}
	if b.TransactionID == nil || *b.TransactionID == "" {
		return b, nil, errRequest("the request has no transaction_id")
	}
	enc, err := parseEncryption(b.Encryption, s.cfg.RequireEncryption)
	return b, enc, err
}

// transaction returns the live, unspent transaction id of rec's grant,
// subject and client, else invalid_transaction_id.
func (s *Service) transaction(ctx context.Context, id string, rec storage.Token) (storage.CredentialRecord, error) {
	tr, err := s.store.GetCredentialRecord(ctx, id)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return tr, errTransaction
	case err != nil:
		return tr, oauth.ErrServer(err)
	case tr.Kind != storage.RecordTransaction || !sameHolder(tr, rec) || !tr.IssuedAt.IsZero() || s.cfg.Now().After(tr.ExpiresAt):
		return tr, errTransaction
	}
	return tr, nil
}

// suppliedClaims returns the claims supplied for the offer, ready false
// while there are none.
func (s *Service) suppliedClaims(ctx context.Context, offerID string) (map[string]any, bool, error) {
	if offerID == "" {
		return nil, false, nil
	}
	c, err := s.store.GetCredentialRecord(ctx, storage.ClaimsRecordID(offerID))
	switch {
	case errors.Is(err, storage.ErrNotFound) || err == nil && s.cfg.Now().After(c.ExpiresAt):
		return nil, false, nil
	case err != nil:
		return nil, false, oauth.ErrServer(err)
	}
	claims, err := decodeClaims(c.Claims)
	return claims, err == nil, err
}

// holderKeys reads the kept public JWKs.
func holderKeys(raws []json.RawMessage) ([]keyproof.Key, error) {
	out := make([]keyproof.Key, 0, len(raws))
	for _, raw := range raws {
		k, err := jwk.ParseKey(raw)
		if err != nil {
			return nil, oauth.ErrServer(fmt.Errorf("a transaction's holder key: %w", err))
		}
		var pub crypto.PublicKey
		if err := k.Raw(&pub); err != nil {
			return nil, oauth.ErrServer(fmt.Errorf("a transaction's holder key: %w", err))
		}
		out = append(out, keyproof.Key{JWK: k, Public: pub})
	}
	return out, nil
}
