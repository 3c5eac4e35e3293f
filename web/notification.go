package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"issuer/issuer/credential"
)

// maxNotificationBytes caps a notification request: an ID, an event and
// a short description.
const maxNotificationBytes = 16 << 10

// notification is the notification endpoint (OpenID4VCI 1.0 §11): POST
// with a JSON body and the access token; 204 on success. Like the
// credential endpoint, every answer is uncacheable and carries a fresh
// DPoP-Nonce of the resource server when server nonces are on.
func (h *handlers) notification(c echo.Context) error {
	noStore(c)
	setDPoPNonce(c, h.svc.ResourceDPoPNonce())
	body, err := readBody(c, maxNotificationBytes)
	if err != nil {
		return err
	}
	r := c.Request()
	err = h.svc.Credentials.Notify(r.Context(), credential.Request{
		Access: h.accessRequest(c, false), ContentType: r.Header.Get(echo.HeaderContentType), Body: body,
	})
	if err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
