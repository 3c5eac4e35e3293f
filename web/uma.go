package web

import (
	"mime"
	"net/http"

	"github.com/labstack/echo/v4"

	"issuer/issuer/clientauth"
	"issuer/issuer/oauth"
	"issuer/issuer/uma"
)

// permission is the UMA permission endpoint: a resource server posts JSON
// permission requests with HTTP Basic and gets a ticket (201).
func (h *handlers) permission(c echo.Context) error {
	noStore(c)
	r := c.Request()
	if mt, _, err := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType)); err != nil || mt != echo.MIMEApplicationJSON {
		return oauth.ErrInvalidRequest("the request body must be application/json")
	}
	body, err := readBody(c, maxFormBytes)
	if err != nil {
		return err
	}
	ticket, err := h.svc.UMA.CreatePermissionTicket(r.Context(), clientauth.Request{Authorization: r.Header.Get(echo.HeaderAuthorization), RemoteIP: c.RealIP()}, body)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]string{"ticket": ticket})
}

func (h *handlers) createUMAResource(c echo.Context) error {
	var req uma.ResourceRequest
	if err := readJSON(c, &req, true); err != nil {
		return err
	}
	out, err := h.svc.UMA.CreateResource(c.Request().Context(), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, out)
}

func (h *handlers) getUMAResource(c echo.Context) error {
	out, err := h.svc.UMA.GetResource(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (h *handlers) addUMAGrant(c echo.Context) error {
	var req uma.GrantRequest
	if err := readJSON(c, &req, true); err != nil {
		return err
	}
	ctx := c.Request().Context()
	if err := h.svc.UMA.AddGrant(ctx, c.Param("id"), req); err != nil {
		return err
	}
	out, err := h.svc.UMA.GetResource(ctx, c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, out)
}

func (h *handlers) decideUMARequest(approve bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := h.svc.UMA.DecideRequest(c.Request().Context(), c.Param("id"), c.Param("request"), approve); err != nil {
			return err
		}
		return c.NoContent(http.StatusNoContent)
	}
}
