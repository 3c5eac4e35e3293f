package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"issuer/issuer"
	"issuer/issuer/oauth"
	"issuer/storage/postgres/pgtest"
)

// TestMain lets the test binary act as the issuer binary: with
// ISSUER_TEST_MAIN set, it runs the program with the given arguments. The
// crash tests start it as a child process and kill it with SIGKILL.
func TestMain(m *testing.M) {
	if os.Getenv("ISSUER_TEST_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// child is the issuer running as a separate process.
type child struct {
	once   sync.Once
	cmd    *exec.Cmd
	base   string
	stderr *bytes.Buffer
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startChild runs `issuer serve` on db and waits until it answers.
func startChild(t *testing.T, db, addr string, extra ...string) *child {
	t.Helper()
	args := append([]string{"serve", "--addr", addr, "--url", "http://" + addr, "--db", db, "--admin-token", "crash-admin", "--log-level", "warn"}, extra...)
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "ISSUER_TEST_MAIN=1")
	c := &child{cmd: cmd, base: "http://" + addr, stderr: &bytes.Buffer{}}
	cmd.Stderr = c.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if res, err := http.Get(c.base + "/jwks"); err == nil {
			res.Body.Close()
			return c
		}
	}
	t.Fatalf("the issuer did not start: %s", c.stderr)
	return nil
}

// kill9 ends the child with SIGKILL, as a crash would.
func (c *child) kill9(t *testing.T) {
	t.Helper()
	c.once.Do(func() {
		if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Error(err)
		}
		_ = c.cmd.Wait()
	})
}

func (c *child) offer(t *testing.T) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, c.base+"/admin/offers",
		strings.NewReader(`{"credential_configuration_ids":["eu.europa.ec.eudi.pid_vc_sd_jwt"],"subject":"s"}`))
	req.Header.Set("Authorization", "Bearer crash-admin")
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var o issuer.OfferResponse
	if err := json.NewDecoder(res.Body).Decode(&o); err != nil || res.StatusCode != http.StatusCreated {
		t.Fatalf("creating an offer: %d %v", res.StatusCode, err)
	}
	return o.CredentialOffer.Grants.PreAuthorizedCode.PreAuthorizedCode
}

// redeem returns the status and error code of a redemption (err is set
// when the connection failed, e.g. because the server was killed).
func (c *child) redeem(code, proof string) (int, string, error) {
	form := url.Values{"grant_type": {oauth.GrantPreAuthorizedCode}, "pre-authorized_code": {code}}
	req, _ := http.NewRequest(http.MethodPost, c.base+"/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("DPoP", proof)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	var body struct{ Error string }
	_ = json.NewDecoder(res.Body).Decode(&body)
	return res.StatusCode, body.Error, nil
}

func newProof(t *testing.T, dir, url string) string {
	t.Helper()
	var out bytes.Buffer
	if err := run(t.Context(), []string{"proof", "--key", filepath.Join(dir, "wallet.json"), "POST", url}, os.Getenv, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(out.String())
}

// TestCrashKeepsRedemptions kills the server with SIGKILL while wallets
// redeem codes, restarts it on the same database (a bbolt file, then a
// PostgreSQL database), and checks that every code that was answered 200
// before the crash is refused after it, and that a proof accepted before
// the crash is refused as a replay.
func TestCrashKeepsRedemptions(t *testing.T) {
	t.Run("bbolt", func(t *testing.T) { crashKeepsRedemptions(t, filepath.Join(t.TempDir(), "issuer.db")) })
	t.Run("postgres", func(t *testing.T) { crashKeepsRedemptions(t, pgtest.Database(t)) })
}

func crashKeepsRedemptions(t *testing.T, db string) {
	dir := t.TempDir()
	addr := freeAddr(t)
	c := startChild(t, db, addr)
	tokenURL := c.base + "/token"
	codes := make([]string, 60)
	for i := range codes {
		codes[i] = c.offer(t)
	}
	firstProof := newProof(t, dir, tokenURL)
	if status, code, err := c.redeem(codes[0], firstProof); status != http.StatusOK {
		t.Fatalf("first redemption = %d %s %v; want 200", status, code, err)
	}
	proofs := make([]string, len(codes))
	for i := range proofs {
		proofs[i] = newProof(t, dir, tokenURL)
	}
	var mu sync.Mutex
	var redeemed []int
	var wg sync.WaitGroup
	for i := 1; i < len(codes); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if status, _, _ := c.redeem(codes[i], proofs[i]); status == http.StatusOK {
				mu.Lock()
				redeemed = append(redeemed, i)
				mu.Unlock()
			}
			if i == len(codes)/2 {
				c.kill9(t)
			}
		}()
	}
	wg.Wait()
	c.kill9(t)
	t.Logf("%d of %d concurrent redemptions were answered 200 before the crash", len(redeemed), len(codes)-1)

	c = startChild(t, db, addr)
	for _, i := range append(redeemed, 0) {
		if status, code, err := c.redeem(codes[i], newProof(t, dir, tokenURL)); status != http.StatusBadRequest || code != "invalid_grant" {
			t.Errorf("code %d after the crash: %d %s %v; want 400 invalid_grant", i, status, code, err)
		}
	}
	fresh := c.offer(t)
	if status, code, _ := c.redeem(fresh, firstProof); status != http.StatusBadRequest || code != "invalid_dpop_proof" {
		t.Errorf("proof replayed after the crash: %d %s; want 400 invalid_dpop_proof", status, code)
	}
	if status, code, _ := c.redeem(fresh, newProof(t, dir, tokenURL)); status != http.StatusOK {
		t.Errorf("fresh code after the crash: %d %s; want 200", status, code)
	}
}

