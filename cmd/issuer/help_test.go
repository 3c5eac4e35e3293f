package main

import (
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"
)

func noEnv(string) string { return "" }

// TestHelpListsEverything: `issuer --help` (and -h, help) exits 0 with
// every command on a line of its own and every serve flag with its default
// and environment variable.
func TestHelpListsEverything(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}} {
		var out strings.Builder
		if err := run(t.Context(), args, noEnv, &out, io.Discard); err != nil {
			t.Fatalf("issuer %v = %v; want nil (exit 0)", args, err)
		}
		help := out.String()
		for _, c := range commands() {
			if !strings.Contains(help, "\n  issuer "+strings.TrimSpace(c.name+" "+c.args)+" ") || !strings.Contains(help, c.summary) {
				t.Errorf("issuer %v does not list %q with its summary:\n%s", args, c.name, help)
			}
		}
		for _, want := range []string{
			"--addr ADDR", "default 127.0.0.1:8080; env ISSUER_ADDR", "default http://127.0.0.1:8080; env ISSUER_URL",
			"default issuer.db; env ISSUER_DB", "env ISSUER_CONFIG", "env ISSUER_ADMIN_TOKEN", "default text; env ISSUER_LOG_FORMAT",
			"default info; env ISSUER_LOG_LEVEL", "env ISSUER_DEBUG_ADDR", "env ISSUER_TLS_CERT", "env ISSUER_TLS_KEY",
			"env ISSUER_CLIENT_CA", "env ISSUER_TRUSTED_PROXIES", "--dev ", "default off; env ISSUER_DEV",
			"env ISSUER_ALLOW_INSECURE_DB", "--dpop-nonce ", "default off; env ISSUER_DPOP_NONCE",
		} {
			if !strings.Contains(help, want) {
				t.Errorf("issuer %v lacks %q:\n%s", args, want, help)
			}
		}
	}
}

// TestEveryCommandHonoursHelp: each subcommand prints its usage on stdout
// for --help and -h, and exits 0, whatever else is on the line.
func TestEveryCommandHonoursHelp(t *testing.T) {
	for _, c := range commands() {
		for _, flag := range []string{"--help", "-h"} {
			var out, errOut strings.Builder
			err := run(t.Context(), []string{c.name, "--url", "x", flag}, noEnv, &out, &errOut)
			if err != nil || !strings.Contains(out.String(), "usage: issuer") || errOut.Len() > 0 {
				t.Errorf("issuer %s %s = %v, stdout %q, stderr %q; want its usage on stdout and exit 0", c.name, flag, err, out.String(), errOut.String())
			}
		}
	}
}

// TestUnknownCommand: a usage error (exit 2) that points at --help.
func TestUnknownCommand(t *testing.T) {
	var ue usageError
	err := run(t.Context(), []string{"frobnicate"}, noEnv, io.Discard, io.Discard)
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "issuer --help") {
		t.Fatalf("issuer frobnicate = %v; want a usage error that names issuer --help", err)
	}
}

// TestURLArgumentsNeedAScheme: a URL without a scheme is refused with the
// URL it probably means, by every command that takes one.
func TestURLArgumentsNeedAScheme(t *testing.T) {
	key := filepath.Join(t.TempDir(), "wallet.json")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"proof", "--key", key, "POST", "127.0.0.1:8080/token"}, "http://127.0.0.1:8080/token"},
		{[]string{"proof", "--key", key, "POST", "ftp://127.0.0.1/token"}, "not an absolute http or https URL"},
		{[]string{"proof", "--key", key, "http://127.0.0.1:8080/token", "POST"}, "not an HTTP method"},
		{[]string{"proof", "--key", key, "post", "http://127.0.0.1:8080/token"}, "not an HTTP method"},
		{[]string{"keyproof", "--key", key, "--nonce", "n", "--aud", "issuer.example.com"}, "http://issuer.example.com"},
		{[]string{"decode", "--url", "127.0.0.1:8080", "a.b.c"}, "http://127.0.0.1:8080"},
		{[]string{"show", "--url", "127.0.0.1:8080", "a~"}, "http://127.0.0.1:8080"},
	}
	for _, tt := range tests {
		var ue usageError
		err := run(t.Context(), tt.args, noEnv, io.Discard, io.Discard)
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("issuer %v = %v; want a usage error with %q", tt.args, err, tt.want)
		}
	}
	if err := run(t.Context(), []string{"proof", "--key", key, "POST", "https://issuer.example/token"}, noEnv, io.Discard, io.Discard); err != nil {
		t.Errorf("proof with a full URL = %v; want nil", err)
	}
}

// TestDPoPNonceSwitch: --dpop-nonce and ISSUER_DPOP_NONCE turn on
// dpop.use_dpop_nonce, the flag over the environment over the file.
func TestDPoPNonceSwitch(t *testing.T) {
	file := filepath.Join(t.TempDir(), "c.yaml")
	writeFile(t, file, "dpop:\n  use_dpop_nonce: true\n")
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want bool
	}{
		{"default", nil, nil, false},
		{"flag", []string{"--dpop-nonce"}, nil, true},
		{"environment", nil, map[string]string{"ISSUER_DPOP_NONCE": "1"}, true},
		{"flag off over the environment", []string{"--dpop-nonce=false"}, map[string]string{"ISSUER_DPOP_NONCE": "1"}, false},
		{"environment off over the file", []string{"--config", file}, map[string]string{"ISSUER_DPOP_NONCE": "0"}, false},
		{"the file", []string{"--config", file}, nil, true},
	}
	for _, tt := range tests {
		s, err := loadSettings(tt.args, func(k string) string { return tt.env[k] }, io.Discard)
		if err != nil || s.DPoP.UseNonce != tt.want {
			t.Errorf("%s: use_dpop_nonce = %v, %v; want %v", tt.name, s.DPoP.UseNonce, err, tt.want)
		}
	}
}

// TestDatabasePathMessages: a --db in a directory that does not exist says
// so, naming the directory once.
func TestDatabasePathMessages(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "missing")
	err := run(t.Context(), []string{"--addr", "127.0.0.1:0", "--db", filepath.Join(dir, "x.db")}, noEnv, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "the directory "+dir+" does not exist") || strings.Count(err.Error(), dir) != 1 {
		t.Fatalf("serve with --db in a missing directory = %v; want one mention of %s and that it does not exist", err, dir)
	}
	notFile := t.TempDir()
	err = run(t.Context(), []string{"--addr", "127.0.0.1:0", "--db", notFile, "--allow-insecure-db", "--log-level", "error"}, noEnv, io.Discard, io.Discard)
	if err == nil || strings.Count(err.Error(), notFile) != 1 {
		t.Fatalf("serve with --db a directory = %v; want an error that names %s once", err, notFile)
	}
}
