package authz

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"issuer/dpop"
	"issuer/issuer/clientauth"
	"issuer/issuer/clients"
	"issuer/issuer/limit"
	"issuer/issuer/oauth"
	"issuer/issuer/offer"
	"issuer/issuer/token"
	"issuer/storage"
	"net/http"
	"net/url"
	"time"

	"github.com/google/uuid"
)

// Pushed authorization requests allowed per client and window (RFC 9126 §2.3: 429).
const (
	maxPushes  = 300
	pushWindow = time.Minute
	// requestURIPrefix starts every request_uri (RFC 9126 §2.2).
	requestURIPrefix = "urn:ietf:params:oauth:request_uri:"
	kindPAR          = "par"
	kindInteraction  = "interaction"
)

// PARRequest is a pushed authorization request: the form, the
// Authorization header and the DPoP headers, and the address of the peer
// it came from.
type PARRequest struct {
	clientauth.Request
	DPoP []string
}

// pushQuotaKey is what the PAR quota counts: a confidential client, an
// attested wallet instance, or a public client from one address. A public
// client's ID is no secret, so a count per client would let anyone use up
// its quota for every user.
func pushQuotaKey(c *storage.Client, b oauth.Binding, remoteIP string) string {
	if c.AuthMethod == oauth.AuthNone {
		return c.ID + "\x00" + limit.AddressKey(remoteIP)
	}
	return clientauth.LimiterKey(c, b)
}

// PARResponse is the RFC 9126 §2.2 response.
type PARResponse struct {
	RequestURI string `json:"request_uri"`
	ExpiresIn  int64  `json:"expires_in"`
}

// PushAuthorizationRequest handles the PAR endpoint (RFC 9126): it
// authenticates the client as the token endpoint does, verifies a DPoP
// proof if one is sent (RFC 9449 §10.1), validates the request as an
// authorization request and stores it under a fresh request_uri.
func (s *Authz) PushAuthorizationRequest(ctx context.Context, req PARRequest) (PARResponse, error) {
	now := s.cfg.Now()
	client, bind, err := s.auth.Authenticate(ctx, req.Request)
	switch {
	case err != nil:
		return PARResponse{}, err
	case client == nil:
		return PARResponse{}, oauth.ErrInvalidClient("client authentication is required")
	case req.Params["client_id"] == "" && client.AuthMethod == oauth.AuthNone:
		return PARResponse{}, oauth.ErrInvalidRequest("the parameter client_id is missing")
	}
	quota := pushQuotaKey(client, bind, req.RemoteIP)
	if blocked, until := s.pushes.Blocked(quota, now); blocked {
		e := oauth.ErrInvalidRequest("too many pushed authorization requests; try again later").
			WithRetryAfter(until.Sub(now)).WithStatus(http.StatusTooManyRequests)
		return PARResponse{}, e
	}
	s.pushes.Fail(quota, now)
	proof, err := s.parProof(ctx, req.DPoP, now)
	if err != nil {
		return PARResponse{}, err
	}
	if proof != nil {
		bind.JKT = proof.JKT
	}
	r, err := s.validateAuthRequest(ctx, client, req.Params, bind)
	if err != nil {
		return PARResponse{}, err
	}
	body, err := json.Marshal(r)
	if err != nil {
		return PARResponse{}, oauth.ErrServer(err)
	}
	uri := requestURIPrefix + token.Random()
	ttl := s.cfg.RequestURITTL
	sess := storage.AuthSession{ID: sessionID(kindPAR, uri), Kind: kindPAR, ClientID: client.ID, Request: body, ExpiresAt: now.Add(ttl)}
	if err := s.store.CreateAuthSession(ctx, sess); err != nil {
		return PARResponse{}, oauth.ErrServer(err)
	}
	s.log.InfoContext(ctx, "authorization request pushed", "client_id", client.ID, "dpop_bound", r.DPoPJKT != "")
	return PARResponse{RequestURI: uri, ExpiresIn: expiresIn(ttl)}, nil
}

