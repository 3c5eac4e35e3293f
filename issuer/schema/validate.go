package schema

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// base is the URL the embedded schemas are compiled under; relative
// references between them resolve against it as they do under /schemas/.
const base = "https://schemas.issuer.invalid/"

// Violation is one way a document fails a schema.
type Violation struct {
	// Pointer is the JSON pointer (RFC 6901) of the offending value; ""
	// for the whole document.
	Pointer string `json:"pointer"`
	// Message says what is wrong.
	Message string `json:"message"`
}

func (v Violation) String() string {
	p := v.Pointer
	if p == "" {
		p = `"" (the document)`
	}
	return p + ": " + v.Message
}

var compiled = sync.OnceValues(compileAll)

// compileAll compiles every embedded schema once.
func compileAll() (map[string]*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	c.AssertContent()
	for _, n := range Names() {
		b, _ := Get(n)
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("schema %s: %w", n, err)
		}
		if err := c.AddResource(base+FileName(n), doc); err != nil {
			return nil, fmt.Errorf("schema %s: %w", n, err)
		}
	}
	out := map[string]*jsonschema.Schema{}
	for _, n := range Names() {
		s, err := c.Compile(base + FileName(n))
		if err != nil {
			return nil, fmt.Errorf("schema %s: %w", n, err)
		}
		out[n] = s
	}
	return out, nil
}

// Check compiles every schema and reports the first that does not compile.
func Check() error {
	_, err := compiled()
	return err
}

// Validate validates doc (a value as decoded by [DecodeJSON]: maps, slices,
// strings, json.Number, bools, nil) against the schema name. It returns
// the violations, sorted by pointer (none when doc is valid), or an error
// for an unknown schema.
func Validate(name string, doc any) ([]Violation, error) {
	all, err := compiled()
	if err != nil {
		return nil, err
	}
	s, ok := all[name]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknown, name)
	}
	err = s.Validate(doc)
	var ve *jsonschema.ValidationError
	if err == nil {
		return nil, nil
	} else if !errors.As(err, &ve) {
		return nil, err
	}
	return violations(ve), nil
}

// ValidateJSON decodes data and validates it against the schema name; a
// document that is not JSON is an error.
func ValidateJSON(name string, data []byte) ([]Violation, error) {
	doc, err := DecodeJSON(data)
	if err != nil {
		return nil, err
	}
	return Validate(name, doc)
}

// DecodeJSON decodes one JSON text the way [Validate] expects (numbers as
// json.Number, so that integers stay exact).
func DecodeJSON(data []byte) (any, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("not a JSON document: %w", err)
	}
	return doc, nil
}

var printer = message.NewPrinter(language.English)

// violations flattens the tree of a validation error into its leaves: the
// failures of single keywords, each at its instance location.
func violations(ve *jsonschema.ValidationError) []Violation {
	var out []Violation
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			out = append(out, Violation{Pointer: pointer(e.InstanceLocation), Message: e.ErrorKind.LocalizedString(printer)})
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Pointer < out[j].Pointer })
	return slices.Compact(out)
}

// pointer is the RFC 6901 JSON pointer of the reference tokens.
func pointer(tokens []string) string {
	var b strings.Builder
	r := strings.NewReplacer("~", "~0", "/", "~1")
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(r.Replace(t))
	}
	return b.String()
}
