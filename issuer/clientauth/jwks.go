package clientauth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"

	"issuer/dpop"
	"issuer/storage"
)

// Fetching the keys of private_key_jwt clients registered with jwks_uri.
const (
	jwksMaxBytes    = 64 << 10
	jwksCacheTTL    = 5 * time.Minute
	jwksMinRefetch  = 30 * time.Second // a key rotation refetch, at most this often
	jwksDefaultWait = 5 * time.Second
)

// keyFetcher fetches and caches clients' JWK sets from their jwks_uri, with
// a timeout and a size cap.
type keyFetcher struct {
	client *http.Client
	now    func() time.Time
	log    *slog.Logger
	mu     sync.Mutex
	cache  map[string]cachedSet
}

type cachedSet struct {
	set     jwk.Set
	fetched time.Time
}

func newKeyFetcher(timeout time.Duration, now func() time.Time, log *slog.Logger) *keyFetcher {
	return &keyFetcher{client: &http.Client{Timeout: timeout}, now: now, log: log, cache: map[string]cachedSet{}}
}

// keys returns the JWK set at uri: from the cache while it is fresh and,
// when kid is not in it, fetched again (a key rotation) at most every
// jwksMinRefetch.
func (f *keyFetcher) keys(ctx context.Context, uri, kid string) (jwk.Set, error) {
	now := f.now()
	f.mu.Lock()
	c, ok := f.cache[uri]
	f.mu.Unlock()
	fresh := ok && now.Sub(c.fetched) < jwksCacheTTL
	if fresh && (kid == "" || hasKid(c.set, kid) || now.Sub(c.fetched) < jwksMinRefetch) {
		return c.set, nil
	}
	set, err := f.fetch(ctx, uri)
	if err != nil {
		if fresh {
			return c.set, nil
		}
		return nil, err
	}
	f.mu.Lock()
	f.cache[uri] = cachedSet{set: set, fetched: now}
	f.mu.Unlock()
	return set, nil
}

func (f *keyFetcher) fetch(ctx context.Context, uri string) (jwk.Set, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	res, err := f.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("jwks_uri answered %d", res.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, jwksMaxBytes+1))
	if err != nil {
		return nil, err
	}
	if len(body) > jwksMaxBytes {
		return nil, errors.New("jwks_uri document too large")
	}
	set, err := jwk.Parse(body)
	if err != nil {
		return nil, errors.New("jwks_uri document is not a JWK set")
	}
	usable, skipped := usableKeys(set)
	for _, err := range skipped {
		f.log.WarnContext(ctx, "a key of a client's jwks_uri is ignored", "jwks_uri", uri, "err", err)
	}
	if usable.Len() == 0 {
		return nil, errors.New("jwks_uri document has no usable public key")
	}
	return usable, nil
}

func hasKid(set jwk.Set, kid string) bool {
	_, ok := set.LookupKeyID(kid)
	return ok
}

