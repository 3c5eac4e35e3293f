package credential

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"issuer/issuer/oauth"
	"issuer/storage"
)

// errDenied is credential_request_denied.
func errDenied(format string, args ...any) *oauth.Error {
	return oauth.New(http.StatusBadRequest, oauth.CodeCredentialRequestDenied, format, args...)
}

// subjectClaims returns the claims of the token's subject. The grant
// decides: its offer (grantOffer) when it holds claims for this subject;
// else the user of the offer's subject (a user ID or username); else,
// for a grant a user signed in to (authorization code, refresh, password),
// the user whose ID is the subject. A token of no grant (client
// credentials, UMA: its subject is a client) gets no person's claims.
func (s *Service) subjectClaims(ctx context.Context, rec storage.Token, offer *storage.Offer) (map[string]any, error) {
	if offer != nil && len(offer.Claims) > 0 && string(offer.Claims) != "null" {
		return decodeClaims(offer.Claims)
	}
	if rec.GrantID == "" {
		return nil, errDenied("the access token was issued to a client, not for a person: it gets no credentials")
	}
	lookup := s.store.GetUserByID
	if offer != nil {
		lookup = s.user
	}
	user, err := lookup(ctx, rec.Subject)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, errDenied("no claims are known for the subject of the access token")
	} else if err != nil {
		return nil, oauth.ErrServer(err)
	}
	return decodeClaims(user.Claims)
}

// grantOffer returns the offer of the token's grant, for this subject:
// the offer of a pre-authorized code (GrantID is the offer), or the offer
// whose issuer_state started the authorization code flow (GrantID is the
// code, which records the offer). It is nil when the grant has none, it
// was swept, or it is for another subject.
func (s *Service) grantOffer(ctx context.Context, rec storage.Token) (*storage.Offer, error) {
	if rec.GrantID == "" {
		return nil, nil
	}
	offer, err := s.store.GetOffer(ctx, rec.GrantID)
	if errors.Is(err, storage.ErrNotFound) {
		code, cerr := s.store.GetAuthCode(ctx, rec.GrantID)
		switch {
		case errors.Is(cerr, storage.ErrNotFound) || cerr == nil && code.OfferID == "":
			return nil, nil
		case cerr != nil:
			return nil, oauth.ErrServer(cerr)
		}
		offer, err = s.store.GetOffer(ctx, code.OfferID)
	}
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, oauth.ErrServer(err)
	case !s.sameSubject(ctx, offer.Subject, rec.Subject):
		return nil, nil
	}
	return &offer, nil
}

// sameSubject reports whether an offer's subject (a user ID, a username
// or any string of the admin API) is the token's subject.
func (s *Service) sameSubject(ctx context.Context, offerSubject, tokenSubject string) bool {
	if offerSubject == tokenSubject {
		return true
	}
	user, err := s.store.GetUserByID(ctx, tokenSubject)
	return err == nil && user.Username == offerSubject
}

// user finds the subject's user by ID, else by username (an offer's
// subject may be one).
func (s *Service) user(ctx context.Context, subject string) (storage.User, error) {
	user, err := s.store.GetUserByID(ctx, subject)
	if errors.Is(err, storage.ErrNotFound) {
		return s.store.GetUser(ctx, subject)
	}
	return user, err
}

// decodeClaims reads a stored JSON object of claims.
func decodeClaims(raw json.RawMessage) (map[string]any, error) {
	out := map[string]any{}
	if len(raw) == 0 || string(raw) == "null" {
		return out, nil
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, oauth.ErrServer(fmt.Errorf("stored claims: %w", err))
	}
	return out, nil
}

// missingMandatory returns the first mandatory claim of c that src lacks.
func missingMandatory(c *Configuration, lookup func(path []any) (any, bool)) error {
	for _, cl := range c.Claims {
		if v, ok := lookup(cl.Path); cl.Mandatory && (!ok || v == nil) {
			return errDenied("the mandatory claim %s is not available for this subject", pathString(cl.Path))
		}
	}
	return nil
}

// descriptionSafe replaces what an error_description may not hold (RFC
// 6749 §5.2: %x20-21 / %x23-5B / %x5D-7E, so no quote, backslash or
// non-ASCII) with '?'.
func descriptionSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return '?'
		}
		return r
	}, s)
}

// pathString writes a claims path for a description: names and indices,
// never values.
func pathString(path []any) string {
	parts := make([]string, len(path))
	for i, e := range path {
		switch v := e.(type) {
		case nil:
			parts[i] = "null"
		case string:
			parts[i] = "'" + descriptionSafe(v) + "'"
		default:
			parts[i] = fmt.Sprint(v)
		}
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// lookupJSON follows path in src: a name steps into an object, an index
// into an array element, null into any element that has the rest.
func lookupJSON(src any, path []any) (any, bool) {
	if len(path) == 0 {
		return src, true
	}
	switch step := path[0].(type) {
	case string:
		m, ok := src.(map[string]any)
		if !ok {
			return nil, false
		}
		v, ok := m[step]
		if !ok {
			return nil, false
		}
		return lookupJSON(v, path[1:])
	case nil:
		arr, _ := src.([]any)
		for _, e := range arr {
			if v, ok := lookupJSON(e, path[1:]); ok && v != nil {
				return v, true
			}
		}
		return nil, false
	}
	i, _ := pathIndex(path[0])
	arr, ok := src.([]any)
	if !ok || i >= len(arr) {
		return nil, false
	}
	return lookupJSON(arr[i], path[1:])
}

// project returns the part of src that path selects, with the objects
// above it: names select members; at an array (an index or null) the
// whole array is kept.
func project(src any, path []any) (any, bool) {
	if len(path) == 0 {
		return src, true
	}
	name, ok := path[0].(string)
	if !ok {
		_, isArray := src.([]any)
		return src, isArray
	}
	m, ok := src.(map[string]any)
	if !ok {
		return nil, false
	}
	v, ok := m[name]
	if !ok {
		return nil, false
	}
	sub, ok := project(v, path[1:])
	if !ok {
		return nil, false
	}
	return map[string]any{name: sub}, true
}

// merge adds b's members to a, objects merged member by member.
func merge(a, b map[string]any) {
	for k, bv := range b {
		am, aok := a[k].(map[string]any)
		bm, bok := bv.(map[string]any)
		if aok && bok {
			merge(am, bm)
			continue
		}
		a[k] = bv
	}
}

// selectJSON keeps the claims of src that c lists (all of them, less the
// names the issuer sets, when it lists none).
func selectJSON(c *Configuration, src map[string]any) map[string]any {
	out := map[string]any{}
	if len(c.Claims) == 0 {
		for k, v := range src {
			if !slices.Contains(reserved, k) {
				out[k] = v
			}
		}
		return out
	}
	for _, cl := range c.Claims {
		if v, ok := project(src, cl.Path); ok {
			merge(out, v.(map[string]any))
		}
	}
	return out
}
