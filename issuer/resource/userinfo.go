package resource

import (
	"context"
	"crypto/subtle"
	"crypto/x509"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"issuer/issuer/clientauth"
	"issuer/issuer/oauth"
	"issuer/storage"
)

// UserInfoRequest is a request to the UserInfo endpoint: the method, the
// Authorization headers and the DPoP headers.
type UserInfoRequest struct {
	Method        string
	Authorization []string
	DPoP          []string
	// Certs is the client certificate chain of the request (leaf first),
	// for tokens bound to a certificate (RFC 8705 §3).
	Certs []*x509.Certificate
}

// errToken is a resource-server error (RFC 6750 §3, RFC 9449 §7.1): 401
// with a WWW-Authenticate challenge of the scheme the token needs.
func (s *Server) errToken(scheme, code, format string, args ...any) *oauth.Error {
	e := oauth.New(http.StatusUnauthorized, code, format, args...)
	ch := &oauth.Challenge{Scheme: scheme}
	if code != "" {
		ch.Code, ch.Description = code, e.Description
	} else {
		e.Code = oauth.CodeInvalidRequest // no token at all: the challenge has no error (RFC 6750 §3.1)
	}
	if scheme == oauth.SchemeDPoP {
		ch.Algs = s.proofs.Algs()
	}
	return e.WithChallenge(ch)
}

// tokenScheme is the scheme a token is used with.
func tokenScheme(rec storage.Token) string {
	if rec.JKT != "" {
		return oauth.SchemeDPoP
	}
	return oauth.SchemeBearer
}

// UserInfo answers the UserInfo endpoint (OpenID Connect Core §5.3) for an
// access token of an OpenID grant: DPoP-bound tokens need a proof with ath
// whose key matches cnf.jkt (RFC 9449 §7); Bearer is accepted only for
// tokens that are not bound.
func (s *Server) UserInfo(ctx context.Context, req UserInfoRequest) (map[string]any, error) {
	now := s.cfg.Now()
	if len(req.Authorization) == 0 {
		return nil, s.errToken(oauth.SchemeDPoP, "", "the request has no access token")
	}
	if len(req.Authorization) > 1 {
		return nil, oauth.ErrInvalidRequest("the request has more than one Authorization header")
	}
	scheme, tok, _ := strings.Cut(req.Authorization[0], " ")
	tok = strings.TrimSpace(tok)
	if !strings.EqualFold(scheme, oauth.SchemeDPoP) && !strings.EqualFold(scheme, oauth.SchemeBearer) || tok == "" {
		return nil, s.errToken(oauth.SchemeDPoP, oauth.CodeInvalidToken, "the Authorization header must be DPoP <token>")
	}
	claims, err := s.mint.VerifyAccess(tok)
	if err != nil {
		return nil, s.errToken(oauth.SchemeDPoP, oauth.CodeInvalidToken, "the access token is not valid")
	}
	rec, err := s.store.GetToken(ctx, claims.Jti)
	switch {
	case errors.Is(err, storage.ErrNotFound) || err == nil && (rec.Revoked || now.After(rec.ExpiresAt)):
		return nil, s.errToken(oauth.SchemeDPoP, oauth.CodeInvalidToken, "the access token has expired or was revoked")
	case err != nil:
		return nil, oauth.ErrServer(err)
	}
	if err := s.checkTokenBinding(ctx, req, scheme, tok, rec); err != nil {
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

// checkTokenBinding checks the proof of possession of a bound token.
func (s *Server) checkTokenBinding(ctx context.Context, req UserInfoRequest, scheme, tok string, rec storage.Token) error {
	now := s.cfg.Now()
	if rec.X5T != "" && (len(req.Certs) == 0 || subtle.ConstantTimeCompare([]byte(clientauth.CertThumbprint(req.Certs[0])), []byte(rec.X5T)) != 1) {
		return s.errToken(tokenScheme(rec), oauth.CodeInvalidToken, "the access token is bound to a client certificate that the request does not present")
	}
	switch {
	case rec.JKT == "" && strings.EqualFold(scheme, oauth.SchemeBearer):
		return nil
	case rec.JKT == "":
		return s.errToken(oauth.SchemeBearer, oauth.CodeInvalidToken, "the access token is not DPoP-bound: use the Bearer scheme")
	case strings.EqualFold(scheme, oauth.SchemeBearer):
		return s.errToken(oauth.SchemeDPoP, oauth.CodeInvalidToken, "the access token is DPoP-bound: use the DPoP scheme with a proof")
	case len(req.DPoP) == 0:
		return s.errToken(oauth.SchemeDPoP, oauth.CodeInvalidToken, "the request has no DPoP proof")
	case len(req.DPoP) > 1:
		return s.errToken(oauth.SchemeDPoP, oauth.CodeInvalidDPoPProof, "the request has more than one DPoP header")
	}
	proof, err := s.proofs.Verify(ctx, req.DPoP[0], req.Method, s.cfg.UserInfoURL, now, tok)
	var e *oauth.Error
	switch {
	case errors.As(err, &e) && e.Code == oauth.CodeUseDPoPNonce:
		return s.errToken(oauth.SchemeDPoP, oauth.CodeUseDPoPNonce, "%s", e.Description).WithDPoPNonce(s.proofs.Nonce())
	case errors.As(err, &e) && e.Code == oauth.CodeInvalidDPoPProof:
		return s.errToken(oauth.SchemeDPoP, oauth.CodeInvalidDPoPProof, "%s", e.Description)
	case err != nil:
		return err
	case proof.JKT != rec.JKT:
		return s.errToken(oauth.SchemeDPoP, oauth.CodeInvalidToken, "the DPoP proof's key is not the key the access token is bound to")
	}
	if err := s.store.UseReplayKey(ctx, proof.ReplayKey, proof.ReplayExpiry, now); errors.Is(err, storage.ErrAlreadyExists) {
		return s.errToken(oauth.SchemeDPoP, oauth.CodeInvalidDPoPProof, "the DPoP proof was used before (jti replay)")
	} else if err != nil {
		return oauth.ErrServer(err)
	}
	return nil
}
