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
}
