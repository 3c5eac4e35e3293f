package grant

import (
	"context"
	"slices"
	"strings"

	"issuer/issuer/oauth"
	"issuer/issuer/token"
)

// clientCredentials runs the client_credentials grant (RFC 6749 §4.4) for
// an authenticated confidential client: the token's subject is the client,
// its scope is the requested one (each value registered for the client) or
// all the client registered, and there is no refresh token (§4.4.3).
func (e *Endpoint) clientCredentials(ctx context.Context, in Request) (*token.Response, error) {
	r := &in
	scope, err := grantedScope(r.Params["scope"], r.Client.Scope)
	if err != nil {
		return nil, err
	}
	return e.issue(ctx, r, token.Grant{Subject: r.Client.ID, ClientID: r.Client.ID, Scope: scope}, false)
}

// grantedScope checks a requested scope against the registered one
// (RFC 6749 §3.3): every value must be registered; no request means the
// registered scope (the documented default of OA-35).
func grantedScope(requested, registered string) (string, error) {
	if requested == "" {
		return registered, nil
	}
	allowed := strings.Fields(registered)
	var out []string
	for _, v := range strings.Fields(requested) {
		if !oauth.ValidScopeToken(v) {
			return "", oauth.ErrInvalidScope("the scope parameter is malformed")
		}
		if !slices.Contains(allowed, v) {
			return "", oauth.ErrInvalidScope("unauthorized to scopes : %s", v)
		}
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return strings.Join(out, " "), nil
}
