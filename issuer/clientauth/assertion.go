package clientauth

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jws"

	"issuer/issuer/oauth"
	"issuer/storage"
)

// JWT client authentication (RFC 7523 §2.2, OpenID Connect Core §9).
const (
	assertionType    = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
	maxAssertionLife = 10 * time.Minute
	assertionSkew    = 10 * time.Second
)

// Signature algorithms per method: asymmetric only for private_key_jwt,
// HMAC only for client_secret_jwt; never none (RFC 7523 §3 (9)).
var (
	asymmetricAlgs = []string{"ES256", "ES384", "PS256", "RS256", "EdDSA"}
	hmacAlgs       = []string{"HS256", "HS384", "HS512"}
)

// assertionClaims are the claims of a client assertion. Aud stays raw: it
// must be a string, never an array (FAPI 2.0 §5.3.2.1).
type assertionClaims struct {
	Iss string          `json:"iss"`
	Sub string          `json:"sub"`
	Aud json.RawMessage `json:"aud"`
	Exp *int64          `json:"exp"`
	Iat *int64          `json:"iat"`
	Nbf *int64          `json:"nbf"`
	Jti string          `json:"jti"`
}

func errAssertion(description string) *oauth.Error {
	return oauth.ErrInvalidClient("%s", description)
}

// authenticateAssertion authenticates a client by a JWT assertion: the
// client it names, the algorithm its method allows, the signature by the
// registered key or secret, then iss/sub, aud (the issuer identifier, as a
// string), exp, iat/nbf, and last the single use of its jti, recorded
// atomically in the replay store.
func (s *Authenticator) authenticateAssertion(ctx context.Context, cred credentials) (*storage.Client, error) {
	raw := cred.assertion
	if strings.Count(raw, ".") == 4 && !strings.ContainsAny(raw, ", ") {
		return nil, errAssertion("client_assertion cannot be encrypted (JWE)")
	}
	if strings.Count(raw, ".") != 2 || strings.ContainsAny(raw, ", ") {
		return nil, errAssertion("the client assertion is not a JWS token")
	}
	msg, err := jws.Parse([]byte(raw))
	if err != nil || len(msg.Signatures()) != 1 {
		return nil, errAssertion("bad client assertion format")
	}
	var c assertionClaims
	if err := json.Unmarshal(msg.Payload(), &c); err != nil {
		return nil, errAssertion("bad client assertion format")
	}
	switch {
	case c.Iss == "" || c.Sub == "":
		return nil, errAssertion("the client assertion needs iss and sub")
	case c.Iss != c.Sub:
		return nil, errAssertion("bad client assertion issuer")
	case cred.id != "" && cred.id != c.Iss:
		return nil, errAssertion("client_id does not match the client assertion")
	}
	client, err := s.store.GetClient(ctx, c.Iss)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, errAssertion("the client doesn't exist")
	} else if err != nil {
		return nil, oauth.ErrServer(err)
	}
	if err := s.verifyAssertion(ctx, client, raw, msg.Signatures()[0].ProtectedHeaders()); err != nil {
		return nil, err
	}
	if err := s.checkAssertionClaims(ctx, client, c); err != nil {
		return nil, err
	}
	return &client, nil
}

// verifyAssertion checks the algorithm against the client's method and the
// signature against the client's registered keys or secret.
func (s *Authenticator) verifyAssertion(ctx context.Context, client storage.Client, raw string, h jws.Headers) error {
	alg := h.Algorithm().String()
	switch client.AuthMethod {
	case oauth.AuthPrivateKeyJWT:
		if !slices.Contains(asymmetricAlgs, alg) {
			return errAssertion("the algorithm used by client assertion is not correct")
		}
		set, err := s.clientKeys(ctx, client, h.KeyID())
		if err != nil {
			return err
		}
		for i := 0; i < set.Len(); i++ {
			k, _ := set.Key(i)
			if h.KeyID() != "" && k.KeyID() != h.KeyID() {
				continue
			}
			if _, err := jws.Verify([]byte(raw), jws.WithKey(jwa.SignatureAlgorithm(alg), k)); err == nil {
				return nil
			}
		}
	case oauth.AuthClientSecretJWT:
		if !slices.Contains(hmacAlgs, alg) {
			return errAssertion("the algorithm used by client assertion is not correct")
		}
		if _, err := jws.Verify([]byte(raw), jws.WithKey(jwa.SignatureAlgorithm(alg), []byte(client.HMACSecret))); err == nil {
			return nil
		}
	default:
		return errAssertion("the client cannot be authenticated with a client assertion")
	}
	return errAssertion("bad client assertion signature")
}

// checkAssertionClaims checks aud, the times and the single use of jti.
func (s *Authenticator) checkAssertionClaims(ctx context.Context, client storage.Client, c assertionClaims) error {
	now := s.cfg.Now()
	if !s.audienceOK(c.Aud) {
		return errAssertion("the audience passed in JWT is not correct")
	}
	switch {
	case c.Exp == nil:
		return errAssertion("the received JWT has no exp")
	case now.After(time.Unix(*c.Exp, 0)):
		return errAssertion("the received JWT has expired")
	case time.Unix(*c.Exp, 0).After(now.Add(maxAssertionLife)):
		return errAssertion("the received JWT lives too long")
	case c.Iat != nil && time.Unix(*c.Iat, 0).After(now.Add(assertionSkew)):
		return errAssertion("the received JWT was issued in the future")
	case c.Nbf != nil && time.Unix(*c.Nbf, 0).After(now.Add(assertionSkew)):
		return errAssertion("the received JWT is not valid yet")
	case c.Jti == "" || len(c.Jti) > 256:
		return errAssertion("the received JWT needs a jti of at most 256 bytes")
	}
	key := sha256.Sum256([]byte("client-assertion\x00" + client.ID + "\x00" + c.Jti))
	err := s.store.UseReplayKey(ctx, key[:], time.Unix(*c.Exp, 0).Add(assertionSkew), now)
	switch {
	case errors.Is(err, storage.ErrAlreadyExists):
		return errAssertion("the jwt token has already been used")
	case err != nil:
		return oauth.ErrServer(err)
	}
	return nil
}

// audienceOK checks an assertion's aud: the issuer identifier as a
// string; in permissive mode also the token endpoint URL, and a
// one-element array. Several audiences are always refused.
func (s *Authenticator) audienceOK(raw json.RawMessage) bool {
	var aud string
	if json.Unmarshal(raw, &aud) != nil {
		var list []string
		if !s.cfg.PermissiveAssertionAudience || json.Unmarshal(raw, &list) != nil || len(list) != 1 {
			return false
		}
		aud = list[0]
	}
	// RFC 9126 §2 has the PAR endpoint accept its own URL and the token
	// endpoint's; the permissive setting accepts both at every endpoint.
	return aud == s.cfg.URL || s.cfg.PermissiveAssertionAudience && (aud == s.cfg.TokenURL || aud == s.cfg.PARURL)
}
