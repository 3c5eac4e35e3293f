package issuer

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"issuer/dpop"
	"issuer/issuer/oauth"
	"issuer/storage"
)

const kindRefresh = "refresh_token"

// refreshTokenID is the record ID of a refresh token: a hash of it, so that
// the database never holds a usable refresh token.
func refreshTokenID(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return "rt-" + base64.RawURLEncoding.EncodeToString(sum[:])
}

// issuesRefresh reports whether a grant gives client a refresh token: the
// client registered the refresh_token grant, and a public client's token
// can be bound to its DPoP key (RFC 9449 §5, RFC 9700 §4.14.2).
func issuesRefresh(client *storage.Client, proof *dpop.Proof) bool {
	return client != nil && slices.Contains(client.GrantTypes, oauth.GrantRefreshToken) &&
		(client.AuthMethod != oauth.AuthNone || proof != nil)
}

// grantRefreshToken mints the refresh token a grant gives client, if any
// (issuesRefresh), for the access token rec: bound to the DPoP key for a
// public client, and to the instance key for an attested one. It returns
// "" and no record when the client gets none.
func (s *Service) grantRefreshToken(a accessGrant, client *storage.Client, proof *dpop.Proof, rec storage.Token, now time.Time) (string, []storage.Token, error) {
	if !issuesRefresh(client, proof) {
		return "", nil, nil
	}
	tok, rrec, err := mintRefreshToken(a, client.AuthMethod == oauth.AuthNone, rec.JKT, now, now.Add(s.cfg.Tokens.RefreshTokenTTL))
	if err != nil {
		return "", nil, err
	}
	rrec.AttestationJKT = client.AttestationJKT
	return tok, []storage.Token{rrec}, nil
}

// mintRefreshToken returns a new opaque refresh token and its record. A
// public client's token is bound to jkt; a confidential client's token is
// bound to the client only (RFC 9449 §5).
func mintRefreshToken(a accessGrant, public bool, jkt string, now, expires time.Time) (string, storage.Token, error) {
	tok := randomToken()
	rec, err := refreshRecord(tok, a, public, jkt, now, expires)
	return tok, rec, err
}

