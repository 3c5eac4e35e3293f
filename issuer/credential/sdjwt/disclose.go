package sdjwt

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
)

// saltBytes is the salt length: 128 bits (RFC 9901 §4.2.1, §9.3).
const saltBytes = 16

// SD-JWT's reserved member names (RFC 9901 §4.2.4.1, §4.2.4.2).
const (
	sdKey    = "_sd"
	arrayKey = "..."
)

// b64 is base64url without padding (RFC 9901 §1.2, RFC 7515 §2).
var b64 = base64.RawURLEncoding

// encoder makes the disclosures of one credential.
type encoder struct {
	rand        io.Reader
	maxDecoys   int
	disclosures []string
}

// object returns obj with the members sel selects replaced by digests in
// _sd and the selections below them applied. Members are visited in name
// order so that a given randomness source gives the same output.
func (e *encoder) object(obj map[string]any, sel *selection, path []any) (map[string]any, error) {
	out := make(map[string]any, len(obj)+1)
	var digests []string
	for _, name := range sortedKeys(obj) {
		if name == sdKey || name == arrayKey {
			return nil, fmt.Errorf("%w: %q at %v", ErrReservedClaim, name, path)
		}
		child := sel.names[name]
		v, err := e.value(obj[name], child, extend(path, name))
		if err != nil {
			return nil, err
		}
		if child == nil || !child.self {
			out[name] = v
			continue
		}
		d, err := e.disclose(name, v, true)
		if err != nil {
			return nil, err
		}
		digests = append(digests, d)
	}
	if len(digests) == 0 {
		return out, nil
	}
	decoys, err := e.decoys()
	if err != nil {
		return nil, err
	}
	digests = append(digests, decoys...)
	sort.Strings(digests)
	out[sdKey] = digests
	return out, nil
}

// array returns arr with the elements sel selects replaced by
// {"...": digest} and the selections below them applied.
func (e *encoder) array(arr []any, sel *selection, path []any) ([]any, error) {
	out := make([]any, len(arr))
	for i, elem := range arr {
		child := sel.element(i)
		v, err := e.value(elem, child, extend(path, i))
		if err != nil {
			return nil, err
		}
		if child == nil || !child.self {
			out[i] = v
			continue
		}
		d, err := e.disclose("", v, false)
		if err != nil {
			return nil, err
		}
		out[i] = map[string]any{arrayKey: d}
	}
	return out, nil
}

// value applies sel to v, checking that the selection fits v's shape.
// Members and indexes a selection names but v lacks are skipped: optional
// claims may be absent.
func (e *encoder) value(v any, sel *selection, path []any) (any, error) {
	switch t := v.(type) {
	case map[string]any:
		if sel != nil && (len(sel.indexes) > 0 || sel.all != nil) {
			return nil, fmt.Errorf("%w: %v is an object, the path selects array elements", ErrClaimPath, path)
		}
		return e.object(t, orEmpty(sel), path)
	case []any:
		if sel != nil && len(sel.names) > 0 {
			return nil, fmt.Errorf("%w: %v is an array, the path selects members", ErrClaimPath, path)
		}
		return e.array(t, orEmpty(sel), path)
	}
	if sel.hasChildren() {
		return nil, fmt.Errorf("%w: %v is neither an object nor an array", ErrClaimPath, path)
	}
	return v, nil
}

// orEmpty returns sel, or an empty selection for nil.
func orEmpty(sel *selection) *selection {
	if sel == nil {
		return &selection{}
	}
	return sel
}

// disclose appends the disclosure [salt, name, value] of an object member
// (or [salt, value] of an array element) and returns its digest.
func (e *encoder) disclose(name string, v any, member bool) (string, error) {
	salt, err := e.random(saltBytes)
	if err != nil {
		return "", err
	}
	arr := []any{b64.EncodeToString(salt), v}
	if member {
		arr = []any{arr[0], name, v}
	}
	raw, err := marshal(arr)
	if err != nil {
		return "", fmt.Errorf("sdjwt: encoding a disclosure: %w", err)
	}
	enc := b64.EncodeToString(raw)
	e.disclosures = append(e.disclosures, enc)
	return digest(enc), nil
}

// extend returns path with one more element, never sharing its array.
func extend(path []any, elem any) []any {
	return append(path[:len(path):len(path)], elem)
}

// decoys returns between 0 and maxDecoys decoy digests, each the digest of
// random bytes (RFC 9901 §4.2.5); the count itself is random.
func (e *encoder) decoys() ([]string, error) {
	if e.maxDecoys <= 0 {
		return nil, nil
	}
	b, err := e.random(8)
	if err != nil {
		return nil, err
	}
	n := int(binary.BigEndian.Uint64(b) % uint64(e.maxDecoys+1))
	out := make([]string, n)
	for i := range out {
		r, err := e.random(saltBytes)
		if err != nil {
			return nil, err
		}
		out[i] = digest(b64.EncodeToString(r))
	}
	return out, nil
}

// random reads n bytes of the randomness source.
func (e *encoder) random(n int) ([]byte, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(e.rand, b); err != nil {
		return nil, fmt.Errorf("sdjwt: reading randomness: %w", err)
	}
	return b, nil
}

// digest is the base64url SHA-256 of a disclosure's ASCII text (RFC 9901
// §4.2.3).
func digest(disclosure string) string {
	h := sha256.Sum256([]byte(disclosure))
	return b64.EncodeToString(h[:])
}

// marshal encodes v as JSON without HTML escaping and without the
// trailing newline of json.Encoder.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// sortedKeys returns m's keys in order.
func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
