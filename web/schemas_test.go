package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"issuer/issuer/schema"
	"issuer/web"
)

// schemaListing is the body of GET /schemas/.
type schemaListing struct {
	Schemas []struct {
		Name, Title, Description, URL string
	}
}

// TestSchemasListed checks that /schemas/ lists every embedded schema with
// its absolute URL, and that each URL serves the schema as written, as
// application/schema+json.
func TestSchemasListed(t *testing.T) {
	ts := newTestServer(t)
	res := sendRaw(t, http.MethodGet, ts.URL+web.PathSchemas, "", nil, nil)
	body := readBody(t, res)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /schemas/ = %d %s; want 200", res.StatusCode, body)
	}
	var l schemaListing
	if err := json.Unmarshal(body, &l); err != nil {
		t.Fatal(err)
	}
	if len(l.Schemas) != len(schema.Names()) {
		t.Fatalf("the listing has %d schemas; want %d", len(l.Schemas), len(schema.Names()))
	}
	for _, s := range l.Schemas {
		if want := ts.URL + "/schemas/" + s.Name + ".json"; s.URL != want || s.Title == "" {
			t.Errorf("listed %+v; want url %s and a title", s, want)
		}
		res := sendRaw(t, http.MethodGet, s.URL, "", nil, nil)
		got := readBody(t, res)
		want, _ := schema.Get(s.Name)
		if res.StatusCode != http.StatusOK || !bytes.Equal(got, want) {
			t.Errorf("GET %s = %d, %d bytes; want 200 with the embedded schema", s.URL, res.StatusCode, len(got))
		}
		if ct := res.Header.Get("Content-Type"); ct != web.MIMESchema {
			t.Errorf("GET %s Content-Type = %q; want %s", s.URL, ct, web.MIMESchema)
		}
	}
}

// TestSchemaNotFound checks the answers for names that are not schemas.
func TestSchemaNotFound(t *testing.T) {
	ts := newTestServer(t)
	for _, p := range []string{"nope.json", "token-response", "token-response.yaml", "..%2Fschema.go"} {
		res := sendRaw(t, http.MethodGet, ts.URL+web.PathSchemas+p, "", nil, nil)
		wantError(t, res, http.StatusNotFound, "not_found")
	}
}

// TestSchemasResolveOverHTTP compiles the served schemas with a validator
// that fetches them over HTTP: the relative references between them
// (error-response.json, jwt.json, …) resolve at /schemas/ as they do in the
// binary.
func TestSchemasResolveOverHTTP(t *testing.T) {
	ts := newTestServer(t)
	c := jsonschema.NewCompiler()
	c.UseLoader(jsonschema.SchemeURLLoader{"http": httpLoader{}})
	for _, n := range schema.Names() {
		if _, err := c.Compile(ts.URL + web.PathSchemas + schema.FileName(n)); err != nil {
			t.Errorf("compiling %s over HTTP: %v", n, err)
		}
	}
	s, err := c.Compile(ts.URL + web.PathSchemas + "token-error-response.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(map[string]any{"error": "invalid_token"}); err == nil {
		t.Error("the served token-error-response accepts invalid_token; want only the token endpoint's codes")
	}
}

// httpLoader loads schemas with GET.
type httpLoader struct{}

func (httpLoader) Load(url string) (any, error) {
	res, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, res.Status)
	}
	return jsonschema.UnmarshalJSON(res.Body)
}
