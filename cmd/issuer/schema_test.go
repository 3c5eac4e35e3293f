package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"issuer/issuer/schema"
)

// samples holds the sample documents of one schema: testdata/schema-samples/NAME.json.
type samples struct {
	Valid   []json.RawMessage `json:"valid"`
	Invalid []struct {
		// Pointer is where a violation must be reported ("" for the document).
		Pointer  string          `json:"pointer"`
		Document json.RawMessage `json:"document"`
	} `json:"invalid"`
}

// TestSchemaSamples validates, through "issuer schema validate", each
// schema's valid and invalid samples (a JWT schema's both as the JSON
// {"header","payload"} and as a compact JWT); every schema must have
// samples of both kinds.
func TestSchemaSamples(t *testing.T) {
	for _, name := range schema.Names() {
		t.Run(name, func(t *testing.T) {
			s := loadSamples(t, name)
			if len(s.Valid) == 0 || len(s.Invalid) == 0 {
				t.Fatalf("%s: %d valid and %d invalid samples; want some of both", name, len(s.Valid), len(s.Invalid))
			}
			for _, doc := range s.Valid {
				for _, in := range forms(doc) {
					if out, err := validateCLI(name, in); err != nil || out != "valid: "+name+"\n" {
						t.Errorf("validate %s %s = %v %q; want valid", name, in, err, out)
					}
				}
			}
			for _, bad := range s.Invalid {
				for _, in := range forms(bad.Document) {
					out, err := validateCLI(name, in)
					if !errors.Is(err, errInvalid) || !hasPointer(out, bad.Pointer) {
						t.Errorf("validate %s %s = %v %q; want invalid, with a violation at %q", name, in, err, out, bad.Pointer)
					}
				}
			}
		})
	}
}

// forms returns the ways to send a sample: itself, and for a JWT sample
// ({"header","payload"}) also the compact JWT with a dummy signature.
func forms(doc json.RawMessage) []string {
	out := []string{string(doc)}
	var jwt struct{ Header, Payload json.RawMessage }
	if json.Unmarshal(doc, &jwt) == nil && len(jwt.Header) > 0 && len(jwt.Payload) > 0 && jwt.Header[0] == '{' && jwt.Payload[0] == '{' {
		enc := base64.RawURLEncoding.EncodeToString
		out = append(out, enc(jwt.Header)+"."+enc(jwt.Payload)+"."+enc([]byte("signature"))+"\n")
	}
	return out
}

func loadSamples(t *testing.T, name string) samples {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "schema-samples", name+".json"))
	if err != nil {
		t.Fatalf("every schema needs samples: %v", err)
	}
	var s samples
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// validateCLI runs "issuer schema validate NAME -" with in on stdin.
func validateCLI(name, in string) (string, error) {
	var out bytes.Buffer
	err := schemaCmd([]string{"validate", name, "-"}, strings.NewReader(in), &out)
	return out.String(), err
}

// hasPointer reports whether out has a violation line at pointer.
func hasPointer(out, pointer string) bool {
	want := pointer + ": "
	if pointer == "" {
		want = `"" (the document): `
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, want) {
			return true
		}
	}
	return false
}

// TestSchemaCommandExitStatus runs the binary: 0 for a valid document, the
// listing, the export and --help; 1 for an invalid document; 2 for usage
// errors.
func TestSchemaCommandExitStatus(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	good := filepath.Join(dir, "good.json")
	writeFile(t, bad, `{"access_token":"x","token_type":"MAC"}`)
	writeFile(t, good, `{"c_nonce":"n"}`)
	export, _ := schema.Get("nonce-response")
	for _, c := range []struct {
		args   []string
		status int
		out    string
	}{
		{[]string{"schema", "validate", "nonce-response", good}, 0, "valid: nonce-response\n"},
		{[]string{"schema", "validate", "token-response", bad}, 1, "/token_type: "},
		{[]string{"schema", "export", "nonce-response"}, 0, string(export)},
		{[]string{"schema", "list"}, 0, "token-request-pre-authorized-code "},
		{[]string{"schema", "--help"}, 0, "issuer schema validate NAME [FILE|-]"},
		{[]string{"schema", "validate", "no-such-schema", good}, 2, ""},
		{[]string{"schema", "validate", "nonce-response", filepath.Join(dir, "missing.json")}, 2, ""},
		{[]string{"schema", "export"}, 2, ""},
		{[]string{"schema"}, 2, ""},
	} {
		cmd := exec.Command(os.Args[0], c.args...)
		cmd.Env = append(os.Environ(), "ISSUER_TEST_MAIN=1")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		status := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			status = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if status != c.status || !strings.Contains(stdout.String(), c.out) {
			t.Errorf("issuer %v: status %d, stdout %q, stderr %q; want status %d and %q", c.args, status, stdout.String(), stderr.String(), c.status, c.out)
		}
	}
}

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}
