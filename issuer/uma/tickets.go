package uma

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"issuer/issuer/clientauth"
	"issuer/issuer/oauth"
	"issuer/issuer/token"
	"issuer/storage"
)

// TicketID is the record ID of a permission ticket: a hash of it.
func TicketID(ticket string) string {
	sum := sha256.Sum256([]byte(ticket))
	return "pt-" + base64.RawURLEncoding.EncodeToString(sum[:])
}

// CreatePermissionTicket is the UMA permission endpoint (Federated
// Authorization §4): a resource server, authenticated with HTTP Basic,
// registers the permissions a client asked it for and gets a ticket. Only
// req's Authorization and RemoteIP are used.
func (s *UMA) CreatePermissionTicket(ctx context.Context, req clientauth.Request, body []byte) (string, error) {
	rs, _, err := s.auth.Authenticate(ctx, clientauth.Request{Params: map[string]string{}, Authorization: req.Authorization, RemoteIP: req.RemoteIP})
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
	t := storage.UMATicket{ID: TicketID(ticket), ResourceServer: rs.ID, Permissions: perms, ExpiresAt: s.cfg.Now().Add(ticketTTL)}
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

// subset reports whether every value is in of.
func subset(values, of []string) bool {
	for _, v := range values {
		if !slices.Contains(of, v) {
			return false
		}
	}
	return true
}
