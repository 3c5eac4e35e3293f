package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"issuer/pkce"
)

// TestPKCECommand checks that `issuer pkce` prints a valid verifier and its
// S256 challenge as shell assignments.
func TestPKCECommand(t *testing.T) {
	var out bytes.Buffer
	if err := run(t.Context(), []string{"pkce"}, func(string) string { return "" }, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		k, v, _ := strings.Cut(line, "=")
		vars[k] = v
	}
	v, c := vars["CODE_VERIFIER"], vars["CODE_CHALLENGE"]
	if !pkce.ValidVerifier(v) || pkce.Verify(c, v) != nil || pkce.CheckChallenge(c, pkce.MethodS256) != nil {
		t.Fatalf("issuer pkce printed %q", out.String())
	}
}

// TestDevModeAuthorizationCodeFlow follows the authorization code lines
// that --dev prints: PAR with the printed issuer_state, the login page as
// the printed demo user, the dev callback page, and the code exchange.
func TestDevModeAuthorizationCodeFlow(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	base := "http://" + addr
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--dev", "--addr", addr, "--url", base, "--db", filepath.Join(dir, "d.db")}, func(string) string { return "" }, out, io.Discard)
	}()
	waitUp(t, base)
	var state, user, password string
	for deadline := time.Now().Add(5 * time.Second); state == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := regexp.MustCompile(`issuer_state=(\S+)`).FindStringSubmatch(out.String()); m != nil {
			state = m[1]
		}
		if m := regexp.MustCompile(`demo user:\s+(\S+) / (\S+)`).FindStringSubmatch(out.String()); m != nil {
			user, password = m[1], m[2]
		}
	}
	if state == "" || user == "" {
		t.Fatalf("--dev printed no issuer_state or demo user:\n%s", out)
	}
	// In the order printed: offer 1's pre-authorized code first, which
	// must leave offer 2's issuer_state usable.
	code1 := regexp.MustCompile(`pre-authorized code:\s+(\S+)`).FindStringSubmatch(out.String())
	if code1 == nil {
		t.Fatalf("--dev printed no pre-authorized code:\n%s", out)
	}
	c := &child{base: base}
	if status, ecode, err := c.redeem(code1[1], newProof(t, dir, base+"/token")); status != http.StatusOK {
		t.Fatalf("redeeming the printed code = %d %s %v; want 200", status, ecode, err)
	}
	v := strings.Repeat("v", 43)
	callback := base + "/dev/callback"
	form := url.Values{
		"client_id": {"demo-wallet"}, "response_type": {"code"}, "redirect_uri": {callback},
		"code_challenge": {pkce.Challenge(v)}, "code_challenge_method": {"S256"}, "scope": {"openid"}, "issuer_state": {state},
	}
	var par struct {
		RequestURI string `json:"request_uri"`
	}
	postJSON(t, base+"/par", form, newProof(t, dir, base+"/par"), http.StatusCreated, &par)

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	page := fetch(t, browser, http.MethodGet, base+"/authorize?"+url.Values{"client_id": {"demo-wallet"}, "request_uri": {par.RequestURI}}.Encode(), nil)
	csrfRE := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)
	csrf := csrfRE.FindStringSubmatch(page)
	if csrf == nil {
		t.Fatalf("no login form:\n%s", page)
	}
	page = fetch(t, browser, http.MethodPost, base+"/authorize/login", url.Values{"csrf_token": {csrf[1]}, "username": {user}, "password": {password}})
	csrf = csrfRE.FindStringSubmatch(page) // the consent form has its own token
	if csrf == nil {
		t.Fatalf("no consent form:\n%s", page)
	}
	page = fetch(t, browser, http.MethodPost, base+"/authorize/consent", url.Values{"csrf_token": {csrf[1]}, "decision": {"approve"}})
	code := regexp.MustCompile(`id="code">([^<]+)<`).FindStringSubmatch(page)
	if code == nil {
		t.Fatalf("the callback page shows no code:\n%s", page)
	}
	var tok struct {
		TokenType string `json:"token_type"`
		IDToken   string `json:"id_token"`
	}
	postJSON(t, base+"/token", url.Values{
		"grant_type": {"authorization_code"}, "client_id": {"demo-wallet"}, "redirect_uri": {callback},
		"code_verifier": {v}, "code": {code[1]},
	}, newProof(t, dir, base+"/token"), http.StatusOK, &tok)
	if tok.TokenType != "DPoP" || tok.IDToken == "" {
		t.Fatalf("token response = %+v; want a DPoP token and an ID token", tok)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run = %v", err)
	}
}

// postJSON posts form with a DPoP proof and decodes the JSON answer,
// failing unless the status is want.
func postJSON(t *testing.T, u string, form url.Values, proof string, want int, v any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("DPoP", proof)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != want || json.Unmarshal(body, v) != nil {
		t.Fatalf("POST %s = %d %s; want %d", u, res.StatusCode, body, want)
	}
}

// fetch sends a request with the browser client (following redirects) and
// returns the final page, failing unless it is 200.
func fetch(t *testing.T, c *http.Client, method, u string, form url.Values) string {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, u, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	page, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("%s %s = %d %s", method, u, res.StatusCode, page)
	}
	return string(page)
}

// TestDevModeRerun runs --dev twice on one database: the second run says
// that it reused the demo client and user (whose password it cannot know),
// and each run prints how to stop it.
func TestDevModeRerun(t *testing.T) {
	db := filepath.Join(t.TempDir(), "d.db")
	first, second := runDevOnce(t, db), runDevOnce(t, db)
	if !regexp.MustCompile(`demo client:\s+demo-wallet \(new`).MatchString(first) ||
		!regexp.MustCompile(`demo user:\s+alice / \S+ \(new\)`).MatchString(first) {
		t.Errorf("first --dev run does not say it created the client and the user:\n%s", first)
	}
	if !strings.Contains(second, "demo-wallet (reused: registered by an earlier --dev run") ||
		!strings.Contains(second, "alice / (reused: its password is the one printed when --dev first ran") {
		t.Errorf("second --dev run does not say what it reused:\n%s", second)
	}
	stop := fmt.Sprintf("kill %d", os.Getpid())
	for _, out := range []string{first, second} {
		if !strings.Contains(out, stop) {
			t.Errorf("--dev does not print %q:\n%s", stop, out)
		}
	}
}

// runDevOnce runs --dev on db until it has printed its demo, then stops it.
func runDevOnce(t *testing.T, db string) string {
	t.Helper()
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--dev", "--addr", addr, "--url", "http://" + addr, "--db", db, "--log-level", "warn"}, func(string) string { return "" }, out, io.Discard)
	}()
	for deadline := time.Now().Add(10 * time.Second); strings.Count(out.String(), "Stop the server") == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("--dev printed no demo:\n%s", out)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run = %v", err)
	}
	return out.String()
}
