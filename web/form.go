package web

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"issuer/issuer/oauth"
)

// credentialParams may never travel in a request URI (RFC 6749 §2.3.1):
// a request that carries one in its query is refused, so that secrets in
// URLs fail loudly instead of being ignored.
var credentialParams = []string{
	"client_id", "client_secret", "client_assertion", "client_assertion_type",
	"pre-authorized_code", "tx_code", "code", "code_verifier", "refresh_token", "password",
}

// readForm parses an application/x-www-form-urlencoded body strictly: the
// content type must say so, the body is capped, no parameter may repeat
// (RFC 6749 §3.2), names and values must be valid UTF-8 without control
// characters, and empty values count as absent.
func readForm(c echo.Context) (map[string]string, error) {
	r := c.Request()
	if r.URL.RawQuery != "" {
		query := r.URL.Query()
		for _, name := range credentialParams {
			if query.Has(name) {
				return nil, oauth.ErrInvalidRequest("credentials and grants must not be sent in the request URI")
			}
		}
	}
	if len(r.TransferEncoding) > 0 {
		// Go drops a Content-Length that conflicts with chunked encoding, so
		// the conflict (a request-smuggling sign, RFC 9112 §6.1) cannot be
		// seen here: form bodies must declare their length instead.
		c.Response().Header().Set(echo.HeaderConnection, "close")
		return nil, oauth.ErrInvalidRequest("the request body must have a Content-Length")
	}
	mt, params, err := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType))
	if err != nil || mt != echo.MIMEApplicationForm {
		return nil, oauth.ErrInvalidRequest("the request body must be application/x-www-form-urlencoded")
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return nil, oauth.ErrInvalidRequest("the request body must be UTF-8")
	}
	body, err := readBody(c, maxFormBytes)
	if err != nil {
		return nil, err
	}
	return parseForm(string(body))
}

// readBody reads the request body, refusing one over limit bytes with 413.
func readBody(c echo.Context, limit int64) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(c.Response(), c.Request().Body, limit))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, errTooLarge()
	} else if err != nil {
		return nil, oauth.ErrInvalidRequest("the request body could not be read")
	}
	return body, nil
}

func parseForm(body string) (map[string]string, error) {
	form := make(map[string]string, 8)
	seen := make(map[string]bool, 8)
	for n := 0; body != ""; n++ {
		if n == maxParams {
			return nil, oauth.ErrInvalidRequest("the request has too many parameters")
		}
		var pair string
		pair, body, _ = strings.Cut(body, "&")
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		key, err1 := url.QueryUnescape(k)
		value, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil || !clean(key) || !clean(value) {
			return nil, oauth.ErrInvalidRequest("a parameter is not properly form-encoded UTF-8 text")
		}
		if seen[key] {
			return nil, oauth.ErrInvalidRequest("the parameter %s appears more than once", printableName(key))
		}
		seen[key] = true
		if value != "" {
			form[key] = value
		}
	}
	return form, nil
}

// clean reports whether s is valid UTF-8 without control characters.
func clean(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// printableName returns a parameter name safe to put in error_description
// (RFC 6749 §5.2 restricts its characters), or a neutral word.
func printableName(name string) string {
	if len(name) > 40 {
		return "(unnamed)"
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.') {
			return "(unnamed)"
		}
	}
	return name
}
