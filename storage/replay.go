package storage

import (
	"context"
	"time"
)

// Replay records the replay keys of proofs (DPoP proofs, client
// assertions, attestation proofs of possession) checked on their own,
// outside a redemption or an issuance.
type Replay interface {
	// UseReplayKey records key until exp; ErrAlreadyExists if it is already
	// recorded and not yet expired at now.
	UseReplayKey(ctx context.Context, key []byte, exp, now time.Time) error
	// UseReplayKeys records every key in one transaction, all or nothing:
	// ErrAlreadyExists, and nothing recorded, if any is recorded and not
	// yet expired at now (or two of them are the same). A request with
	// several proofs (a batch of key proofs) spends them together, so that
	// one used proof does not burn the others.
	UseReplayKeys(ctx context.Context, keys []ReplayUse, now time.Time) error
}

// ReplayUse is one key for UseReplayKeys, recorded until Expiry.
type ReplayUse struct {
	Key    []byte
	Expiry time.Time
}

// DistinctReplayKeys reports whether keys holds no key twice (the stores'
// shared rule for UseReplayKeys) and none empty.
func DistinctReplayKeys(keys []ReplayUse) bool {
	seen := make(map[string]bool, len(keys))
	for _, k := range keys {
		if len(k.Key) == 0 || seen[string(k.Key)] {
			return false
		}
		seen[string(k.Key)] = true
	}
	return true
}