// clientKeys returns the keys a private_key_jwt or
// self_signed_tls_client_auth client signs with. Registered keys were
// checked at registration; those that no longer pass checkJWK (stored by
// an older version) are left out here too.
func (s *Authenticator) clientKeys(ctx context.Context, c storage.Client, kid string) (jwk.Set, error) {
	if c.JWKSURI == "" {
		set, err := jwk.Parse(c.JWKS)
		if err != nil {
			return nil, err
		}
		usable, skipped := usableKeys(set)
		for _, err := range skipped {
			s.log.WarnContext(ctx, "a registered key of a client is ignored", "client", c.ID, "err", err)
		}
		return usable, nil
	}
	set, err := s.fetcher.keys(ctx, c.JWKSURI, kid)
	if err != nil {
		s.log.WarnContext(ctx, "fetching a client's jwks_uri failed", "client", c.ID, "err", err)
		return nil, errAssertion("the client's keys could not be fetched")
	}
	return set, nil
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

// errJWKNotPublic: a JWK with private members, or a symmetric one.
var errJWKNotPublic = errors.New("must be a public key, not a private or symmetric one")

// checkJWK reports whether k can verify signatures here: a public,
// asymmetric key in the encoding RFC 7518 prescribes (checkJWKEncoding)
// that dpop.CheckPublicKey accepts (the one key policy of the server: EC
// on P-256/P-384/P-521 and on the curve, RSA of 2048 to 4096 bits, Ed25519
// canonical and not of small order). jwx parses keys without these
// checks: it stores an EC key with x "AA" and y "AA". Every key parsed
// with jwx from outside (clients' jwks and jwks_uri documents, wallet
// providers' jwks, attestations' cnf.jwk) comes through here.
func checkJWK(k jwk.Key) error {
	if k.KeyType() == jwa.OctetSeq {
		return errJWKNotPublic
	}
	if private, err := jwk.IsPrivateKey(k); err != nil || private {
		return errJWKNotPublic
	}
	if err := checkJWKEncoding(k); err != nil {
		return err
	}
	var pub any
	if err := k.Raw(&pub); err != nil {
		return errors.New("is not a valid key")
	}
	return dpop.CheckPublicKey(pub)
}

// ecCoordinateSizes are the lengths in bytes of the x and y members of an
// EC JWK (RFC 7518 §6.2.1.2, §6.2.1.3): the full coordinate size.
var ecCoordinateSizes = map[jwa.EllipticCurveAlgorithm]int{jwa.P256: 32, jwa.P384: 48, jwa.P521: 66}

// Encoding defects of a JWK that dpop.CheckPublicKey cannot see: it gets
// the numbers, not their encoding. (RFC 7518 §6.2.1.2 and §6.3.1.1; the
// messages end up in error_description, whose character set has no §.)
var (
	errJWKCoordinateSize = fmt.Errorf("%w: the x and y of an EC key must have the full coordinate length", dpop.ErrUnacceptableKey)
	errJWKRSAOctets      = fmt.Errorf("%w: the n and e of an RSA key must have no leading zero octet", dpop.ErrUnacceptableKey)
)

// checkJWKEncoding applies the encoding rules of RFC 7518 that the DPoP
// parser (dpop/jwk.go) applies and jwx does not: x and y of an EC key of
// exactly the coordinate size, n and e of an RSA key in the minimum number
// of octets. A shorter or longer encoding names the same number, so the
// key would work, but it is malformed, and with it one key has several
// JWKs. jwx keeps each member as the bytes its base64url string decodes
// to (k.X() is the decoded "x" of the JSON); k.Raw turns them into
// numbers, which lose the length.
func checkJWKEncoding(k jwk.Key) error {
	switch k := k.(type) {
	case jwk.ECDSAPublicKey:
		size, ok := ecCoordinateSizes[k.Crv()]
		if ok && (len(k.X()) != size || len(k.Y()) != size) {
			return errJWKCoordinateSize
		}
	case jwk.RSAPublicKey:
		if n, e := k.N(), k.E(); len(n) > 0 && n[0] == 0 || len(e) > 0 && e[0] == 0 {
			return errJWKRSAOctets
		}
	}
	return nil // other curves and types: dpop.CheckPublicKey refuses them
}

// keyName names the i-th key of a set in messages by its position (0 for
// the first), never by its kid, which the sender chose and which could
// carry characters an error_description must not (RFC 6749 §5.2).
func keyName(i int) string {
	return fmt.Sprintf("key %d", i)
}

// parseKeySet parses raw as a JWK set of at least one key and checks every
// key with checkJWK. The error names the first bad key.
func parseKeySet(raw []byte) (jwk.Set, error) {
	set, err := jwk.Parse(raw)
	if err != nil || set.Len() == 0 {
		return nil, errors.New("must be a JWK set with at least one public key")
	}
	for i := 0; i < set.Len(); i++ {
		k, _ := set.Key(i)
		if err := checkJWK(k); err != nil {
			return nil, fmt.Errorf("%s: %w", keyName(i), err)
		}
	}
	return set, nil
}

// usableKeys returns the keys of set that pass checkJWK, and an error
// naming each of the others.
func usableKeys(set jwk.Set) (jwk.Set, []error) {
	usable := jwk.NewSet()
	var skipped []error
	for i := 0; i < set.Len(); i++ {
		k, _ := set.Key(i)
		if err := checkJWK(k); err != nil {
			skipped = append(skipped, fmt.Errorf("%s: %w", keyName(i), err))
			continue
		}
		_ = usable.AddKey(k) // fails only for a key already in the set
	}
	return usable, skipped
}
