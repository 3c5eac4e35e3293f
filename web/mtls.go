package web

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"
)

// clientCertificates returns the client certificate chain of a request,
// leaf first and unverified (the issuer package verifies it): from the
// trusted proxy header when one is configured, otherwise from the TLS
// connection. With a proxy, the connection's own certificate is the
// proxy's, never the client's, so it is not used.
func (h *handlers) clientCertificates(c echo.Context) []*x509.Certificate {
	r := c.Request()
	if h.certHeader == "" {
		if r.TLS == nil {
			return nil
		}
		return r.TLS.PeerCertificates
	}
	values := r.Header.Values(h.certHeader)
	if len(values) == 0 || len(values) == 1 && values[0] == "" {
		return nil
	}
	certs, ok := parseCertificateHeader(values)
	if !ok {
		// The proxy sets this header: a bad value is a deployment error.
		// The request goes on without a certificate, so it cannot use one.
		h.log.WarnContext(r.Context(), "the client certificate header is malformed; ignored", "header", h.certHeader)
	}
	return certs
}

// parseCertificateHeader decodes the one value of a client certificate
// header: URL-encoded PEM (nginx's $ssl_client_escaped_cert; several
// CERTIFICATE blocks make a chain) or base64 DER (standard or URL
// alphabet, padded or not; several certificates may be concatenated).
func parseCertificateHeader(values []string) ([]*x509.Certificate, bool) {
	if len(values) != 1 {
		return nil, false
	}
	v := strings.TrimSpace(values[0])
	unescape := url.PathUnescape // keeps a literal '+', as AWS ALB sends it
	if strings.Contains(v, "BEGIN+CERTIFICATE") {
		unescape = url.QueryUnescape // spaces encoded as '+'
	}
	if unescaped, err := unescape(v); err == nil && strings.Contains(unescaped, "-----BEGIN") {
		return parsePEMChain([]byte(unescaped))
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if der, err := enc.DecodeString(v); err == nil {
			certs, err := x509.ParseCertificates(der)
			return certs, err == nil && len(certs) > 0
		}
	}
	return nil, false
}

// parsePEMChain parses every CERTIFICATE block of a PEM text; anything
// else in it makes the whole value malformed.
func parsePEMChain(text []byte) ([]*x509.Certificate, bool) {
	var certs []*x509.Certificate
	for {
		block, rest := pem.Decode(text)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			return nil, false
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, false
		}
		certs, text = append(certs, c), rest
	}
	if len(certs) == 0 || strings.TrimSpace(string(text)) != "" {
		return nil, false
	}
	return certs, true
}
