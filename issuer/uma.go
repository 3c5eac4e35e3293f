package issuer

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"issuer/issuer/clientauth"
	"issuer/issuer/oauth"
	"issuer/issuer/token"
	"issuer/storage"
)

// UMA 2.0 Grant (Kantara): what is supported.
//   - Resources are registered through the admin API on behalf of their
//     owner and of the resource server (a client that authenticates with a
//     secret) that protects them.
//   - The policy is the owner's explicit grants: scopes for a requesting
//     client, or for a requesting party (a user of this server, identified
//     by a pushed claim token: an access token this server issued to that
//     user). Resources marked ask_owner queue unmatched requests for the
//     owner's decision.
//   - Answers: an RPT with a permissions claim; need_info when a grant names
//     a requesting party and no claim token was pushed; request_submitted
//     for ask_owner resources; request_denied otherwise.
//   - Not supported: pct (persisted claims tokens), RPT upgrade (rpt is
//     ignored; upgraded is always false), redirect_user interactive claims
//     gathering, other claim token formats.
const (
	umaTicketTTL      = 5 * time.Minute
	umaPollInterval   = 5
	claimTokenFormat  = "urn:ietf:params:oauth:token-type:jwt"
	PathUMAPermission = "/uma/permission"
)

// UMAResourceRequest registers a resource (admin API).
type UMAResourceRequest struct {
	ResourceServer string   `json:"resource_server"`
	Owner          string   `json:"owner"`
	Name           string   `json:"name,omitempty"`
	Scopes         []string `json:"resource_scopes"`
	AskOwner       bool     `json:"ask_owner,omitempty"`
}

// UMAGrantRequest adds an owner's grant (admin API): exactly one of
// ClientID or RequestingParty (a username).
type UMAGrantRequest struct {
	ClientID        string   `json:"client_id,omitempty"`
	RequestingParty string   `json:"requesting_party,omitempty"`
	Scopes          []string `json:"scopes"`
}

// UMAResourceInfo is a resource as the admin API shows it: every member
// present, grants and pending requests as arrays.
type UMAResourceInfo struct {
	ID             string               `json:"id"`
	ResourceServer string               `json:"resource_server"`
	Owner          string               `json:"owner"`
	Name           string               `json:"name"`
	Scopes         []string             `json:"resource_scopes"`
	AskOwner       bool                 `json:"ask_owner"`
	Grants         []storage.UMAGrant   `json:"grants"`
	Requests       []storage.UMARequest `json:"requests"`
	CreatedAt      time.Time            `json:"created_at"`
}

func resourceInfo(r storage.UMAResource) UMAResourceInfo {
	return UMAResourceInfo{
		ID: r.ID, ResourceServer: r.ResourceServer, Owner: r.Owner, Name: r.Name, Scopes: r.Scopes, AskOwner: r.AskOwner,
		Grants: append([]storage.UMAGrant{}, r.Grants...), Requests: append([]storage.UMARequest{}, r.Requests...), CreatedAt: r.CreatedAt,
	}
}

