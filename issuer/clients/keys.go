package clients

import (
	"crypto"
	"crypto/x509"
	"encoding/json"
	"net/netip"
	"net/url"

	"github.com/lestrrat-go/jwx/v2/jwk"

	"issuer/issuer/jwkset"
	"issuer/issuer/oauth"
	"issuer/storage"
)

// checkClientKeys validates a client's registered JWK set: at least one
// key, each a usable public key ([jwkset.Check]).
func checkClientKeys(raw json.RawMessage) error {
	if _, err := jwkset.Parse(raw); err != nil {
		return errInvalidMetadata("jwks: %s", err)
	}
	return nil
}

// checkJWKSURI accepts an https URL, or http on a loopback host (for local
// development and tests).
func checkJWKSURI(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Fragment != "" {
		return errInvalidMetadata("jwks_uri must be an absolute URL")
	}
	host := u.Hostname()
	if u.Scheme != "https" && !(u.Scheme == "http" && (host == "localhost" || host == "127.0.0.1" || host == "::1")) {
		return errInvalidMetadata("jwks_uri must use https")
	}
	return nil
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
		return errInvalidMetadata("jwks and jwks_uri must not both be given (RFC 7591 section 2)")
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
		der, ok := jwkset.FirstCertificate(k)
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
