package postgres_test

import (
	"crypto/sha256"
	"testing"
	"time"

	"github.com/google/uuid"

	"issuer/storage"
)

// newOffer stores an offer valid for an hour and returns it.
func newOffer(t testing.TB, s storage.Store) storage.Offer {
	t.Helper()
	id := uuid.NewString()
	h := sha256.Sum256([]byte(id))
	now := time.Now()
	o := storage.Offer{ID: id, CodeHash: h[:], Subject: "alice", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := s.CreateOffer(t.Context(), o); err != nil {
		t.Fatal(err)
	}
	return o
}

// redemption redeems o now with a fresh replay key and one token.
func redemption(o storage.Offer) storage.Redemption {
	now := time.Now()
	return storage.Redemption{
		CodeHash: o.CodeHash, Now: now, ReplayKey: []byte(uuid.NewString()), ReplayExpiry: now.Add(time.Minute),
		Tokens: []storage.Token{{ID: uuid.NewString(), Kind: "access_token", GrantID: o.ID, IssuedAt: now, ExpiresAt: now.Add(time.Hour)}},
	}
}
