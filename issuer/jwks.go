package issuer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"

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
	mu     sync.Mutex
	cache  map[string]cachedSet
}

type cachedSet struct {
	set     jwk.Set
	fetched time.Time
}

func newKeyFetcher(timeout time.Duration, now func() time.Time) *keyFetcher {
	return &keyFetcher{client: &http.Client{Timeout: timeout}, now: now, cache: map[string]cachedSet{}}
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
	if err := checkClientKeys(body); err != nil {
		return nil, err
	}
	return jwk.Parse(body)
}

func hasKid(set jwk.Set, kid string) bool {
	_, ok := set.LookupKeyID(kid)
	return ok
}

// clientKeys returns the keys a private_key_jwt client signs with.
func (s *Service) clientKeys(ctx context.Context, c storage.Client, kid string) (jwk.Set, error) {
	if c.JWKSURI == "" {
		return jwk.Parse(c.JWKS)
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
