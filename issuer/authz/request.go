package authz

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"issuer/issuer/clients"
	"issuer/issuer/oauth"
	"issuer/pkce"
	"issuer/storage"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// authRequest is a validated authorization request, as PAR stores it and
// the login page completes it.
type authRequest struct {
	ClientID    string `json:"client_id"`
	RedirectURI string `json:"redirect_uri"`
	State       string `json:"state,omitempty"`
	Nonce       string `json:"nonce,omitempty"`
	// Scope is the granted scope: the known values of the requested one.
	Scope         string `json:"scope,omitempty"`
	CodeChallenge string `json:"code_challenge"`
	DPoPJKT       string `json:"dpop_jkt,omitempty"`
	// AttestationJKT is the instance key of an attested client.
	AttestationJKT string `json:"attestation_jkt,omitempty"`
	// Credentials are the credential configuration IDs requested, through
	// authorization_details or scope, or else those of the offer named by
	// issuer_state.
	Credentials []string `json:"credentials,omitempty"`
	// OfferID is the offer whose issuer_state came with the request.
	OfferID string `json:"offer_id,omitempty"`
	MaxAge  *int64 `json:"max_age,omitempty"`
	Prompt  string `json:"prompt,omitempty"`
}

// hasScope reports whether the granted scope contains v.
func (r authRequest) hasScope(v string) bool { return oauth.HasScope(r.Scope, v) }

// validateAuthRequest checks the parameters of an authorization request of
// client (RFC 6749 §4.1.1, RFC 7636 §4.3, RFC 9126 §2.1, RFC 9449 §10,
// OpenID4VCI 1.0 §5.1). b holds the thumbprint of a DPoP proof sent with a
// pushed request and the attested wallet instance of its client (each ""
// if none).
func (s *Authz) validateAuthRequest(ctx context.Context, client *storage.Client, p map[string]string, b oauth.Binding) (authRequest, error) {
	jkt := b.JKT
	r := authRequest{ClientID: client.ID, State: p["state"], Nonce: p["nonce"], Prompt: p["prompt"], DPoPJKT: p["dpop_jkt"], AttestationJKT: b.Instance}
	if err := checkRequestShape(client, p); err != nil {
		return r, err
	}
	r.RedirectURI = p["redirect_uri"]
	if err := checkPKCE(p); err != nil {
		return r, err
	}
	r.CodeChallenge = p["code_challenge"]
	switch {
	case r.DPoPJKT != "" && !validThumbprint(r.DPoPJKT):
		return r, oauth.ErrInvalidRequest("dpop_jkt must be a base64url SHA-256 JWK thumbprint")
	case r.DPoPJKT != "" && jkt != "" && r.DPoPJKT != jkt:
		return r, oauth.ErrInvalidRequest("dpop_jkt does not match the key of the DPoP proof")
	case r.DPoPJKT == "":
		r.DPoPJKT = jkt
	}
	if v, ok := p["max_age"]; ok {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return r, oauth.ErrInvalidRequest("max_age must be a non-negative integer")
		}
		r.MaxAge = &n
	}
	if err := s.requestedAccess(ctx, &r, p); err != nil {
		return r, err
	}
	return r, nil
}

// checkRequestShape checks what does not depend on the server's state.
func checkRequestShape(client *storage.Client, p map[string]string) error {
	switch {
	case p["request"] != "":
		return &oauth.Error{Code: oauth.CodeRequestNotSupported, Description: "request objects are not supported; push the parameters instead", Status: http.StatusBadRequest}
	case p["request_uri"] != "":
		return oauth.ErrInvalidRequest("request_uri must not be pushed (RFC 9126 section 2.1)")
	case p["response_type"] == "":
		return oauth.ErrInvalidRequest("the parameter response_type is missing")
	case p["response_type"] != "code":
		return &oauth.Error{Code: oauth.CodeUnsupportedResponseType, Description: "only the response_type code is supported", Status: http.StatusBadRequest}
	case p["response_mode"] != "" && p["response_mode"] != "query":
		return oauth.ErrInvalidRequest("only the response_mode query is supported")
	case !slices.Contains(client.GrantTypes, oauth.GrantAuthorizationCode):
		return oauth.ErrUnauthorizedClient("the client '%s' doesn't support the grant type '%s'", client.ID, oauth.GrantAuthorizationCode)
	case p["redirect_uri"] == "":
		return oauth.ErrInvalidRequest("the parameter redirect_uri is missing")
	case !clients.RedirectAllowed(client, p["redirect_uri"]):
		return oauth.ErrInvalidRequest("the redirect_uri is not registered for the client")
	case p["prompt"] != "" && p["prompt"] != "none" && p["prompt"] != "login" && p["prompt"] != "consent":
		return oauth.ErrInvalidRequest("prompt must be none, login or consent")
	}
	return nil
}

