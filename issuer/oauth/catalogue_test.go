package oauth_test

import (
	"flag"
	"os"
	"strings"
	"testing"

	"issuer/issuer/oauth"
)

var update = flag.Bool("update", false, "rewrite the README's catalogue table from oauth.Catalogue")

const (
	readme     = "../../README.md"
	beginTable = "<!-- BEGIN catalogue: generated from issuer/oauth/catalogue.go (go test ./issuer/oauth -run TestREADMECatalogue -update) -->\n"
	endTable   = "<!-- END catalogue -->"
)

// TestREADMECatalogue checks that the README's table of token-endpoint
// errors is the catalogue (-update rewrites it).
func TestREADMECatalogue(t *testing.T) {
	b, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	before, rest, ok := strings.Cut(string(b), beginTable)
	table, after, ok2 := strings.Cut(rest, endTable)
	if !ok || !ok2 {
		t.Fatalf("the README has no catalogue markers %q … %q", beginTable, endTable)
	}
	want := oauth.CatalogueMarkdown()
	if *update {
		if err := os.WriteFile(readme, []byte(before+beginTable+want+endTable+after), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if table != want {
		t.Errorf("the README's catalogue table differs from oauth.Catalogue; run go test ./issuer/oauth -run TestREADMECatalogue -update")
	}
}

// TestCatalogueEntries checks each entry: a status of an error, a
// description in the RFC 6749 §5.2 character set, no entry twice, and
// that Matches takes values in place of the placeholders and nothing else.
func TestCatalogueEntries(t *testing.T) {
	seen := map[string]bool{}
	for _, e := range oauth.Catalogue {
		if e.Status < 400 || e.Situation == "" || e.Code == "" {
			t.Errorf("entry %+v: want a situation, a code and an error status", e)
		}
		for _, r := range e.Description {
			if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
				t.Errorf("entry %q: %q is outside the RFC 6749 §5.2 set", e.Description, r)
			}
		}
		if k := e.Code + " " + e.Description; seen[k] {
			t.Errorf("entry %q twice", k)
		} else {
			seen[k] = true
		}
	}
	e := oauth.CatalogueEntry{Status: 400, Code: "unauthorized_client", Description: "the client {0} doesn't support the grant type {1}"}
	for desc, want := range map[string]bool{
		"the client wallet doesn't support the grant type password":  true,
		"the client wallet doesn't support the grant type ":          false,
		"the client . doesn't support the grant type password!":      true,
		"xthe client wallet doesn't support the grant type password": false,
	} {
		if got := e.Matches(400, "unauthorized_client", desc); got != want {
			t.Errorf("Matches(%q) = %v; want %v", desc, got, want)
		}
	}
	if e.Matches(401, "unauthorized_client", "the client a doesn't support the grant type b") || e.Matches(400, "invalid_grant", "the client a doesn't support the grant type b") {
		t.Error("Matches ignores the status or the code")
	}
}
