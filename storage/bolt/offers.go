package bolt

import (
	"context"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"issuer/storage"
)

// CreateOffer stores o; ErrAlreadyExists if o.ID or o.CodeHash is taken.
// A zero o.KeepUntil is set to o.ExpiresAt.
func (s *Store) CreateOffer(ctx context.Context, o storage.Offer) error {
	if err := checkKey("offer ID", []byte(o.ID)); err != nil {
		return err
	}
	if err := checkKey("offer code hash", o.CodeHash); err != nil {
		return err
	}
	if o.KeepUntil.IsZero() {
		o.KeepUntil = o.ExpiresAt
	}
	// The offer JSON lives in its own bucket: redemptions read the offer's
	// content, and should not page in the JSON.
	offerJSON := o.OfferJSON
	o.OfferJSON = nil
	data, err := encode(o)
	if err != nil {
		return err
	}
	state, err := encode(stateOf(o))
	if err != nil {
		return err
	}
	id := []byte(o.ID)
	err = s.update(ctx, func(tx *writeTx) error {
		offers, codes := tx.Bucket(bucketOffers), tx.Bucket(bucketOfferCodes)
		// Decide before writing: a business result does not roll back.
		if offers.Get(id) != nil || codes.Get(o.CodeHash) != nil ||
			len(o.IssuerStateHash) > 0 && tx.Bucket(bucketIssuerStates).Get(o.IssuerStateHash) != nil {
			return storage.ErrAlreadyExists
		}
		if err := offers.Put(id, data); err != nil {
			return err
		}
		if err := tx.Bucket(bucketOfferState).Put(id, state); err != nil {
			return err
		}
		if err := codes.Put(o.CodeHash, id); err != nil {
			return err
		}
		if len(o.IssuerStateHash) > 0 {
			if err := tx.Bucket(bucketIssuerStates).Put(o.IssuerStateHash, id); err != nil {
				return err
			}
		}
		if len(offerJSON) > 0 {
			if err := tx.Bucket(bucketOfferJSON).Put(id, offerJSON); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketOffersExp).Put(indexKey(o.KeepUntil, id), empty)
	})
	if err != nil {
		return fmt.Errorf("storage/bolt: create offer %q: %w", o.ID, err)
	}
	return nil
}

// GetOffer returns the offer by ID; ErrNotFound if there is none.
func (s *Store) GetOffer(ctx context.Context, id string) (storage.Offer, error) {
	var o storage.Offer
	err := s.view(ctx, func(tx *bbolt.Tx) (err error) {
		if o, err = readOffer(tx, []byte(id)); err != nil {
			return err
		}
		if j := tx.Bucket(bucketOfferJSON).Get([]byte(id)); j != nil {
			o.OfferJSON = clone(j)
		}
		return nil
	})
	if err != nil {
		return storage.Offer{}, fmt.Errorf("storage/bolt: offer %q: %w", id, err)
	}
	return o, nil
}

// GetOfferByCode returns the offer by code hash; ErrNotFound if none.
func (s *Store) GetOfferByCode(ctx context.Context, codeHash []byte) (storage.Offer, error) {
	var o storage.Offer
	err := s.view(ctx, func(tx *bbolt.Tx) (err error) {
		o, err = offerByCode(tx, codeHash)
		return err
	})
	if err != nil {
		return storage.Offer{}, fmt.Errorf("storage/bolt: offer by code: %w", err)
	}
	return o, nil
}

// GetOfferByIssuerState returns the offer by issuer_state hash; ErrNotFound
// if none.
func (s *Store) GetOfferByIssuerState(ctx context.Context, stateHash []byte) (storage.Offer, error) {
	var o storage.Offer
	err := s.view(ctx, func(tx *bbolt.Tx) (err error) {
		if len(stateHash) == 0 {
			return storage.ErrNotFound
		}
		id := tx.Bucket(bucketIssuerStates).Get(stateHash)
		if id == nil {
			return storage.ErrNotFound
		}
		o, err = readOffer(tx, id)
		return err
	})
	if err != nil {
		return storage.Offer{}, fmt.Errorf("storage/bolt: offer by issuer_state: %w", err)
	}
	return o, nil
}

// RecordTxCodeFailure counts one failed transaction-code attempt and locks
// the code once Failures reaches max. It returns the updated offer;
// ErrNotFound if there is none.
func (s *Store) RecordTxCodeFailure(ctx context.Context, codeHash []byte, max int) (storage.Offer, error) {
	var o storage.Offer
	err := s.update(ctx, func(tx *writeTx) (err error) {
		id, st, err := stateByCode(tx.Tx, codeHash)
		if err != nil {
			return err
		}
		st.Failures++
		if st.Failures >= max {
			st.Locked = true
		}
		if err := put(tx.Bucket(bucketOfferState), id, st); err != nil {
			return err
		}
		o, err = readOffer(tx.Tx, id)
		return err
	})
	if err != nil {
		return storage.Offer{}, fmt.Errorf("storage/bolt: record tx_code failure: %w", err)
	}
	return o, nil
}

// offerByCode reads the offer whose code hash is codeHash.
func offerByCode(tx *bbolt.Tx, codeHash []byte) (storage.Offer, error) {
	var o storage.Offer
	if len(codeHash) == 0 {
		return o, storage.ErrNotFound
	}
	id := tx.Bucket(bucketOfferCodes).Get(codeHash)
	if id == nil {
		return o, storage.ErrNotFound
	}
	return readOffer(tx, id)
}

