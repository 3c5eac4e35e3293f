package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"issuer/issuer/schema"
)

const schemaUsage = `usage: issuer schema list                       list the JSON Schemas of the messages (name and title)
       issuer schema export NAME                print the schema NAME
       issuer schema validate NAME [FILE|-]     validate a JSON document, or a compact JWT's decoded
                                                {"header","payload"}, from FILE or standard input (-)

validate prints each violation as JSON-POINTER: MESSAGE and exits with status 1
when the document is invalid, 2 on a usage error.`

// errInvalid is the error of a document that fails its schema (exit 1).
var errInvalid = errors.New("the document does not satisfy the schema")

// schemaCmd is "issuer schema": list, export and validate the embedded
// JSON Schemas.
func schemaCmd(args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 {
		return usageError{"schema needs a command\n" + schemaUsage}
	}
	switch cmd, rest := args[0], args[1:]; {
	case cmd == "-h" || cmd == "--help" || cmd == "help":
		_, err := fmt.Fprintln(stdout, schemaUsage)
		return err
	case cmd == "list" && len(rest) == 0:
		return schemaList(stdout)
	case cmd == "export" && len(rest) == 1:
		b, err := schema.Get(rest[0])
		if err != nil {
			return usageError{err.Error() + `; "issuer schema list" shows the names`}
		}
		_, err = stdout.Write(b)
		return err
	case cmd == "validate" && (len(rest) == 1 || len(rest) == 2):
		file := "-"
		if len(rest) == 2 {
			file = rest[1]
		}
		return schemaValidate(rest[0], file, stdin, stdout)
	}
	return usageError{fmt.Sprintf("schema %q: unknown command or wrong arguments\n%s", args, schemaUsage)}
}

func schemaList(stdout io.Writer) error {
	tw := tabwriter.NewWriter(stdout, 0, 8, 2, ' ', 0)
	for _, i := range schema.List() {
		fmt.Fprintf(tw, "%s\t%s\n", i.Name, i.Title)
	}
	return tw.Flush()
}

// schemaValidate validates the document in file ("-" for stdin) against
// the schema name and prints the verdict.
func schemaValidate(name, file string, stdin io.Reader, stdout io.Writer) error {
	if _, err := schema.Get(name); err != nil {
		return usageError{err.Error() + `; "issuer schema list" shows the names`}
	}
	data, err := readInput(file, stdin)
	if err != nil {
		return usageError{err.Error()}
	}
	var doc any
	if schema.LooksLikeJWT(data) {
		doc, err = schema.DecodeJWT(string(data))
	} else {
		doc, err = schema.DecodeJSON(data)
	}
	if err != nil {
		fmt.Fprintf(stdout, "invalid: %v\n", err)
		return errInvalid
	}
	vs, err := schema.Validate(name, doc)
	if err != nil {
		return err
	}
	if len(vs) == 0 {
		_, err := fmt.Fprintf(stdout, "valid: %s\n", name)
		return err
	}
	for _, v := range vs {
		fmt.Fprintln(stdout, v)
	}
	return fmt.Errorf("%w %s (%d violations)", errInvalid, name, len(vs))
}

// readInput reads file, or stdin for "-".
func readInput(file string, stdin io.Reader) ([]byte, error) {
	if file == "-" {
		return io.ReadAll(stdin)
	}
	return os.ReadFile(file)
}
