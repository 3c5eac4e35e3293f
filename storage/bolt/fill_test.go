package bolt

import (
	"crypto/sha256"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.etcd.io/bbolt"

	"issuer/storage"
)

// TestAppendBucketsFillPages: offers created in ID order fill the leaf
// pages of their buckets to 75-90%, not bbolt's default 50%.
func TestAppendBucketsFillPages(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "fill.db"), Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Now()
	for i := range 3000 {
		id, _ := uuid.NewV7()
		sum := sha256.Sum256(id[:])
		o := storage.Offer{
			ID: id.String(), CodeHash: sum[:], Subject: "alice", ConfigurationIDs: []string{"pid"},
			CredentialIdentifiers: []string{"c"}, OfferJSON: []byte(`{"credential_issuer":"https://issuer.example"}`),
			CreatedAt: now, ExpiresAt: now.Add(time.Hour + time.Duration(i)*time.Millisecond),
		}
		if err := s.CreateOffer(t.Context(), o); err != nil {
			t.Fatal(err)
		}
	}
	err = s.db.View(func(tx *bbolt.Tx) error {
		for _, name := range [][]byte{bucketOffers, bucketOfferState, bucketOfferJSON, bucketOffersExp} {
			st := tx.Bucket(name).Stats()
			fill := float64(st.LeafInuse) / float64(st.LeafAlloc)
			t.Logf("%s %.2f pages %d", name, fill, st.LeafPageN)
			if fill < 0.7 {
				t.Errorf("bucket %s: leaf pages %.0f%% full; want at least 70%% (bbolt's default split gives ~50%%)", name, 100*fill)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
