package web_test

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"issuer/issuer"
	"issuer/issuer/oauth"
	"issuer/issuer/schema"
)

// ---------------------------------------------------------------------------
// The schemas are true of the server: every test server validates each
// JSON response it sends against the schema of its endpoint and status
// (issuer/schema), so that a drift between code and schema fails the test
// that caused it.

// responseSchema names the schema a response must satisfy, "" for none:
// endpoint is the request path without the server's base path.
func responseSchema(endpoint string, status int, grantType string) string {
	if status == http.StatusNotFound {
		// No route: the same answer at every path.
		return "error-response"
	}
	if status >= 400 {
		switch endpoint {
		case issuer.PathToken:
			return "token-error-response"
		case issuer.PathPAR:
			return "par-error-response"
		case issuer.PathIntrospect:
			return "introspection-error-response"
		case issuer.PathRevoke:
			return "revocation-error-response"
		case "/credential", "/deferred_credential", "/notification":
			return "credential-error-response"
		}
		return "error-response"
	}
	switch {
	case endpoint == issuer.PathToken && status == http.StatusOK && grantType == oauth.GrantRefreshToken:
		return "refresh-response"
	case endpoint == issuer.PathToken && status == http.StatusOK:
		return "token-response"
	case endpoint == issuer.PathPAR && status == http.StatusCreated:
		return "par-response"
	case endpoint == issuer.PathIntrospect && status == http.StatusOK:
		return "introspection-response"
	case endpoint == issuer.PathNonce && status == http.StatusOK:
		return "nonce-response"
	case (endpoint == "/credential" || endpoint == "/deferred_credential") && status < 300:
		return "credential-response"
	}
	return ""
}

// schemaChecked wraps the handler of a test server: it validates each
// JSON response against responseSchema and reports the violations when
// the test ends (after the server closed, so that none is missed).
// basePath is the path of the server's public URL ("" for none).
func schemaChecked(t testing.TB, basePath string, h func() http.Handler) http.Handler {
	t.Helper()
	var mu sync.Mutex
	var failures []string
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, f := range failures {
			t.Error(f)
		}
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := &capture{limit: 64 << 10}
		if r.Body != nil {
			r.Body = struct {
				io.Reader
				io.Closer
			}{io.TeeReader(r.Body, req), r.Body}
		}
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		h().ServeHTTP(rec, r)
		endpoint, ok := strings.CutPrefix(r.URL.Path, basePath)
		if !ok {
			endpoint = "" // outside the server's URL: no endpoint of ours
		}
		if f := checkResponse(endpoint, r.Method, req.grantType(), rec); f != "" {
			mu.Lock()
			failures = append(failures, f)
			mu.Unlock()
		}
	})
}

// checkResponse validates one recorded response; it returns "" when the
// response satisfies its schema (or has none) and a report otherwise.
func checkResponse(endpoint, method, grantType string, rec *recorder) string {
	body := rec.body.Bytes()
	name := responseSchema(endpoint, rec.status, grantType)
	mt, _, _ := mime.ParseMediaType(rec.Header().Get("Content-Type"))
	if name == "" || (rec.status >= 400 && mt != "application/json") {
		return ""
	}
	if mt == "application/jwt" {
		// An encrypted credential response (JWE): the tests that decrypt
		// it validate its plaintext (encOpen).
		return ""
	}
	observeError(endpoint, rec.status, body)
	vs, err := schema.ValidateJSON(name, body)
	if err == nil && len(vs) == 0 {
		return ""
	}
	return fmt.Sprintf("schema drift: %s %s answered %d, which fails the schema %s: %v %v\n\tbody: %s", method, endpoint, rec.status, name, vs, err, body)
}

// recorder passes a response through and keeps its status and body.
type recorder struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
	body        bytes.Buffer
}

func (r *recorder) WriteHeader(status int) {
	if !r.wroteHeader {
		r.status, r.wroteHeader = status, true
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wroteHeader = true
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// capture keeps the first limit bytes the server reads of a request body.
type capture struct {
	limit int
	buf   bytes.Buffer
}

func (c *capture) Write(b []byte) (int, error) {
	if room := c.limit - c.buf.Len(); room > 0 {
		c.buf.Write(b[:min(room, len(b))])
	}
	return len(b), nil
}

// grantType is the grant_type of a form body ("" when there is none).
func (c *capture) grantType() string {
	q, err := url.ParseQuery(c.buf.String())
	if err != nil {
		return ""
	}
	return q.Get("grant_type")
}
