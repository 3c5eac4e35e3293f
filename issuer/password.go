package issuer

import (
	"context"
	"errors"
	"strconv"
	"time"

	"issuer/dpop"
	"issuer/storage"
)

// Failed sign-ins allowed per user and per client in one window, so that
// the password grant is no password oracle (RFC 6749 §4.3.2, §10.10).
const (
	maxUserFailures   = 5
	maxClientFailures = 20
	maxSecretFailures = 20 // failed client-secret authentications per client
	failureWindow     = 15 * time.Minute
)

// password runs the resource owner password credentials grant (RFC 6749
// §4.3) for clients registered for it. An unknown user costs the same hash
// work as a wrong password, and both give the same answer.
func (s *Service) password(ctx context.Context, req TokenRequest, client *storage.Client, proof *dpop.Proof, now time.Time) (*TokenResponse, error) {
	username, password := req.Params["username"], req.Params["password"]
	switch {
	case username == "":
		return nil, ErrInvalidRequest("the parameter username is missing")
	case password == "":
		return nil, ErrInvalidRequest("the parameter password is missing")
	}
	user, err := s.checkUser(ctx, username, password, "client:"+client.ID, now)
	if err != nil {
		return nil, s.grantFailure(ctx, proof, now, err)
	}
	scope, err := grantedScope(req.Params["scope"], client.Scope)
	if err != nil {
		return nil, err
	}
	return s.issue(ctx, accessGrant{subject: user.ID, clientID: client.ID, scope: scope, grantID: newID()}, client, proof, now, true)
}

// checkUser checks a username and password, with the failure limits per
// user and per clientKey; an unknown user costs the same hash work as a
// wrong password, and both give the same answer.
func (s *Service) checkUser(ctx context.Context, username, password, clientKey string, now time.Time) (storage.User, error) {
	userKey := "user:" + username
	for _, l := range []struct {
		lim *failureLimiter
		key string
	}{{s.userFailures, userKey}, {s.clientFailures, clientKey}} {
		if blocked, until := l.lim.blocked(l.key, now); blocked {
			return storage.User{}, ErrInvalidGrant("too many failed sign-ins; try again later").
				WithHeader("Retry-After", strconv.Itoa(int(until.Sub(now).Seconds())+1))
		}
	}
	user, err := s.store.GetUser(ctx, username)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return storage.User{}, ErrServer(err)
	}
	hash := user.PasswordHash
	if hash == "" {
		hash = s.dummyHash() // computed on first use: argon2id takes 19 MiB
	}
	if !checkPassword(hash, password) || user.ID == "" {
		s.userFailures.fail(userKey, now)
		s.clientFailures.fail(clientKey, now)
		return storage.User{}, ErrInvalidGrant("the username or password is invalid")
	}
	s.userFailures.reset(userKey)
	return user, nil
}

// issue mints an access token (and, if withRefresh and the client may have
// one, a refresh token) for a grant that consumes no code, and records them
// with the proof's replay key.
func (s *Service) issue(ctx context.Context, a accessGrant, client *storage.Client, proof *dpop.Proof, now time.Time, withRefresh bool) (*TokenResponse, error) {
	tok, rec, err := s.mintAccessToken(ctx, a, proof, now)
	if err != nil {
		return nil, err
	}
	iss := storage.Issuance{Now: now, Tokens: []storage.Token{rec}}
	var refresh string
	if withRefresh {
		var rtoks []storage.Token
		if refresh, rtoks, err = s.grantRefreshToken(a, client, proof, rec, now); err != nil {
			return nil, err
		}
		iss.Tokens = append(iss.Tokens, rtoks...)
	}
	if proof != nil {
		iss.ReplayKey, iss.ReplayExpiry = proof.ReplayKey, proof.ReplayExpiry
	}
	if err := s.store.IssueTokens(ctx, iss); errors.Is(err, storage.ErrAlreadyExists) {
		return nil, errReplay()
	} else if err != nil {
		return nil, ErrServer(err)
	}
	s.log.InfoContext(ctx, "token issued", "client", client.ID, "token_id", rec.ID, "bound", proof != nil)
	resp := s.tokenResponse(tok, rec, a.details, now)
	resp.RefreshToken = refresh
	return resp, nil
}
