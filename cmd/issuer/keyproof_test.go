package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"issuer/dpop"
	"issuer/issuer/credential/keyproof"
	"issuer/nonce"
)

// keyProofVerifier is the verifier of a credential endpoint at aud, with
// its nonce manager.
func keyProofVerifier(t *testing.T, aud string) (*keyproof.Verifier, *nonce.Manager) {
	t.Helper()
	m, err := nonce.New([]byte("a nonce secret of at least 32 bytes"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := keyproof.New(keyproof.Config{Audience: aud, Nonces: m})
	if err != nil {
		t.Fatal(err)
	}
	return v, m
}

func runKeyProof(t *testing.T, env map[string]string, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(t.Context(), append([]string{"keyproof"}, args...), func(k string) string { return env[k] }, &out, &errOut)
	return strings.TrimSpace(out.String()), err
}

// TestKeyProofSubcommand: the proof verifies with keyproof.Verify, with a
// real c_nonce, and carries the key of the wallet key file.
func TestKeyProofSubcommand(t *testing.T) {
	const aud = "https://issuer.example.com"
	v, m := keyProofVerifier(t, aud)
	keyFile := filepath.Join(t.TempDir(), "wallet.json")
	raw, err := runKeyProof(t, nil, "--key", keyFile, "--aud", aud, "--iss", "wallet-client", "--nonce", m.Issue(nonce.CNonce, time.Now(), time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	p, err := v.Verify(context.Background(), raw, keyproof.Expect{Algs: []string{"ES256"}, ClientID: "wallet-client"})
	if err != nil {
		t.Fatalf("Verify(issuer keyproof) = %v", err)
	}
	key, err := walletKey(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if jkt, _ := dpop.Thumbprint(key.Public()); jkt != p.Key.Thumbprint {
		t.Fatalf("the proof's key %s is not the wallet key %s", p.Key.Thumbprint, jkt)
	}
	_, err = v.Verify(context.Background(), raw, keyproof.Expect{Algs: []string{"ES256"}})
	if !errors.Is(err, keyproof.ErrInvalidProof) {
		t.Fatalf("Verify(proof with --iss, anonymous token) = %v; want the iss refused", err)
	}
}

// TestKeyProofAudience: aud is --aud, else ISSUER_URL, else the server's
// default URL; without --iss the proof suits an anonymous token.
func TestKeyProofAudience(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "wallet.json")
	for _, c := range []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"default", nil, nil, "http://127.0.0.1:8080"},
		{"ISSUER_URL", map[string]string{"ISSUER_URL": "https://env.example.com"}, nil, "https://env.example.com"},
		{"--aud over ISSUER_URL", map[string]string{"ISSUER_URL": "https://env.example.com"}, []string{"--aud", "https://flag.example.com"}, "https://flag.example.com"},
	} {
		t.Run(c.name, func(t *testing.T) {
			v, m := keyProofVerifier(t, c.want)
			args := append([]string{"--key", keyFile, "--nonce", m.Issue(nonce.CNonce, time.Now(), time.Minute)}, c.args...)
			raw, err := runKeyProof(t, c.env, args...)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := v.Verify(context.Background(), raw, keyproof.Expect{Algs: []string{"ES256"}}); err != nil {
				t.Fatalf("Verify() with aud %s = %v", c.want, err)
			}
		})
	}
}

func TestKeyProofUsage(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "wallet.json")
	var ue usageError
	_, err := runKeyProof(t, map[string]string{"ISSUER_URL": "https://issuer.example.com/"}, "--key", keyFile)
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "curl -s -X POST https://issuer.example.com/nonce") {
		t.Fatalf("keyproof without --nonce = %v; want a usage error with the nonce endpoint's curl line", err)
	}
	if _, err := runKeyProof(t, nil, "--key", keyFile, "--nonce", "n", "extra"); !errors.As(err, &ue) {
		t.Fatalf("keyproof with an argument = %v; want a usage error", err)
	}
	if _, err := runKeyProof(t, nil, "--frobnicate"); !errors.As(err, &ue) {
		t.Fatalf("keyproof --frobnicate = %v; want a usage error", err)
	}
	var out strings.Builder
	if err := run(t.Context(), []string{"keyproof", "-h"}, func(string) string { return "" }, &out, io.Discard); err != nil || !strings.Contains(out.String(), "--nonce") {
		t.Fatalf("keyproof -h = %v, %q; want its usage on stdout and no error", err, out.String())
	}
}
