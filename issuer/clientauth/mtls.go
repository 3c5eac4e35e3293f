package clientauth

import (
	"bytes"
	"context"
	"crypto"
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
		if first, ok := firstCertificate(k); ok && bytes.Equal(first, der) {
			return true
		}
	}
	return false
}

// firstCertificate returns the DER of the first x5c entry of k.
func firstCertificate(k jwk.Key) ([]byte, bool) {
	chain := k.X509CertChain()
	if chain == nil {
		return nil, false
	}
	b64, ok := chain.Get(0)
	if !ok {
		return nil, false
	}
	der, err := base64.StdEncoding.DecodeString(string(b64))
	return der, err == nil
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

// tlsSubjectFields are the values of the RFC 8705 §2.1.2 metadata.
func tlsSubjectFields(t storage.ClientTLS) []string {
	return []string{t.SubjectDN, t.SANDNS, t.SANURI, t.SANIP, t.SANEmail}
}

// checkTLSMetadata validates the RFC 8705 part of a registration: exactly
// one subject value for tls_client_auth (none for other methods), and the
// certificates of a self_signed_tls_client_auth client.
func checkTLSMetadata(m *Metadata) error {
	n := 0
	for _, v := range tlsSubjectFields(m.ClientTLS) {
		if v != "" {
			n++
		}
	}
	switch {
	case m.TokenEndpointAuthMethod == oauth.AuthTLSClientAuth && n != 1:
		return errInvalidMetadata("tls_client_auth needs exactly one of tls_client_auth_subject_dn, tls_client_auth_san_dns, tls_client_auth_san_uri, tls_client_auth_san_ip and tls_client_auth_san_email")
	case m.TokenEndpointAuthMethod != oauth.AuthTLSClientAuth && n > 0:
		return errInvalidMetadata("the tls_client_auth_* values are for tls_client_auth clients")
	}
	if m.SANIP != "" {
		if _, err := netip.ParseAddr(m.SANIP); err != nil {
			return errInvalidMetadata("tls_client_auth_san_ip must be an IPv4 or IPv6 address")
		}
	}
	if m.SANURI != "" {
		if u, err := url.Parse(m.SANURI); err != nil || !u.IsAbs() {
			return errInvalidMetadata("tls_client_auth_san_uri must be an absolute URI")
		}
	}
	if m.TokenEndpointAuthMethod != oauth.AuthSelfSignedTLSClientAuth {
		return nil
	}
	switch {
	case len(m.JWKS) > 0 && m.JWKSURI != "":
		return errInvalidMetadata("jwks and jwks_uri must not both be given (RFC 7591 §2)")
	case m.JWKSURI != "":
		return checkJWKSURI(m.JWKSURI)
	}
	return checkClientCertificates(m.JWKS)
}

// checkClientCertificates validates the jwks of a
// self_signed_tls_client_auth client: public keys, at least one with a
// certificate in x5c, and each such certificate certifying its key.
func checkClientCertificates(raw []byte) error {
	if len(raw) == 0 {
		return errInvalidMetadata("self_signed_tls_client_auth needs jwks or jwks_uri with the client's certificates (x5c)")
	}
	if err := checkClientKeys(raw); err != nil {
		return err
	}
	set, _ := jwk.Parse(raw) // checked by checkClientKeys
	found := false
	for i := 0; i < set.Len(); i++ {
		k, _ := set.Key(i)
		if k.X509CertChain() == nil || k.X509CertChain().Len() == 0 {
			continue
		}
		der, ok := firstCertificate(k)
		if !ok {
			return errInvalidMetadata("jwks holds an x5c that is not base64 DER")
		}
		if !certifiesKey(der, k) {
			return errInvalidMetadata("jwks holds an x5c whose certificate is not for the key")
		}
		found = true
	}
	if !found {
		return errInvalidMetadata("self_signed_tls_client_auth needs jwks or jwks_uri with the client's certificates (x5c)")
	}
	return nil
}

// certifiesKey reports whether der is a certificate of k's public key.
func certifiesKey(der []byte, k jwk.Key) bool {
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return false
	}
	var pub any
	if err := k.Raw(&pub); err != nil {
		return false
	}
	eq, ok := pub.(interface{ Equal(crypto.PublicKey) bool })
	return ok && eq.Equal(c.PublicKey)
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
