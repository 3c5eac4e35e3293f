package web

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"mime"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"issuer/issuer"
	"issuer/issuer/authz"
	"issuer/issuer/clients"
	"issuer/issuer/oauth"
)

func sha256Sum(s string) []byte {
	sum := sha256.Sum256([]byte(s))
	return sum[:]
}

// requireAdmin checks the admin bearer token in constant time.
func (h *handlers) requireAdmin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		noStore(c)
		// RFC 9110 §11.1, §11.4: the scheme is case-insensitive and 1*SP
		// separates it from the token.
		scheme, token, _ := strings.Cut(c.Request().Header.Get(echo.HeaderAuthorization), " ")
		token = strings.TrimLeft(token, " ")
		if !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare(sha256Sum(token), h.admin) != 1 {
			e := oauth.ErrInvalidClient("a valid admin token is required").
				WithChallenge(&oauth.Challenge{Scheme: oauth.SchemeBearer, Realm: "issuer-admin"})
			e.Code = oauth.CodeInvalidToken
			return e
		}
		return next(c)
	}
}

// readJSON decodes a JSON request body into v, refusing other content
// types, oversized bodies, trailing data and, when strict, unknown fields.
func readJSON(c echo.Context, v any, strict bool) error {
	r := c.Request()
	if mt, _, err := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType)); err != nil || mt != echo.MIMEApplicationJSON {
		return oauth.ErrInvalidRequest("the request body must be application/json")
	}
	body, err := readBody(c, maxAdminBytes)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil || dec.More() {
		return oauth.ErrInvalidRequest("the request body is not the expected JSON object")
	}
	return nil
}

// createClient registers a client (RFC 7591 field names; unknown metadata is
// ignored as RFC 7591 §2 asks).
func (h *handlers) createClient(c echo.Context) error {
	var m clients.Metadata
	if err := readJSON(c, &m, false); err != nil {
		return err
	}
	out, err := h.svc.Clients.Create(c.Request().Context(), m)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, out)
}

func (h *handlers) getClient(c echo.Context) error {
	out, err := h.svc.Clients.Get(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (h *handlers) deleteClient(c echo.Context) error {
	if err := h.svc.Clients.Delete(c.Request().Context(), c.Param("id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// createOffer creates a credential offer.
func (h *handlers) createOffer(c echo.Context) error {
	var req issuer.OfferRequest
	if err := readJSON(c, &req, true); err != nil {
		return err
	}
	out, err := h.svc.Offers.Create(c.Request().Context(), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, out)
}

// getOffer shows an offer's state and the issuance records of its grant:
// the notification events, the deferred transactions.
func (h *handlers) getOffer(c echo.Context) error {
	out, err := h.svc.Offers.Status(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// supplyClaims stores the claims of a deferred offer (a JSON object):
// its pending transactions are then issued at the deferred credential
// endpoint.
func (h *handlers) supplyClaims(c echo.Context) error {
	var claims json.RawMessage
	if err := readJSON(c, &claims, false); err != nil {
		return err
	}
	if err := h.svc.Offers.SupplyClaims(c.Request().Context(), c.Param("id"), claims); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// createUser adds a user (username, password, claims).
func (h *handlers) createUser(c echo.Context) error {
	var req authz.UserRequest
	if err := readJSON(c, &req, true); err != nil {
		return err
	}
	out, err := h.svc.Users.Create(c.Request().Context(), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, out)
}

func (h *handlers) getUser(c echo.Context) error {
	out, err := h.svc.Users.Get(c.Request().Context(), c.Param("username"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (h *handlers) deleteUser(c echo.Context) error {
	if err := h.svc.Users.Delete(c.Request().Context(), c.Param("username")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
