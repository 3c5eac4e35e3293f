package sdjwt

import (
	"fmt"
)

// resolver replaces digests by what their disclosures disclose.
type resolver struct {
	byDigest map[string]*Disclosure
	seen     map[string]bool
}

// decodeDisclosures decodes every disclosure (RFC 9901 §7.1 step 3.1–3.2).
func (c *Credential) decodeDisclosures(encoded []string) error {
	c.Disclosures = make([]Disclosure, len(encoded))
	for i, enc := range encoded {
		d, err := decodeDisclosure(enc)
		if err != nil {
			return fmt.Errorf("%w: disclosure %d: %w", ErrDisclosure, i, err)
		}
		c.Disclosures[i] = d
	}
	return nil
}

// decodeDisclosure decodes one disclosure: [salt, name, value] or
// [salt, value].
func decodeDisclosure(enc string) (Disclosure, error) {
	var arr []any
	if err := decodeSegment(enc, &arr); err != nil {
		return Disclosure{}, err
	}
	d := Disclosure{Encoded: enc, Digest: digest(enc)}
	var ok bool
	switch len(arr) {
	case 2:
		d.Salt, ok = arr[0].(string)
		d.Value, d.IsElement = arr[1], true
	case 3:
		d.Salt, ok = arr[0].(string)
		name, isString := arr[1].(string)
		ok = ok && isString && name != sdKey && name != arrayKey
		d.Name, d.Value = name, arr[2]
	}
	if !ok {
		return Disclosure{}, fmt.Errorf("not [salt, name, value] or [salt, value]")
	}
	return d, nil
}

// resolve turns the payload into Claims (RFC 9901 §7.1 step 3.3–3.5).
func (c *Credential) resolve(payload map[string]any) error {
	if alg, ok := payload["_sd_alg"]; ok && alg != HashAlg {
		return fmt.Errorf("%w: _sd_alg is not %s", ErrMalformed, HashAlg)
	}
	delete(payload, "_sd_alg")
	r := &resolver{byDigest: map[string]*Disclosure{}, seen: map[string]bool{}}
	for i := range c.Disclosures {
		d := &c.Disclosures[i]
		if r.byDigest[d.Digest] != nil {
			return fmt.Errorf("%w: disclosure %d is sent twice", ErrDisclosure, i)
		}
		r.byDigest[d.Digest] = d
	}
	claims, err := r.object(payload)
	if err != nil {
		return err
	}
	for i, d := range c.Disclosures {
		if !r.seen[d.Digest] {
			return fmt.Errorf("%w: disclosure %d is not referenced by the payload", ErrDisclosure, i)
		}
	}
	c.Claims = claims
	return nil
}

// value resolves the digests in v.
func (r *resolver) value(v any) (any, error) {
	switch t := v.(type) {
	case map[string]any:
		return r.object(t)
	case []any:
		return r.array(t)
	}
	return v, nil
}

// object resolves obj's _sd digests and its members' values.
func (r *resolver) object(obj map[string]any) (map[string]any, error) {
	out := make(map[string]any, len(obj))
	for name, v := range obj {
		if name == sdKey {
			continue
		}
		if name == arrayKey {
			return nil, fmt.Errorf("%w: a %q member outside an array", ErrMalformed, arrayKey)
		}
		rv, err := r.value(v)
		if err != nil {
			return nil, err
		}
		out[name] = rv
	}
	sd, ok := obj[sdKey]
	if !ok {
		return out, nil
	}
	digests, ok := sd.([]any)
	if !ok {
		return nil, fmt.Errorf("%w: _sd is not an array", ErrMalformed)
	}
	for _, dv := range digests {
		if err := r.member(out, dv); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// member adds to out the member the digest dv discloses, if any (an
// unknown digest is a decoy or an undisclosed claim).
func (r *resolver) member(out map[string]any, dv any) error {
	s, ok := dv.(string)
	if !ok {
		return fmt.Errorf("%w: an _sd digest is not a string", ErrMalformed)
	}
	d, err := r.take(s)
	if d == nil || err != nil {
		return err
	}
	if d.IsElement {
		return fmt.Errorf("%w: an array element disclosure referenced from _sd", ErrDisclosure)
	}
	if _, dup := out[d.Name]; dup {
		return fmt.Errorf("%w: member %q is both plain and disclosed", ErrDisclosure, d.Name)
	}
	v, err := r.value(d.Value)
	if err != nil {
		return err
	}
	out[d.Name] = v
	return nil
}

// array resolves arr's {"...": digest} elements, dropping undisclosed ones.
func (r *resolver) array(arr []any) ([]any, error) {
	out := make([]any, 0, len(arr))
	for _, e := range arr {
		s, isRef, err := elementDigest(e)
		if err != nil {
			return nil, err
		}
		if !isRef {
			v, err := r.value(e)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
			continue
		}
		d, err := r.take(s)
		if err != nil {
			return nil, err
		}
		if d == nil {
			continue
		}
		if !d.IsElement {
			return nil, fmt.Errorf("%w: a member disclosure referenced from an array", ErrDisclosure)
		}
		v, err := r.value(d.Value)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// elementDigest tells whether e is {"...": digest} and returns the digest.
func elementDigest(e any) (string, bool, error) {
	obj, ok := e.(map[string]any)
	if !ok {
		return "", false, nil
	}
	ref, ok := obj[arrayKey]
	if !ok {
		return "", false, nil
	}
	s, isString := ref.(string)
	if len(obj) != 1 || !isString {
		return "", false, fmt.Errorf("%w: an array element digest is not {\"...\": digest}", ErrMalformed)
	}
	return s, true, nil
}

// take returns the disclosure of digest s (nil when none: a decoy or an
// undisclosed claim), refusing a digest met twice in the payload and the
// disclosures (RFC 9901 §7.1 step 3.4).
func (r *resolver) take(s string) (*Disclosure, error) {
	if r.seen[s] {
		return nil, fmt.Errorf("%w: a digest is referenced twice", ErrDisclosure)
	}
	r.seen[s] = true
	return r.byDigest[s], nil
}
