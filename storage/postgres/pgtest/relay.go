package pgtest

import (
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
)

// Relay forwards TCP connections from its own address to the database
// server, and can be cut (listener closed, every connection reset) and
// restored on the same address: a database that goes away and comes back,
// for the stores and nodes that connect through it, and for them alone.
// It counts the round trips it forwards.
type Relay struct {
	t          testing.TB
	target     string
	mu         sync.Mutex
	addr       string
	ln         net.Listener
	conns      []net.Conn
	roundTrips atomic.Int64
}

// RoundTrips returns how many round trips the relay has forwarded so far,
// on all its connections: the times a client spoke again after the server
// had answered (or for the first time), however many packets each message
// took.
func (r *Relay) RoundTrips() int64 { return r.roundTrips.Load() }

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
		t := &turns{count: &r.roundTrips}
		go func() { t.copy(s, c, true); s.Close() }()
		go func() { t.copy(c, s, false); c.Close() }()
	}
}

// turns follows who spoke last on one forwarded connection, and counts a
// round trip each time the client speaks after the server.
type turns struct {
	mu         sync.Mutex
	serverLast bool
	started    bool
	count      *atomic.Int64
}

// copy forwards src to dst until either fails; client says which side
// src is. The turn is taken before the bytes are forwarded, so that an
// answer is never seen before the turn that caused it.
func (t *turns) copy(dst, src net.Conn, client bool) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			t.take(client)
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (t *turns) take(client bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if client && (t.serverLast || !t.started) {
		t.count.Add(1)
	}
	t.started, t.serverLast = true, !client
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
