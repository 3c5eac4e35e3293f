package web

import (
	"mime"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"issuer/issuer/credential"
	"issuer/issuer/oauth"
	"issuer/issuer/resource"
)

// maxCredentialBytes caps a credential request: a full batch of key
// proofs with their jwk headers fits many times over.
const maxCredentialBytes = 256 << 10

// credential is the credential endpoint (OpenID4VCI 1.0 §8): POST with a
// JSON body and the access token. Every response is uncacheable and, when
// server nonces are on, carries exactly one fresh DPoP-Nonce of the
// resource server.
func (h *handlers) credential(c echo.Context) error {
	noStore(c)
	setDPoPNonce(c, h.svc.ResourceDPoPNonce())
	body, err := readBody(c, maxCredentialBytes)
	if err != nil {
		return err
	}
	r := c.Request()
	resp, err := h.svc.Credentials.Issue(r.Context(), credential.Request{
		Access: h.accessRequest(c, false), ContentType: r.Header.Get(echo.HeaderContentType), Body: body,
	})
	if err != nil {
		return err
	}
	return writeReply(c, resp)
}

// writeReply writes an answer of the credential or deferred credential
// endpoint: JSON, or a JWE (application/jwt) when the request asked for an
// encrypted response. Errors are never encrypted (OpenID4VCI 1.0 §8.3.1.2).
func writeReply(c echo.Context, r *credential.Reply) error {
	return c.Blob(r.Status, r.ContentType, r.Body)
}

// accessRequest reads the access part of a request to a resource: the
// Authorization and DPoP header lines, the client certificate, and whether
// an access token came in the query or, when form is set, in a form body
// (RFC 6750 §2.2, §2.3: never accepted here).
func (h *handlers) accessRequest(c echo.Context, form bool) resource.AccessRequest {
	r := c.Request()
	elsewhere := r.URL.Query().Has("access_token")
	if mt, _, _ := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType)); form && !elsewhere && mt == echo.MIMEApplicationForm {
		if body, err := readBody(c, maxFormBytes); err == nil {
			values, _ := url.ParseQuery(string(body))
			elsewhere = values.Has("access_token")
		}
	}
	return resource.AccessRequest{
		Method: r.Method, Authorization: r.Header.Values(echo.HeaderAuthorization), DPoP: r.Header.Values(oauth.HeaderDPoP),
		Certs: h.clientCertificates(c), TokenElsewhere: elsewhere,
	}
}

// jwtVCIssuer serves the SD-JWT VC issuer metadata (SD-JWT VC §4).
func (h *handlers) jwtVCIssuer(c echo.Context) error {
	body, err := h.svc.JWTVCIssuerMetadata(c.Request().Context())
	if err != nil {
		return oauth.ErrServer(err)
	}
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, body)
}

// caCert serves the generated root of the credentials' certificate chains
// (PEM), the trust anchor verifiers need.
func (h *handlers) caCert(c echo.Context) error {
	return c.Blob(http.StatusOK, "application/x-pem-file", h.svc.CredentialRootPEM())
}
