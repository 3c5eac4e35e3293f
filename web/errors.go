package web

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"issuer/issuer/oauth"
	"issuer/storage"
)

// errorBody is the RFC 6749 §5.2 error response.
type errorBody struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

// renderError is Echo's HTTPErrorHandler: every failure, from a handler or
// from Echo itself (404, 405, 413), leaves as OAuth error JSON with
// Cache-Control: no-store. Causes of server errors are logged, never sent.
func (h *handlers) renderError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	e := toOAuthError(err)
	noteRefusal(c, e)
	ctx := c.Request().Context()
	if e.Status >= 500 {
		h.log.ErrorContext(ctx, "request failed", "err", e)
	} else {
		h.log.DebugContext(ctx, "request refused", "err", e)
	}
	setChallenges(c, e)
	noStore(c)
	var body any = errorBody{Error: e.Code, Description: e.Description}
	if len(e.Extra) > 0 {
		m := map[string]any{"error": e.Code, "error_description": e.Description}
		for k, v := range e.Extra {
			m[k] = v
		}
		body = m
	}
	if err := c.JSON(e.Status, body); err != nil {
		h.log.DebugContext(ctx, "writing the error response", "err", err)
	}
}

// errorCodeKey is where a refusal's OAuth error code waits for the access
// log line (requestContext).
const errorCodeKey = "oauth_error"

// noteRefusal records e's code for the access log: the code only, never the
// description, which may echo what the client sent.
func noteRefusal(c echo.Context, e *oauth.Error) { c.Set(errorCodeKey, e.Code) }

func toOAuthError(err error) *oauth.Error {
	if errors.Is(err, storage.ErrUnavailable) {
		return errUnavailable(err)
	}
	var oe *oauth.Error
	if errors.As(err, &oe) {
		return oe
	}
	var he *echo.HTTPError
	if !errors.As(err, &he) {
		return oauth.ErrServer(err)
	}
	switch he.Code {
	case http.StatusNotFound:
		return oauth.ErrNotFound("no such endpoint")
	case http.StatusMethodNotAllowed:
		e := oauth.ErrInvalidRequest("the HTTP method is not allowed at this endpoint")
		e.Status = http.StatusMethodNotAllowed
		return e
	case http.StatusRequestEntityTooLarge:
		return errTooLarge()
	}
	if he.Code >= 500 {
		return oauth.ErrServer(err)
	}
	e := oauth.ErrInvalidRequest("%s", http.StatusText(he.Code))
	e.Status = he.Code
	return e
}

// unavailableRetry is the Retry-After of a 503 for an unreachable
// database: about the time a database restart or failover takes.
const unavailableRetry = 5 * time.Second

// errUnavailable is the answer while the database cannot be reached
// (storage.ErrUnavailable, whatever error wraps it): 503
// temporarily_unavailable (RFC 6749 §4.1.2.1) with Retry-After; the cause
// is logged, never sent.
func errUnavailable(cause error) *oauth.Error {
	e := oauth.New(http.StatusServiceUnavailable, oauth.CodeTemporarilyUnavailable, "the service is temporarily unavailable; try again later").WithCause(cause)
	e.RetryAfter = unavailableRetry
	return e
}

func errTooLarge() *oauth.Error {
	e := oauth.ErrInvalidRequest("the request body is too large")
	e.Status = http.StatusRequestEntityTooLarge
	return e
}

// noStore marks a response uncacheable (RFC 6749 §5.1).
func noStore(c echo.Context) {
	c.Response().Header().Set("Cache-Control", "no-store")
	c.Response().Header().Set("Pragma", "no-cache")
}

// oauth.Error decides how it is logged.
var _ slog.LogValuer = (*oauth.Error)(nil)