func dedupe(values []string) []string {
	var out []string
	for _, v := range values {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// CreateUMAResource registers a resource.
func (s *Service) CreateUMAResource(ctx context.Context, req UMAResourceRequest) (UMAResourceInfo, error) {
	rs, err := s.store.GetClient(ctx, req.ResourceServer)
	if err != nil || rs.AuthMethod == oauth.AuthNone {
		return UMAResourceInfo{}, oauth.ErrInvalidRequest("resource_server must be a registered client that authenticates with a secret")
	}
	if _, err := s.store.GetUser(ctx, req.Owner); err != nil {
		return UMAResourceInfo{}, oauth.ErrInvalidRequest("owner must be an existing user")
	}
	if len(req.Scopes) == 0 || slices.ContainsFunc(req.Scopes, func(v string) bool { return !validScopeToken(v) }) {
		return UMAResourceInfo{}, oauth.ErrInvalidRequest("resource_scopes must be a non-empty list of scope values")
	}
	r := storage.UMAResource{
		ID: token.NewID(), ResourceServer: rs.ID, Owner: req.Owner, Name: req.Name,
		Scopes: dedupe(req.Scopes), AskOwner: req.AskOwner, CreatedAt: s.cfg.Now().UTC(),
	}
	if err := s.store.CreateUMAResource(ctx, r); err != nil {
		return UMAResourceInfo{}, oauth.ErrServer(err)
	}
	return resourceInfo(r), nil
}

// GetUMAResource returns a resource with its grants and pending requests.
func (s *Service) GetUMAResource(ctx context.Context, id string) (UMAResourceInfo, error) {
	r, err := s.store.GetUMAResource(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return UMAResourceInfo{}, oauth.ErrNotFound("no such resource")
	} else if err != nil {
		return UMAResourceInfo{}, oauth.ErrServer(err)
	}
	return resourceInfo(r), nil
}

// AddUMAGrant adds an owner's grant to a resource.
func (s *Service) AddUMAGrant(ctx context.Context, resourceID string, req UMAGrantRequest) error {
	g := storage.UMAGrant{ClientID: req.ClientID, Scopes: req.Scopes}
	switch {
	case (req.ClientID == "") == (req.RequestingParty == ""):
		return oauth.ErrInvalidRequest("a grant names exactly one of client_id and requesting_party")
	case req.ClientID != "":
		if _, err := s.store.GetClient(ctx, req.ClientID); err != nil {
			return oauth.ErrInvalidRequest("client_id must be a registered client")
		}
	default:
		u, err := s.store.GetUser(ctx, req.RequestingParty)
		if err != nil {
			return oauth.ErrInvalidRequest("requesting_party must be an existing user")
		}
		g.RequestingParty = u.ID
	}
	return s.updateResource(ctx, resourceID, func(r *storage.UMAResource) error {
		if len(g.Scopes) == 0 || !subset(g.Scopes, r.Scopes) {
			return oauth.ErrInvalidRequest("scopes must be a non-empty subset of the resource's scopes")
		}
		r.Grants = append(r.Grants, g)
		return nil
	})
}

// DecideUMARequest approves (adding a grant for the requesting client) or
// denies a pending access request.
func (s *Service) DecideUMARequest(ctx context.Context, resourceID, requestID string, approve bool) error {
	err := s.updateResource(ctx, resourceID, func(r *storage.UMAResource) error {
		i := slices.IndexFunc(r.Requests, func(q storage.UMARequest) bool { return q.ID == requestID })
		if i < 0 {
			return oauth.ErrNotFound("no such request")
		}
		if approve {
			r.Grants = append(r.Grants, storage.UMAGrant{ClientID: r.Requests[i].ClientID, Scopes: r.Requests[i].Scopes})
		}
		r.Requests = slices.Delete(r.Requests, i, i+1)
		return nil
	})
	if err != nil || approve {
		return err
	}
	if err := s.store.DenyUMATicket(ctx, requestID); err != nil && !errors.Is(err, storage.ErrNotFound) {
		return oauth.ErrServer(err)
	}
	return nil
}

func (s *Service) updateResource(ctx context.Context, id string, update func(*storage.UMAResource) error) error {
	err := s.store.UpdateUMAResource(ctx, id, update)
	var oe *oauth.Error
	switch {
	case errors.As(err, &oe):
		return oe
	case errors.Is(err, storage.ErrNotFound):
		return oauth.ErrNotFound("no such resource")
	case err != nil:
		return oauth.ErrServer(err)
	}
	return nil
}

// umaTicketID is the record ID of a permission ticket: a hash of it.
func umaTicketID(ticket string) string {
	sum := sha256.Sum256([]byte(ticket))
	return "pt-" + base64.RawURLEncoding.EncodeToString(sum[:])
}

// CreatePermissionTicket is the UMA permission endpoint (Federated
// Authorization §4): a resource server, authenticated with HTTP Basic,
// registers the permissions a client asked it for and gets a ticket. Only
// req's Authorization and RemoteIP are used.
func (s *Service) CreatePermissionTicket(ctx context.Context, req ClientRequest, body []byte) (string, error) {
	rs, _, err := s.ClientAuth.Authenticate(ctx, ClientRequest{Params: map[string]string{}, Authorization: req.Authorization, RemoteIP: req.RemoteIP})
	if err != nil {
		return "", err
	}
	if rs == nil || rs.AuthMethod == oauth.AuthNone {
		return "", oauth.ErrInvalidClient("the resource server must authenticate with HTTP Basic").WithChallenge(clientauth.BasicChallenge())
	}
	perms, err := parsePermissions(body)
	if err != nil {
		return "", err
	}
	for _, p := range perms {
		r, err := s.store.GetUMAResource(ctx, p.ResourceID)
		if err != nil || r.ResourceServer != rs.ID {
			return "", oauth.New(http.StatusBadRequest, "invalid_resource_id", "a resource_id is unknown or not protected by this resource server")
		}
		if !subset(p.Scopes, r.Scopes) {
			return "", oauth.ErrInvalidScope("a resource scope is not registered for the resource")
		}
	}
	ticket := token.Random()
	t := storage.UMATicket{ID: umaTicketID(ticket), ResourceServer: rs.ID, Permissions: perms, ExpiresAt: s.cfg.Now().Add(umaTicketTTL)}
	if err := s.store.CreateUMATicket(ctx, t); err != nil {
		return "", oauth.ErrServer(err)
	}
	return ticket, nil
}

// parsePermissions reads one permission request object or a non-empty
// array of them.
func parsePermissions(body []byte) ([]storage.UMAPermission, error) {
	var perms []storage.UMAPermission
	trimmed := strings.TrimSpace(string(body))
	var err error
	if strings.HasPrefix(trimmed, "{") {
		var p storage.UMAPermission
		err = json.Unmarshal(body, &p)
		perms = []storage.UMAPermission{p}
	} else {
		err = json.Unmarshal(body, &perms)
	}
	if err != nil || len(perms) == 0 {
		return nil, oauth.ErrInvalidRequest("the body must be a permission request object or a non-empty array of them")
	}
	for _, p := range perms {
		if p.ResourceID == "" || len(p.Scopes) == 0 {
			return nil, oauth.ErrInvalidRequest("each permission request needs resource_id and resource_scopes")
		}
	}
	return perms, nil
}

func subset(values, of []string) bool {
	for _, v := range values {
		if !slices.Contains(of, v) {
			return false
		}
	}
	return true
}

// umaTicket runs the UMA 2.0 grant (UMA Grant §3.3): it redeems a
// permission ticket for an RPT whose permissions claim lists what the
// owner's grants allow, or answers need_info, request_submitted or
// request_denied (§3.3.6).
func (s *Service) umaTicket(ctx context.Context, in grantRequest) (*token.Response, error) {
	r := &in
	req, client, proof, now := &r.TokenRequest, r.Client, r.Proof, r.Now
	ticket := req.Params["ticket"]
	if ticket == "" {
		return nil, oauth.ErrInvalidRequest("the parameter ticket is missing")
	}
	party, err := s.requestingParty(ctx, req.Params, now)
	if err != nil {
		return nil, err
	}
	t, err := s.store.GetUMATicket(ctx, umaTicketID(ticket))
	if err == nil {
		err = storage.CheckTicket(t, now)
	}
	if err != nil {
		return nil, s.grantFailure(ctx, proof, now, redeemError(err, umaTicketAnswers))
	}
	requested, err := narrowPermissions(t.Permissions, req.Params["scope"])
	if err != nil {
		return nil, err
	}
	if t.Denied {
		return nil, s.consumeTicket(ctx, t, errUMA("request_denied", "the resource owner denied the request"))
	}
	granted, why, err := s.evaluate(ctx, requested, client.ID, party)
	if err != nil {
		return nil, err
	}
	if len(granted) == 0 {
		return nil, s.notGranted(ctx, t, ticket, requested, client.ID, why)
	}
	a := token.Grant{Subject: client.ID, ClientID: client.ID, Permissions: granted}
	if party != "" {
		a.Subject = party
	}
	tok, rec, err := s.mint.Access(a, r.Binding, now)
	if err != nil {
		return nil, err
	}
	iss := storage.Issuance{Now: now, Tokens: []storage.Token{rec}}
	if proof != nil {
		iss.ReplayKey, iss.ReplayExpiry = proof.ReplayKey, proof.ReplayExpiry
	}
	if err := s.store.UseUMATicket(ctx, iss, t.ID); err != nil {
		return nil, redeemError(err, umaTicketAnswers)
	}
	resp := s.mint.Response(tok, rec, nil, now)
	upgraded := false
	resp.Upgraded = &upgraded
	return resp, nil
}

// requestingParty verifies a pushed claim token: an active access token
// this server issued, whose subject is the requesting party.
func (s *Service) requestingParty(ctx context.Context, p map[string]string, now time.Time) (string, error) {
	tok, format := p["claim_token"], p["claim_token_format"]
	switch {
	case (tok == "") != (format == ""):
		return "", oauth.ErrInvalidRequest("claim_token and claim_token_format go together")
	case tok == "":
		return "", nil
	case format != claimTokenFormat:
		return "", oauth.ErrInvalidRequest("the claim_token_format is not supported")
	}
	rec, found, err := s.findToken(ctx, tok)
	if err != nil {
		return "", err
	}
	if !found || rec.Kind != "access_token" || !s.active(rec, now) {
		return "", oauth.ErrInvalidRequest("the claim token is not an active access token of this server")
	}
	return rec.Subject, nil
}

// narrowPermissions applies the request's scope parameter to the ticket's
// permissions; every value must be in the ticket.
func narrowPermissions(perms []storage.UMAPermission, scope string) ([]storage.UMAPermission, error) {
	if scope == "" {
		return perms, nil
	}
	wanted := strings.Fields(scope)
	var out []storage.UMAPermission
	for _, v := range wanted {
		if !slices.ContainsFunc(perms, func(p storage.UMAPermission) bool { return slices.Contains(p.Scopes, v) }) {
			return nil, oauth.ErrInvalidScope("a scope value is not in the permission ticket")
		}
	}
	for _, p := range perms {
		kept := slices.DeleteFunc(slices.Clone(p.Scopes), func(v string) bool { return !slices.Contains(wanted, v) })
		if len(kept) > 0 {
			out = append(out, storage.UMAPermission{ResourceID: p.ResourceID, Scopes: kept})
		}
	}
	return out, nil
}

// denial says why nothing was granted: a grant names requesting parties
// (and whether one was identified), or a resource asks its owner.
type denial struct{ partyGrants, partyKnown, askOwner bool }

// evaluate applies the owners' grants to the requested permissions.
func (s *Service) evaluate(ctx context.Context, requested []storage.UMAPermission, clientID, party string) ([]storage.UMAPermission, denial, error) {
	var granted []storage.UMAPermission
	why := denial{partyKnown: party != ""}
	for _, p := range requested {
		r, err := s.store.GetUMAResource(ctx, p.ResourceID)
		if errors.Is(err, storage.ErrNotFound) {
			continue
		} else if err != nil {
			return nil, why, oauth.ErrServer(err)
		}
		var allowed []string
		for _, g := range r.Grants {
			why.partyGrants = why.partyGrants || g.RequestingParty != ""
			if g.ClientID == clientID && g.ClientID != "" || party != "" && g.RequestingParty == party {
				allowed = append(allowed, g.Scopes...)
			}
		}
		why.askOwner = why.askOwner || r.AskOwner
		kept := slices.DeleteFunc(slices.Clone(p.Scopes), func(v string) bool { return !slices.Contains(allowed, v) })
		if len(kept) > 0 {
			granted = append(granted, storage.UMAPermission{ResourceID: p.ResourceID, Scopes: kept})
		}
	}
	return granted, why, nil
}

// notGranted answers a request the grants do not cover (UMA Grant §3.3.6).
func (s *Service) notGranted(ctx context.Context, t storage.UMATicket, ticket string, requested []storage.UMAPermission, clientID string, why denial) error {
	switch {
	case why.partyGrants && !why.partyKnown:
		e := errUMA("need_info", "a claim token identifying the requesting party is needed")
		e.Extra = map[string]any{"ticket": ticket, "required_claims": []map[string]any{{
			"claim_token_format": []string{claimTokenFormat}, "issuer": s.cfg.URL, "name": "sub",
		}}}
		return e
	case why.askOwner:
		if err := s.queueRequest(ctx, t, requested, clientID); err != nil {
			return err
		}
		e := errUMA("request_submitted", "the request waits for the resource owner's decision")
		e.Extra = map[string]any{"ticket": ticket, "interval": umaPollInterval}
		return e
	}
	return s.consumeTicket(ctx, t, errUMA("request_denied", "the resource owner's grants do not cover the request"))
}

// queueRequest records the request on every ask_owner resource it names,
// once per ticket.
func (s *Service) queueRequest(ctx context.Context, t storage.UMATicket, requested []storage.UMAPermission, clientID string) error {
	for _, p := range requested {
		err := s.store.UpdateUMAResource(ctx, p.ResourceID, func(r *storage.UMAResource) error {
			if !r.AskOwner || slices.ContainsFunc(r.Requests, func(q storage.UMARequest) bool { return q.ID == t.ID }) {
				return nil
			}
			r.Requests = append(r.Requests, storage.UMARequest{ID: t.ID, ClientID: clientID, Scopes: p.Scopes})
			return nil
		})
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return oauth.ErrServer(err)
		}
	}
	return nil
}

// consumeTicket uses the ticket up and returns answer.
func (s *Service) consumeTicket(ctx context.Context, t storage.UMATicket, answer *oauth.Error) error {
	if err := s.store.UseUMATicket(ctx, storage.Issuance{Now: s.cfg.Now()}, t.ID); err != nil {
		return redeemError(err, umaTicketAnswers)
	}
	return answer
}

func errUMA(code, description string) *oauth.Error {
	return oauth.New(http.StatusForbidden, code, "%s", description)
}
