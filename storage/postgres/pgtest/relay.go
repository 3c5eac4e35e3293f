package pgtest

import (
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
)

// Relay forwards TCP connections from its own address to the database
// server, and can be cut (listener closed, every connection reset) and
// restored on the same address: a database that goes away and comes back,
// for the stores and nodes that connect through it, and for them alone.
type Relay struct {
	t      testing.TB
	target string
	mu     sync.Mutex
	addr   string
	ln     net.Listener
	conns  []net.Conn
}

// NewRelay starts a relay to the server of dsn and returns it; it is cut
// when t ends.
func NewRelay(t testing.TB, dsn string) *Relay {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	r := &Relay{t: t, target: u.Host, addr: "127.0.0.1:0"}
	r.Up()
	t.Cleanup(r.Down)
	return r
}

// DSN returns dsn with its host and port replaced by the relay's.
func (r *Relay) DSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		r.t.Fatal(err)
	}
	r.mu.Lock()
	u.Host = r.addr
	r.mu.Unlock()
	return u.String()
}

// Up listens (again) on the relay's address and forwards what it accepts.
func (r *Relay) Up() {
	r.mu.Lock()
	defer r.mu.Unlock()
	ln, err := net.Listen("tcp", r.addr)
	if err != nil {
		r.t.Fatal(err)
	}
	r.ln, r.addr = ln, ln.Addr().String()
	go r.accept(ln)
}

func (r *Relay) accept(ln net.Listener) {
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
}

// Down closes the listener and every forwarded connection.
func (r *Relay) Down() {
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