// parProof verifies the DPoP proof of a PAR request, if any, with htu the
// PAR URL, and records its jti.
func (s *Authz) parProof(ctx context.Context, proofs []string, now time.Time) (*dpop.Proof, error) {
	switch len(proofs) {
	case 0:
		return nil, nil
	case 1:
	default:
		return nil, oauth.ErrInvalidDPoPProof("the request has more than one DPoP header")
	}
	proof, err := s.verifyProof(ctx, proofs[0], http.MethodPost, s.cfg.PARURL, now, "")
	if err != nil {
		return nil, err
	}
	if err := s.store.UseReplayKey(ctx, proof.ReplayKey, proof.ReplayExpiry, now); errors.Is(err, storage.ErrAlreadyExists) {
		return nil, oauth.ErrDPoPReplay()
	} else if err != nil {
		return nil, oauth.ErrServer(err)
	}
	return proof, nil
}

// LoginPage is what the web layer renders at each step of a sign-in.
type LoginPage struct {
	// Step is "login" (username and password) or "consent".
	Step        string
	CSRF        string
	ClientID    string
	ClientName  string   // the client's registered client_name, if any
	Credentials []string // display names of the requested credentials
	OpenID      bool     // the client asks for the user's identity
	Offline     bool     // and for access while the user is away
	Username    string   // the signed-in user, at the consent step
	Error       string   // a message for the user, at the login step
}

// AuthorizeResult is the outcome of a step of the authorization endpoint:
// a redirect to the client, or a page. Cookie, when set, is the new value
// of the browser's interaction cookie.
type AuthorizeResult struct {
	RedirectURL string
	Page        *LoginPage
	Cookie      string
	// RetryAfter, when positive, is how long the user must wait before
	// signing in again: the page is a 429 with Retry-After.
	RetryAfter time.Duration
}

// Authorize handles GET /authorize (RFC 6749 §4.1.1, RFC 9126 §4): it
// takes the pushed request named by request_uri (once), or, when the
// setting allows it, validates a plain request; then it starts a sign-in.
// An error the client may see goes back to its redirect URI; an error
// about the client or its redirect URI is returned, for an error page.
func (s *Authz) Authorize(ctx context.Context, p map[string]string) (AuthorizeResult, error) {
	now := s.cfg.Now()
	r, err := s.authorizationRequest(ctx, p, now)
	if err != nil {
		return AuthorizeResult{}, err
	}
	if r.Prompt == "none" {
		return s.errorRedirect(r, &oauth.Error{Code: oauth.CodeLoginRequired, Description: "the user must sign in"})
	}
	body, err := json.Marshal(r)
	if err != nil {
		return AuthorizeResult{}, oauth.ErrServer(err)
	}
	cookie := token.Random()
	csrf, csrfHash := newCSRF()
	sess := storage.AuthSession{
		ID: sessionID(kindInteraction, cookie), Kind: kindInteraction, ClientID: r.ClientID, Request: body,
		CSRFHash: csrfHash, ExpiresAt: now.Add(s.cfg.LoginTTL),
	}
	if err := s.store.CreateAuthSession(ctx, sess); err != nil {
		return AuthorizeResult{}, oauth.ErrServer(err)
	}
	page := s.page(ctx, r, "login", csrf)
	return AuthorizeResult{Page: &page, Cookie: cookie}, nil
}

// authorizationRequest returns the request to sign in for: the pushed one,
// or a plain one when PAR is not required.
func (s *Authz) authorizationRequest(ctx context.Context, p map[string]string, now time.Time) (authRequest, error) {
	clientID := p["client_id"]
	if clientID == "" {
		return authRequest{}, oauth.ErrInvalidRequest("the parameter client_id is missing")
	}
	if uri := p["request_uri"]; uri != "" {
		return s.takePushed(ctx, clientID, uri, now)
	}
	client, err := s.store.GetClient(ctx, clientID)
	if errors.Is(err, storage.ErrNotFound) {
		return authRequest{}, oauth.ErrInvalidRequest("the client doesn't exist")
	} else if err != nil {
		return authRequest{}, oauth.ErrServer(err)
	}
	// Errors go to the redirect URI only when the client is known and the
	// URI registered (RFC 6749 §4.1.2.1).
	if err := checkRequestShape(&client, p); err != nil && !clients.RedirectAllowed(&client, p["redirect_uri"]) {
		return authRequest{}, err
	}
	base := authRequest{ClientID: client.ID, RedirectURI: p["redirect_uri"], State: p["state"]}
	if s.cfg.RequirePAR {
		return authRequest{}, s.redirectError(base, oauth.ErrInvalidRequest("authorization requests must be pushed to the PAR endpoint (RFC 9126)"))
	}
	r, err := s.validateAuthRequest(ctx, &client, p, oauth.Binding{})
	if err != nil {
		return authRequest{}, s.redirectError(base, err)
	}
	return r, nil
}

