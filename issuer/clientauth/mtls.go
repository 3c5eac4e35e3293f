package clientauth

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strings"

	"github.com/lestrrat-go/jwx/v2/jwk"

	"issuer/issuer/jwkset"
	"issuer/issuer/oauth"
	"issuer/storage"
)

// maxClientChain caps the certificates a request may present: the leaf and
// its intermediates.
const maxClientChain = 8

// unmatchedKid is a key ID no JWK set holds: asking the key fetcher for it
// refetches a jwks_uri (at most every jwksMinRefetch), so that a client's
// new certificate is found after a rotation.
const unmatchedKid = "\x00certificate-rotation"

// IsTLSMethod reports whether m is one of the RFC 8705 methods.
func IsTLSMethod(m string) bool {
	return m == oauth.AuthTLSClientAuth || m == oauth.AuthSelfSignedTLSClientAuth
}

// authenticateTLS authenticates c, registered for an RFC 8705 method, by
// the certificates of the request (the leaf first). The TLS handshake
// proved possession of the leaf's private key; this checks that the leaf
// is the client's: chained to the client CAs and matching the registered
// subject (tls_client_auth), or equal to a registered certificate
// (self_signed_tls_client_auth).
func (s *Authenticator) authenticateTLS(ctx context.Context, c storage.Client, certs []*x509.Certificate) (*storage.Client, error) {
	var err error
	switch {
	case len(certs) == 0:
		err = oauth.ErrInvalidClient("the client cannot be authenticated with %s without a client certificate", c.AuthMethod)
	case len(certs) > maxClientChain:
		err = oauth.ErrInvalidClient("the client certificate chain is too long")
	case c.AuthMethod == oauth.AuthTLSClientAuth:
		err = s.verifyPKICertificate(ctx, c, certs)
	default:
		err = s.verifySelfSignedCertificate(ctx, c, certs[0])
	}
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// verifyPKICertificate checks a tls_client_auth client's chain against the
// client CA pool, for client authentication at the current time, then the
// leaf against the registered subject.
func (s *Authenticator) verifyPKICertificate(ctx context.Context, c storage.Client, certs []*x509.Certificate) error {
	roots := s.cfg.ClientCAs
	if roots == nil {
		s.log.WarnContext(ctx, "a tls_client_auth client cannot authenticate: no client CA is configured", "client", c.ID)
		return oauth.ErrInvalidClient("the client cannot be authenticated with tls_client_auth: no client CA is configured")
	}
	intermediates := x509.NewCertPool()
	for _, ic := range certs[1:] {
		intermediates.AddCert(ic)
	}
	_, err := certs[0].Verify(x509.VerifyOptions{
		Roots: roots, Intermediates: intermediates, CurrentTime: s.cfg.Now(),
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	var invalid x509.CertificateInvalidError
	switch {
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return oauth.ErrInvalidClient("the client certificate has expired or is not valid yet").WithCause(err)
	case errors.As(err, &invalid) && invalid.Reason == x509.IncompatibleUsage:
		return oauth.ErrInvalidClient("the client certificate is not for client authentication (extended key usage)").WithCause(err)
	case err != nil:
		return oauth.ErrInvalidClient("the client certificate is not issued by a trusted client CA").WithCause(err)
	}
	if field, ok := matchesSubject(c.ClientTLS, certs[0]); !ok {
		return oauth.ErrInvalidClient("the client certificate does not match the registered %s", field)
	}
	return nil
}

// matchesSubject compares the leaf with the one registered value: the
// subject DN as Go renders it (pkix.Name.String, the RFC 4514 string with
// the most significant RDN last, e.g. "CN=client,O=Example,C=DE", rendered
// from the raw subject so that order and repeats count) by exact string
// comparison; a dNSName case-insensitively and literally (no
// wildcard expansion); a URI and an rfc822Name exactly; an IP address as
// an address (so "::ffff:10.0.0.1" matches "10.0.0.1"). It returns the
// name of the registered field.
func matchesSubject(reg storage.ClientTLS, leaf *x509.Certificate) (string, bool) {
	switch {
	case reg.SubjectDN != "":
		return "tls_client_auth_subject_dn", subjectDN(leaf) == reg.SubjectDN
	case reg.SANDNS != "":
		return "tls_client_auth_san_dns", slices.ContainsFunc(leaf.DNSNames, func(n string) bool { return strings.EqualFold(n, reg.SANDNS) })
	case reg.SANURI != "":
		return "tls_client_auth_san_uri", slices.ContainsFunc(leaf.URIs, func(u *url.URL) bool { return u.String() == reg.SANURI })
	case reg.SANIP != "":
		want, err := netip.ParseAddr(reg.SANIP)
		return "tls_client_auth_san_ip", err == nil && slices.ContainsFunc(leaf.IPAddresses, func(ip net.IP) bool {
			got, ok := netip.AddrFromSlice(ip)
			return ok && got.Unmap() == want.Unmap()
		})
	case reg.SANEmail != "":
		return "tls_client_auth_san_email", slices.Contains(leaf.EmailAddresses, reg.SANEmail)
	}
	return "subject", false
}

// verifySelfSignedCertificate checks that leaf is one of the certificates
// (the first x5c entry of a key) the client registered in jwks or
// publishes at its jwks_uri. Neither a chain nor the validity period is
// checked: the registration is the trust (RFC 8705 §2.2).
func (s *Authenticator) verifySelfSignedCertificate(ctx context.Context, c storage.Client, leaf *x509.Certificate) error {
	set, err := s.clientKeys(ctx, c, "")
	if err != nil {
		return err
	}
	if !holdsCertificate(set, leaf.Raw) && c.JWKSURI != "" {
		if set, err = s.clientKeys(ctx, c, unmatchedKid); err != nil {
			return err
		}
	}
	if !holdsCertificate(set, leaf.Raw) {
		return oauth.ErrInvalidClient("the client certificate is not one the client registered")
	}
	return nil
}

// holdsCertificate reports whether a key of set carries der as the first
// certificate of its x5c.
func holdsCertificate(set jwk.Set, der []byte) bool {
	for i := 0; i < set.Len(); i++ {
		k, _ := set.Key(i)
		if first, ok := jwkset.FirstCertificate(k); ok && bytes.Equal(first, der) {
			return true
		}
	}
	return false
}

// subjectDN renders the leaf's subject as an RFC 4514 string from its raw
// RDN sequence, keeping the certificate's order and repeated attributes
// (pkix.Name.String would reorder them and collapse repeats, so that
// "O=Example, CN=mallory, CN=backend" could read "CN=backend,O=Example").
func subjectDN(leaf *x509.Certificate) string {
	var rdns pkix.RDNSequence
	if rest, err := asn1.Unmarshal(leaf.RawSubject, &rdns); err != nil || len(rest) > 0 {
		return ""
	}
	return rdns.String()
}

// CertThumbprint is the x5t#S256 of a certificate: the base64url SHA-256
// of its DER (RFC 8705 §3.1).
func CertThumbprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// CertificateBinding returns the thumbprint of the request's certificate
// when the client's access tokens are to be bound to it, or "": the client
// authenticated with an RFC 8705 method, or registered
// tls_client_certificate_bound_access_tokens (then a certificate is
// required, as a proof is for dpop_bound_access_tokens).
func CertificateBinding(req Request, client *storage.Client) (string, error) {
	switch {
	case client == nil || !IsTLSMethod(client.AuthMethod) && !client.CertificateBoundAccessTokens:
		return "", nil
	case len(req.Certs) == 0:
		return "", oauth.ErrInvalidRequest("the client is registered with tls_client_certificate_bound_access_tokens and presented no client certificate")
	}
	return CertThumbprint(req.Certs[0]), nil
}

// ValidHeaderName reports whether name is an HTTP field name (RFC 9110
// §5.1: a token).
func ValidHeaderName(name string) bool {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return name != ""
}
