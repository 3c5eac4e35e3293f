package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
)

// loadTLS reads the TLS files of the settings: the client CA pool goes to
// the domain (tls_client_auth), and with a server certificate it returns
// the listener's configuration (nil for plain HTTP).
//
// The listener requests a client certificate from every client but
// verifies none (tls.RequestClientCert): self-signed certificates must get
// through the handshake, and the issuer package verifies each chain
// against the client's registration. The handshake still proves that the
// client holds the private key of the certificate it sent. ClientCAs stays
// unset, so that the server names no acceptable CAs: clients (Go's among
// them) offer only certificates from a named CA when there is a list.
func (s *settings) loadTLS() (*tls.Config, error) {
	if s.ClientCA != "" {
		pool, err := loadCertPool(s.ClientCA)
		if err != nil {
			return nil, fmt.Errorf("client_ca: %w", err)
		}
		s.Config.ClientAuth.ClientCAs = pool
	}
	if s.TLSCert == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(s.TLSCert, s.TLSKey)
	if err != nil {
		return nil, fmt.Errorf("tls_cert, tls_key: %w", err)
	}
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequestClientCert,
	}, nil
}

// loadCertPool reads a PEM file of CA certificates.
func loadCertPool(path string) (*x509.CertPool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, errors.New(path + ": no PEM certificate in the file")
	}
	return pool, nil
}

// listen serves srv on ln: HTTPS when srv has a TLS configuration.
func listen(srv *http.Server, ln net.Listener) error {
	if srv.TLSConfig != nil {
		return srv.ServeTLS(ln, "", "")
	}
	return srv.Serve(ln)
}