// takePushed marks a pushed request used and returns it. A request_uri is
// single-use, expires, and belongs to the client that pushed it
// (RFC 9126 §4, §7.3).
func (s *Authz) takePushed(ctx context.Context, clientID, uri string, now time.Time) (authRequest, error) {
	bad := oauth.ErrInvalidRequest("the request_uri is not valid, has expired or was used already")
	// Refusals inside the update are storage sentinels, which end the
	// store's transaction function without failing its batch.
	sess, err := s.store.UpdateAuthSession(ctx, sessionID(kindPAR, uri), now, func(a *storage.AuthSession) error {
		if a.Kind != kindPAR || a.Used || subtle.ConstantTimeCompare([]byte(a.ClientID), []byte(clientID)) != 1 {
			return storage.ErrNotFound
		}
		a.Used = true
		return nil
	})
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return authRequest{}, bad
	case err != nil:
		return authRequest{}, oauth.ErrServer(err)
	}
	r, err := decodeAuthRequest(sess)
	if err != nil {
		return r, oauth.ErrServer(err)
	}
	return r, nil
}

// redirectError wraps err for the client's redirect URI when it is an
// OAuth error; a server error stays a page.
func (s *Authz) redirectError(r authRequest, err error) error {
	var e *oauth.Error
	if !errors.As(err, &e) || e.Status >= 500 {
		return err
	}
	u, rerr := s.redirectTo(r, errorQuery(e))
	if rerr != nil {
		return err // no redirect: the browser sees the error itself
	}
	return &RedirectError{URL: u, Err: e}
}

// RedirectError is an authorization error that goes back to the client
// (RFC 6749 §4.1.2.1): the browser is sent to URL.
type RedirectError struct {
	URL string
	Err *oauth.Error
}

func (e *RedirectError) Error() string { return e.Err.Error() }
func (e *RedirectError) Unwrap() error { return e.Err }

// errorRedirect is the redirect that reports e to the client, with state
// and iss (RFC 9207).
func (s *Authz) errorRedirect(r authRequest, e *oauth.Error) (AuthorizeResult, error) {
	u, err := s.redirectTo(r, errorQuery(e))
	if err != nil {
		return AuthorizeResult{}, err
	}
	return AuthorizeResult{RedirectURL: u}, nil
}

// errorQuery is the query of an error response (RFC 6749 §4.1.2.1).
func errorQuery(e *oauth.Error) url.Values {
	q := url.Values{"error": {e.Code}}
	if e.Description != "" {
		q.Set("error_description", e.Description)
	}
	return q
}

// errRedirectRefused is the error page of a request whose redirect URI
// fails the allow-list.
func errRedirectRefused() *oauth.Error {
	return oauth.ErrInvalidRequest("the redirect_uri is not allowed; the client must register an https, loopback or private-use redirect URI")
}

// redirectTo adds q, state and iss to the redirect URI, keeping its query.
// It is the only builder of the authorization endpoint's redirects, and it
// applies the redirect URI allow-list again: a request pushed or a client
// registered before the allow-list existed must not send the browser to,
// say, a javascript: URI.
func (s *Authz) redirectTo(r authRequest, q url.Values) (string, error) {
	if clients.CheckRedirectURI(r.RedirectURI) != nil {
		return "", errRedirectRefused()
	}
	u, err := url.Parse(r.RedirectURI)
	if err != nil {
		return "", errRedirectRefused()
	}
	all := u.Query()
	for k, v := range q {
		all[k] = v
	}
	if r.State != "" {
		all.Set("state", r.State)
	}
	all.Set("iss", s.cfg.URL)
	u.RawQuery = all.Encode()
	return u.String(), nil
}

// page builds the login or consent page of a request.
func (s *Authz) page(ctx context.Context, r authRequest, step, csrf string) LoginPage {
	p := LoginPage{Step: step, CSRF: csrf, ClientID: r.ClientID, OpenID: r.hasScope(oauth.ScopeOpenID), Offline: r.hasScope(oauth.ScopeOfflineAccess)}
	for _, id := range r.Credentials {
		p.Credentials = append(p.Credentials, offer.CredentialName(s.cfg.Configurations, id))
	}
	if c, err := s.store.GetClient(ctx, r.ClientID); err == nil { // a page without the name is still right
		p.ClientName = c.Name
	}
	return p
}