// offerState is the part of an offer that changes after creation. It is
// kept apart from the offer's content (claims, configuration IDs, offer
// JSON) so that a redemption or a failed transaction code reads and writes
// a few dozen bytes instead of the whole offer.
type offerState struct {
	ExpiresAt    time.Time `json:"exp"`
	KeepUntil    time.Time `json:"keep"`
	Failures     int       `json:"failures,omitempty"`
	Locked       bool      `json:"locked,omitempty"`
	RedeemedAt   time.Time `json:"redeemed_at,omitzero"`
	RedeemedBy   string    `json:"redeemed_by,omitempty"`
	IssuedTokens []string  `json:"issued_tokens,omitempty"`
}

func stateOf(o storage.Offer) offerState {
	return offerState{
		ExpiresAt: o.ExpiresAt, KeepUntil: o.KeepUntil, Failures: o.Failures, Locked: o.Locked,
		RedeemedAt: o.RedeemedAt, RedeemedBy: o.RedeemedBy, IssuedTokens: o.IssuedTokens,
	}
}

// state returns the redemption state of the offer id.
func (st offerState) state(id string) storage.CodeState {
	return storage.CodeState{
		ID: id, ExpiresAt: st.ExpiresAt, KeepUntil: st.KeepUntil, Locked: st.Locked,
		RedeemedAt: st.RedeemedAt, RedeemedBy: st.RedeemedBy, IssuedTokens: st.IssuedTokens,
	}
}

// setState copies into st what a redemption changes.
func (st *offerState) setState(cs storage.CodeState) {
	st.RedeemedAt, st.RedeemedBy, st.IssuedTokens, st.KeepUntil = cs.RedeemedAt, cs.RedeemedBy, cs.IssuedTokens, cs.KeepUntil
}

// apply copies the state into o.
func (st offerState) apply(o *storage.Offer) {
	o.KeepUntil, o.Failures, o.Locked = st.KeepUntil, st.Failures, st.Locked
	o.RedeemedAt, o.RedeemedBy, o.IssuedTokens = st.RedeemedAt, st.RedeemedBy, st.IssuedTokens
}

// readOffer reads an offer's content and state.
func readOffer(tx *bbolt.Tx, id []byte) (storage.Offer, error) {
	var o storage.Offer
	var st offerState
	if err := get(tx.Bucket(bucketOffers), id, &o); err != nil {
		return o, err
	}
	if err := get(tx.Bucket(bucketOfferState), id, &st); err != nil {
		return o, err
	}
	st.apply(&o)
	return o, nil
}

// stateByCode reads the ID and state of the offer whose code hash is codeHash.
func stateByCode(tx *bbolt.Tx, codeHash []byte) ([]byte, offerState, error) {
	var st offerState
	if len(codeHash) == 0 {
		return nil, st, storage.ErrNotFound
	}
	id := tx.Bucket(bucketOfferCodes).Get(codeHash)
	if id == nil {
		return nil, st, storage.ErrNotFound
	}
	return id, st, get(tx.Bucket(bucketOfferState), id, &st)
}

// Redeem consumes a pre-authorized code, exactly as documented on
// storage.Store: replay key, then unknown, then the rules of
// storage.PlanRedeem (locked, consumed, expired). r.Now must be set, and a
// replay key needs an expiry after it.
func (s *Store) Redeem(ctx context.Context, r storage.Redemption) error {
	if err := storage.CheckWrite(r.Now, r.ReplayKey, r.ReplayExpiry); err != nil {
		return fmt.Errorf("storage/bolt: redeem: %w", err)
	}
	tokens, err := encodeTokens(r.Tokens)
	if err != nil {
		return err
	}
	err = s.update(ctx, func(w *writeTx) error {
		return redeem(w, r, tokens)
	})
	if err != nil {
		return fmt.Errorf("storage/bolt: redeem: %w", err)
	}
	return nil
}

// redeem is the transaction of Redeem. It decides before it writes.
func redeem(w *writeTx, r storage.Redemption, tokens [][]byte) error {
	if len(r.ReplayKey) > 0 && w.replayLive(r.ReplayKey, r.Now) {
		return storage.ErrAlreadyExists
	}
	id, st, err := stateByCode(w.Tx, r.CodeHash)
	if err != nil {
		return err
	}
	p := storage.PlanRedeem(st.state(string(id)), r)
	if err := applyRedeem(w, p, r, tokens); err != nil {
		return err
	}
	keep := st.KeepUntil
	st.setState(p.Code)
	if err := put(w.Bucket(bucketOfferState), id, st); err != nil {
		return err
	}
	return moveIndex(w.Bucket(bucketOffersExp), id, keep, st.KeepUntil)
}

// applyRedeem carries out what a redemption plan does beyond the code's
// own record: it records the replay key, revokes (ErrConsumed) or stores
// the tokens (nil). It returns p.Err, or the error of a write; on nil the
// caller stores p.Code (and p.Offer).
func applyRedeem(w *writeTx, p storage.RedeemPlan, r storage.Redemption, tokens [][]byte) error {
	if !p.Write {
		return p.Err
	}
	if len(r.ReplayKey) > 0 {
		if err := w.putReplay(r.ReplayKey, r.ReplayExpiry); err != nil {
			return err
		}
	}
	if p.Revoke != nil {
		if err := revokeGrantOf(w.Tx, p.Revoke.GrantID, p.Revoke.Tokens); err != nil {
			return err
		}
	}
	if p.Err != nil {
		return p.Err
	}
	for i, t := range r.Tokens {
		if err := putToken(w.Tx, t, tokens[i]); err != nil {
			return err
		}
	}
	return nil
}
