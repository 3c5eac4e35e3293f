package token

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"time"

	"issuer/issuer/oauth"
	"issuer/storage"
)

// RefreshID is the record ID of a refresh token: a hash of it, so that the
// database never holds a usable refresh token.
func RefreshID(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return "rt-" + base64.RawURLEncoding.EncodeToString(sum[:])
}

// NewRefresh returns a new opaque refresh token and its record (see
// [RefreshRecord]).
func NewRefresh(a Grant, public bool, b oauth.Binding, now, expires time.Time) (string, storage.Token, error) {
	tok := Random()
	rec, err := RefreshRecord(tok, a, public, b, now, expires)
	return tok, rec, err
}

// RefreshRecord returns the record of the refresh token tok. A public
// client's token is bound to b's DPoP key; a confidential client's token
// to the client only (RFC 9449 §5); an attested client's token to b's
// wallet instance (attestation-based client auth -07 §10.3).
func RefreshRecord(tok string, a Grant, public bool, b oauth.Binding, now, expires time.Time) (storage.Token, error) {
	rec := storage.Token{
		ID: RefreshID(tok), Kind: KindRefresh, ClientID: a.ClientID, Subject: a.Subject, Scope: a.Scope,
		GrantID: a.GrantID, IssuedAt: now.UTC(), ExpiresAt: expires.UTC(), AuthTime: a.AuthTime,
		AttestationJKT: b.Instance,
	}
	if public {
		rec.JKT = b.JKT
	}
	if len(a.Details) > 0 {
		var err error
		if rec.AuthorizationDetails, err = json.Marshal(a.Details); err != nil {
			return rec, oauth.ErrServer(err)
		}
	}
	return rec, nil
}
