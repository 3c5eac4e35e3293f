package clientauth

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"

	"issuer/issuer/clients"
	"issuer/issuer/jwkset"
	"issuer/issuer/oauth"
	"issuer/issuer/walletprovider"
	"issuer/nonce"
	"issuer/storage"
)

// Attestation-based client authentication: OAuth 2.0 Attestation-Based
// Client Authentication, draft -07 (the version OpenID4VCI 1.0 pins), with
// the wallet attestation of OpenID4VCI 1.0 Appendix E and HAIP 1.0 §4.4.1.
const (
	typAttestation    = "oauth-client-attestation+jwt"
	typAttestationPoP = "oauth-client-attestation-pop+jwt"
	maxX5C            = 30  // certificates in an attestation's x5c
	maxPoPJTI         = 256 // bytes
)

// attestationAlgs are the algorithms the config may allow for attestations
// and PoPs: asymmetric only, never none or a MAC (-07 §9 (4)).
var attestationAlgs = []string{"ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "RS256", "RS384", "RS512", "EdDSA"}

// attestedGrantTypes are the grants of a wallet that authenticates with an
// attestation and has no registration.
var attestedGrantTypes = []string{oauth.GrantAuthorizationCode, oauth.GrantPreAuthorizedCode, oauth.GrantRefreshToken}

// AttestationConfig configures attest_jwt_client_auth. The method is
// always on; an attestation is accepted only from a trusted wallet
// provider, of this file or added through the admin API.
type AttestationConfig struct {
	// Providers are the wallet providers trusted from the config file.
	Providers []walletprovider.Provider `yaml:"wallet_providers"`
	// RequireChallenge requires a server challenge in every PoP
	// (use_attestation_challenge otherwise) and advertises the challenge
	// endpoint, which obliges clients to use it (-07 §8).
	RequireChallenge bool `yaml:"require_challenge"`
	// ChallengeTTL is how long a challenge stays valid.
	ChallengeTTL time.Duration `yaml:"challenge_ttl"`
	// MaxPoPAge is how old a PoP's iat may be; its jti is remembered that
	// long.
	MaxPoPAge time.Duration `yaml:"max_pop_age"`
	// MaxAttestationAge, when positive, answers use_fresh_attestation for
	// an attestation issued (iat) longer ago, or without iat. Zero: any age
	// until exp.
	MaxAttestationAge time.Duration `yaml:"max_attestation_age"`
	// SigningAlgs and PoPSigningAlgs are the allow-lists, published as
	// client_attestation_signing_alg_values_supported and
	// client_attestation_pop_signing_alg_values_supported.
	SigningAlgs    []string `yaml:"signing_alg_values"`
	PoPSigningAlgs []string `yaml:"pop_signing_alg_values"`
	// AllowMissingIssuer accepts attestations without iss, as drafts after
	// -07 allow; -07 requires it (checklist §7 item 6). A provider with an
	// issuer still requires it.
	AllowMissingIssuer bool `yaml:"allow_missing_iss"`
}

// DefaultAttestationConfig is the section's default: no provider, and
// fresh slices on every call.
func DefaultAttestationConfig() AttestationConfig {
	return AttestationConfig{
		ChallengeTTL:   5 * time.Minute,
		MaxPoPAge:      60 * time.Second,
		SigningAlgs:    []string{"ES256", "ES384", "PS256", "EdDSA"},
		PoPSigningAlgs: []string{"ES256", "ES384", "PS256", "EdDSA"},
	}
}

// Validate reports every problem of the section.
func (c *AttestationConfig) Validate() []error {
	var errs []error
	for name, algs := range map[string][]string{"signing_alg_values": c.SigningAlgs, "pop_signing_alg_values": c.PoPSigningAlgs} {
		for _, a := range algs {
			if !slices.Contains(attestationAlgs, a) {
				errs = append(errs, fmt.Errorf("client_attestation.%s: %q is not one of %s", name, a, strings.Join(attestationAlgs, ", ")))
			}
		}
	}
	if len(c.SigningAlgs) == 0 {
		errs = append(errs, errors.New("client_attestation.signing_alg_values: at least one algorithm is needed"))
	}
	if len(c.PoPSigningAlgs) == 0 {
		errs = append(errs, errors.New("client_attestation.pop_signing_alg_values: at least one algorithm is needed"))
	}
	for i, p := range c.Providers {
		if err := p.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("client_attestation.wallet_providers[%d]: %w", i, err))
		}
	}
	return errs
}

