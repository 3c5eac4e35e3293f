package uma

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"

	"issuer/issuer/oauth"
	"issuer/storage"
)

// Evaluate decides a UMA grant request (UMA Grant §3.3) on t, the live
// permission ticket ticket names: the request's scope narrows the
// ticket's permissions, and the owners' grants for clientID or for the
// requesting party (a user ID, "" when no claim token identified one)
// decide. It returns the permissions granted, or, when none is, the answer
// of the grant as an *oauth.Error (need_info, request_submitted,
// request_denied), having used the ticket up when the answer ends it. A
// store error of using the ticket up is returned as it is, for the grant
// to map as it maps the ticket's redemption.
func (s *UMA) Evaluate(ctx context.Context, t storage.UMATicket, ticket, scope, clientID, party string) ([]storage.UMAPermission, error) {
	requested, err := narrowPermissions(t.Permissions, scope)
	if err != nil {
		return nil, err
	}
	if t.Denied {
		return nil, s.consumeTicket(ctx, t, errUMA("request_denied", "the resource owner denied the request"))
	}
	granted, why, err := s.evaluate(ctx, requested, clientID, party)
	if err != nil {
		return nil, err
	}
	if len(granted) == 0 {
		return nil, s.notGranted(ctx, t, ticket, requested, clientID, why)
	}
	return granted, nil
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
func (s *UMA) evaluate(ctx context.Context, requested []storage.UMAPermission, clientID, party string) ([]storage.UMAPermission, denial, error) {
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
func (s *UMA) notGranted(ctx context.Context, t storage.UMATicket, ticket string, requested []storage.UMAPermission, clientID string, why denial) error {
	switch {
	case why.partyGrants && !why.partyKnown:
		e := errUMA("need_info", "a claim token identifying the requesting party is needed")
		e.Extra = map[string]any{"ticket": ticket, "required_claims": []map[string]any{{
			"claim_token_format": []string{ClaimTokenFormat}, "issuer": s.cfg.URL, "name": "sub",
		}}}
		return e
	case why.askOwner:
		if err := s.queueRequest(ctx, t, requested, clientID); err != nil {
			return err
		}
		e := errUMA("request_submitted", "the request waits for the resource owner's decision")
		e.Extra = map[string]any{"ticket": ticket, "interval": pollInterval}
		return e
	}
	return s.consumeTicket(ctx, t, errUMA("request_denied", "the resource owner's grants do not cover the request"))
}

// queueRequest records the request on every ask_owner resource it names,
// once per ticket.
func (s *UMA) queueRequest(ctx context.Context, t storage.UMATicket, requested []storage.UMAPermission, clientID string) error {
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

// consumeTicket uses the ticket up and returns answer, or the store's
// error as it is.
func (s *UMA) consumeTicket(ctx context.Context, t storage.UMATicket, answer *oauth.Error) error {
	if err := s.store.UseUMATicket(ctx, storage.Issuance{Now: s.cfg.Now()}, t.ID); err != nil {
		return err
	}
	return answer
}

// errUMA is an answer of the UMA grant (UMA Grant §3.3.6).
func errUMA(code, description string) *oauth.Error {
	return oauth.New(http.StatusForbidden, code, "%s", description)
}
