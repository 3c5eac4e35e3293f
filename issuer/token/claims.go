package token

import (
	"encoding/json"

	"issuer/issuer/oauth"
	"issuer/storage"
)

// Kinds of token records.
const (
	KindAccess  = "access_token"
	KindRefresh = "refresh_token"
)

// Response is the successful token response (RFC 6749 §5.1,
// OpenID4VCI 1.0 §6.2).
type Response struct {
	AccessToken          string                      `json:"access_token"`
	TokenType            string                      `json:"token_type"`
	ExpiresIn            int64                       `json:"expires_in"`
	Scope                string                      `json:"scope,omitempty"`
	RefreshToken         string                      `json:"refresh_token,omitempty"`
	IDToken              string                      `json:"id_token,omitempty"`
	Upgraded             *bool                       `json:"upgraded,omitempty"`
	CNonce               string                      `json:"c_nonce,omitempty"`
	CNonceExpiresIn      int64                       `json:"c_nonce_expires_in,omitempty"`
	AuthorizationDetails []oauth.AuthorizationDetail `json:"authorization_details,omitempty"`
}

// AccessClaims are the claims of a JWT access token (RFC 9068 §2.2).
type AccessClaims struct {
	Iss                  string                  `json:"iss"`
	Sub                  string                  `json:"sub"`
	Aud                  string                  `json:"aud"`
	ClientID             string                  `json:"client_id,omitempty"`
	Scope                string                  `json:"scope,omitempty"`
	Iat                  int64                   `json:"iat"`
	Exp                  int64                   `json:"exp"`
	Jti                  string                  `json:"jti"`
	Permissions          []storage.UMAPermission `json:"permissions,omitempty"`
	Cnf                  *Cnf                    `json:"cnf,omitempty"`
	AuthorizationDetails json.RawMessage         `json:"authorization_details,omitempty"`
}

// Cnf is the confirmation claim of a bound token (RFC 9449 §6, RFC 8705
// §3.1).
type Cnf struct {
	JKT string `json:"jkt,omitempty"`
	X5T string `json:"x5t#S256,omitempty"` // RFC 8705 §3.1
}

// Confirmation is the cnf of an access token record, nil for an unbound
// token.
func Confirmation(rec storage.Token) *Cnf {
	if rec.JKT == "" && rec.X5T == "" {
		return nil
	}
	return &Cnf{JKT: rec.JKT, X5T: rec.X5T}
}

// idClaims are the claims of an ID token (OpenID Connect Core §2).
type idClaims struct {
	Iss      string `json:"iss"`
	Sub      string `json:"sub"`
	Aud      string `json:"aud"`
	Exp      int64  `json:"exp"`
	Iat      int64  `json:"iat"`
	AuthTime int64  `json:"auth_time"`
	Nonce    string `json:"nonce,omitempty"`
	AtHash   string `json:"at_hash"`
	Azp      string `json:"azp"`
}