// TestSecondProcessFailsFast opens the database of a running server.
func TestSecondProcessFailsFast(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "issuer.db")
	startChild(t, db, freeAddr(t))
	start := time.Now()
	err := run(t.Context(), []string{"serve", "--addr", freeAddr(t), "--db", db}, func(string) string { return "" }, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "locked by another process") {
		t.Fatalf("second serve = %v; want a 'locked by another process' error", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("second serve failed after %s; want it to fail fast", d)
	}
}

// TestGracefulShutdown cancels the context of a running server: run returns
// nil and the database can be opened again at once.
func TestGracefulShutdown(t *testing.T) {
	dir := t.TempDir()
	db, addr := filepath.Join(dir, "issuer.db"), freeAddr(t)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--addr", addr, "--db", db}, func(string) string { return "" }, io.Discard, io.Discard)
	}()
	waitUp(t, "http://"+addr)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run after cancel = %v; want nil", err)
	}
	c := startChild(t, db, freeAddr(t))
	c.kill9(t)
}

func waitUp(t *testing.T, base string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if res, err := http.Get(base + "/jwks"); err == nil {
			res.Body.Close()
			return
		}
	}
	t.Fatal("server did not come up")
}

// TestDevModePrintsWorkingCurl runs --dev and follows what it prints: the
// offer it created redeems with a proof from the proof subcommand.
func TestDevModePrintsWorkingCurl(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--dev", "--addr", addr, "--url", "http://" + addr, "--db", filepath.Join(dir, "d.db")}, func(string) string { return "" }, out, io.Discard)
	}()
	waitUp(t, "http://"+addr)
	var code, admin string
	for deadline := time.Now().Add(5 * time.Second); code == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for _, line := range strings.Split(out.String(), "\n") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "pre-authorized code:"); ok {
				code = strings.TrimSpace(v)
			}
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "admin token:"); ok {
				admin = strings.TrimSpace(v)
			}
		}
	}
	if code == "" || admin == "" {
		t.Fatalf("--dev printed no code or admin token:\n%s", out)
	}
	c := &child{base: "http://" + addr}
	if status, ecode, err := c.redeem(code, newProof(t, dir, c.base+"/token")); status != http.StatusOK {
		t.Fatalf("redeeming the printed code = %d %s %v; want 200", status, ecode, err)
	}
	if !strings.Contains(out.String(), "Authorization: Bearer "+admin) {
		t.Errorf("the printed admin curl line does not use the admin token")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run = %v", err)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestSettingsPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "issuer.yaml")
	yaml := "addr: 127.0.0.1:1111\ndb: file.db\nurl: https://file.example\ndpop:\n  use_dpop_nonce: true\n  policy: optional\npre_authorized:\n  tx_code_max_attempts: 3\n"
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"ISSUER_CONFIG": file, "ISSUER_DB": "env.db", "ISSUER_URL": "https://env.example"}
	s, err := loadSettings([]string{"--url", "https://flag.example"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct{ name, got, want string }{
		{"addr from the file", s.Addr, "127.0.0.1:1111"},
		{"db from the environment over the file", s.DB, "env.db"},
		{"url from the flag over the environment", s.URL, "https://flag.example"},
		{"dpop policy from the file", s.DPoP.Policy, "optional"},
		{"use_dpop_nonce from the file", fmt.Sprint(s.DPoP.UseNonce), "true"},
		{"tx_code_max_attempts from the file", fmt.Sprint(s.PreAuthorized.TxCodeMaxAttempts), "3"},
		{"default log format", s.LogFormat, "text"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q; want %q", c.name, c.got, c.want)
		}
	}
}

func TestSettingsErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("dpop:\n  polcy: required\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown key in the config file", []string{"--config", bad}, "polcy"},
		{"bad url", []string{"--url", "ftp://x"}, "url"},
		{"bad log format", []string{"--log-format", "xml"}, "log_format"},
		{"unknown flag", []string{"--nope"}, "nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadSettings(tt.args, func(string) string { return "" }, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("loadSettings(%v) = %v; want an error mentioning %q", tt.args, err, tt.want)
			}
		})
	}
	var ue usageError
	if err := run(t.Context(), []string{"frobnicate"}, os.Getenv, io.Discard, io.Discard); !errors.As(err, &ue) {
		t.Fatalf("run(frobnicate) = %v; want a usage error", err)
	}
}

// TestProofSubcommand checks that the proof subcommand keeps its key and
// prints a proof the server's verifier accepts.
func TestProofSubcommand(t *testing.T) {
	dir := t.TempDir()
	p1 := newProof(t, dir, "http://127.0.0.1:8080/token")
	p2 := newProof(t, dir, "http://127.0.0.1:8080/token")
	if p1 == p2 {
		t.Fatal("two proofs are identical; want fresh jti")
	}
	h1, _, _ := strings.Cut(p1, ".")
	h2, _, _ := strings.Cut(p2, ".")
	if h1 != h2 {
		t.Fatal("the two proofs carry different keys; want the key kept in the file")
	}
	info, err := os.Stat(filepath.Join(dir, "wallet.json"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("wallet key file: %v %v; want mode 0600", info, err)
	}
}
