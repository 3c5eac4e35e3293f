package walletprovider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"issuer/issuer/oauth"
	"issuer/issuer/token"
	"issuer/storage"
)

// Registry holds the trusted wallet providers: those of the config file
// and those in the store, reloaded after each change through the admin
// API. Create it with [New]; it is safe for concurrent use.
type Registry struct {
	configured []Provider
	store      storage.WalletProviders
	now        func() time.Time
	log        *slog.Logger
	mu         sync.Mutex // serializes reloads
	trusted    atomic.Pointer[[]Trusted]
}

// New returns the registry of the providers configured (validated with
// the config) and of those in store; a nil log discards. It trusts none
// until its first [Registry.Reload].
func New(configured []Provider, store storage.WalletProviders, now func() time.Time, log *slog.Logger) *Registry {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Registry{configured: configured, store: store, now: now, log: log}
}

// Trusted returns the trusted providers, ready for verification; the
// slice is shared and must not be modified.
func (s *Registry) Trusted() []Trusted {
	if p := s.trusted.Load(); p != nil {
		return *p
	}
	return nil
}

// Reload rebuilds the trusted providers from the config
// and the store. A stored provider that no longer parses (it was checked
// when added) is logged and skipped.
func (s *Registry) Reload(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var trusted []Trusted
	for _, p := range s.configured {
		t, _, err := p.parse()
		if err != nil {
			return fmt.Errorf("wallet provider %q: %w", p.Name, err)
		}
		trusted = append(trusted, t)
	}
	recs, err := s.store.WalletProviders(ctx)
	if err != nil {
		return fmt.Errorf("loading the wallet providers: %w", err)
	}
	for _, r := range recs {
		p, err := providerFromRecord(r)
		var t Trusted
		if err == nil {
			t, _, err = p.parse()
		}
		if err != nil {
			s.log.ErrorContext(ctx, "stored wallet provider ignored", "id", r.ID, "err", err)
			continue
		}
		trusted = append(trusted, t)
	}
	s.trusted.Store(&trusted)
	return nil
}

// providerFromRecord is the API form of a stored provider.
func providerFromRecord(r storage.WalletProvider) (Provider, error) {
	p := Provider{ID: r.ID, Name: r.Name, Issuer: r.Issuer, ClientIDs: r.ClientIDs, X5CRoots: r.X5CRoots, Source: FromAPI, CreatedAt: r.CreatedAt.Unix()}
	if len(r.JWKS) > 0 {
		if err := json.Unmarshal(r.JWKS, &p.JWKS); err != nil {
			return p, err
		}
	}
	return p, nil
}

// Create trusts a wallet provider from now on: it is
// validated, stored, and used for the next request.
func (s *Registry) Create(ctx context.Context, p Provider) (Provider, error) {
	_, p, err := p.parse()
	if err != nil {
		return Provider{}, oauth.ErrInvalidRequest("%s", err.Error())
	}
	rec := storage.WalletProvider{ID: token.NewID(), Name: p.Name, Issuer: p.Issuer, ClientIDs: p.ClientIDs, X5CRoots: p.X5CRoots, CreatedAt: s.now().UTC()}
	if len(p.JWKS) > 0 {
		if rec.JWKS, err = json.Marshal(p.JWKS); err != nil {
			return Provider{}, oauth.ErrServer(err)
		}
	}
	if err := s.store.CreateWalletProvider(ctx, rec); err != nil {
		return Provider{}, oauth.ErrServer(err)
	}
	if err := s.Reload(ctx); err != nil {
		return Provider{}, oauth.ErrServer(err)
	}
	s.log.InfoContext(ctx, "wallet provider added", "id", rec.ID, "name", rec.Name)
	p.ID, p.Source, p.CreatedAt = rec.ID, FromAPI, rec.CreatedAt.Unix()
	return p, nil
}

// List lists the trusted wallet providers: those of the config
// file first, then those added through the admin API, oldest first.
func (s *Registry) List(ctx context.Context) ([]Provider, error) {
	out := make([]Provider, 0, len(s.configured))
	for _, p := range s.configured {
		_, p, _ = p.parse() // validated at start
		p.Source = FromConfig
		out = append(out, p)
	}
	recs, err := s.store.WalletProviders(ctx)
	if err != nil {
		return nil, oauth.ErrServer(err)
	}
	for _, r := range recs {
		p, err := providerFromRecord(r)
		if err != nil {
			return nil, oauth.ErrServer(err)
		}
		out = append(out, p)
	}
	return out, nil
}

// Delete stops trusting a provider added through the admin
// API; its attestations are refused from the next request on.
func (s *Registry) Delete(ctx context.Context, id string) error {
	err := s.store.DeleteWalletProvider(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return oauth.ErrNotFound("the wallet provider doesn't exist (providers of the config file are removed from the file)")
	} else if err != nil {
		return oauth.ErrServer(err)
	}
	if err := s.Reload(ctx); err != nil {
		return oauth.ErrServer(err)
	}
	s.log.InfoContext(ctx, "wallet provider removed", "id", id)
	return nil
}
