package bolt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"issuer/storage"
)

// sweepChunk is the most expiry index entries one sweep transaction
// visits, so that a sweep holds the write lock only briefly.
const sweepChunk = 1000

// Sweep deletes the replay keys, tokens, offers, UMA tickets, auth
// sessions, authorization codes and credential records that have expired at now, in transactions of at most sweepChunk deletions, and returns how
// many records it deleted. On error, the count is of the chunks committed
// before it.
func (s *Store) Sweep(ctx context.Context, now time.Time) (int, error) {
	total := 0
	for {
		var n, visited int
		err := s.update(ctx, func(tx *writeTx) (err error) {
			n, visited, err = sweepChunkTx(tx, now, sweepChunk)
			return err
		})
		if err != nil {
			return total, fmt.Errorf("storage/bolt: sweep: %w", err)
		}
		total += n
		if visited < sweepChunk {
			s.log.Debug("storage swept", "deleted", total, "now", now)
			return total, nil
		}
	}
}

// sweepChunkTx deletes up to limit expired entries: replay keys first,
// then tokens, offers, UMA tickets, auth sessions and authorization
// codes. It returns the records deleted and the index
// entries visited.
func sweepChunkTx(tx *writeTx, now time.Time, limit int) (deleted, visited int, err error) {
	kinds := []struct {
		index []byte
		del   func(tx *writeTx, entry []byte) (bool, error)
	}{
		{bucketReplay, deleteReplay},
		{bucketTokensExp, deleteToken},
		{bucketOffersExp, deleteOffer},
		{bucketUMAExp, deleteTicket},
		{bucketSessionsExp, deleteSession},
		{bucketAuthCodesExp, deleteAuthCode},
		{bucketCredRecordsExp, deleteCredentialRecord},
	}
	for _, k := range kinds {
		idx := tx.Bucket(k.index)
		for _, entry := range expiredEntries(idx, now, limit-visited) {
			visited++
			if err := idx.Delete(entry); err != nil {
				return deleted, visited, err
			}
			ok, err := k.del(tx, entry)
			if err != nil {
				return deleted, visited, err
			}
			if ok {
				deleted++
			}
		}
	}
	return deleted, visited, nil
}

// deleteToken deletes the token of an expired index entry.
func deleteToken(tx *writeTx, entry []byte) (bool, error) {
	b, id := tx.Bucket(bucketTokens), entry[timeKeyLen:]
	var t storage.Token
	switch err := get(b, id, &t); {
	case errors.Is(err, storage.ErrNotFound):
		return false, nil
	case err == nil && t.GrantID != "":
		if err := tx.Bucket(bucketGrants).Delete(grantKey(t.GrantID, t.ID)); err != nil {
			return false, err
		}
	}
	return true, b.Delete(id)
}

// deleteOffer deletes the offer of an expired index entry and its code
// index entry. An unreadable offer is deleted too (its code index entry
// then points nowhere, which reads as not found).
func deleteOffer(tx *writeTx, entry []byte) (bool, error) {
	b, id := tx.Bucket(bucketOffers), entry[timeKeyLen:]
	var o storage.Offer
	err := get(b, id, &o)
	if errors.Is(err, storage.ErrNotFound) {
		return false, nil
	}
	codes := tx.Bucket(bucketOfferCodes)
	if err == nil && bytes.Equal(codes.Get(o.CodeHash), id) {
		if err := codes.Delete(o.CodeHash); err != nil {
			return false, err
		}
	}
	states := tx.Bucket(bucketIssuerStates)
	if err == nil && len(o.IssuerStateHash) > 0 && bytes.Equal(states.Get(o.IssuerStateHash), id) {
		if err := states.Delete(o.IssuerStateHash); err != nil {
			return false, err
		}
	}
	if err := tx.Bucket(bucketOfferJSON).Delete(id); err != nil {
		return false, err
	}
	if err := tx.Bucket(bucketOfferState).Delete(id); err != nil {
		return false, err
	}
	return true, b.Delete(id)
}
