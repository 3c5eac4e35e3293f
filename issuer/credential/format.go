package credential

import (
	"crypto/rand"
	"errors"
	"slices"
	"strings"
	"time"

	"issuer/issuer/credential/mdoc"
	"issuer/issuer/credential/sdjwt"
	"issuer/issuer/oauth"
)

// maxDecoys bounds the decoy digests of each _sd array of an SD-JWT VC
// (RFC 9901 §4.2.5).
const maxDecoys = 3

// prepared is a credential's content, checked before anything is spent:
// the claims in the format's shape.
type prepared struct {
	conf *Configuration
	// json are the SD-JWT VC's claims; spaces the mdoc's namespaces.
	json   map[string]any
	spaces map[string]any
}

// prepare takes what c lists from the subject's claims and checks its
// mandatory claims.
func prepare(c *Configuration, src map[string]any) (prepared, error) {
	p := prepared{conf: c}
	if c.Format == FormatMDoc {
		if err := missingMandatory(c, func(path []any) (any, bool) { return mdocLookup(c, src, path) }); err != nil {
			return p, err
		}
		p.spaces = mdocSpaces(c, src)
		return p, nil
	}
	if err := missingMandatory(c, func(path []any) (any, bool) { return lookupJSON(src, path) }); err != nil {
		return p, err
	}
	p.json = selectJSON(c, src)
	return p, nil
}

// mdocLookup finds [namespace, element] in claims given nested by
// namespace or flat.
func mdocLookup(c *Configuration, src map[string]any, path []any) (any, bool) {
	ns, _ := path[0].(string)
	el, _ := path[1].(string)
	if m, ok := src[ns].(map[string]any); ok {
		if v, ok := m[el]; ok {
			return v, true
		}
	}
	v, ok := src[el]
	return v, ok
}

// mdocSpaces builds the namespaces of an mdoc: the listed elements, or,
// when the configuration lists none, every claim: objects under a dotted
// name are namespaces, the rest goes into the doctype's namespace.
func mdocSpaces(c *Configuration, src map[string]any) map[string]any {
	spaces := map[string]any{}
	add := func(ns, el string, v any) {
		m, _ := spaces[ns].(map[string]any)
		if m == nil {
			m = map[string]any{}
			spaces[ns] = m
		}
		m[el] = v
	}
	if len(c.Claims) > 0 {
		for _, cl := range c.Claims {
			if v, ok := mdocLookup(c, src, cl.Path); ok {
				add(cl.Path[0].(string), cl.Path[1].(string), v)
			}
		}
		return spaces
	}
	for k, v := range src {
		if m, ok := v.(map[string]any); ok && strings.Contains(k, ".") {
			for el, ev := range m {
				add(k, el, ev)
			}
			continue
		}
		add(c.DocType, k, v)
	}
	return spaces
}

// mdocDateElements are the data elements whose string values are
// full-dates (ISO/IEC 18013-5 §7.2.1 and the PID rulebook): JSON has no
// date type.
var mdocDateElements = []string{"birth_date", "expiry_date", "issue_date", "issuance_date", "portrait_capture_date"}

// mdocDates names the date elements of spaces that hold strings.
func mdocDates(spaces map[string]any) map[mdoc.Element]mdoc.DateKind {
	dates := map[mdoc.Element]mdoc.DateKind{}
	for ns, v := range spaces {
		for el, ev := range v.(map[string]any) {
			if _, ok := ev.(string); ok && slices.Contains(mdocDateElements, el) {
				dates[mdoc.Element{NameSpace: ns, Identifier: el}] = mdoc.KindFullDate
			}
		}
	}
	return dates
}

// disclosable lists the SD-JWT VC's selectively disclosable claims: every
// listed path, or every top-level claim when the configuration lists none.
func disclosable(p prepared) []sdjwt.ClaimPath {
	var out []sdjwt.ClaimPath
	if len(p.conf.Claims) == 0 {
		for k := range p.json {
			out = append(out, sdjwt.ClaimPath{k})
		}
		return out
	}
	for _, cl := range p.conf.Claims {
		if fitsShape(p.json, cl.Path) {
			out = append(out, sdjwt.ClaimPath(cl.Path))
		}
	}
	return out
}

// fitsShape reports whether path can select something in claims: its
// parent, when present, is an object for a name and an array for an index
// or null. A listed path whose parent has another shape (place_of_birth
// given as a string where the configuration lists its locality) selects
// nothing: the parent is disclosed whole.
func fitsShape(claims map[string]any, path []any) bool {
	if len(path) <= 1 {
		return true
	}
	parent, ok := lookupJSON(claims, path[:len(path)-1])
	if !ok {
		return true // absent: nothing to disclose, nothing to refuse
	}
	if _, isName := path[len(path)-1].(string); isName {
		_, ok = parent.(map[string]any)
	} else {
		_, ok = parent.([]any)
	}
	return ok
}

// sign makes one credential of p bound to holder.
func (s *Service) sign(p prepared, signer *Signer, holder any, now time.Time) (string, error) {
	var cred string
	var err error
	// A credential outliving its signer's certificate would stop verifying
	// before its own expiry: it ends with the certificate at the latest.
	validity := s.cfg.Validity
	if len(signer.Chain) > 0 {
		validity = min(validity, signer.Chain[0].NotAfter.Sub(now))
	}
	if p.conf.Format == FormatMDoc {
		cred, err = mdoc.Issue(mdoc.Input{
			Config:    mdoc.Config{DocType: p.conf.DocType, Dates: mdocDates(p.spaces)},
			Claims:    p.spaces,
			DeviceKey: holder, Signer: signer.Key, Chain: signer.Chain,
			Validity: mdoc.ValidFor(now, validity), Rand: rand.Reader,
		})
	} else {
		cred, err = sdjwt.Issue(sdjwt.Input{
			Issuer: s.cfg.URL, Key: signer.Key, Chain: signer.Chain, VCT: p.conf.VCT,
			Claims: p.json, Disclosable: disclosable(p), MaxDecoys: maxDecoys,
			Holder: holder, IssuedAt: now, Expires: now.Add(validity), Rand: rand.Reader,
		})
	}
	switch {
	case errors.Is(err, mdoc.ErrClaims) || errors.Is(err, sdjwt.ErrInput) || errors.Is(err, sdjwt.ErrReservedClaim) ||
		errors.Is(err, sdjwt.ErrClaimPath):
		return "", errDenied("the subject's claims cannot be encoded in this credential format")
	case errors.Is(err, mdoc.ErrDeviceKey) || errors.Is(err, sdjwt.ErrKey):
		return "", errProof("the proof's key cannot be bound to this credential (an mdoc needs a P-256 key)")
	case err != nil:
		return "", oauth.ErrServer(err)
	}
	return cred, nil
}
