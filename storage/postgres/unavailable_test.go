package postgres_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"issuer/storage"
	"issuer/storage/postgres"
	"issuer/storage/postgres/pgtest"
)

// relay forwards TCP connections from its own address to the database
// server, and can be cut (listener closed, every connection reset) and
// restored on the same address: a database that goes away and comes back.
type relay struct {
	t      *testing.T
	addr   string
	target string
	mu     sync.Mutex
	ln     net.Listener
	conns  []net.Conn
}

func newRelay(t *testing.T, target string) *relay {
	r := &relay{t: t, target: target}
	r.up("127.0.0.1:0")
	t.Cleanup(r.down)
	return r
}

// up listens on addr and forwards what it accepts.
func (r *relay) up(addr string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		r.t.Fatal(err)
	}
	r.mu.Lock()
	r.ln, r.addr = ln, ln.Addr().String()
	r.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", r.target)
			if err != nil {
				c.Close()
				continue
			}
			r.mu.Lock()
			r.conns = append(r.conns, c, s)
			r.mu.Unlock()
			go func() { _, _ = io.Copy(s, c); s.Close() }()
			go func() { _, _ = io.Copy(c, s); c.Close() }()
		}
	}()
}

// down closes the listener and every forwarded connection.
func (r *relay) down() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ln != nil {
		r.ln.Close()
		r.ln = nil
	}
	for _, c := range r.conns {
		c.Close()
	}
	r.conns = nil
}

// relayDSN returns dsn with its host and port replaced by addr.
func relayDSN(t *testing.T, dsn, addr string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = addr
	return u.String()
}

// TestDatabaseGoneAndBack cuts the connection to the database under an
// open store: operations fail with storage.ErrUnavailable within the
// operation timeout (no hang), and succeed again, on the same store, once
// the database is reachable again.
func TestDatabaseGoneAndBack(t *testing.T) {
	schema := pgtest.Schema(t, testDSN)
	u, _ := url.Parse(schema)
	r := newRelay(t, u.Host)
	s, err := postgres.Open(t.Context(), relayDSN(t, schema, r.addr), postgres.Options{OpTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	o := newOffer(t, s)

	r.down()
	start := time.Now()
	_, err = s.GetOfferByCode(t.Context(), o.CodeHash)
	if !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("GetOfferByCode with the database gone = %v; want ErrUnavailable", err)
	}
	err = s.Redeem(t.Context(), redemption(o))
	if !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("Redeem with the database gone = %v; want ErrUnavailable", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the failures took %s; want them within the operation timeout", d)
	}

	r.up(r.addr)
	if err := s.Redeem(t.Context(), redemption(o)); err != nil {
		t.Fatalf("Redeem with the database back = %v; want nil", err)
	}
	if err := s.Redeem(t.Context(), redemption(o)); !errors.Is(err, storage.ErrConsumed) {
		t.Errorf("second Redeem = %v; want ErrConsumed", err)
	}
}

// TestBackendsTerminated kills the store's server sessions
// (pg_terminate_backend, as a server restart or failover does): the next
// reads and writes reconnect and succeed without an error.
func TestBackendsTerminated(t *testing.T) {
	s := openStore(t)
	o := newOffer(t, s)
	for range 3 { // fill the pool with a few connections
		if _, err := s.GetOfferByCode(t.Context(), o.CodeHash); err != nil {
			t.Fatal(err)
		}
	}
	conn, err := pgx.Connect(t.Context(), testDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	err = conn.QueryRow(t.Context(), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND application_name = 'issuer' AND pid <> pg_backend_pid()`).Scan(&n)
	if err != nil || n == 0 {
		t.Fatalf("terminated %d sessions: %v; want some", n, err)
	}
	if _, err := s.GetOfferByCode(t.Context(), o.CodeHash); err != nil {
		t.Errorf("read after the sessions were terminated = %v; want nil (retried)", err)
	}
	if err := s.Redeem(t.Context(), redemption(o)); err != nil {
		t.Errorf("Redeem after the sessions were terminated = %v; want nil (retried)", err)
	}
}
