package dpop

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// maxMembers bounds the number of members of any JSON object in a proof (the
// header, the payload and the jwk). Real proofs have fewer than ten; the
// bound keeps the quadratic duplicate-name check cheap on hostile input.
const maxMembers = 32

var (
	errNotObject     = errors.New("not a JSON object")
	errDuplicateName = errors.New("duplicate member name")
	errTooMany       = errors.New("too many members")
)

// member is one name/value pair of a JSON object: name is the unescaped
// member name, value the raw JSON text of the value.
type member struct {
	name, value []byte
}

// parseObject validates that data is a single well-formed JSON object in
// UTF-8 and appends its members to ms. Duplicate member names (which
// encoding/json would silently resolve to the last one) are an error.
func parseObject(data []byte, ms []member) ([]member, error) {
	if !utf8.Valid(data) || !json.Valid(data) {
		return nil, errNotObject
	}
	return scanObject(data, ms)
}

// scanObject appends the members of the object at the start of data, which
// must already be known to be valid JSON, to ms.
func scanObject(data []byte, ms []member) ([]member, error) {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return nil, errNotObject
	}
	i = skipSpace(data, i+1)
	if data[i] == '}' {
		return ms, nil
	}
	for {
		end, escaped := scanString(data, i)
		name := data[i+1 : end-1]
		if escaped {
			var err error
			if name, err = unescape(data[i:end]); err != nil {
				return nil, errNotObject
			}
		}
		i = skipSpace(data, skipSpace(data, end)+1) // past ':'
		vend := skipValue(data, i)
		if len(ms) == maxMembers {
			return nil, errTooMany
		}
		for _, m := range ms {
			if bytes.Equal(m.name, name) {
				return nil, errDuplicateName
			}
		}
		ms = append(ms, member{name: name, value: data[i:vend]})
		i = skipSpace(data, vend)
		if data[i] == '}' {
			return ms, nil
		}
		i = skipSpace(data, i+1) // past ','
	}
}

// skipSpace returns the index of the first non-whitespace byte at or after i.
func skipSpace(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\r', '\n':
			i++
		default:
			return i
		}
	}
	return i
}

// scanString returns the index just past the string literal starting at
// data[i] == '"', and whether it contains escape sequences.
func scanString(data []byte, i int) (end int, escaped bool) {
	for j := i + 1; j < len(data); j++ {
		switch data[j] {
		case '\\':
			escaped = true
			j++
		case '"':
			return j + 1, escaped
		}
	}
	return len(data), escaped
}

// skipValue returns the index just past the JSON value starting at data[i].
func skipValue(data []byte, i int) int {
	switch data[i] {
	case '"':
		end, _ := scanString(data, i)
		return end
	case '{', '[':
		return skipNested(data, i)
	}
	for i < len(data) {
		switch data[i] {
		case ',', '}', ']', ' ', '\t', '\r', '\n':
			return i
		}
		i++
	}
	return i
}

// skipNested returns the index just past the object or array at data[i].
func skipNested(data []byte, i int) int {
	depth := 0
	for i < len(data) {
		switch data[i] {
		case '"':
			i, _ = scanString(data, i)
			continue
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i + 1
			}
		}
		i++
	}
	return i
}

// unescape decodes a JSON string literal that contains escape sequences.
// This is the rare path; plain strings are used in place.
func unescape(lit []byte) ([]byte, error) {
	var s string
	if err := json.Unmarshal(lit, &s); err != nil {
		return nil, err
	}
	return []byte(s), nil
}

// stringValue returns the contents of the JSON string value raw, or false if
// raw is not a string.
func stringValue(raw []byte) ([]byte, bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return nil, false
	}
	body := raw[1 : len(raw)-1]
	if bytes.IndexByte(body, '\\') < 0 {
		return body, true
	}
	s, err := unescape(raw)
	return s, err == nil
}

// maxNumericDate bounds the NumericDate values numericDate accepts, far
// beyond any real date and within time.Time's range.
const maxNumericDate = 1 << 53

// numericDate parses raw as a JSON number holding a NumericDate (RFC 7519
// §2: seconds since the epoch, fractions allowed). Strings, booleans and
// null are refused; values beyond ±maxNumericDate are clamped to it.
func numericDate(raw []byte) (time.Time, bool) {
	if len(raw) == 0 || raw[0] != '-' && (raw[0] < '0' || raw[0] > '9') {
		return time.Time{}, false
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) || math.IsNaN(f) {
		return time.Time{}, false
	}
	f = max(min(f, maxNumericDate), -maxNumericDate)
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), true
}

// intValue parses raw as a non-negative JSON integer: digits only, no sign,
// fraction or exponent, at most 2^53 (the JSON interoperable range).
func intValue(raw []byte) (int64, bool) {
	const limit = 1 << 53
	if len(raw) == 0 || len(raw) > 16 {
		return 0, false
	}
	var n int64
	for _, c := range raw {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, n <= limit
}
