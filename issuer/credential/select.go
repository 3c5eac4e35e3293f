package credential

import (
	"encoding/json"
	"net/http"
	"slices"
	"sort"

	"issuer/issuer/oauth"
	"issuer/storage"
)

// errUnknownConfiguration is unknown_credential_configuration.
func errUnknownConfiguration(format string, args ...any) *oauth.Error {
	return oauth.New(http.StatusBadRequest, oauth.CodeUnknownCredentialConfiguration, format, args...)
}

// grants is what an access token grants: its authorization_details and
// its scope.
type grants struct {
	details []oauth.AuthorizationDetail
	scope   string
}

func tokenGrants(rec storage.Token) (grants, error) {
	g := grants{scope: rec.Scope}
	if len(rec.AuthorizationDetails) > 0 {
		if err := json.Unmarshal(rec.AuthorizationDetails, &g.details); err != nil {
			return g, oauth.ErrServer(err)
		}
	}
	return g, nil
}

// byScope reports whether the token's scope grants c.
func (g grants) byScope(c *Configuration) bool {
	return c.Scope != "" && oauth.HasScope(g.scope, c.Scope)
}

// byDetails reports whether the token's authorization_details grant c.
func (g grants) byDetails(c *Configuration) bool {
	return slices.ContainsFunc(g.details, func(d oauth.AuthorizationDetail) bool { return d.CredentialConfigurationID == c.ID })
}

// configuration returns the configuration the request asks for, which the
// token must grant (OpenID4VCI 1.0 §8.2, VCI-50):
//   - credential_identifier: one of the identifiers of the token's
//     authorization_details;
//   - credential_configuration_id: a configuration whose scope the token
//     holds. One the token holds through authorization_details only is
//     accepted too, as wallet libraries send it, and refused with
//     StrictRequests, as the token response gave its identifier;
//   - format (drafts): the one configuration of that format (and vct or
//     doctype) that the token grants.
func (s *Service) configuration(p parsed, g grants) (*Configuration, error) {
	switch {
	case p.identifier != "":
		return s.byIdentifier(p.identifier, g)
	case p.configID != "":
		c := s.cfg.Configurations[p.configID]
		switch {
		case c == nil:
			return nil, errUnknownConfiguration("credential_configuration_id is not a configuration of this issuer")
		case g.byScope(c):
			return c, nil
		case g.byDetails(c) && !s.cfg.StrictRequests:
			// §8.2 wants the identifier here, but wallet libraries (the
			// @openid4vc/openid4vci client of 0.7.0) send only the
			// configuration ID: accepted as the one identifier it stands
			// for, unless requests are strict.
			return c, nil
		case g.byDetails(c):
			return nil, errRequest("the token was granted with authorization_details: send credential_identifier")
		}
		return nil, errUnknownConfiguration("the access token does not grant this credential configuration")
	}
	return s.byFormat(p, g)
}

// byIdentifier finds the configuration of a credential identifier.
func (s *Service) byIdentifier(id string, g grants) (*Configuration, error) {
	if len(g.details) == 0 {
		return nil, errRequest("the token was granted by scope and has no credential identifiers: send credential_configuration_id")
	}
	for _, d := range g.details {
		if slices.Contains(d.CredentialIdentifiers, id) {
			if c := s.cfg.Configurations[d.CredentialConfigurationID]; c != nil {
				return c, nil
			}
		}
	}
	return nil, oauth.New(http.StatusBadRequest, oauth.CodeUnknownCredentialIdentifier, "credential_identifier is not one of the access token's credential identifiers")
}

// draftFormats maps the format identifiers of the drafts to 1.0's.
var draftFormats = map[string]string{"vc+sd-jwt": FormatSDJWT}

// byFormat finds the one granted configuration of the drafts' format (and
// vct or doctype).
func (s *Service) byFormat(p parsed, g grants) (*Configuration, error) {
	format := p.format
	if f, ok := draftFormats[format]; ok {
		format = f
	}
	var found []*Configuration
	ids := make([]string, 0, len(s.cfg.Configurations))
	for id := range s.cfg.Configurations {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		c := s.cfg.Configurations[id]
		switch {
		case c.Format != format, p.vct != "" && c.VCT != p.vct, p.docType != "" && c.DocType != p.docType:
		case g.byScope(c) || g.byDetails(c):
			found = append(found, c)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return nil, errUnknownConfiguration("the access token grants no credential configuration of this format")
	}
	return nil, errUnknownConfiguration("the access token grants several configurations of this format: send credential_identifier or credential_configuration_id")
}
