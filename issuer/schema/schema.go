package schema

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

//go:embed json/*.json
var files embed.FS

// ErrUnknown is the error for a schema name this package does not have.
var ErrUnknown = errors.New("no such schema")

// Info describes one schema.
type Info struct {
	// Name is the schema's name: its file name without ".json".
	Name string `json:"name"`
	// Title and Description are the schema's own.
	Title       string `json:"title"`
	Description string `json:"description"`
}

// FileName is the file name of the schema name, as served: NAME.json.
func FileName(name string) string { return name + ".json" }

// Names returns the names of every schema, sorted.
func Names() []string {
	entries, err := fs.ReadDir(files, "json")
	if err != nil {
		panic(err) // the embedded directory always exists
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".json"))
	}
	slices.Sort(names)
	return names
}

// Get returns the schema name as written (JSON), or ErrUnknown.
func Get(name string) ([]byte, error) {
	if !slices.Contains(Names(), name) {
		return nil, fmt.Errorf("%w: %q", ErrUnknown, name)
	}
	return files.ReadFile(path.Join("json", FileName(name)))
}

// List returns every schema's name, title and description, sorted by name.
func List() []Info {
	names := Names()
	out := make([]Info, 0, len(names))
	for _, n := range names {
		b, err := Get(n)
		if err != nil {
			panic(err)
		}
		var doc struct{ Title, Description string }
		if err := json.Unmarshal(b, &doc); err != nil {
			panic(fmt.Sprintf("schema %s: %v", n, err)) // the tests decode every schema
		}
		out = append(out, Info{Name: n, Title: doc.Title, Description: doc.Description})
	}
	return out
}
