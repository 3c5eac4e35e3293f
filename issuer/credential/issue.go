package credential

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"issuer/issuer/credential/keyproof"
	"issuer/issuer/oauth"
	"issuer/storage"
)

// Response is the credential response (OpenID4VCI 1.0 §8.3): one
// credential per proof key, and the notification_id of the response.
type Response struct {
	Credentials    []Issued `json:"credentials"`
	NotificationID string   `json:"notification_id,omitempty"`
}

// Issued is one credential of a response.
type Issued struct {
	Credential string `json:"credential"`
}

// Issue answers a credential request: the access token (through Access),
// the request's shape, the configuration the token grants, every key
// proof; then, for an offer that defers, a transaction holding the proof
// keys (202); else the subject's claims, one credential signed per proof
// key, the proofs recorded as used only then, and a notification_id
// (200). A refused request spends nothing but its DPoP proof. The same
// token may fetch again while it lives (a wallet retrying after a lost
// response), with new proofs.
func (s *Service) Issue(ctx context.Context, r Request) (*Reply, error) {
	rec, err := s.parts.Access.Access(ctx, r.Access, s.cfg.CredentialURL)
	if err != nil {
		return nil, err
	}
	p, err := s.parse(r)
	if err != nil {
		return nil, err
	}
	g, err := tokenGrants(rec)
	if err != nil {
		return nil, err
	}
	conf, err := s.configuration(p, g)
	if err != nil {
		return nil, err
	}
	keys, proofs, err := s.verifyProofs(ctx, p.proofs, conf, rec)
	if err != nil {
		return nil, err
	}
	offer, err := s.grantOffer(ctx, rec)
	if err != nil {
		return nil, err
	}
	if offer != nil && offer.Deferred {
		return s.deferIssuance(ctx, rec, offer.ID, conf, keys, proofs, p.encryption)
	}
	src, err := s.subjectClaims(ctx, rec, offer)
	if err != nil {
		return nil, err
	}
	content, err := prepare(conf, src)
	if err != nil {
		return nil, err
	}
	resp, err := s.signAll(ctx, content, keys)
	if err != nil {
		return nil, err
	}
	if err := s.spend(ctx, proofs); err != nil {
		return nil, err
	}
	if resp.NotificationID, err = s.newNotification(ctx, rec, offerID(offer), conf); err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "credentials issued", "configuration", conf.ID, "count", len(resp.Credentials), "grant", rec.GrantID)
	return reply(http.StatusOK, resp, p.encryption)
}

// offerID is the ID of offer, "" for none.
func offerID(offer *storage.Offer) string {
	if offer == nil {
		return ""
	}
	return offer.ID
}

// spent is a proof's replay record: recorded as used once the request
// succeeds.
type spent struct {
	key    []byte
	expiry time.Time
}

// verifyProofs verifies every key proof and refuses two of the same key;
// it returns the keys to bind, one credential each, and the proofs' replay
// records.
func (s *Service) verifyProofs(ctx context.Context, raws []string, conf *Configuration, rec storage.Token) ([]keyproof.Key, []spent, error) {
	keys := make([]keyproof.Key, 0, len(raws))
	used := make([]spent, 0, len(raws))
	seen := map[string]bool{}
	for _, raw := range raws {
		p, err := s.parts.Proofs.Verify(ctx, raw, keyproof.Expect{Algs: conf.ProofAlgs, ClientID: rec.ClientID})
		if err != nil {
			return nil, nil, proofError(err)
		}
		if seen[p.Key.Thumbprint] {
			return nil, nil, errProof("two proofs of the request are of the same key: one credential per key")
		}
		seen[p.Key.Thumbprint] = true
		keys = append(keys, p.Key)
		used = append(used, spent{p.ReplayKey, p.ReplayExpiry})
	}
	return keys, used, nil
}

// proofError is the answer to the verifier's verdict on a proof.
func proofError(err error) error {
	switch {
	case errors.Is(err, keyproof.ErrInvalidNonce):
		return oauth.New(http.StatusBadRequest, oauth.CodeInvalidNonce, "%s", description(err, keyproof.ErrInvalidNonce))
	case errors.Is(err, keyproof.ErrInvalidProof):
		return errProof("%s", description(err, keyproof.ErrInvalidProof))
	}
	return oauth.ErrServer(err)
}

// description is what the verifier says is wrong: its error without the
// code it wraps.
func description(err, code error) string {
	return strings.TrimPrefix(err.Error(), code.Error()+": ")
}

// signAll signs one credential per holder key with the signer of now.
func (s *Service) signAll(ctx context.Context, content prepared, keys []keyproof.Key) (*Response, error) {
	now := s.cfg.Now()
	signer, err := s.parts.Keys.Signer(ctx, now)
	if err != nil {
		return nil, oauth.ErrServer(err)
	}
	resp := &Response{Credentials: make([]Issued, 0, len(keys))}
	for _, k := range keys {
		cred, err := s.sign(content, signer, k.Public, now)
		if err != nil {
			return nil, err
		}
		resp.Credentials = append(resp.Credentials, Issued{Credential: cred})
	}
	return resp, nil
}

// spend records the proofs' replay keys, all or nothing: a proof is used
// once, and a request refused for one used proof spends none of the others.
func (s *Service) spend(ctx context.Context, proofs []spent) error {
	keys := make([]storage.ReplayUse, len(proofs))
	for i, p := range proofs {
		keys[i] = storage.ReplayUse{Key: p.key, Expiry: p.expiry}
	}
	err := s.store.UseReplayKeys(ctx, keys, s.cfg.Now())
	if errors.Is(err, storage.ErrAlreadyExists) {
		return errProof("the key proof was used before")
	} else if err != nil {
		return oauth.ErrServer(err)
	}
	return nil
}