// attestationHeaders are the values of every OAuth-Client-Attestation and
// OAuth-Client-Attestation-PoP header of a request.
type attestationHeaders struct {
	attestation, pop []string
}

// attestationCredentials are the credentials of a request with attestation
// headers, which must use no other method (RFC 6749 §2.3).
func attestationCredentials(req Request) (credentials, error) {
	p := req.Params
	if req.Authorization != "" || p["client_secret"] != "" || p["client_assertion"] != "" || p["client_assertion_type"] != "" {
		return credentials{}, oauth.ErrInvalidRequest("the client used more than one authentication method")
	}
	return credentials{id: p["client_id"], method: oauth.AuthAttestJWT,
		attest: attestationHeaders{attestation: req.ClientAttestation, pop: req.ClientAttestationPoP}}, nil
}

func errAttestation(format string, args ...any) *oauth.Error {
	return oauth.ErrInvalidClient(format, args...)
}

// joseHeader is what the checks read of a JWS protected header.
type joseHeader struct {
	Alg  string          `json:"alg"`
	Typ  string          `json:"typ"`
	Kid  string          `json:"kid"`
	X5C  []string        `json:"x5c"`
	Crit json.RawMessage `json:"crit"`
	B64  json.RawMessage `json:"b64"`
}

// attestationClaims are the claims of a client attestation (-07 §5.1).
type attestationClaims struct {
	Iss string `json:"iss"`
	Sub string `json:"sub"`
	Exp *int64 `json:"exp"`
	Iat *int64 `json:"iat"`
	Nbf *int64 `json:"nbf"`
	Cnf *struct {
		JWK json.RawMessage `json:"jwk"`
	} `json:"cnf"`
	// RedirectURIs is client metadata the provider vouches for (-07 §5.1
	// allows further claims): the redirect URIs an unregistered wallet may
	// use in the authorization code flow.
	RedirectURIs []string `json:"redirect_uris"`
}

// popClaims are the claims of a client attestation PoP (-07 §5.2). Aud
// stays raw: it must be a string.
type popClaims struct {
	Iss       string          `json:"iss"`
	Aud       json.RawMessage `json:"aud"`
	Jti       string          `json:"jti"`
	Iat       *int64          `json:"iat"`
	Nbf       *int64          `json:"nbf"`
	Exp       *int64          `json:"exp"`
	Challenge *string         `json:"challenge"`
}

// attestation is a verified client attestation.
type attestation struct {
	claims   attestationClaims
	key      jwk.Key // the client instance key (cnf.jwk)
	jkt      string  // its thumbprint
	provider string  // the name of the provider that signed it
}

