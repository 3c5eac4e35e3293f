package web

import (
	"context"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
)

type requestIDKey struct{}

// requestContext gives each request an ID (echoed in X-Request-Id and added
// to every log line of the request by [LogHandler]) and writes one access
// log line. It logs the route pattern, never the raw path or query, which
// may carry offer IDs or codes.
func (h *handlers) requestContext(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		id := uuid.NewString()
		r := c.Request()
		c.SetRequest(r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id)))
		c.Response().Header().Set(echo.HeaderXRequestID, id)
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		attrs := []slog.Attr{slog.String("method", r.Method), slog.String("route", c.Path()),
			slog.Int("status", c.Response().Status), slog.Duration("took", time.Since(start))}
		if code, ok := c.Get(errorCodeKey).(string); ok && code != "" {
			attrs = append(attrs, slog.String("error", code))
		}
		h.log.LogAttrs(c.Request().Context(), slog.LevelInfo, "http", attrs...)
		return nil
	}
}

// LogHandler wraps h so that records logged with a request's context carry
// its request_id.
func LogHandler(h slog.Handler) slog.Handler { return ctxHandler{h} }

type ctxHandler struct{ slog.Handler }

func (c ctxHandler) Handle(ctx context.Context, r slog.Record) error {
	if id, ok := ctx.Value(requestIDKey{}).(string); ok {
		r.AddAttrs(slog.String("request_id", id))
	}
	return c.Handler.Handle(ctx, r)
}

func (c ctxHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return ctxHandler{c.Handler.WithAttrs(attrs)}
}

func (c ctxHandler) WithGroup(name string) slog.Handler { return ctxHandler{c.Handler.WithGroup(name)} }
