package dpop

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

var (
	errURIQuery    = errors.New("dpop: URI has a query or fragment")
	errURIScheme   = errors.New("dpop: URI scheme must be http or https")
	errURIUserinfo = errors.New("dpop: URI has userinfo")
	errURIHost     = errors.New("dpop: URI host is invalid")
	errURIPort     = errors.New("dpop: URI port is invalid")
	errURIPath     = errors.New("dpop: URI path is invalid")
)

// checkHTU performs RFC 9449 §4.3 check 9: htu matches target, "ignoring
// any query and fragment parts" of both, after normalisation (§4.3
// recommends RFC 3986 §6.2.2 and §6.2.3). §4.2 says htu is sent without
// them, but §4.3 compares ignoring them, and certified clients send them
// (checklist DPOP-12), so a query or fragment in htu is dropped, not
// refused.
func checkHTU(htu []byte, target string) error {
	if i := bytes.IndexAny(htu, "?#"); i >= 0 {
		htu = htu[:i]
	}
	if i := strings.IndexAny(target, "?#"); i >= 0 {
		target = target[:i]
	}
	if string(htu) == target {
		return nil // the common case needs no normalisation
	}
	got, err := NormalizeHTU(string(htu))
	if err != nil {
		return errHTUSyntax
	}
	want, err := NormalizeHTU(target)
	if err != nil || got != want {
		// Name the URL this endpoint expects, so that a client behind a
		// proxy or with a wrong base URL sees what to send; the proof's
		// own htu is not echoed.
		return fmt.Errorf("%w (expected %s)", errHTUMismatch, target)
	}
	return nil
}

// NormalizeHTU normalises an http or https URI without query and fragment
// for comparison as RFC 9449 §4.3 check 9 recommends, with the
// syntax-based (RFC 3986 §6.2.2) and scheme-based (§6.2.3) normalisations:
// scheme and host are lowercased, a default or empty port is removed,
// percent-encodings are uppercased and those of unreserved characters
// decoded, dot segments are removed and an empty path becomes "/". The path
// keeps its case and trailing slash.
//
// NormalizeHTU refuses relative references, schemes other than http and
// https, userinfo, a query or fragment, percent-encoded or IPv6 zone hosts,
// and characters that RFC 3986 does not allow. It is idempotent.
func NormalizeHTU(raw string) (string, error) {
	if strings.ContainsAny(raw, "?#") {
		return "", errURIQuery
	}
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return "", errURIScheme
	}
	scheme = strings.ToLower(scheme)
	if scheme != "http" && scheme != "https" {
		return "", errURIScheme
	}
	authority, path := rest, ""
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		authority, path = rest[:i], rest[i:]
	}
	host, port, err := splitAuthority(authority, scheme)
	if err != nil {
		return "", err
	}
	p, err := normalizePath(path)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.Grow(len(scheme) + 3 + len(host) + len(port) + 1 + len(p))
	b.WriteString(scheme)
	b.WriteString("://")
	b.WriteString(host)
	if port != "" {
		b.WriteByte(':')
		b.WriteString(port)
	}
	b.WriteString(p)
	return b.String(), nil
}

// splitAuthority validates authority = host [ ":" port ] (RFC 3986 §3.2)
// and returns the lowercased host and the port, "" when it is empty or the
// scheme's default.
func splitAuthority(authority, scheme string) (host, port string, err error) {
	if strings.IndexByte(authority, '@') >= 0 {
		return "", "", errURIUserinfo
	}
	host, port = authority, ""
	if strings.HasPrefix(authority, "[") {
		end := strings.IndexByte(authority, ']')
		if end < 0 {
			return "", "", errURIHost
		}
		host, port = authority[:end+1], authority[end+1:]
		if port != "" && port[0] != ':' {
			return "", "", errURIHost
		}
		port = strings.TrimPrefix(port, ":")
		if !validChars(host[1:end], isIPLiteralChar) {
			return "", "", errURIHost
		}
	} else {
		host, port, _ = strings.Cut(authority, ":")
		if !validChars(host, isRegNameChar) {
			return "", "", errURIHost
		}
	}
	port, err = normalizePort(port, scheme)
	return strings.ToLower(host), port, err
}

