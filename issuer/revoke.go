package issuer

import (
	"context"
	"encoding/json"
	"errors"

	"issuer/storage"
)

// Introspection is the RFC 7662 §2.2 response. An inactive token gets
// {"active":false} and nothing else.
type Introspection struct {
	Active               bool            `json:"active"`
	Scope                string          `json:"scope,omitempty"`
	ClientID             string          `json:"client_id,omitempty"`
	TokenType            string          `json:"token_type,omitempty"`
	Exp                  int64           `json:"exp,omitempty"`
	Iat                  int64           `json:"iat,omitempty"`
	Sub                  string          `json:"sub,omitempty"`
	Aud                  string          `json:"aud,omitempty"`
	Iss                  string          `json:"iss,omitempty"`
	Jti                  string          `json:"jti,omitempty"`
	Cnf                  *confirmation   `json:"cnf,omitempty"`
	AuthorizationDetails json.RawMessage `json:"authorization_details,omitempty"`
}

// findToken returns the claims and record of a token this server issued;
// found is false for anything else (malformed, forged, unknown, swept).
func (s *Service) findToken(ctx context.Context, tok string) (accessClaims, storage.Token, bool, error) {
	claims, err := s.signer.verifyAccessToken(tok)
	if err != nil {
		return claims, storage.Token{}, false, nil
	}
	rec, err := s.store.GetToken(ctx, claims.Jti)
	if errors.Is(err, storage.ErrNotFound) {
		return claims, rec, false, nil
	} else if err != nil {
		return claims, rec, false, ErrServer(err)
	}
	return claims, rec, true, nil
}

// Revoke is the RFC 7009 revocation endpoint. It answers success for any
// token it cannot or need not revoke, so that it is no oracle (§2.2). A
// client's token is revoked only by that client, authenticated; another
// client's request is a silent no-op (checklist §7 item 13) and leaves the
// token active. An anonymous wallet's token has no client to authenticate:
// presenting the token itself is enough.
func (s *Service) Revoke(ctx context.Context, req ClientRequest) error {
	tok := req.Params["token"]
	if tok == "" {
		return ErrInvalidRequest("the parameter token is missing")
	}
	client, err := s.authenticateClient(ctx, req)
	if err != nil {
		return err
	}
	_, rec, found, err := s.findToken(ctx, tok)
	if err != nil || !found || rec.Revoked {
		return err
	}
	switch {
	case rec.ClientID != "" && client == nil:
		return ErrInvalidClient(basicChallenge, "client authentication is required to revoke this token")
	case rec.ClientID != "" && client.ID != rec.ClientID, rec.ClientID == "" && client != nil:
		s.log.InfoContext(ctx, "revocation of another client's token ignored", "token_id", rec.ID)
		return nil
	}
	if err := s.store.RevokeTokens(ctx, []string{rec.ID}); err != nil {
		return ErrServer(err)
	}
	s.log.InfoContext(ctx, "token revoked", "token_id", rec.ID)
	return nil
}

// Introspect is the RFC 7662 introspection endpoint, for resource servers
// that authenticate as confidential clients. DPoP-bound tokens are reported
// with token_type DPoP and cnf.jkt (RFC 9449 §6.2); no proof is needed here.
func (s *Service) Introspect(ctx context.Context, req ClientRequest) (Introspection, error) {
	tok := req.Params["token"]
	if tok == "" {
		return Introspection{}, ErrInvalidRequest("the parameter token is missing")
	}
	client, err := s.authenticateClient(ctx, req)
	if err != nil {
		return Introspection{}, err
	}
	if client == nil || client.AuthMethod == AuthNone {
		return Introspection{}, ErrInvalidClient(basicChallenge, "introspection requires a client that authenticates with a secret")
	}
	claims, rec, found, err := s.findToken(ctx, tok)
	if err != nil || !found || rec.Revoked || s.cfg.Now().Unix() >= claims.Exp {
		return Introspection{}, err
	}
	out := Introspection{
		Active: true, Scope: claims.Scope, ClientID: claims.ClientID, TokenType: "Bearer", Exp: claims.Exp, Iat: claims.Iat,
		Sub: claims.Sub, Aud: claims.Aud, Iss: claims.Iss, Jti: claims.Jti, Cnf: claims.Cnf,
		AuthorizationDetails: claims.AuthorizationDetails,
	}
	if claims.Cnf != nil {
		out.TokenType = "DPoP"
	}
	return out, nil
}
