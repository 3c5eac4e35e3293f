package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"issuer/issuer/clientauth"
	"issuer/issuer/grant"
	"issuer/issuer/oauth"
)

// token is the token endpoint (RFC 6749 §3.2). Every response, success or
// error, is uncacheable and, when server nonces are on, carries exactly one
// fresh DPoP-Nonce (RFC 9449 §8); when attestation challenges are
// required, exactly one fresh OAuth-Client-Attestation-Challenge.
func (h *handlers) token(c echo.Context) error {
	h.challengeHeaders(c)
	req, err := h.clientRequest(c)
	if err != nil {
		return err
	}
	resp, err := h.svc.Grants.Token(c.Request().Context(), grant.TokenRequest{Request: req, DPoP: c.Request().Header.Values(oauth.HeaderDPoP)})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, resp)
}

// challengeHeaders sets, when the server asks for them, a fresh DPoP-Nonce
// (RFC 9449 §8) and a fresh attestation challenge on every response of an
// endpoint that takes DPoP proofs and authenticates clients (token, PAR).
func (h *handlers) challengeHeaders(c echo.Context) {
	setDPoPNonce(c, h.svc.DPoPNonce())
	setAttestationChallenge(c, h.svc.ClientAuth.ChallengeHeader())
}

// nonce is the OpenID4VCI 1.0 §7 nonce endpoint. When server nonces are
// on, its response also carries a DPoP-Nonce of the resource server, for
// the credential request's DPoP proof (§7.2, VCI-38).
func (h *handlers) nonce(c echo.Context) error {
	noStore(c)
	setDPoPNonce(c, h.svc.ResourceDPoPNonce())
	return c.JSON(http.StatusOK, h.svc.CNonce(c.Request().Context()))
}

// offer serves a credential offer passed by reference (OpenID4VCI 1.0
// §4.1.3): application/json, never cached.
func (h *handlers) offer(c echo.Context) error {
	noStore(c)
	body, err := h.svc.Offers.ByReference(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, body)
}

// clientRequest reads the form of an endpoint that authenticates clients,
// with the client certificates of the request.
func (h *handlers) clientRequest(c echo.Context) (clientauth.Request, error) {
	noStore(c)
	r := c.Request()
	if len(r.Header.Values(echo.HeaderAuthorization)) > 1 {
		return clientauth.Request{}, oauth.ErrInvalidRequest("the request has more than one Authorization header")
	}
	params, err := readForm(c)
	return clientauth.Request{
		Params: params, Authorization: r.Header.Get(echo.HeaderAuthorization), Certs: h.clientCertificates(c),
		ClientAttestation:    r.Header.Values(oauth.HeaderClientAttestation),
		ClientAttestationPoP: r.Header.Values(oauth.HeaderClientAttestationPoP),
		RemoteIP:             c.RealIP(),
	}, err
}

// revoke is the RFC 7009 revocation endpoint: 200 with an empty body.
func (h *handlers) revoke(c echo.Context) error {
	req, err := h.clientRequest(c)
	if err != nil {
		return err
	}
	if err := h.svc.Resource.Revoke(c.Request().Context(), req); err != nil {
		return err
	}
	return c.NoContent(http.StatusOK)
}

// introspect is the RFC 7662 introspection endpoint.
func (h *handlers) introspect(c echo.Context) error {
	req, err := h.clientRequest(c)
	if err != nil {
		return err
	}
	out, err := h.svc.Resource.Introspect(c.Request().Context(), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}
