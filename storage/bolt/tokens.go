package bolt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.etcd.io/bbolt"

	"issuer/storage"
)

// GetToken returns a token record; ErrNotFound if none.
func (s *Store) GetToken(ctx context.Context, id string) (storage.Token, error) {
	var t storage.Token
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		return get(tx.Bucket(bucketTokens), []byte(id), &t)
	})
	if err != nil {
		return storage.Token{}, fmt.Errorf("storage/bolt: token %q: %w", id, err)
	}
	return t, nil
}

// IssueTokens stores tokens issued without a code, with the replay key, in
// one transaction.
func (s *Store) IssueTokens(ctx context.Context, r storage.Issuance) error {
	if err := storage.CheckWrite(r.Now, r.ReplayKey, r.ReplayExpiry); err != nil {
		return fmt.Errorf("storage/bolt: issue tokens: %w", err)
	}
	data, err := encodeTokens(r.Tokens)
	if err != nil {
		return err
	}
	err = s.update(ctx, func(w *writeTx) error {
		if len(r.ReplayKey) > 0 {
			if w.replayLive(r.ReplayKey, r.Now) {
				return storage.ErrAlreadyExists
			}
			if err := w.putReplay(r.ReplayKey, r.ReplayExpiry); err != nil {
				return err
			}
		}
		for i, t := range r.Tokens {
			if err := putToken(w.Tx, t, data[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("storage/bolt: issue tokens: %w", err)
	}
	return nil
}

// RevokeTokens marks the tokens revoked; unknown IDs are skipped.
func (s *Store) RevokeTokens(ctx context.Context, ids []string) error {
	err := s.update(ctx, func(tx *writeTx) error {
		return revokeTokens(tx.Tx, ids)
	})
	if err != nil {
		return fmt.Errorf("storage/bolt: revoke tokens: %w", err)
	}
	return nil
}

// encodeTokens checks the token IDs and encodes the records, outside the
// transaction.
func encodeTokens(tokens []storage.Token) ([][]byte, error) {
	out := make([][]byte, len(tokens))
	for i, t := range tokens {
		if err := checkKey("token ID", []byte(t.ID)); err != nil {
			return nil, err
		}
		data, err := encode(t)
		if err != nil {
			return nil, err
		}
		out[i] = data
	}
	return out, nil
}

// putToken stores the encoded token t, keeping the expiry index right if
// a token with that ID existed.
func putToken(tx *bbolt.Tx, t storage.Token, data []byte) error {
	b, idx, id := tx.Bucket(bucketTokens), tx.Bucket(bucketTokensExp), []byte(t.ID)
	var old storage.Token
	switch err := get(b, id, &old); {
	case err == nil:
		if err := idx.Delete(indexKey(old.ExpiresAt, id)); err != nil {
			return err
		}
	case !errors.Is(err, storage.ErrNotFound):
		return err
	}
	if err := b.Put(id, data); err != nil {
		return err
	}
	if t.GrantID != "" {
		if err := tx.Bucket(bucketGrants).Put(grantKey(t.GrantID, t.ID), empty); err != nil {
			return err
		}
	}
	return idx.Put(indexKey(t.ExpiresAt, id), empty)
}

// grantKey is the grant index key of a token.
func grantKey(grantID, tokenID string) []byte {
	return append(append([]byte(grantID), 0), tokenID...)
}

// grantTokens returns the IDs of the tokens of a grant.
func grantTokens(tx *bbolt.Tx, grantID string) []string {
	prefix := append([]byte(grantID), 0)
	var ids []string
	c := tx.Bucket(bucketGrants).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		ids = append(ids, string(k[len(prefix):]))
	}
	return ids
}

// RevokeGrant marks every token of the grant revoked.
func (s *Store) RevokeGrant(ctx context.Context, grantID string) error {
	if err := checkKey("grant ID", []byte(grantID)); err != nil {
		return err
	}
	err := s.update(ctx, func(tx *writeTx) error {
		return revokeTokens(tx.Tx, grantTokens(tx.Tx, grantID))
	})
	if err != nil {
		return fmt.Errorf("storage/bolt: revoke grant: %w", err)
	}
	return nil
}

// UseRefreshToken uses a refresh token as documented on storage.Store.
func (s *Store) UseRefreshToken(ctx context.Context, u storage.RefreshUse) error {
	if err := storage.CheckRefreshUse(u); err != nil {
		return fmt.Errorf("storage/bolt: use refresh token: %w", err)
	}
	tokens := u.Tokens
	if u.Rotate {
		tokens = append(slices.Clip(tokens), *u.Successor)
	}
	data, err := encodeTokens(tokens)
	if err != nil {
		return err
	}
	err = s.update(ctx, func(w *writeTx) error {
		return useRefresh(w, u, data)
	})
	if err != nil {
		return fmt.Errorf("storage/bolt: use refresh token: %w", err)
	}
	return nil
}

// useRefresh is the transaction of UseRefreshToken; encoded holds u.Tokens
// and, when rotating, u.Successor last. It decides before it writes.
func useRefresh(w *writeTx, u storage.RefreshUse, encoded [][]byte) error {
	if len(u.ReplayKey) > 0 && w.replayLive(u.ReplayKey, u.Now) {
		return storage.ErrAlreadyExists
	}
	var rt storage.Token
	if err := get(w.Bucket(bucketTokens), []byte(u.TokenID), &rt); err != nil {
		return err
	}
	first, err := storage.UseRefresh(&rt, u)
	switch {
	case errors.Is(err, storage.ErrConsumed):
		if err := revokeTokens(w.Tx, grantTokens(w.Tx, rt.GrantID)); err != nil {
			return err
		}
		return recordThen(w, u, storage.ErrConsumed)
	case err != nil:
		return err
	}
	data, err := encode(rt)
	if err != nil {
		return err
	}
	if err := putToken(w.Tx, rt, data); err != nil {
		return err
	}
	for i, t := range u.Tokens {
		if err := putToken(w.Tx, t, encoded[i]); err != nil {
			return err
		}
	}
	if first {
		if err := putToken(w.Tx, *u.Successor, encoded[len(u.Tokens)]); err != nil {
			return err
		}
	}
	return recordThen(w, u, nil)
}

// recordThen records the use's replay key and returns result.
func recordThen(w *writeTx, u storage.RefreshUse, result error) error {
	if len(u.ReplayKey) > 0 {
		if err := w.putReplay(u.ReplayKey, u.ReplayExpiry); err != nil {
			return err
		}
	}
	return result
}

// revokeGrantOf revokes what a replayed code started: the tokens it
// issued and every token of its grant grantID (those refreshed since).
func revokeGrantOf(tx *bbolt.Tx, grantID string, issued []string) error {
	if err := revokeTokens(tx, issued); err != nil {
		return err
	}
	return revokeTokens(tx, grantTokens(tx, grantID))
}

// revokeTokens marks the tokens revoked; tokens already swept are skipped.
func revokeTokens(tx *bbolt.Tx, ids []string) error {
	b := tx.Bucket(bucketTokens)
	for _, id := range ids {
		var t storage.Token
		switch err := get(b, []byte(id), &t); {
		case errors.Is(err, storage.ErrNotFound), err == nil && t.Revoked:
			continue
		case err != nil:
			return err
		}
		t.Revoked = true
		if err := put(b, []byte(id), t); err != nil {
			return err
		}
	}
	return nil
}

// moveIndex moves key's entry in the expiry index idx from time from to
// time to.
func moveIndex(idx *bbolt.Bucket, key []byte, from, to time.Time) error {
	oldKey, newKey := indexKey(from, key), indexKey(to, key)
	if bytes.Equal(oldKey, newKey) {
		return nil
	}
	if err := idx.Delete(oldKey); err != nil {
		return err
	}
	return idx.Put(newKey, empty)
}
