package credential

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
)

// The credential formats this issuer signs (OpenID4VCI 1.0 Appendix A).
const (
	FormatSDJWT = "dc+sd-jwt"
	FormatMDoc  = "mso_mdoc"
)

// Configuration is what the endpoint needs of one entry of
// credential_configurations_supported (OpenID4VCI 1.0 §12.2.4).
type Configuration struct {
	// ID is the credential configuration identifier.
	ID string
	// Format is FormatSDJWT or FormatMDoc; VCT (SD-JWT VC) or DocType
	// (mdoc) the type the credential carries.
	Format, VCT, DocType string
	// Scope is the scope value that grants the configuration ("" for
	// none).
	Scope string
	// ProofTypes is proof_types_supported, by proof type (ProofJWT,
	// ProofAttestation): the proofs a request may send.
	ProofTypes map[string]ProofType
	// Claims is credential_metadata.claims: what goes into a credential.
	// Empty, every claim of the subject goes in.
	Claims []Claim
}

// Claim is one entry of credential_metadata.claims (§12.2.4, Appendix C).
type Claim struct {
	// Path is the claims path pointer: strings, non-negative integers and
	// nil. For mdoc, exactly [namespace, element identifier].
	Path []any
	// Mandatory: a credential is never issued without it.
	Mandatory bool
}

// ParseConfigurations reads and checks credential_configurations_supported
// as the configuration holds it (decoded YAML or Go literals): a known
// format, vct or doctype present, proof types this issuer verifies with
// supported algorithms and well-formed key_attestations_required, claims
// paths well-formed. Every problem
// is reported, with the configuration's ID.
func ParseConfigurations(raw map[string]any) (map[string]*Configuration, error) {
	out := make(map[string]*Configuration, len(raw))
	var errs []error
	ids := make([]string, 0, len(raw))
	for id := range raw {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		c, err := parseConfiguration(id, raw[id])
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", id, err))
			continue
		}
		out[id] = c
	}
	return out, errors.Join(errs...)
}

// parseConfiguration reads one configuration.
func parseConfiguration(id string, v any) (*Configuration, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("not an object")
	}
	c := &Configuration{ID: id}
	c.Format, _ = m["format"].(string)
	c.VCT, _ = m["vct"].(string)
	c.DocType, _ = m["doctype"].(string)
	c.Scope, _ = m["scope"].(string)
	switch {
	case c.Format == FormatSDJWT && c.VCT == "":
		return nil, errors.New("a dc+sd-jwt configuration needs a vct")
	case c.Format == FormatMDoc && c.DocType == "":
		return nil, errors.New("an mso_mdoc configuration needs a doctype")
	case c.Format != FormatSDJWT && c.Format != FormatMDoc:
		return nil, fmt.Errorf("format %q is not one of %s, %s", c.Format, FormatSDJWT, FormatMDoc)
	}
	var err error
	if c.ProofTypes, err = parseProofTypes(m["proof_types_supported"]); err != nil {
		return nil, err
	}
	if c.Claims, err = parseClaims(c.Format, m["credential_metadata"]); err != nil {
		return nil, err
	}
	return c, nil
}

// parseClaims reads credential_metadata.claims.
func parseClaims(format string, v any) ([]Claim, error) {
	meta, _ := v.(map[string]any)
	if v != nil && meta == nil {
		return nil, errors.New("credential_metadata is not an object")
	}
	list, ok := meta["claims"].([]any)
	if meta["claims"] != nil && !ok {
		return nil, errors.New("credential_metadata.claims is not an array")
	}
	claims := make([]Claim, 0, len(list))
	for i, e := range list {
		m, _ := e.(map[string]any)
		path, _ := m["path"].([]any)
		if err := checkPath(format, path); err != nil {
			return nil, fmt.Errorf("credential_metadata.claims[%d]: %w", i, err)
		}
		mandatory, _ := m["mandatory"].(bool)
		claims = append(claims, Claim{Path: normalizePath(path), Mandatory: mandatory})
	}
	return claims, nil
}

// reserved are the claim names an SD-JWT VC's issuer sets itself, which no
// configured path may name (SD-JWT VC §3.2.2.2, RFC 9901 §4.2.2).
var reserved = []string{"iss", "iat", "exp", "nbf", "vct", "vct#integrity", "cnf", "status", "_sd", "_sd_alg", "..."}

// checkPath checks a claims path pointer (Appendix C): non-empty, a name
// first, then names, non-negative integers or null; for mdoc exactly two
// names (Appendix A.2.2).
func checkPath(format string, path []any) error {
	if len(path) == 0 {
		return errors.New("path must be a non-empty array")
	}
	first, ok := path[0].(string)
	switch {
	case !ok:
		return errors.New("path must start with a claim name")
	case format == FormatMDoc && (len(path) != 2 || !isString(path[1])):
		return errors.New("an mso_mdoc path is [namespace, element identifier]")
	case format == FormatSDJWT && slices.Contains(reserved, first):
		return fmt.Errorf("path names %q, which the issuer sets itself", first)
	}
	for _, e := range path[1:] {
		if _, ok := pathIndex(e); !ok && e != nil && !isString(e) {
			return errors.New("path elements must be strings, non-negative integers or null")
		}
	}
	return nil
}

func isString(v any) bool { _, ok := v.(string); return ok }

// pathIndex reads a path element that is an array index.
func pathIndex(e any) (int, bool) {
	switch v := e.(type) {
	case int:
		return v, v >= 0
	case int64:
		return int(v), v >= 0 && v <= math.MaxInt32
	case uint64:
		return int(v), v <= math.MaxInt32
	case float64:
		return int(v), v >= 0 && v == math.Trunc(v) && v <= math.MaxInt32
	}
	return 0, false
}

// normalizePath writes every index as an int.
func normalizePath(path []any) []any {
	out := make([]any, len(path))
	for i, e := range path {
		if n, ok := pathIndex(e); ok {
			out[i] = n
		} else {
			out[i] = e
		}
	}
	return out
}
