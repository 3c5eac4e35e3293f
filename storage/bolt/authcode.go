package bolt

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"issuer/storage"
)

// CreateAuthSession stores a and its expiry index entry.
func (s *Store) CreateAuthSession(ctx context.Context, a storage.AuthSession) error {
	return s.insertExpiring(ctx, "auth session", bucketSessions, bucketSessionsExp, a.ID, a.ExpiresAt, a)
}

// UpdateAuthSession applies update to a live session in one transaction.
func (s *Store) UpdateAuthSession(ctx context.Context, id string, now time.Time, update func(*storage.AuthSession) error) (storage.AuthSession, error) {
	var out storage.AuthSession
	err := s.update(ctx, func(tx *writeTx) error {
		b := tx.Bucket(bucketSessions)
		var a storage.AuthSession
		if err := get(b, []byte(id), &a); err != nil {
			return err
		}
		if now.After(a.ExpiresAt) {
			return storage.ErrNotFound
		}
		old := a.ExpiresAt
		if err := update(&a); err != nil {
			return err
		}
		if err := put(b, []byte(id), a); err != nil {
			return err
		}
		out = a
		return moveIndex(tx.Bucket(bucketSessionsExp), []byte(id), old, a.ExpiresAt)
	})
	if err != nil {
		return storage.AuthSession{}, fmt.Errorf("storage/bolt: update auth session: %w", err)
	}
	return out, nil
}

// deleteSession deletes the auth session of an expired index entry.
func deleteSession(tx *writeTx, entry []byte) (bool, error) {
	b, id := tx.Bucket(bucketSessions), entry[timeKeyLen:]
	if b.Get(id) == nil {
		return false, nil
	}
	return true, b.Delete(id)
}

// CreateAuthCode stores c and its keep index entry.
func (s *Store) CreateAuthCode(ctx context.Context, c storage.AuthCode) error {
	if c.KeepUntil.IsZero() {
		c.KeepUntil = c.ExpiresAt
	}
	return s.insertExpiring(ctx, "authorization code", bucketAuthCodes, bucketAuthCodesExp, c.ID, c.KeepUntil, c)
}

// insertExpiring stores v under id in bucket, with the entry exp||id in the
// expiry index the sweeper reads; ErrAlreadyExists if id is taken.
func (s *Store) insertExpiring(ctx context.Context, what string, bucket, index []byte, id string, exp time.Time, v any) error {
	if err := checkKey(what+" ID", []byte(id)); err != nil {
		return err
	}
	data, err := encode(v)
	if err != nil {
		return err
	}
	err = s.update(ctx, func(tx *writeTx) error {
		b, key := tx.Bucket(bucket), []byte(id)
		if b.Get(key) != nil {
			return storage.ErrAlreadyExists
		}
		if err := b.Put(key, data); err != nil {
			return err
		}
		return tx.Bucket(index).Put(indexKey(exp, key), empty)
	})
	if err != nil {
		return fmt.Errorf("storage/bolt: create %s: %w", what, err)
	}
	return nil
}

// GetAuthCode returns the code by ID; ErrNotFound if there is none.
func (s *Store) GetAuthCode(ctx context.Context, id string) (storage.AuthCode, error) {
	var c storage.AuthCode
	err := s.view(ctx, func(tx *bbolt.Tx) error { return get(tx.Bucket(bucketAuthCodes), []byte(id), &c) })
	if err != nil {
		return storage.AuthCode{}, fmt.Errorf("storage/bolt: authorization code: %w", err)
	}
	return c, nil
}

// RedeemAuthCode consumes an authorization code, as documented on
// storage.Store.
func (s *Store) RedeemAuthCode(ctx context.Context, r storage.Redemption) error {
	if err := storage.CheckWrite(r.Now, r.ReplayKey, r.ReplayExpiry); err != nil {
		return fmt.Errorf("storage/bolt: redeem authorization code: %w", err)
	}
	tokens, err := encodeTokens(r.Tokens)
	if err != nil {
		return err
	}
	err = s.update(ctx, func(w *writeTx) error {
		return redeemAuthCode(w, r, tokens)
	})
	if err != nil {
		return fmt.Errorf("storage/bolt: redeem authorization code: %w", err)
	}
	return nil
}

// redeemAuthCode is the transaction of RedeemAuthCode. It decides before
// it writes.
func redeemAuthCode(w *writeTx, r storage.Redemption, tokens [][]byte) error {
	if len(r.ReplayKey) > 0 && w.replayLive(r.ReplayKey, r.Now) {
		return storage.ErrAlreadyExists
	}
	b, id := w.Bucket(bucketAuthCodes), []byte(r.CodeID)
	var c storage.AuthCode
	if err := get(b, id, &c); err != nil {
		return err
	}
	var offer *storage.CodeState
	var offerSt offerState
	if r.OfferID != "" {
		switch err := get(w.Bucket(bucketOfferState), []byte(r.OfferID), &offerSt); {
		case err == nil:
			st := offerSt.state(r.OfferID)
			offer = &st
		case !errors.Is(err, storage.ErrNotFound):
			return err
		}
	}
	p := storage.PlanRedeemAuthCode(c.State(), offer, r)
	if err := applyRedeem(w, p, r, tokens); err != nil {
		return err
	}
	keep := c.KeepUntil
	c.SetState(p.Code)
	if err := put(b, id, c); err != nil {
		return err
	}
	if p.Offer != nil {
		offerKeep := offerSt.KeepUntil
		offerSt.setState(*p.Offer)
		if err := put(w.Bucket(bucketOfferState), []byte(r.OfferID), offerSt); err != nil {
			return err
		}
		if err := moveIndex(w.Bucket(bucketOffersExp), []byte(r.OfferID), offerKeep, offerSt.KeepUntil); err != nil {
			return err
		}
	}
	return moveIndex(w.Bucket(bucketAuthCodesExp), id, keep, c.KeepUntil)
}

// deleteAuthCode deletes the authorization code of an expired index entry.
func deleteAuthCode(tx *writeTx, entry []byte) (bool, error) {
	b, id := tx.Bucket(bucketAuthCodes), entry[timeKeyLen:]
	if b.Get(id) == nil {
		return false, nil
	}
	return true, b.Delete(id)
}