// authenticateAttestation authenticates a wallet by its client attestation
// and PoP (-07 §6.2, §9): the attestation signed by a trusted wallet
// provider and valid, the client_id parameter equal to its sub, the PoP
// signed by the attestation's cnf key, for this issuer, fresh, with the
// server challenge when one is required, and its jti used once (recorded
// atomically in the replay store, keyed by the instance key). The client is
// the registered client sub, which must use this method, or else a
// synthetic client named sub.
func (s *Authenticator) authenticateAttestation(ctx context.Context, cred credentials) (*storage.Client, string, error) {
	rawAtt, rawPoP, err := oneEach(cred.attest)
	if err != nil {
		return nil, "", err
	}
	now := s.cfg.Now()
	a, err := s.verifyAttestation(rawAtt, now)
	if err != nil {
		return nil, "", err
	}
	if cred.id != "" && cred.id != a.claims.Sub {
		return nil, "", errAttestation("client_id does not match the sub of the client attestation")
	}
	pop, err := s.verifyPoP(rawPoP, a, now)
	if err != nil {
		return nil, "", err
	}
	client, err := s.attestedClient(ctx, a)
	if err != nil {
		return nil, "", err
	}
	key := sha256.Sum256([]byte("attestation-pop\x00" + a.jkt + "\x00" + pop.Jti))
	err = s.store.UseReplayKey(ctx, key[:], time.Unix(*pop.Iat, 0).Add(s.cfg.Attestation.MaxPoPAge+assertionSkew), now)
	switch {
	case errors.Is(err, storage.ErrAlreadyExists):
		return nil, "", errAttestation("the client attestation PoP was used before")
	case err != nil:
		return nil, "", oauth.ErrServer(err)
	}
	s.log.DebugContext(ctx, "client authenticated by attestation", "client", client.ID, "provider", a.provider, "instance_key", a.jkt)
	return client, a.jkt, nil
}

// oneEach returns the only attestation and the only PoP of a request
// (-07 §6.2 (1), (2)).
func oneEach(h attestationHeaders) (att, pop string, err error) {
	switch {
	case len(h.attestation) > 1:
		return "", "", errAttestation("the request has more than one %s header", oauth.HeaderClientAttestation)
	case len(h.pop) > 1:
		return "", "", errAttestation("the request has more than one %s header", oauth.HeaderClientAttestationPoP)
	case len(h.attestation) == 0:
		return "", "", errAttestation("the %s header is missing", oauth.HeaderClientAttestation)
	case len(h.pop) == 0:
		return "", "", errAttestation("the %s header is missing", oauth.HeaderClientAttestationPoP)
	}
	return h.attestation[0], h.pop[0], nil
}

// parseJWT splits one compact JWS into its protected header and claims
// (decoded into claims), refusing what the checks do not handle: other
// serializations, crit and unencoded payloads. what names the JWT in
// error descriptions.
func parseJWT(raw, what string, claims any) (joseHeader, error) {
	var h joseHeader
	parts := strings.Split(raw, ".")
	if len(parts) != 3 || strings.ContainsAny(raw, ", ") {
		return h, errAttestation("the %s is not one compact JWT", what)
	}
	hb, err1 := base64.RawURLEncoding.DecodeString(parts[0])
	pb, err2 := base64.RawURLEncoding.DecodeString(parts[1])
	sig, err3 := base64.RawURLEncoding.DecodeString(parts[2])
	if err1 != nil || err2 != nil || err3 != nil || len(sig) == 0 ||
		json.Unmarshal(hb, &h) != nil || json.Unmarshal(pb, claims) != nil {
		return h, errAttestation("the %s is malformed", what)
	}
	if h.Crit != nil || h.B64 != nil {
		return h, errAttestation("the %s uses header parameters this server does not support (crit, b64)", what)
	}
	return h, nil
}

// typIs compares a typ with the expected media type, with or without the
// application/ prefix (RFC 7515 §4.1.9).
func typIs(typ, want string) bool {
	return strings.EqualFold(typ, want) || strings.EqualFold(typ, "application/"+want)
}

