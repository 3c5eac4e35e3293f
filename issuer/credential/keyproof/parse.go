package keyproof

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxProofSize bounds the compact proof Verify accepts, and the key
// attestation VerifyAttestation accepts. A jwk proof is a few hundred
// bytes; an x5c chain or a key attestation header (HAIP) may take some
// kilobytes.
const maxProofSize = 64 << 10

// b64 is base64url without padding (RFC 7515 §2), strict about trailing
// bits so that each part has exactly one accepted encoding.
var b64 = base64.RawURLEncoding.Strict()

// shapeErrors are the errors of parseCompact for one kind of JWT.
type shapeErrors struct {
	tooLarge, compact, header, payload error
}

// proofShape are the shape errors of a key proof.
var proofShape = &shapeErrors{tooLarge: errTooLarge, compact: errCompact, header: errHeaderJSON, payload: errPayloadJSON}

// jwt is a compact JWS split once: the signing input, the decoded
// signature, and the members of its header and payload.
type jwt struct {
	signingInput []byte
	signature    []byte
	header       members
	payload      members
}

// members are the members of a JSON object, by exact (case-sensitive)
// name, with their raw values.
type members map[string]json.RawMessage

// parseCompact splits raw into a compact JWS (RFC 7515 §7.1) with exactly
// one signature: three non-empty base64url parts whose header and payload
// are JSON objects without duplicate members (a fourth part fails the
// base64url decoding of the third). The JSON serialization (and
// with it several signatures) is refused by construction.
func parseCompact(raw string, errs *shapeErrors) (*jwt, error) {
	if len(raw) > maxProofSize {
		return nil, errs.tooLarge
	}
	h, rest, ok1 := strings.Cut(raw, ".")
	p, s, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || h == "" || p == "" || s == "" {
		return nil, errs.compact
	}
	hb, err1 := b64.DecodeString(h)
	pb, err2 := b64.DecodeString(p)
	sig, err3 := b64.DecodeString(s)
	if err1 != nil || err2 != nil || err3 != nil {
		return nil, errs.compact
	}
	t := &jwt{signingInput: []byte(raw[:len(h)+1+len(p)]), signature: sig}
	if t.header, err1 = parseObject(hb); err1 != nil {
		return nil, errs.header
	}
	if t.payload, err2 = parseObject(pb); err2 != nil {
		return nil, errs.payload
	}
	return t, nil
}

var errNotObject = errors.New("not a JSON object without duplicate members")

// parseObject returns the members of the JSON object data. Duplicate
// member names are refused: parsers differ on which one wins, and the
// signature covers both. A name is compared once unescaped, so "a" and
// "\u0061" are the same name.
func parseObject(data []byte) (members, error) {
	var m members
	if err := json.Unmarshal(data, &m); err != nil || m == nil {
		return nil, errNotObject
	}
	if countMembers(data) != len(m) {
		return nil, errNotObject
	}
	return m, nil
}

// countMembers counts the members of the valid JSON object data: the
// commas outside strings at depth 1, plus one unless it is empty.
func countMembers(data []byte) int {
	depth, commas, values := 0, 0, false
	inString, escaped := false, false
	for _, c := range data {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			continue
		case c == '}' || c == ']':
			depth--
			continue
		case c == ',' && depth == 1:
			commas++
		}
		if depth == 1 && c == '"' {
			values = true
		}
	}
	if !values {
		return 0
	}
	return commas + 1
}

// str returns the member name as a string. present is false when it is
// absent; ok is false when it is present but not a JSON string (null
// included).
func (m members) str(name string) (s string, present, ok bool) {
	v, present := m[name]
	if !present {
		return "", false, false
	}
	if len(v) < 2 || v[0] != '"' {
		return "", true, false
	}
	if inner := v[1 : len(v)-1]; bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
		return string(inner), true, true // no escape: the text is the value
	}
	if json.Unmarshal(v, &s) != nil {
		return "", true, false
	}
	return s, true, true
}

// number returns the member name as a JSON number (RFC 7519 NumericDate,
// which may have a fraction). present and ok as for str.
func (m members) number(name string) (f float64, present, ok bool) {
	v, present := m[name]
	if !present {
		return 0, false, false
	}
	if len(v) == 0 || v[0] != '-' && (v[0] < '0' || v[0] > '9') {
		return 0, true, false
	}
	f, err := strconv.ParseFloat(string(v), 64)
	return f, true, err == nil
}