// LoginForm is the sign-in form posted by the login page, and the
// address of the browser's TCP peer.
type LoginForm struct {
	Cookie, CSRF, Username, Password string
	RemoteIP                         string
}

// errSession is the answer for a sign-in whose cookie or CSRF token is
// missing, wrong or expired.
func errSession() *oauth.Error {
	e := oauth.ErrInvalidRequest("the sign-in session is not valid or has expired; start again from the application")
	e.Status = http.StatusForbidden
	return e
}

// Login checks the user's password (with the password grant's limits and
// equal cost for unknown users) and moves the sign-in to the consent step.
// When the request came with an offer's issuer_state, only the offer's
// subject may sign in.
func (s *Authz) Login(ctx context.Context, f LoginForm) (AuthorizeResult, error) {
	now := s.cfg.Now()
	sess, err := s.interaction(ctx, f.Cookie, f.CSRF, now, loginStep)
	if err != nil {
		return AuthorizeResult{}, err
	}
	r, err := decodeAuthRequest(sess)
	if err != nil {
		return AuthorizeResult{}, oauth.ErrServer(err)
	}
	retry := func(msg string) (AuthorizeResult, error) {
		p := s.page(ctx, r, "login", f.CSRF)
		p.Error = msg
		return AuthorizeResult{Page: &p}, nil
	}
	// Failures delay the username from this address, the address, and
	// the username (checkUser), never the client: the login page is
	// public, and a per-client count would let anyone slow down every
	// user of a wallet. A sign-in session is no origin: anyone can open
	// as many as they like.
	user, err := s.users.Check(ctx, f.Username, f.Password, "address:"+limit.AddressKey(f.RemoteIP), now)
	if err != nil {
		var e *oauth.Error
		if !errors.As(err, &e) || e.Status >= 500 {
			return AuthorizeResult{}, err
		}
		res, _ := retry(e.Description)
		res.RetryAfter = e.RetryAfter
		return res, nil
	}
	if r.OfferID != "" {
		offer, err := s.store.GetOffer(ctx, r.OfferID)
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return AuthorizeResult{}, oauth.ErrServer(err)
		}
		if offer.Subject != user.Username && offer.Subject != user.ID {
			return retry("this credential offer is for another person")
		}
	}
	// The consent form gets a new token in the same update that records
	// the user: the login page's token, which has been in a page the user
	// may have left open, is refused from now on, for the consent and for
	// another login post (which loginStep refuses anyway).
	consentCSRF, consentHash := newCSRF()
	if _, err := s.interaction(ctx, f.Cookie, f.CSRF, now, func(a *storage.AuthSession) error {
		if err := loginStep(a); err != nil {
			return err
		}
		a.Subject, a.AuthTime, a.CSRFHash = user.ID, now.UTC(), consentHash
		return nil
	}); err != nil {
		return AuthorizeResult{}, err
	}
	p := s.page(ctx, r, "consent", consentCSRF)
	p.Username = user.Username
	return AuthorizeResult{Page: &p}, nil
}

// newCSRF returns a fresh CSRF token and the hash the sign-in stores.
func newCSRF() (csrf string, hash []byte) {
	csrf = token.Random()
	sum := sha256.Sum256([]byte(csrf))
	return csrf, sum[:]
}

// loginStep refuses, as an invalid session, a sign-in whose user has
// signed in already: the login form is for the login step only.
func loginStep(a *storage.AuthSession) error {
	if a.Subject != "" {
		return storage.ErrNotFound
	}
	return nil
}

// interaction applies update to the live sign-in of the cookie after
// checking the CSRF token in constant time. update refuses with
// storage.ErrNotFound.
func (s *Authz) interaction(ctx context.Context, cookie, csrf string, now time.Time, update func(*storage.AuthSession) error) (storage.AuthSession, error) {
	if cookie == "" || csrf == "" {
		return storage.AuthSession{}, errSession()
	}
	sum := sha256.Sum256([]byte(csrf))
	// update refuses with storage.ErrNotFound, a sentinel that ends the
	// store's transaction function without failing its batch.
	sess, err := s.store.UpdateAuthSession(ctx, sessionID(kindInteraction, cookie), now, func(a *storage.AuthSession) error {
		if a.Kind != kindInteraction || a.Used || subtle.ConstantTimeCompare(sum[:], a.CSRFHash) != 1 {
			return storage.ErrNotFound
		}
		return update(a)
	})
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return sess, errSession()
	case err != nil:
		return sess, oauth.ErrServer(err)
	}
	return sess, nil
}

