package uma

import (
	"context"
	"errors"
	"slices"
	"time"

	"issuer/issuer/oauth"
	"issuer/issuer/token"
	"issuer/storage"
)

// ResourceRequest registers a resource (admin API).
type ResourceRequest struct {
	ResourceServer string   `json:"resource_server"`
	Owner          string   `json:"owner"`
	Name           string   `json:"name,omitempty"`
	Scopes         []string `json:"resource_scopes"`
	AskOwner       bool     `json:"ask_owner,omitempty"`
}

// GrantRequest adds an owner's grant (admin API): exactly one of
// ClientID or RequestingParty (a username).
type GrantRequest struct {
	ClientID        string   `json:"client_id,omitempty"`
	RequestingParty string   `json:"requesting_party,omitempty"`
	Scopes          []string `json:"scopes"`
}

// ResourceInfo is a resource as the admin API shows it: every member
// present, grants and pending requests as arrays.
type ResourceInfo struct {
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

// resourceInfo is r as the admin API shows it.
func resourceInfo(r storage.UMAResource) ResourceInfo {
	return ResourceInfo{
		ID: r.ID, ResourceServer: r.ResourceServer, Owner: r.Owner, Name: r.Name, Scopes: r.Scopes, AskOwner: r.AskOwner,
		Grants: append([]storage.UMAGrant{}, r.Grants...), Requests: append([]storage.UMARequest{}, r.Requests...), CreatedAt: r.CreatedAt,
	}
}

// dedupe returns values without repeats, in order.
func dedupe(values []string) []string {
	var out []string
	for _, v := range values {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// CreateResource registers a resource.
func (s *UMA) CreateResource(ctx context.Context, req ResourceRequest) (ResourceInfo, error) {
	rs, err := s.store.GetClient(ctx, req.ResourceServer)
	if err != nil || rs.AuthMethod == oauth.AuthNone {
		return ResourceInfo{}, oauth.ErrInvalidRequest("resource_server must be a registered client that authenticates with a secret")
	}
	if _, err := s.store.GetUser(ctx, req.Owner); err != nil {
		return ResourceInfo{}, oauth.ErrInvalidRequest("owner must be an existing user")
	}
	if len(req.Scopes) == 0 || slices.ContainsFunc(req.Scopes, func(v string) bool { return !oauth.ValidScopeToken(v) }) {
		return ResourceInfo{}, oauth.ErrInvalidRequest("resource_scopes must be a non-empty list of scope values")
	}
	r := storage.UMAResource{
		ID: token.NewID(), ResourceServer: rs.ID, Owner: req.Owner, Name: req.Name,
		Scopes: dedupe(req.Scopes), AskOwner: req.AskOwner, CreatedAt: s.cfg.Now().UTC(),
	}
	if err := s.store.CreateUMAResource(ctx, r); err != nil {
		return ResourceInfo{}, oauth.ErrServer(err)
	}
	return resourceInfo(r), nil
}

// GetResource returns a resource with its grants and pending requests.
func (s *UMA) GetResource(ctx context.Context, id string) (ResourceInfo, error) {
	r, err := s.store.GetUMAResource(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return ResourceInfo{}, oauth.ErrNotFound("no such resource")
	} else if err != nil {
		return ResourceInfo{}, oauth.ErrServer(err)
	}
	return resourceInfo(r), nil
}

// AddGrant adds an owner's grant to a resource.
func (s *UMA) AddGrant(ctx context.Context, resourceID string, req GrantRequest) error {
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

// DecideRequest approves (adding a grant for the requesting client) or
// denies a pending access request.
func (s *UMA) DecideRequest(ctx context.Context, resourceID, requestID string, approve bool) error {
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

// updateResource updates a resource, mapping the store's errors.
func (s *UMA) updateResource(ctx context.Context, id string, update func(*storage.UMAResource) error) error {
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
