package clientauth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"net/url"
	"slices"
	"strings"

	"issuer/issuer/clients"
	"issuer/issuer/limit"
	"issuer/issuer/oauth"
	"issuer/storage"
)

// SupportedMethods lists the client authentication methods, as the
// metadata advertises them: those a client may be registered with.
func SupportedMethods() []string { return clients.AuthMethods() }

// AssertionAlgs lists the algorithms a client assertion may be signed
// with: the asymmetric ones, then the HMAC ones.
func AssertionAlgs() []string { return append(slices.Clone(asymmetricAlgs), hmacAlgs...) }

// BasicChallenge is the WWW-Authenticate challenge of an invalid_client
// answer to a client that used HTTP Basic (RFC 6749 §5.2).
func BasicChallenge() *oauth.Challenge { return oauth.BasicChallenge("issuer") }

// credentials is what a request presents to identify its client.
type credentials struct {
	id, secret string
	assertion  string           // a JWT client assertion (RFC 7523)
	method     string           // the method the request used; "" when anonymous
	challenge  *oauth.Challenge // WWW-Authenticate for invalid_client
	// attest is a wallet attestation and its PoP (attestation.go).
	attest attestationHeaders
}

// Request is a request to an endpoint that authenticates clients (token,
// PAR, revocation, introspection, UMA permission): its form parameters,
// Authorization header, client certificates, attestation headers and
// peer address.
type Request struct {
	Params        map[string]string
	Authorization string
	// Certs is the client certificate chain of the TLS connection, the leaf
	// first, as the TLS layer or a trusted proxy delivered it: not
	// verified (the listener only requests certificates).
	Certs []*x509.Certificate
	// ClientAttestation and ClientAttestationPoP are the values of every
	// OAuth-Client-Attestation and OAuth-Client-Attestation-PoP header.
	ClientAttestation, ClientAttestationPoP []string
	// RemoteIP is the address of the TCP peer: what the limits on guessing
	// (client secrets, PAR pushes of public clients) count per.
	RemoteIP string
}

// readCredentials extracts the client credentials of a request, refusing a
// request that uses more than one method (RFC 6749 §2.3).
func readCredentials(req Request) (credentials, error) {
	if len(req.ClientAttestation) > 0 || len(req.ClientAttestationPoP) > 0 {
		return attestationCredentials(req)
	}
	p := req.Params
	if p["client_assertion"] != "" || p["client_assertion_type"] != "" {
		switch {
		case req.Authorization != "" || p["client_secret"] != "":
			return credentials{}, oauth.ErrInvalidRequest("the client used more than one authentication method")
		case p["client_assertion_type"] != assertionType:
			return credentials{}, oauth.ErrInvalidClient("the client_assertion_type is not supported")
		case p["client_assertion"] == "":
			return credentials{}, oauth.ErrInvalidClient("the parameter client_assertion is missing")
		}
		return credentials{id: p["client_id"], assertion: p["client_assertion"], method: "jwt"}, nil
	}
	if req.Authorization == "" {
		switch {
		case p["client_secret"] != "" && p["client_id"] == "":
			return credentials{}, oauth.ErrInvalidRequest("the parameter client_id is missing")
		case p["client_secret"] != "":
			return credentials{id: p["client_id"], secret: p["client_secret"], method: oauth.AuthClientSecretPost}, nil
		case p["client_id"] != "":
			return credentials{id: p["client_id"], method: oauth.AuthNone}, nil
		}
		return credentials{}, nil
	}
	scheme, rest, _ := strings.Cut(req.Authorization, " ")
	if !strings.EqualFold(scheme, "Basic") {
		return credentials{}, oauth.ErrInvalidRequest("only the Basic scheme is accepted in the Authorization header")
	}
	if p["client_secret"] != "" {
		return credentials{}, oauth.ErrInvalidRequest("the client used more than one authentication method")
	}
	id, secret, err := parseBasic(rest)
	if err != nil {
		return credentials{}, oauth.ErrInvalidClient("the Authorization header is malformed").WithChallenge(BasicChallenge())
	}
	if p["client_id"] != "" && p["client_id"] != id {
		return credentials{}, oauth.ErrInvalidClient("client_id does not match the Authorization header").WithChallenge(BasicChallenge())
	}
	return credentials{id: id, secret: secret, method: oauth.AuthClientSecretBasic, challenge: BasicChallenge()}, nil
}

