package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"issuer/issuer"
)

// token is the token endpoint (RFC 6749 §3.2). Every response, success or
// error, is uncacheable and, when server nonces are on, carries exactly one
// fresh DPoP-Nonce (RFC 9449 §8).
func (h *handlers) token(c echo.Context) error {
	noStore(c)
	if n := h.svc.DPoPNonce(); n != "" {
		c.Response().Header().Set("DPoP-Nonce", n)
	}
	r := c.Request()
	if len(r.Header.Values(echo.HeaderAuthorization)) > 1 {
		return issuer.ErrInvalidRequest("the request has more than one Authorization header")
	}
	params, err := readForm(c)
	if err != nil {
		return err
	}
	resp, err := h.svc.Token(r.Context(), issuer.TokenRequest{
		Params:        params,
		DPoP:          r.Header.Values("DPoP"),
		Authorization: r.Header.Get(echo.HeaderAuthorization),
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, resp)
}

// nonce is the OpenID4VCI 1.0 §7 nonce endpoint.
func (h *handlers) nonce(c echo.Context) error {
	noStore(c)
	return c.JSON(http.StatusOK, h.svc.CNonce(c.Request().Context()))
}

// offer serves a credential offer passed by reference (OpenID4VCI 1.0
// §4.1.3): application/json, never cached.
func (h *handlers) offer(c echo.Context) error {
	noStore(c)
	body, err := h.svc.OfferByReference(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, body)
}
