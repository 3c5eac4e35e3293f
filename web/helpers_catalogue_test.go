package web_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"sync"
	"testing"

	"issuer/issuer"
	"issuer/issuer/oauth"
)

// ---------------------------------------------------------------------------
// The error catalogue is true of the server: every error the token
// endpoint answers during the web tests must be an entry of
// oauth.Catalogue, and (when the whole suite runs) every entry must have
// been answered by some test, except those the domain tests cover.

// observed holds every error the token endpoint answered: "status\tcode\tdescription".
var observed sync.Map

// notSeenHere are the catalogue entries no web test can provoke, with
// where they are tested instead.
var notSeenHere = map[string]string{
	"internal server error":                      "a store failure: issuer/grant storeerrors_test.go",
	"the refresh token was replaced by rotation": "a race of two refreshes inside the store: issuer/grant refresh_test.go and storage/storagetest",
}

// observeError records an error response of the token endpoint.
func observeError(endpoint string, status int, body []byte) {
	if endpoint != issuer.PathToken || status < 400 {
		return
	}
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if json.Unmarshal(body, &e) == nil {
		observed.Store(fmt.Sprintf("%d\t%s\t%s", status, e.Error, e.Description), [3]any{status, e.Error, e.Description})
	}
}

// TestMain runs the suite, then checks the observed token-endpoint errors
// against the catalogue.
func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if problems := catalogueProblems(flag.Lookup("test.run").Value.String() == "" && flag.Lookup("test.skip").Value.String() == ""); len(problems) > 0 {
		fmt.Fprintln(os.Stderr, "--- FAIL: the error catalogue (issuer/oauth/catalogue.go) and the token endpoint disagree:")
		for _, p := range problems {
			fmt.Fprintln(os.Stderr, "    "+p)
		}
		code = 1
	}
	os.Exit(code)
}

// catalogueProblems lists the observed errors the catalogue lacks and,
// when complete (the whole suite ran), the entries never observed.
func catalogueProblems(complete bool) []string {
	var problems []string
	seen := make([]bool, len(oauth.Catalogue))
	observed.Range(func(_, v any) bool {
		o := v.([3]any)
		found := false
		for i, e := range oauth.Catalogue {
			if e.Matches(o[0].(int), o[1].(string), o[2].(string)) {
				seen[i], found = true, true
			}
		}
		if !found {
			problems = append(problems, fmt.Sprintf("not in the catalogue: %d %s %q", o[0], o[1], o[2]))
		}
		return true
	})
	for i, e := range oauth.Catalogue {
		if complete && !seen[i] && notSeenHere[e.Description] == "" {
			problems = append(problems, fmt.Sprintf("no web test answers the catalogue entry %d %s %q (%s)", e.Status, e.Code, e.Description, e.Situation))
		}
	}
	sort.Strings(problems)
	return problems
}