// verifyAttestation checks a client attestation (-07 §5.1, §9 (2), (4) to
// (6), (11)): typ, algorithm, required claims, the signature of a trusted
// provider, the times, the cnf key, and the freshness policy.
func (s *Authenticator) verifyAttestation(raw string, now time.Time) (attestation, error) {
	var a attestation
	h, err := parseJWT(raw, "client attestation", &a.claims)
	if err != nil {
		return a, err
	}
	c := &a.claims
	switch {
	case !typIs(h.Typ, typAttestation):
		return a, errAttestation("the client attestation's typ must be %s", typAttestation)
	case !slices.Contains(s.cfg.Attestation.SigningAlgs, h.Alg):
		return a, errAttestation("the client attestation's algorithm is not allowed")
	case c.Sub == "":
		return a, errAttestation("the client attestation has no sub")
	case !clients.ValidClientID(c.Sub):
		return a, errAttestation("the client attestation's sub is not a valid client_id")
	case c.Iss == "" && !s.cfg.Attestation.AllowMissingIssuer:
		return a, errAttestation("the client attestation has no iss")
	case c.Exp == nil:
		return a, errAttestation("the client attestation has no exp")
	case c.Cnf == nil || len(c.Cnf.JWK) == 0:
		return a, errAttestation("the client attestation has no cnf.jwk")
	}
	if a.provider, err = s.attestationSigner(raw, h, c.Iss, c.Sub, now); err != nil {
		return a, err
	}
	if err := checkAttestationTimes(*c, now); err != nil {
		return a, err
	}
	if a.key, a.jkt, err = instanceKey(c.Cnf.JWK); err != nil {
		return a, err
	}
	return a, s.checkFreshness(*c, now)
}

// attestationSigner returns the name of the trusted provider whose key
// verifies the attestation: a provider with keys by its JWKS (the key
// named by kid, or any), a provider with trust anchors by the leaf of x5c,
// whose chain must lead to an anchor without containing it (HAIP §4.4.1).
// A provider with an issuer is considered only for attestations with that
// iss, one with client_ids only for attestations of those clients (sub).
func (s *Authenticator) attestationSigner(raw string, h joseHeader, iss, sub string, now time.Time) (string, error) {
	chain, err := parseX5C(h.X5C)
	if err != nil {
		return "", err
	}
	var candidates []walletprovider.Trusted
	for _, p := range s.providers.Trusted() {
		if !p.Admits(iss, sub) {
			continue
		}
		for _, c := range chain {
			if p.IsAnchor(c) {
				return "", errAttestation("the client attestation's x5c contains a trust anchor, which it must not")
			}
		}
		candidates = append(candidates, p)
	}
	alg := jwa.SignatureAlgorithm(h.Alg)
	for _, p := range candidates {
		if p.Verifies(raw, alg, h.Kid, chain, now) {
			return p.Name(), nil
		}
	}
	return "", errAttestation("the client attestation is not signed by a trusted wallet provider")
}

// parseX5C decodes an x5c header: standard base64 DER certificates, leaf
// first (RFC 7515 §4.1.6).
func parseX5C(x5c []string) ([]*x509.Certificate, error) {
	if len(x5c) > maxX5C {
		return nil, errAttestation("the client attestation's x5c has more than %d certificates", maxX5C)
	}
	chain := make([]*x509.Certificate, 0, len(x5c))
	for _, e := range x5c {
		der, err := base64.StdEncoding.DecodeString(e)
		if err != nil {
			return nil, errAttestation("the client attestation's x5c is not a list of base64 DER certificates")
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, errAttestation("the client attestation's x5c is not a list of base64 DER certificates")
		}
		chain = append(chain, c)
	}
	return chain, nil
}

// checkAttestationTimes checks exp (no skew), and nbf and iat at most
// assertionSkew ahead (FAPI 2.0 §5.3.2.1).
func checkAttestationTimes(c attestationClaims, now time.Time) error {
	switch {
	case now.After(time.Unix(*c.Exp, 0)):
		return errAttestation("the client attestation has expired")
	case c.Nbf != nil && time.Unix(*c.Nbf, 0).After(now.Add(assertionSkew)):
		return errAttestation("the client attestation is not valid yet")
	case c.Iat != nil && time.Unix(*c.Iat, 0).After(now.Add(assertionSkew)):
		return errAttestation("the client attestation was issued in the future")
	}
	return nil
}