// normalizePort returns the canonical decimal port, or "" for an empty or
// default port (RFC 3986 §6.2.3).
func normalizePort(port, scheme string) (string, error) {
	if port == "" {
		return "", nil
	}
	if len(port) > 5 || !validChars(port, isDigit) {
		return "", errURIPort
	}
	n, _ := strconv.Atoi(port)
	switch {
	case n > 65535:
		return "", errURIPort
	case n == 80 && scheme == "http", n == 443 && scheme == "https":
		return "", nil
	}
	return strconv.Itoa(n), nil
}

// normalizePath validates path-abempty (RFC 3986 §3.3), normalises its
// percent-encodings (§6.2.2.1, §6.2.2.2), removes dot segments (§6.2.2.3)
// and turns the empty path into "/" (§6.2.3).
func normalizePath(path string) (string, error) {
	buf := make([]byte, 0, len(path)+1)
	for i := 0; i < len(path); i++ {
		c := path[i]
		switch {
		case c == '%':
			if i+2 >= len(path) || !isHex(path[i+1]) || !isHex(path[i+2]) {
				return "", errURIPath
			}
			buf = appendPercent(buf, unhex(path[i+1])<<4|unhex(path[i+2]))
			i += 2
		case c == '/' || isPathChar(c):
			buf = append(buf, c)
		default:
			return "", errURIPath
		}
	}
	p := removeDotSegments(string(buf))
	if p == "" {
		p = "/"
	}
	return p, nil
}

// appendPercent appends the octet c, decoded if it is unreserved and as an
// uppercase percent-encoding otherwise.
func appendPercent(dst []byte, c byte) []byte {
	if isUnreserved(c) {
		return append(dst, c)
	}
	const hex = "0123456789ABCDEF"
	return append(dst, '%', hex[c>>4], hex[c&0xf])
}

// removeDotSegments implements RFC 3986 §5.2.4.
func removeDotSegments(in string) string {
	if !strings.Contains(in, ".") {
		return in
	}
	out := make([]byte, 0, len(in))
	for in != "" {
		switch {
		case strings.HasPrefix(in, "../"):
			in = in[3:]
		case strings.HasPrefix(in, "./"):
			in = in[2:]
		case strings.HasPrefix(in, "/./"):
			in = in[2:]
		case in == "/.":
			in = "/"
		case strings.HasPrefix(in, "/../"):
			in, out = in[3:], dropLastSegment(out)
		case in == "/..":
			in, out = "/", dropLastSegment(out)
		case in == "." || in == "..":
			in = ""
		default:
			n := strings.IndexByte(in[1:], '/') + 1
			if n == 0 {
				n = len(in)
			}
			out, in = append(out, in[:n]...), in[n:]
		}
	}
	return string(out)
}

// dropLastSegment removes the last "/" of out and everything after it.
func dropLastSegment(out []byte) []byte {
	return out[:max(bytes.LastIndexByte(out, '/'), 0)]
}

func validChars(s string, ok func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return s != ""
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isHex(c byte) bool { return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

func unhex(c byte) byte {
	switch {
	case isDigit(c):
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// isUnreserved: ALPHA / DIGIT / "-" / "." / "_" / "~" (RFC 3986 §2.3).
func isUnreserved(c byte) bool {
	return isAlpha(c) || isDigit(c) || c == '-' || c == '.' || c == '_' || c == '~'
}

// isSubDelim: "!" / "$" / "&" / "'" / "(" / ")" / "*" / "+" / "," / ";" / "="
// (RFC 3986 §2.2).
func isSubDelim(c byte) bool { return strings.IndexByte("!$&'()*+,;=", c) >= 0 }

// isRegNameChar: unreserved / sub-delims (RFC 3986 §3.2.2); percent-encoded
// hosts are refused.
func isRegNameChar(c byte) bool { return isUnreserved(c) || isSubDelim(c) }

// isIPLiteralChar allows the characters of an IPv6 address or IPvFuture
// (RFC 3986 §3.2.2) but no zone identifier.
func isIPLiteralChar(c byte) bool { return isUnreserved(c) || isSubDelim(c) || c == ':' }

// isPathChar: pchar without pct-encoded (RFC 3986 §3.3).
func isPathChar(c byte) bool { return isUnreserved(c) || isSubDelim(c) || c == ':' || c == '@' }
