package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"issuer/issuer"
	"issuer/storage"
	"issuer/storage/postgres"
)

// providerReload is how often a node on a shared database reloads the
// wallet providers, so that one added or deleted through another node's
// admin API is trusted (or not) here within that time.
const providerReload = 3 * time.Second

// openStore opens the database the settings name: a postgres:// URL is a
// PostgreSQL database, shared by every node that names it; anything else
// is the path of a bbolt file, checked by openDB.
func openStore(ctx context.Context, s *settings, log *slog.Logger) (storage.Store, error) {
	if postgres.IsDSN(s.DB) {
		return postgres.Open(ctx, s.DB, postgres.Options{Logger: log})
	}
	return openDB(s, log)
}

// sharedStore is a store that several nodes share: their starts take
// turns, so that the first creates the signing key and the others load it.
type sharedStore interface {
	Exclusive(ctx context.Context, fn func(context.Context) error) error
}

// newService starts the service on store, under the start lock of a shared
// store.
func newService(ctx context.Context, cfg issuer.Config, store storage.Store, log *slog.Logger) (*issuer.Service, error) {
	var svc *issuer.Service
	start := func(ctx context.Context) error {
		var err error
		svc, err = issuer.New(ctx, cfg, store, log)
		return err
	}
	if shared, ok := store.(sharedStore); ok {
		return svc, shared.Exclusive(ctx, start)
	}
	return svc, start(ctx)
}

// reloadProviders reloads the wallet providers every interval until ctx
// ends (shared stores only: on a bbolt file, this process's admin API is
// the only writer, and it reloads after each change).
func reloadProviders(ctx context.Context, svc *issuer.Service, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := svc.WalletProviders.Reload(ctx); err != nil && ctx.Err() == nil {
				log.WarnContext(ctx, "reloading the wallet providers", "err", err)
			}
		}
	}
}

// redactDB returns the database setting as it may be logged: a URL
// without its password (in the user info or as a parameter).
func redactDB(db string) string {
	if !postgres.IsDSN(db) {
		return db
	}
	u, err := url.Parse(db)
	if err != nil {
		return "postgres://(unparsable URL)"
	}
	q := u.Query()
	for k := range q {
		if strings.EqualFold(k, "password") {
			q.Set(k, "xxxxx")
		}
	}
	u.RawQuery = q.Encode()
	return u.Redacted()
}

// migrateCmd is `issuer migrate`: it applies the PostgreSQL schema's
// missing migrations and exits, for an operator who upgrades the schema
// before starting the new binary's nodes (serve applies them too).
func migrateCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	s, err := loadSettings(args, getenv, stderr)
	if err != nil {
		return err
	}
	if !postgres.IsDSN(s.DB) {
		return errors.New("migrate: --db must be a postgres:// URL (a bbolt file is migrated when it is opened)")
	}
	applied, err := postgres.Migrate(ctx, s.DB)
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		_, err = fmt.Fprintln(stdout, "the schema is up to date")
		return err
	}
	for _, name := range applied {
		if _, err := fmt.Fprintln(stdout, "applied", name); err != nil {
			return err
		}
	}
	return nil
}