// instanceKey parses the cnf.jwk of an attestation: a public, asymmetric
// key (-07 §9 (6)) that jwkset.Check accepts. It returns the key and its
// RFC 7638 thumbprint.
func instanceKey(raw json.RawMessage) (jwk.Key, string, error) {
	k, err := jwk.ParseKey(raw)
	if err != nil {
		return nil, "", errAttestation("the client attestation's cnf.jwk is not a JWK")
	}
	switch err := jwkset.Check(k); {
	case errors.Is(err, jwkset.ErrNotPublic):
		return nil, "", errAttestation("the client attestation's cnf.jwk must be a public key")
	case err != nil:
		return nil, "", errAttestation("the client attestation's cnf.jwk is not an acceptable key: %s", err)
	}
	sum, err := k.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, "", errAttestation("the client attestation's cnf.jwk is not a JWK")
	}
	return k, base64.RawURLEncoding.EncodeToString(sum), nil
}

// checkFreshness applies max_attestation_age to the attestation's iat
// (-07 §9 (11)).
func (s *Authenticator) checkFreshness(c attestationClaims, now time.Time) error {
	limit := s.cfg.Attestation.MaxAttestationAge
	switch {
	case limit <= 0:
		return nil
	case c.Iat == nil:
		return oauth.ErrUseFreshAttestation("the client attestation has no iat; this server accepts attestations issued at most %s ago", limit)
	case now.Sub(time.Unix(*c.Iat, 0)) > limit:
		return oauth.ErrUseFreshAttestation("the client attestation was issued more than %s ago; get a fresh one", limit)
	}
	return nil
}

// verifyPoP checks a client attestation PoP (-07 §5.2, §9 (3), (4), (7) to
// (10)): typ, algorithm, the signature by the attestation's cnf key, iss =
// the attestation's sub, aud = the issuer identifier as a string, jti,
// the times, and last the challenge.
func (s *Authenticator) verifyPoP(raw string, a attestation, now time.Time) (popClaims, error) {
	var p popClaims
	h, err := parseJWT(raw, "client attestation PoP", &p)
	if err != nil {
		return p, err
	}
	switch {
	case !typIs(h.Typ, typAttestationPoP):
		return p, errAttestation("the client attestation PoP's typ must be %s", typAttestationPoP)
	case !slices.Contains(s.cfg.Attestation.PoPSigningAlgs, h.Alg):
		return p, errAttestation("the client attestation PoP's algorithm is not allowed")
	}
	if _, err := jws.Verify([]byte(raw), jws.WithKey(jwa.SignatureAlgorithm(h.Alg), a.key)); err != nil {
		return p, errAttestation("the client attestation PoP is not signed by the key of the attestation's cnf")
	}
	var aud string
	switch {
	case p.Iss == "":
		return p, errAttestation("the client attestation PoP has no iss")
	case p.Iss != a.claims.Sub:
		return p, errAttestation("the client attestation PoP's iss must be the client_id, the sub of the attestation")
	case json.Unmarshal(p.Aud, &aud) != nil || aud != s.cfg.URL:
		return p, errAttestation("the audience of the client attestation PoP is not correct")
	case p.Jti == "" || len(p.Jti) > maxPoPJTI:
		return p, errAttestation("the client attestation PoP needs a jti of at most %d bytes", maxPoPJTI)
	}
	if err := s.checkPoPTimes(p, now); err != nil {
		return p, err
	}
	return p, s.checkChallenge(p.Challenge, now)
}

// checkPoPTimes checks that iat is within [now − max_pop_age, now + 10 s]
// (-07 §9 (9), FAPI 2.0 §5.3.2.1), nbf not ahead and exp, if any, not
// past.
func (s *Authenticator) checkPoPTimes(p popClaims, now time.Time) error {
	switch {
	case p.Iat == nil:
		return errAttestation("the client attestation PoP has no iat")
	case time.Unix(*p.Iat, 0).After(now.Add(assertionSkew)):
		return errAttestation("the client attestation PoP was issued in the future")
	case time.Unix(*p.Iat, 0).Before(now.Add(-s.cfg.Attestation.MaxPoPAge)):
		return errAttestation("the client attestation PoP is too old")
	case p.Nbf != nil && time.Unix(*p.Nbf, 0).After(now.Add(assertionSkew)):
		return errAttestation("the client attestation PoP is not valid yet")
	case p.Exp != nil && now.After(time.Unix(*p.Exp, 0)):
		return errAttestation("the client attestation PoP has expired")
	}
	return nil
}

