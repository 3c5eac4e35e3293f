package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"runtime/debug"
	"time"

	"issuer/web"
)

const (
	sweepInterval   = 30 * time.Second
	shutdownTimeout = 10 * time.Second
)

// serve runs the token service until ctx ends, then shuts down gracefully.
func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	s, err := loadSettings(args, getenv, stderr)
	if err != nil {
		return err
	}
	log := s.logger(stderr)
	tuneGC(getenv)
	tlsConfig, err := s.loadTLS()
	if err != nil {
		return err
	}
	store, err := openStore(ctx, &s, log)
	if err != nil {
		return err
	}
	defer store.Close()
	svc, err := newService(ctx, s.Config, store, log)
	if err != nil {
		return err
	}
	if s.Dev && s.AdminToken == "" {
		s.AdminToken = newAdminToken()
	}
	proxies, err := s.trustedProxies() // validated
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           web.New(svc, web.Options{AdminToken: s.AdminToken, Logger: log, Dev: s.Dev, TrustedProxies: proxies}),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      15 * time.Second,
		IdleTimeout:       90 * time.Second,
		// web enforces web.MaxHeaderBytes (64 KiB) with an OAuth JSON 431;
		// net/http's own, plain-text 431 only answers heads above 256 KiB.
		MaxHeaderBytes: web.ServerMaxHeaderBytes,
		ErrorLog:       slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		TLSConfig:      tlsConfig,
	}
	log.Info("issuer listening", "addr", ln.Addr().String(), "url", svc.Config().URL, "db", redactDB(s.DB),
		"admin_api", s.AdminToken != "", "dpop_policy", s.DPoP.Policy, "use_dpop_nonce", s.DPoP.UseNonce,
		"tls", tlsConfig != nil, "client_ca", s.ClientCA != "", "profile", s.Profile)
	if s.Dev {
		if err := printDemo(ctx, svc, s.AdminToken, stdout); err != nil {
			return err
		}
	}
	if s.DebugAddr != "" {
		go serveDebug(s.DebugAddr, log)
	}
	sweepCtx, stopSweep := context.WithCancel(ctx)
	defer stopSweep()
	go svc.RunSweeper(sweepCtx, sweepInterval)
	if _, shared := store.(sharedStore); shared {
		go reloadProviders(sweepCtx, svc, providerReload, log)
	}
	errc := make(chan error, 1)
	go func() { errc <- listen(srv, ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// serveDebug serves net/http/pprof on its own listener, for profiling.
func serveDebug(addr string, log *slog.Logger) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	log.Info("debug server listening", "addr", addr)
	if err := srv.ListenAndServe(); err != nil {
		log.Error("debug server", "err", err)
	}
}

// defaultGOGC is the GC target the server runs with unless GOGC is set. The
// live heap is small (tens of MB) and every request allocates: collecting
// at 5x the live heap instead of 2x saves about a tenth of the CPU of a
// redemption for ~11 MB of peak RSS (scripts/bench.sh).
const defaultGOGC = 400

func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGOGC)
	}
}
