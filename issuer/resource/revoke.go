package resource

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"time"

	"issuer/issuer/clientauth"
	"issuer/issuer/oauth"
	"issuer/issuer/token"
	"issuer/storage"
)

// Introspection is the RFC 7662 §2.2 response. An inactive token gets
// {"active":false} and nothing else.
type Introspection struct {
	Active               bool                    `json:"active"`
	Scope                string                  `json:"scope,omitempty"`
	ClientID             string                  `json:"client_id,omitempty"`
	TokenType            string                  `json:"token_type,omitempty"`
	Exp                  int64                   `json:"exp,omitempty"`
	Iat                  int64                   `json:"iat,omitempty"`
	Sub                  string                  `json:"sub,omitempty"`
	Aud                  string                  `json:"aud,omitempty"`
	Iss                  string                  `json:"iss,omitempty"`
	Jti                  string                  `json:"jti,omitempty"`
	Cnf                  *token.Cnf              `json:"cnf,omitempty"`
	AuthorizationDetails json.RawMessage         `json:"authorization_details,omitempty"`
	Permissions          []storage.UMAPermission `json:"permissions,omitempty"`
	// CredentialClaims are the claims of the token's subject for a
	// credential endpoint of the issuer's own (Config.CredentialClaims).
	CredentialClaims map[string]any `json:"credential_claims,omitempty"`
}

// Find returns the record of a token this server issued: an access
// token (a JWT it signed) or a refresh token (found by its hash); found is
// false for anything else (malformed, forged, unknown, swept).
func (s *Server) Find(ctx context.Context, tok string) (storage.Token, bool, error) {
	id := token.RefreshID(tok)
	if claims, err := s.mint.VerifyAccess(tok); err == nil {
		id = claims.Jti
	}
	rec, err := s.store.GetToken(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return rec, false, nil
	} else if err != nil {
		return rec, false, oauth.ErrServer(err)
	}
	return rec, true, nil
}

// Active reports whether a token record is usable at now.
func (s *Server) Active(rec storage.Token, now time.Time) bool {
	if rec.Kind == token.KindRefresh {
		return storage.CheckRefresh(rec, storage.RefreshUse{Now: now, IdleTimeout: s.cfg.RefreshIdleTTL, Grace: s.cfg.RefreshGrace}) == nil
	}
	return !rec.Revoked && now.Before(rec.ExpiresAt)
}

// lookup finds tok for client, counting unknown tokens against the client
// and refusing a client that has scanned too many.
func (s *Server) lookup(ctx context.Context, client *storage.Client, b oauth.Binding, tok string) (storage.Token, bool, error) {
	now := s.cfg.Now()
	if client != nil {
		if blocked, until := s.scans.Blocked(clientauth.LimiterKey(client, b), now); blocked {
			e := oauth.ErrInvalidRequest("too many unknown tokens; try again later").
				WithRetryAfter(until.Sub(now)).WithStatus(http.StatusTooManyRequests)
			return storage.Token{}, false, e
		}
	}
	rec, found, err := s.Find(ctx, tok)
	if err == nil && !found && client != nil {
		s.scans.Fail(clientauth.LimiterKey(client, b), now)
	}
	return rec, found, err
}

// Revoke is the RFC 7009 revocation endpoint. It answers success for any
// token it cannot or need not revoke, so that it is no oracle (§2.2). A
// client's token is revoked only by that client, authenticated; another
// client's request is a silent no-op (checklist §7 item 13) and leaves the
// token active. An anonymous wallet's token has no client to authenticate:
// presenting the token itself is enough.
func (s *Server) Revoke(ctx context.Context, req clientauth.Request) error {
	tok := req.Params["token"]
	if tok == "" {
		return oauth.ErrInvalidRequest("the parameter token is missing")
	}
	client, bind, err := s.auth.Authenticate(ctx, req)
	if err != nil {
		return err
	}
	rec, found, err := s.lookup(ctx, client, bind, tok)
	if err != nil || !found || rec.Revoked {
		return err
	}
	switch {
	case rec.ClientID != "" && client == nil:
		return oauth.ErrInvalidClient("client authentication is required to revoke this token").WithChallenge(clientauth.BasicChallenge())
	case rec.ClientID != "" && client.ID != rec.ClientID, rec.ClientID == "" && client != nil,
		rec.AttestationJKT != "" && bind.Instance != rec.AttestationJKT: // another instance of the wallet
		s.log.InfoContext(ctx, "revocation of another client's token ignored", "token_id", rec.ID)
		return nil
	}
	// Revoking a refresh token revokes its grant: the access tokens issued
	// from it too (RFC 7009 §2.1).
	if rec.Kind == token.KindRefresh && rec.GrantID != "" {
		err = s.store.RevokeGrant(ctx, rec.GrantID)
	} else {
		err = s.store.RevokeTokens(ctx, []string{rec.ID})
	}
	if err != nil {
		return oauth.ErrServer(err)
	}
	s.log.InfoContext(ctx, "token revoked", "token_id", rec.ID, "kind", rec.Kind)
	return nil
}

// Introspect is the RFC 7662 introspection endpoint, for resource servers
// that authenticate as confidential clients. DPoP-bound tokens are reported
// with token_type DPoP and cnf.jkt (RFC 9449 §6.2); no proof is needed here.
// Certificate-bound tokens carry cnf.x5t#S256 (RFC 8705 §3.2). With
// Config.CredentialClaims, an active access token's answer carries
// credential_claims too.
func (s *Server) Introspect(ctx context.Context, req clientauth.Request) (Introspection, error) {
	tok := req.Params["token"]
	if tok == "" {
		return Introspection{}, oauth.ErrInvalidRequest("the parameter token is missing")
	}
	client, bind, err := s.auth.Authenticate(ctx, req)
	if err != nil {
		return Introspection{}, err
	}
	if client == nil || client.AuthMethod == oauth.AuthNone {
		return Introspection{}, oauth.ErrInvalidClient("introspection requires a client that authenticates with a secret").WithChallenge(clientauth.BasicChallenge())
	}
	if client.AuthMethod == oauth.AuthAttestJWT { // every instance of a wallet shares its client_id
		return Introspection{}, oauth.ErrInvalidClient("introspection is for resource servers; a wallet attestation does not authenticate one")
	}
	rec, found, err := s.lookup(ctx, client, bind, tok)
	if err != nil || !found || !s.Active(rec, s.cfg.Now()) {
		return Introspection{}, err
	}
	out := Introspection{
		Active: true, Scope: rec.Scope, ClientID: rec.ClientID, Exp: rec.ExpiresAt.Unix(), Iat: rec.IssuedAt.Unix(),
		Sub: rec.Subject, Iss: s.cfg.URL, Jti: rec.ID, AuthorizationDetails: rec.AuthorizationDetails,
		Permissions: rec.Permissions,
	}
	if rec.Kind == token.KindRefresh {
		return out, nil
	}
	out.Aud, out.TokenType, out.Cnf = s.cfg.URL, "Bearer", token.Confirmation(rec)
	if rec.JKT != "" {
		out.TokenType = "DPoP"
	}
	if s.cfg.CredentialClaims != nil && slices.Contains(s.cfg.ClaimsClients, client.ID) {
		if out.CredentialClaims, err = s.cfg.CredentialClaims(ctx, rec); err != nil {
			return Introspection{}, err
		}
	}
	return out, nil
}