// checkChallenge checks the PoP's challenge (-07 §9 (8)): when present it
// must be a live challenge of this server, and it must be present when the
// server requires one. Either failure is use_attestation_challenge with a
// fresh challenge in the header (-07 §6.2).
func (s *Authenticator) checkChallenge(challenge *string, now time.Time) error {
	var e *oauth.Error
	switch {
	case challenge == nil && !s.cfg.Attestation.RequireChallenge:
		return nil
	case challenge == nil:
		e = oauth.ErrUseAttestationChallenge("the client attestation PoP must carry a challenge from this server")
	case s.nonces.Check(nonce.AttestationChallenge, *challenge, now) != nil:
		e = oauth.ErrUseAttestationChallenge("the challenge of the client attestation PoP is invalid or expired")
	default:
		return nil
	}
	return e.WithAttestationChallenge(s.newChallenge(now))
}

// attestedClient returns the client an attestation authenticates: the
// registered client sub, which must be registered for this method, or a
// client made from the attestation. Either way its tokens must be
// DPoP-bound (HAIP §4), and it carries the instance key's thumbprint.
func (s *Authenticator) attestedClient(ctx context.Context, a attestation) (*storage.Client, error) {
	c, err := s.store.GetClient(ctx, a.claims.Sub)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		c = storage.Client{ID: a.claims.Sub, AuthMethod: oauth.AuthAttestJWT, GrantTypes: attestedGrantTypes, RedirectURIs: validRedirectURIs(a.claims.RedirectURIs)}
	case err != nil:
		return nil, oauth.ErrServer(err)
	case c.AuthMethod != oauth.AuthAttestJWT:
		return nil, errAttestation("the client is registered with another authentication method than %s", oauth.AuthAttestJWT)
	}
	c.DPoPBound = true
	return &c, nil
}

// LimiterKey is the key under which a client's failures are counted: for
// an attested client (b.Instance set), its instance key too, since every
// instance of a wallet shares the client_id and one must not throttle the
// others (HAIP §4.4.1).
func LimiterKey(c *storage.Client, b oauth.Binding) string {
	if b.Instance == "" {
		return c.ID
	}
	return c.ID + "\x00" + b.Instance
}

// newChallenge issues an attestation challenge.
func (s *Authenticator) newChallenge(now time.Time) string {
	return s.nonces.Issue(nonce.AttestationChallenge, now, s.cfg.Attestation.ChallengeTTL)
}

// ChallengeResponse is the body of the challenge endpoint (-07 §8).
type ChallengeResponse struct {
	AttestationChallenge string `json:"attestation_challenge"`
}

// Challenge issues a challenge for a client attestation PoP (-07 §8).
// Challenges are stateless (HMAC, like the other nonces, in their own
// namespace) and expire after client_attestation.challenge_ttl; replays
// within that time are caught by the PoP's jti.
func (s *Authenticator) Challenge(context.Context) ChallengeResponse {
	return ChallengeResponse{AttestationChallenge: s.newChallenge(s.cfg.Now())}
}

// ChallengeHeader returns a fresh challenge for the
// OAuth-Client-Attestation-Challenge header of a response (-07 §8.1) when
// challenges are required, or "".
func (s *Authenticator) ChallengeHeader() string {
	if !s.cfg.Attestation.RequireChallenge {
		return ""
	}
	return s.newChallenge(s.cfg.Now())
}

// validRedirectURIs keeps the redirect_uris of an attestation that pass
// clients.CheckRedirectURI, the allow-list of registrations: the others
// can never be used at PAR or /authorize.
func validRedirectURIs(uris []string) []string {
	var out []string
	for _, u := range uris {
		if clients.CheckRedirectURI(u) == nil {
			out = append(out, u)
		}
	}
	return out
}
