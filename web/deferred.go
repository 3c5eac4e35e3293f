package web

import (
	"github.com/labstack/echo/v4"

	"issuer/issuer/credential"
)

// maxDeferredBytes caps a deferred credential request: a transaction_id
// and an encryption key.
const maxDeferredBytes = 16 << 10

// deferredCredential is the deferred credential endpoint (OpenID4VCI 1.0
// §9): POST with {"transaction_id"} and the access token; 202 while the
// issuance is pending, 200 with the credentials once. Uncacheable, with a
// fresh resource-server DPoP-Nonce when server nonces are on.
func (h *handlers) deferredCredential(c echo.Context) error {
	noStore(c)
	setDPoPNonce(c, h.svc.ResourceDPoPNonce())
	body, err := readBody(c, maxDeferredBytes)
	if err != nil {
		return err
	}
	r := c.Request()
	resp, err := h.svc.Credentials.Deferred(r.Context(), credential.Request{
		Access: h.accessRequest(c, false), ContentType: r.Header.Get(echo.HeaderContentType), Body: body,
	})
	if err != nil {
		return err
	}
	return writeReply(c, resp)
}
