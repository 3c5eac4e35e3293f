package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// pemCert is a certificate with its key, as files and for a TLS client.
type pemCert struct {
	cert     *x509.Certificate
	key      *ecdsa.PrivateKey
	certFile string
	keyFile  string
}

// issueCert signs tmpl with parent (self-signed when nil) and writes the
// certificate and key as PEM files named name.pem and name.key in dir.
func issueCert(t *testing.T, dir, name string, tmpl *x509.Certificate, parent *pemCert) *pemCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl.SerialNumber = big.NewInt(time.Now().UnixNano())
	tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	signer, signerKey := tmpl, key
	if parent != nil {
		signer, signerKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signerKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	c := &pemCert{key: key, certFile: filepath.Join(dir, name+".pem"), keyFile: filepath.Join(dir, name+".key")}
	if c.cert, err = x509.ParseCertificate(der); err != nil {
		t.Fatal(err)
	}
	writePEM(t, c.certFile, "CERTIFICATE", der)
	writePEM(t, c.keyFile, "PRIVATE KEY", keyDER)
	return c
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// tlsClient trusts ca and presents client (none when nil).
func tlsClient(ca, client *pemCert) *http.Client {
	roots := x509.NewCertPool()
	roots.AddCert(ca.cert)
	cfg := &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	if client != nil {
		cfg.Certificates = []tls.Certificate{{Certificate: [][]byte{client.cert.Raw}, PrivateKey: client.key}}
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}, Timeout: 5 * time.Second}
}

// TestMutualTLSListener runs the binary with --tls-cert, --tls-key and the
// client CA (from ISSUER_CLIENT_CA), registers a tls_client_auth client
// and gets a token over mutual TLS, bound to the DPoP key and to the
// client certificate.
func TestMutualTLSListener(t *testing.T) {
	dir := t.TempDir()
	serverCA := issueCert(t, dir, "server-ca", &x509.Certificate{Subject: pkix.Name{CommonName: "Server CA"}, IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}, nil)
	clientCA := issueCert(t, dir, "client-ca", &x509.Certificate{Subject: pkix.Name{CommonName: "Client CA"}, IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}, nil)
	server := issueCert(t, dir, "server", &x509.Certificate{Subject: pkix.Name{CommonName: "issuer"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature}, serverCA)
	client := issueCert(t, dir, "client", &x509.Certificate{Subject: pkix.Name{CommonName: "backend", Organization: []string{"Example"}},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, KeyUsage: x509.KeyUsageDigitalSignature}, clientCA)

	addr := freeAddr(t)
	base := "https://" + addr
	cmd := exec.Command(os.Args[0], "serve", "--addr", addr, "--url", base, "--db", filepath.Join(dir, "issuer.db"),
		"--admin-token", "mtls-admin", "--log-level", "warn", "--tls-cert", server.certFile, "--tls-key", server.keyFile)
	cmd.Env = append(os.Environ(), "ISSUER_TEST_MAIN=1", "ISSUER_CLIENT_CA="+clientCA.certFile)
	stderr := &bytes.Buffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	anonymous, withCert := tlsClient(serverCA, nil), tlsClient(serverCA, client)
	waitTLS(t, anonymous, base, stderr)

	if res, err := http.Get("http://" + addr + "/jwks"); err == nil {
		res.Body.Close()
		if res.StatusCode == http.StatusOK {
			t.Fatal("plain HTTP on the TLS port answered 200")
		}
	}
	req, _ := http.NewRequest(http.MethodPost, base+"/admin/clients", strings.NewReader(`{"client_id":"backend","token_endpoint_auth_method":"tls_client_auth",
		"tls_client_auth_subject_dn":"CN=backend,O=Example","grant_types":["client_credentials"]}`))
	req.Header.Set("Authorization", "Bearer mtls-admin")
	req.Header.Set("Content-Type", "application/json")
	if status, body := do(t, anonymous, req); status != http.StatusCreated {
		t.Fatalf("registering the client = %d %s", status, body)
	}

	tokenRequest := func() *http.Request {
		form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"backend"}}
		r, _ := http.NewRequest(http.MethodPost, base+"/token", strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("DPoP", newProof(t, dir, base+"/token"))
		return r
	}
	status, body := do(t, withCert, tokenRequest())
	if status != http.StatusOK {
		t.Fatalf("token request over mutual TLS = %d %s; want 200", status, body)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
	}
	if err := json.Unmarshal(body, &tok); err != nil {
		t.Fatal(err)
	}
	payload, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok.AccessToken, ".")[1])
	var claims struct {
		ClientID string            `json:"client_id"`
		Cnf      map[string]string `json:"cnf"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(client.cert.Raw)
	if want := base64.RawURLEncoding.EncodeToString(sum[:]); tok.TokenType != "DPoP" || claims.ClientID != "backend" || claims.Cnf["x5t#S256"] != want || claims.Cnf["jkt"] == "" {
		t.Fatalf("token = %s with claims %+v; want a DPoP token for backend with cnf jkt and x5t#S256 %s", tok.TokenType, claims, want)
	}

	status, body = do(t, anonymous, tokenRequest())
	var e struct{ Error string }
	_ = json.Unmarshal(body, &e)
	if status != http.StatusUnauthorized || e.Error != "invalid_client" {
		t.Fatalf("token request without a client certificate = %d %s; want 401 invalid_client", status, body)
	}
}

func do(t *testing.T, c *http.Client, req *http.Request) (int, []byte) {
	t.Helper()
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, body
}

func waitTLS(t *testing.T, c *http.Client, base string, stderr *bytes.Buffer) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if res, err := c.Get(base + "/jwks"); err == nil {
			res.Body.Close()
			return
		}
	}
	t.Fatalf("the issuer did not start: %s", stderr)
}

// TestTLSSettings covers the TLS settings: YAML < environment < flags, and
// the checks of validate.
func TestTLSSettings(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "issuer.yaml")
	yaml := "url: https://issuer.example\ntls_cert: file.pem\ntls_key: file.key\nclient_ca: file-ca.pem\nclient_auth:\n  tls_certificate_header: X-SSL-Client-Cert\n"
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"ISSUER_CONFIG": file, "ISSUER_TLS_KEY": "env.key", "ISSUER_CLIENT_CA": "env-ca.pem"}
	s, err := loadSettings([]string{"--client-ca", "flag-ca.pem"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, got, want string }{
		{"tls_cert from the file", s.TLSCert, "file.pem"},
		{"tls_key from the environment", s.TLSKey, "env.key"},
		{"client_ca from the flag", s.ClientCA, "flag-ca.pem"},
		{"client_auth.tls_certificate_header from the file", s.ClientAuth.TLSCertificateHeader, "X-SSL-Client-Cert"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q; want %q", c.name, c.got, c.want)
		}
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"a certificate without a key", []string{"--url", "https://x.example", "--tls-cert", "c.pem"}, "give both or neither"},
		{"TLS with an http URL", []string{"--tls-cert", "c.pem", "--tls-key", "c.key"}, "url: must be an https URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadSettings(tc.args, func(string) string { return "" }, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("loadSettings(%v) = %v; want an error containing %q", tc.args, err, tc.want)
			}
		})
	}
	t.Run("a client CA file without certificates", func(t *testing.T) {
		empty := filepath.Join(dir, "empty.pem")
		if err := os.WriteFile(empty, []byte("nothing\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		err := run(ctx, []string{"--addr", freeAddr(t), "--db", filepath.Join(dir, "x.db"), "--client-ca", empty}, func(string) string { return "" }, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "client_ca") {
			t.Fatalf("run = %v; want a client_ca error", err)
		}
	})
}
