package resource

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"issuer/issuer/oauth"
	"issuer/storage"
)

// UserInfo answers the UserInfo endpoint (OpenID Connect Core §5.3) for an
// access token of an OpenID grant, checked by [Server.Access] at the
// UserInfo URL.
func (s *Server) UserInfo(ctx context.Context, req AccessRequest) (map[string]any, error) {
	rec, err := s.Access(ctx, req, s.cfg.UserInfoURL)
	if err != nil {
		return nil, err
	}
	if !oauth.HasScope(rec.Scope, oauth.ScopeOpenID) {
		return nil, oauth.New(http.StatusForbidden, oauth.CodeInsufficientScope, "the access token has no openid scope").
			WithChallenge(&oauth.Challenge{Scheme: oauth.SchemeDPoP, Code: oauth.CodeInsufficientScope, Scope: oauth.ScopeOpenID})
	}
	user, err := s.store.GetUserByID(ctx, rec.Subject)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, s.errToken(oauth.SchemeDPoP, oauth.CodeInvalidToken, "the user of the access token no longer exists")
	} else if err != nil {
		return nil, oauth.ErrServer(err)
	}
	out := map[string]any{}
	if len(user.Claims) > 0 {
		if err := json.Unmarshal(user.Claims, &out); err != nil {
			return nil, oauth.ErrServer(err)
		}
	}
	out["sub"] = user.ID
	return out, nil
}
