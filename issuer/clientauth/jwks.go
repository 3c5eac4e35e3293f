package clientauth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"

	"issuer/issuer/jwkset"
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
// a timeout and a size cap. Fetches of one jwks_uri, successful or not,
// start at most every jwksMinRefetch, and concurrent callers share one: an
// unreachable jwks_uri costs no outbound request per token request.
type keyFetcher struct {
	client *http.Client
	now    func() time.Time
	log    *slog.Logger
	mu     sync.Mutex
	cache  map[string]*cachedSet
}

type cachedSet struct {
	set     jwk.Set   // the last set fetched, nil before the first success
	fetched time.Time // when set was fetched
	tried   time.Time // when the last fetch started
	err     error     // the last fetch's failure, nil after a success
	done    chan struct{}
}

func newKeyFetcher(timeout time.Duration, now func() time.Time, log *slog.Logger) *keyFetcher {
	return &keyFetcher{client: &http.Client{Timeout: timeout}, now: now, log: log, cache: map[string]*cachedSet{}}
}

// keys returns the JWK set at uri: from the cache while it is fresh and,
// when kid is not in it, fetched again (a key rotation) if no fetch started
// in the last jwksMinRefetch. A failed fetch keeps a fresh cached set; a
// stale one is not used.
func (f *keyFetcher) keys(ctx context.Context, uri, kid string) (jwk.Set, error) {
	now := f.now()
	f.mu.Lock()
	c, ok := f.cache[uri]
	if !ok {
		c = &cachedSet{}
		f.cache[uri] = c
	}
	if c.done != nil { // a fetch is under way: share its outcome
		done := c.done
		f.mu.Unlock()
		select {
		case <-done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		f.mu.Lock()
	}
	fresh := c.set != nil && now.Sub(c.fetched) < jwksCacheTTL
	switch {
	case fresh && (kid == "" || hasKid(c.set, kid)):
		defer f.mu.Unlock()
		return c.set, nil
	case !c.tried.IsZero() && now.Sub(c.tried) < jwksMinRefetch:
		defer f.mu.Unlock()
		return c.recent(fresh)
	}
	c.tried, c.done = now, make(chan struct{})
	f.mu.Unlock()

	set, err := f.fetch(ctx, uri)
	f.mu.Lock()
	defer f.mu.Unlock()
	close(c.done)
	c.done = nil
	if err != nil {
		c.err = err
		return c.recent(fresh)
	}
	c.set, c.fetched, c.err = set, now, nil
	return set, nil
}

// recent is the answer of a cache entry without a new fetch: the set while
// it is fresh, else the last fetch's failure. Callers hold the fetcher's
// lock.
func (c *cachedSet) recent(fresh bool) (jwk.Set, error) {
	switch {
	case fresh:
		return c.set, nil
	case c.err != nil:
		return nil, c.err
	}
	return nil, errors.New("the jwks_uri document is stale")
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
	usable, skipped := jwkset.Usable(set)
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
// checked at registration; those that no longer pass jwkset.Check (stored by
// an older version) are left out here too.
func (s *Authenticator) clientKeys(ctx context.Context, c storage.Client, kid string) (jwk.Set, error) {
	if c.JWKSURI == "" {
		set, err := jwk.Parse(c.JWKS)
		if err != nil {
			return nil, err
		}
		usable, skipped := jwkset.Usable(set)
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