// parseBasic decodes HTTP Basic credentials whose parts were
// form-urlencoded before base64 (RFC 6749 §2.3.1).
func parseBasic(token string) (id, secret string, err error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(token))
	if err != nil {
		return "", "", err
	}
	encID, encSecret, ok := strings.Cut(string(raw), ":")
	if !ok {
		return "", "", errors.New("no colon")
	}
	if id, err = url.QueryUnescape(encID); err != nil {
		return "", "", err
	}
	if secret, err = url.QueryUnescape(encSecret); err != nil {
		return "", "", err
	}
	if id == "" {
		return "", "", errors.New("empty client_id")
	}
	return id, secret, nil
}

// Authenticate returns the client a request authenticates (nil for an
// anonymous request), with what its tokens are bound to by that
// authentication: the wallet instance of an attestation. The certificate
// binding is the token endpoint's to ask for ([CertificateBinding]).
func (s *Authenticator) Authenticate(ctx context.Context, req Request) (*storage.Client, oauth.Binding, error) {
	cred, err := readCredentials(req)
	if err != nil || cred.method == "" {
		return nil, oauth.Binding{}, err
	}
	if cred.method == oauth.AuthAttestJWT {
		c, instance, err := s.authenticateAttestation(ctx, cred)
		return c, oauth.Binding{Instance: instance}, err
	}
	c, err := s.authenticateClient(ctx, req, cred)
	return c, oauth.Binding{}, err
}

// authenticateClient authenticates a registered client by its assertion,
// certificate, secret or (public client) client_id.
func (s *Authenticator) authenticateClient(ctx context.Context, req Request, cred credentials) (*storage.Client, error) {
	if cred.assertion != "" {
		return s.authenticateAssertion(ctx, cred)
	}
	c, err := s.store.GetClient(ctx, cred.id)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, oauth.ErrInvalidClient("the client doesn't exist").WithChallenge(cred.challenge)
	}
	if err != nil {
		return nil, oauth.ErrServer(err)
	}
	if IsTLSMethod(c.AuthMethod) && cred.method == oauth.AuthNone {
		return s.authenticateTLS(ctx, c, req.Certs)
	}
	if c.AuthMethod != cred.method {
		return nil, oauth.ErrInvalidClient("the client cannot be authenticated with %s", cred.method).WithChallenge(cred.challenge)
	}
	if cred.method == oauth.AuthNone {
		if s.cfg.RefusePublicClients {
			return nil, oauth.ErrInvalidClient("the client must authenticate: public clients use a wallet attestation (attest_jwt_client_auth)")
		}
		return &c, nil
	}
	// Secrets are guessable only online: failed authentications delay
	// further attempts of the client from the same address (RFC 6749
	// §2.3.1), so that a guesser slows down while the client, elsewhere,
	// keeps working: a client_id is no secret.
	now := s.cfg.Now()
	key := c.ID + "\x00" + limit.AddressKey(req.RemoteIP)
	if wait := s.secretFailures.Take(key, now); wait > 0 {
		s.log.WarnContext(ctx, "client secret guessing delayed", "client", c.ID, "address", req.RemoteIP)
		return nil, oauth.ErrInvalidClient("too many failed authentications; try again later").WithChallenge(cred.challenge).WithRetryAfter(wait)
	}
	if !secretMatches(c.SecretHash, cred.secret) {
		return nil, oauth.ErrInvalidClient("bad client credential").WithChallenge(cred.challenge)
	}
	s.secretFailures.Reset(key)
	return &c, nil
}

func secretMatches(hash []byte, secret string) bool {
	sum := sha256.Sum256([]byte(secret))
	return len(hash) == len(sum) && subtle.ConstantTimeCompare(hash, sum[:]) == 1
}
