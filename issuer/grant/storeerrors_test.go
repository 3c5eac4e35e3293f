package grant

import (
	"errors"
	"fmt"
	"testing"

	"issuer/issuer/oauth"
	"issuer/storage"
)

// TestRedeemError checks the one storage → OAuth mapping of the grants:
// wrapped sentinels map to invalid_grant with the artifact's words, a
// recorded jti to invalid_dpop_proof, the unexpected to server_error.
func TestRedeemError(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("store: %w", err) }
	for _, tc := range []struct {
		name     string
		err      error
		answers  redeemAnswers
		code     string
		wantDesc string
	}{
		{"pre-authorized locked", wrap(storage.ErrLocked), preAuthorizedAnswers, oauth.CodeInvalidGrant, "the pre-authorized code was invalidated after too many wrong transaction codes"},
		{"pre-authorized replay", wrap(storage.ErrAlreadyExists), preAuthorizedAnswers, oauth.CodeInvalidDPoPProof, "the DPoP proof was used before (jti replay)"},
		{"pre-authorized revoked", wrap(storage.ErrRevoked), preAuthorizedAnswers, oauth.CodeServerError, "internal server error"},
		{"code offer used", storage.ErrOfferUsed, authCodeAnswers, oauth.CodeInvalidGrant, "the credential offer of the authorization request was already used, or has expired"},
		{"refresh revoked", storage.ErrRevoked, refreshAnswers, oauth.CodeInvalidGrant, "the refresh token is not valid"},
		{"refresh rotated", storage.ErrRotated, refreshAnswers, oauth.CodeInvalidGrant, "the refresh token was replaced by rotation"},
		{"ticket used", storage.ErrConsumed, umaTicketAnswers, oauth.CodeInvalidGrant, "the permission ticket has been used"},
		{"other", errors.New("disk"), umaTicketAnswers, oauth.CodeServerError, "internal server error"},
	} {
		var e *oauth.Error
		if !errors.As(redeemError(tc.err, tc.answers), &e) || e.Code != tc.code || e.Description != tc.wantDesc {
			t.Errorf("%s: got %v; want %s: %s", tc.name, e, tc.code, tc.wantDesc)
		}
	}
}