// checkPKCE requires an S256 challenge (RFC 7636, FAPI 2.0 §5.3.2.2): no
// challenge, no method (which would mean plain) and plain are refused.
func checkPKCE(p map[string]string) error {
	switch challenge, method := p["code_challenge"], p["code_challenge_method"]; {
	case challenge == "":
		return oauth.ErrInvalidRequest("the parameter code_challenge is missing (PKCE with S256 is required)")
	case method == "":
		return oauth.ErrInvalidRequest("the parameter code_challenge_method is missing; only S256 is supported")
	case method != pkce.MethodS256:
		return oauth.ErrInvalidRequest("the code_challenge_method is not supported; only S256 is")
	case pkce.CheckChallenge(challenge, method) != nil:
		return oauth.ErrInvalidRequest("the code_challenge is not a base64url SHA-256 value")
	}
	return nil
}

// validThumbprint reports whether v looks like a base64url SHA-256 value.
func validThumbprint(v string) bool {
	b, err := base64.RawURLEncoding.DecodeString(v)
	return err == nil && len(b) == sha256.Size
}

// requestedAccess reads what the request asks for: authorization_details
// of type openid_credential, credential scopes (unknown values are ignored,
// OpenID4VCI 1.0 §5.1.2), openid and offline_access, and the offer named by
// issuer_state, which bounds the credentials.
func (s *Authz) requestedAccess(ctx context.Context, r *authRequest, p map[string]string) error {
	var granted []string
	for _, v := range strings.Fields(p["scope"]) {
		id, credential := s.scopes[v]
		switch {
		case credential && !slices.Contains(r.Credentials, id):
			r.Credentials = append(r.Credentials, id)
		case !credential && v != oauth.ScopeOpenID && v != oauth.ScopeOfflineAccess:
			continue
		}
		if !slices.Contains(granted, v) {
			granted = append(granted, v)
		}
	}
	r.Scope = strings.Join(granted, " ")
	if raw := p["authorization_details"]; raw != "" {
		ids, err := s.requestedConfigurations(raw)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if !slices.Contains(r.Credentials, id) {
				r.Credentials = append(r.Credentials, id)
			}
		}
	}
	if state := p["issuer_state"]; state != "" {
		offer, err := s.offers.ByIssuerState(ctx, state)
		if err != nil {
			return err
		}
		r.OfferID = offer.ID
		if len(r.Credentials) == 0 {
			r.Credentials = offer.ConfigurationIDs
		}
		for _, id := range r.Credentials {
			if !slices.Contains(offer.ConfigurationIDs, id) {
				return oauth.ErrInvalidRequest("the request asks for a credential that the offer of issuer_state does not cover")
			}
		}
	}
	if len(r.Credentials) == 0 && !r.hasScope(oauth.ScopeOpenID) {
		return oauth.ErrInvalidScope("the request asks for no credential (authorization_details or a credential scope) and no openid scope")
	}
	return nil
}

// requestedConfigurations parses authorization_details and returns the
// configuration IDs it names.
func (s *Authz) requestedConfigurations(raw string) ([]string, error) {
	var entries []json.RawMessage
	if err := json.Unmarshal([]byte(raw), &entries); err != nil {
		if json.Valid([]byte(raw)) {
			return nil, oauth.ErrInvalidAuthorizationDetails("authorization_details must be a JSON array")
		}
		return nil, oauth.ErrInvalidRequest("authorization_details is not valid JSON")
	}
	if len(entries) == 0 {
		return nil, oauth.ErrInvalidAuthorizationDetails("authorization_details must not be empty")
	}
	var ids []string
	for _, e := range entries {
		id, err := s.requestedConfiguration(e)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// CredentialScopes maps each credential configuration's scope to its ID.
func CredentialScopes(configs map[string]any) map[string]string {
	out := map[string]string{}
	for id, c := range configs {
		if m, ok := c.(map[string]any); ok {
			if scope, ok := m["scope"].(string); ok && scope != "" {
				out[scope] = id
			}
		}
	}
	return out
}

// sessionID is the record ID of a request_uri or a browser cookie: a hash,
// so that the database holds nothing usable.
func sessionID(kind, secret string) string {
	sum := sha256.Sum256([]byte(kind + "\x00" + secret))
	return kind + "-" + base64.RawURLEncoding.EncodeToString(sum[:])
}

// decodeAuthRequest reads a session's stored request.
func decodeAuthRequest(a storage.AuthSession) (authRequest, error) {
	var r authRequest
	if err := json.Unmarshal(a.Request, &r); err != nil {
		return r, fmt.Errorf("auth session %s: %w", a.ID, err)
	}
	return r, nil
}

// expiresIn is the number of whole seconds in d.
func expiresIn(d time.Duration) int64 { return int64(d / time.Second) }
