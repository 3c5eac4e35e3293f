package resource

import (
	"context"
	"crypto/subtle"
	"crypto/x509"
	"errors"
	"net/http"
	"strings"

	"issuer/issuer/clientauth"
	"issuer/issuer/oauth"
	"issuer/issuer/token"
	"issuer/storage"
)

// AccessRequest is a request to a protected resource of this server
// (UserInfo, the credential endpoint): the method, the Authorization and
// DPoP header lines, and the client certificate.
type AccessRequest struct {
	Method        string
	Authorization []string
	DPoP          []string
	// Certs is the client certificate chain of the request (leaf first),
	// for tokens bound to a certificate (RFC 8705 §3).
	Certs []*x509.Certificate
	// TokenElsewhere reports an access_token in the query or in a form
	// body (RFC 6750 §2.2, §2.3). Those are never accepted: alone, the
	// request counts as one without a token; next to an Authorization
	// header, it is ambiguous (400 invalid_request).
	TokenElsewhere bool
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

// Access checks the access token of a request to the resource at htu (its
// URL, the htu of the DPoP proof) and returns the token's record: the
// scheme, the signature, expiry and audience (token.Minter.VerifyAccess),
// the store (revoked, expired, swept; its client deleted), and the proof of possession (the
// client certificate of a certificate-bound token; for a DPoP-bound token
// a DPoP proof with ath, of its key, with the resource server's nonce when
// nonces are on, used once). Bearer is accepted only for tokens that are
// not DPoP-bound (RFC 9449 §7.2). Failures are RFC 6750 §3 errors with a
// challenge.
func (s *Server) Access(ctx context.Context, req AccessRequest, htu string) (storage.Token, error) {
	scheme, tok, err := s.presentedToken(req)
	if err != nil {
		return storage.Token{}, err
	}
	claims, err := s.mint.VerifyAccess(tok)
	if err != nil {
		return storage.Token{}, s.errToken(oauth.SchemeDPoP, oauth.CodeInvalidToken, "the access token is not valid")
	}
	rec, err := s.store.GetToken(ctx, claims.Jti)
	switch {
	case errors.Is(err, storage.ErrNotFound) || err == nil && (rec.Revoked || rec.Kind != token.KindAccess || s.cfg.Now().After(rec.ExpiresAt)):
		return storage.Token{}, s.errToken(oauth.SchemeDPoP, oauth.CodeInvalidToken, "the access token has expired or was revoked")
	case err != nil:
		return storage.Token{}, oauth.ErrServer(err)
	}
	if rec.ClientID != "" {
		if _, err := s.store.GetClient(ctx, rec.ClientID); errors.Is(err, storage.ErrNotFound) {
			return storage.Token{}, s.errToken(tokenScheme(rec), oauth.CodeInvalidToken, "the client of the access token no longer exists")
		} else if err != nil {
			return storage.Token{}, oauth.ErrServer(err)
		}
	}
	if err := s.checkTokenBinding(ctx, req, htu, scheme, tok, rec); err != nil {
		return storage.Token{}, err
	}
	return rec, nil
}

// presentedToken reads the one Authorization header: its scheme (DPoP or
// Bearer, case-insensitive) and the token.
func (s *Server) presentedToken(req AccessRequest) (scheme, tok string, err error) {
	switch {
	case len(req.Authorization) > 1:
		return "", "", oauth.ErrInvalidRequest("the request has more than one Authorization header")
	case len(req.Authorization) == 1 && req.TokenElsewhere:
		return "", "", oauth.ErrInvalidRequest("the request carries an access token in the Authorization header and in the query or body")
	case len(req.Authorization) == 0:
		// A token in the query or the body is not accepted (RFC 9449 §7,
		// OpenID4VCI 1.0 §8): the request has no usable token.
		return "", "", s.errToken(oauth.SchemeDPoP, "", "the request has no access token in the Authorization header")
	}
	scheme, tok, _ = strings.Cut(req.Authorization[0], " ")
	tok = strings.TrimSpace(tok)
	if !strings.EqualFold(scheme, oauth.SchemeDPoP) && !strings.EqualFold(scheme, oauth.SchemeBearer) || tok == "" {
		return "", "", s.errToken(oauth.SchemeDPoP, oauth.CodeInvalidToken, "the Authorization header must be DPoP <token>")
	}
	return scheme, tok, nil
}

// checkTokenBinding checks the proof of possession of a bound token.
func (s *Server) checkTokenBinding(ctx context.Context, req AccessRequest, htu, scheme, tok string, rec storage.Token) error {
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
	return s.checkProof(ctx, req, htu, tok, rec)
}

// checkProof verifies the DPoP proof of a DPoP-bound token and records its
// jti.
func (s *Server) checkProof(ctx context.Context, req AccessRequest, htu, tok string, rec storage.Token) error {
	now := s.cfg.Now()
	proof, err := s.proofs.Verify(ctx, req.DPoP[0], req.Method, htu, now, tok)
	var e *oauth.Error
	switch {
	case errors.As(err, &e) && e.Code == oauth.CodeUseDPoPNonce:
		return s.errToken(oauth.SchemeDPoP, oauth.CodeUseDPoPNonce, "%s", e.Description).WithDPoPNonce(s.proofs.Nonce())
	case errors.As(err, &e) && e.Code == oauth.CodeInvalidDPoPProof:
		return s.errToken(oauth.SchemeDPoP, oauth.CodeInvalidDPoPProof, "%s", e.Description)
	case err != nil:
		return err
	case subtle.ConstantTimeCompare([]byte(proof.JKT), []byte(rec.JKT)) != 1:
		return s.errToken(oauth.SchemeDPoP, oauth.CodeInvalidToken, "the DPoP proof's key is not the key the access token is bound to")
	}
	if err := s.store.UseReplayKey(ctx, proof.ReplayKey, proof.ReplayExpiry, now); errors.Is(err, storage.ErrAlreadyExists) {
		return s.errToken(oauth.SchemeDPoP, oauth.CodeInvalidDPoPProof, "the DPoP proof was used before (jti replay)")
	} else if err != nil {
		return oauth.ErrServer(err)
	}
	return nil
}

// Nonce returns a fresh DPoP-Nonce of the resource server, or "" when
// server nonces are off: the value for the DPoP-Nonce header of a
// resource's responses and of the nonce endpoint (OpenID4VCI 1.0 §7.2).
func (s *Server) Nonce() string { return s.proofs.Nonce() }
