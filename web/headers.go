package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"issuer/issuer/oauth"
)

// Request head limits. net/http answers a head above its
// Server.MaxHeaderBytes itself, before any handler, with a plain-text 431
// that no client can parse as an OAuth error and that lacks
// Cache-Control: no-store. So the server reads up to ServerMaxHeaderBytes
// and limitHeaders enforces MaxHeaderBytes with the service's own answer.
const (
	// MaxHeaderBytes is the largest request head the service accepts: the
	// request line and every header field. Wallet attestations with x5c
	// chains are large.
	MaxHeaderBytes = 64 << 10
	// ServerMaxHeaderBytes is the value for http.Server.MaxHeaderBytes:
	// well above MaxHeaderBytes, so that the usual oversized heads get the
	// OAuth answer, and a quarter of net/http's 1 MiB default, so that a
	// flood of large heads costs a quarter of the memory per connection.
	// Only heads above it (plus net/http's 4 KiB slack) get net/http's
	// plain-text 431.
	ServerMaxHeaderBytes = 256 << 10
)

// limitHeaders refuses a request whose head exceeds MaxHeaderBytes with
// 431 invalid_request, as OAuth JSON with no-store, or as an error page on
// the browser pages.
func (h *handlers) limitHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if headBytes(c.Request()) <= MaxHeaderBytes {
			return next(c)
		}
		e := oauth.ErrInvalidRequest("the request header fields are too large")
		e.Status = http.StatusRequestHeaderFieldsTooLarge
		if h.pageRoutes[c.Path()] {
			return h.errorPage(c, e)
		}
		return e
	}
}

// headBytes is the size of r's head as sent over HTTP/1.1: the request
// line, the Host field, each header field with ": " and CRLF, and the
// final CRLF (what net/http counts against MaxHeaderBytes).
func headBytes(r *http.Request) int {
	n := len(r.Method) + 1 + len(r.RequestURI) + 1 + len(r.Proto) + 2
	n += len("Host: ") + len(r.Host) + 2
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + 2 + len(v) + 2
		}
	}
	return n + 2
}