// successorOf returns the refresh token that the refresh token raw is
// rotated to: an HMAC of raw under a server secret. Deriving it, rather
// than drawing it at random, makes a rotating refresh idempotent: every
// retry of raw inside the grace window, concurrent or not, gets back the
// same successor, which the store keeps as raw's only successor (it stores
// hashes only and could not give a stored one back).
func (s *Service) successorOf(raw string) string {
	mac := hmac.New(sha256.New, s.successorKey)
	mac.Write([]byte("refresh-successor\x00"))
	mac.Write([]byte(raw))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// refreshRecord returns the record of the refresh token tok: see
// mintRefreshToken.
func refreshRecord(tok string, a accessGrant, public bool, jkt string, now, expires time.Time) (storage.Token, error) {
	rec := storage.Token{
		ID: refreshTokenID(tok), Kind: kindRefresh, ClientID: a.clientID, Subject: a.subject, Scope: a.scope,
		GrantID: a.grantID, IssuedAt: now.UTC(), ExpiresAt: expires.UTC(), AuthTime: a.authTime,
	}
	if public {
		rec.JKT = jkt
	}
	if len(a.details) > 0 {
		var err error
		if rec.AuthorizationDetails, err = json.Marshal(a.details); err != nil {
			return rec, oauth.ErrServer(err)
		}
	}
	return rec, nil
}

// refreshToken runs the refresh_token grant (RFC 6749 §6): every check
// first (binding to the client, to the DPoP key for public clients, scope,
// resource), then one transaction that re-checks the token's state and
// records the new tokens, so that a refused request never burns the token.
func (s *Service) refreshToken(ctx context.Context, req TokenRequest, client *storage.Client, proof *dpop.Proof, now time.Time) (*TokenResponse, error) {
	raw := req.Params["refresh_token"]
	if raw == "" {
		return nil, oauth.ErrInvalidRequest("the parameter refresh_token is missing")
	}
	rt, err := s.store.GetToken(ctx, refreshTokenID(raw))
	switch {
	case errors.Is(err, storage.ErrNotFound) || err == nil && rt.Kind != kindRefresh:
		return nil, s.grantFailure(ctx, proof, now, oauth.ErrInvalidGrant("the refresh token is not valid"))
	case err != nil:
		return nil, oauth.ErrServer(err)
	}
	if err := s.checkRefreshBinding(rt, client, proof); err != nil {
		return nil, s.grantFailure(ctx, proof, now, err)
	}
	a, err := s.refreshedGrant(rt, req.Params)
	if err != nil {
		return nil, err
	}
	tok, rec, err := s.mintAccessToken(ctx, a, proof, now)
	if err != nil {
		return nil, err
	}
	use := storage.RefreshUse{
		TokenID: rt.ID, Now: now, IdleTimeout: s.cfg.Tokens.RefreshTokenIdleTTL,
		Rotate: s.cfg.Tokens.RotateRefreshTokens, Grace: s.cfg.Tokens.RefreshGrace, Tokens: []storage.Token{rec},
	}
	var next string
	if use.Rotate {
		// The successor keeps the grant's scope (OA-28), not the narrowed
		// scope of this access token.
		next = s.successorOf(raw)
		kept := a
		kept.scope = rt.Scope
		nrec, err := refreshRecord(next, kept, rt.JKT != "", rt.JKT, now, rt.ExpiresAt)
		if err != nil {
			return nil, err
		}
		nrec.AttestationJKT = rt.AttestationJKT
		use.Successor = &nrec
	}
	if proof != nil {
		use.ReplayKey, use.ReplayExpiry = proof.ReplayKey, proof.ReplayExpiry
	}
	if err := s.store.UseRefreshToken(ctx, use); err != nil {
		return nil, redeemError(err, refreshAnswers)
	}
	s.log.InfoContext(ctx, "token refreshed", "client", client.ID, "token_id", rec.ID, "rotated", use.Rotate)
	resp := s.tokenResponse(tok, rec, a.details, now)
	resp.RefreshToken = next
	if !a.authTime.IsZero() && hasScopeValue(a.scope, ScopeOpenID) {
		// OpenID Connect Core §12.2: same iss, sub and aud, the original
		// auth_time, a new iat, no nonce.
		if resp.IDToken, err = s.mintIDToken(a.subject, client.ID, "", a.authTime, tok, now); err != nil {
			return nil, err
		}
	}
	return resp, nil
}

// checkRefreshBinding checks that the refresh token belongs to the client
// and, for a public client's token, to the key of the proof (RFC 9449 §5);
// an attested client's token, to the instance key of the attestation it
// authenticated with (attestation-based client auth -07 §10.3).
func (s *Service) checkRefreshBinding(rt storage.Token, client *storage.Client, proof *dpop.Proof) error {
	switch {
	case rt.ClientID != client.ID:
		return oauth.ErrInvalidGrant("the token has not been issued for the given client id '%s'", safeText(client.ID))
	case rt.JKT != "" && proof == nil:
		return oauth.ErrInvalidGrant("the refresh token is bound to a DPoP key: send a proof made with that key")
	case rt.JKT != "" && proof.JKT != rt.JKT:
		return oauth.ErrInvalidGrant("the DPoP proof is not made with the key the refresh token is bound to")
	case rt.AttestationJKT != "" && client.AttestationJKT != rt.AttestationJKT:
		return oauth.ErrInvalidGrant("the refresh token is bound to the key of another client instance (the attestation's cnf)")
	}
	return nil
}

// refreshedGrant is what the new access token grants: the refresh token's
// grant, narrowed by the request's scope (RFC 6749 §6; never widened).
func (s *Service) refreshedGrant(rt storage.Token, params map[string]string) (accessGrant, error) {
	if r := params["resource"]; r != "" && r != s.cfg.URL {
		return accessGrant{}, oauth.New(400, "invalid_target", "the resource is not covered by the refresh token")
	}
	scope, err := grantedScope(params["scope"], rt.Scope)
	if err != nil {
		return accessGrant{}, err
	}
	a := accessGrant{subject: rt.Subject, clientID: rt.ClientID, scope: scope, grantID: rt.GrantID, authTime: rt.AuthTime}
	if len(rt.AuthorizationDetails) > 0 {
		if err := json.Unmarshal(rt.AuthorizationDetails, &a.details); err != nil {
			return accessGrant{}, oauth.ErrServer(err)
		}
	}
	return a, nil
}

// safeText returns a client ID (visible ASCII, checked at registration)
// if it may stand in an error_description, which excludes '"' and '\'
// (RFC 6749 §5.2), or a neutral word.
func safeText(s string) string {
	if !validScopeToken(s) {
		return "(unprintable)"
	}
	return s
}