// DecisionForm is the consent form: approve or deny.
type DecisionForm struct {
	Cookie, CSRF string
	Approve      bool
}

// Decide ends a sign-in with the user's decision: a denial goes back as
// access_denied, an approval as a fresh authorization code (RFC 6749
// §4.1.2), each with state and iss (RFC 9207).
func (s *Authz) Decide(ctx context.Context, f DecisionForm) (AuthorizeResult, error) {
	now := s.cfg.Now()
	sess, err := s.interaction(ctx, f.Cookie, f.CSRF, now, func(a *storage.AuthSession) error {
		if a.Subject == "" {
			return storage.ErrNotFound
		}
		a.Used = true
		return nil
	})
	if err != nil {
		return AuthorizeResult{}, err
	}
	r, err := decodeAuthRequest(sess)
	if err != nil {
		return AuthorizeResult{}, oauth.ErrServer(err)
	}
	if clients.CheckRedirectURI(r.RedirectURI) != nil { // mint no code that cannot be delivered
		return AuthorizeResult{}, errRedirectRefused()
	}
	if !f.Approve {
		s.log.InfoContext(ctx, "authorization denied", "client_id", r.ClientID)
		return s.errorRedirect(r, &oauth.Error{Code: oauth.CodeAccessDenied, Description: "the user denied the request"})
	}
	code, err := s.createCode(ctx, r, sess, now)
	if err != nil {
		return AuthorizeResult{}, err
	}
	u, err := s.redirectTo(r, url.Values{"code": {code}})
	if err != nil {
		return AuthorizeResult{}, err
	}
	s.log.InfoContext(ctx, "authorization code issued", "client_id", r.ClientID, "dpop_bound", r.DPoPJKT != "")
	return AuthorizeResult{RedirectURL: u}, nil
}

// createCode stores a new authorization code for the approved request.
// Credential identifiers come from the offer of issuer_state, else they
// are fresh.
func (s *Authz) createCode(ctx context.Context, r authRequest, sess storage.AuthSession, now time.Time) (string, error) {
	ids := make([]string, len(r.Credentials))
	var offer storage.Offer
	if r.OfferID != "" {
		var err error
		if offer, err = s.store.GetOffer(ctx, r.OfferID); err != nil && !errors.Is(err, storage.ErrNotFound) {
			return "", oauth.ErrServer(err)
		}
	}
	var details []oauth.AuthorizationDetail
	for i, id := range r.Credentials {
		ids[i] = uuid.NewString()
		for j, oid := range offer.ConfigurationIDs {
			if oid == id {
				ids[i] = offer.CredentialIdentifiers[j]
			}
		}
		details = append(details, oauth.AuthorizationDetail{Type: oauth.TypeOpenIDCredential, CredentialConfigurationID: id, CredentialIdentifiers: []string{ids[i]}})
	}
	detailsJSON, err := json.Marshal(details)
	if err != nil {
		return "", oauth.ErrServer(err)
	}
	code := token.Random()
	c := storage.AuthCode{
		ID: CodeID(code), ClientID: r.ClientID, RedirectURI: r.RedirectURI, Scope: r.Scope,
		AuthorizationDetails: detailsJSON, CodeChallenge: r.CodeChallenge,
		DPoPJKT: r.DPoPJKT, AttestationJKT: r.AttestationJKT, Nonce: r.Nonce, Subject: sess.Subject, AuthTime: sess.AuthTime, OfferID: r.OfferID,
		CreatedAt: now.UTC(), ExpiresAt: now.Add(s.cfg.CodeTTL).UTC(),
	}
	if err := s.store.CreateAuthCode(ctx, c); err != nil {
		return "", oauth.ErrServer(err)
	}
	return code, nil
}

// CodeID is the record ID of an authorization code.
func CodeID(code string) string { return sessionID("code", code) }
