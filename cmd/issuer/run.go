package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"issuer/pkce"
)

// usageError is a command-line mistake (exit status 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// errHelp is what a command returns after printing its help on request
// (-h, --help): run answers it with exit status 0.
var errHelp = errors.New("help requested")

// command is one subcommand of the binary.
type command struct {
	name, args, summary string
	// flags: the command parses its arguments with a FlagSet, whose usage
	// is its help; the help of the others is their line.
	flags bool
	run   func(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error
}

// commands lists every subcommand, in the order of `issuer --help`.
func commands() []command {
	return []command{
		{name: "serve", args: "[flags]", flags: true, run: serve,
			summary: "run the issuer: token service and credential endpoint (the default command; its flags are below)"},
		{name: "migrate", args: "--db postgres://…", flags: true, run: migrateCmd,
			summary: "apply the PostgreSQL schema's migrations and exit"},
		{name: "proof", args: "[flags] METHOD URL", flags: true,
			summary: "print a DPoP proof signed with the wallet key file (for curl)",
			run: func(_ context.Context, a []string, env func(string) string, o, e io.Writer) error {
				return proof(a, env, o, e)
			}},
		{name: "keyproof", args: "--nonce C_NONCE [flags]", flags: true,
			summary: "print a credential request's key proof signed with the wallet key",
			run: func(_ context.Context, a []string, env func(string) string, o, e io.Writer) error {
				return keyProof(a, env, o, e)
			}},
		{name: "decode", args: "[--url URL] JWT|-", flags: true,
			summary: "print a JWT's header and claims; with --url, verify it with the server's keys",
			run: func(ctx context.Context, a []string, _ func(string) string, o, e io.Writer) error {
				return decode(ctx, a, os.Stdin, o, e)
			}},
		{name: "show", args: "[--url URL] CREDENTIAL|-", flags: true,
			summary: "decode and verify an SD-JWT VC or mdoc credential",
			run: func(ctx context.Context, a []string, _ func(string) string, o, e io.Writer) error {
				return show(ctx, a, os.Stdin, o, e)
			}},
		{name: "doctor", args: "[flags] URL", flags: true, run: doctorCmd,
			summary: "check a running issuer against OpenID4VCI 1.0 and HAIP"},
		{name: "pkce", run: pkceCmd, summary: "print a PKCE verifier and its S256 challenge as shell variables"},
		{name: "schema", args: "list|export|validate", summary: `the JSON Schemas of the messages ("issuer schema --help")`,
			run: func(_ context.Context, a []string, _ func(string) string, o, _ io.Writer) error {
				return schemaCmd(a, os.Stdin, o)
			}},
		{name: "version", run: versionCmd, summary: "print the version"},
		{name: "help", summary: "print this help",
			run: func(_ context.Context, _ []string, _ func(string) string, o, _ io.Writer) error { return printHelp(o) }},
	}
}

// run is the whole program, testable: args without the program name, the
// environment through getenv, output through stdout and stderr.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	name := "serve"
	switch {
	case len(args) > 0 && isHelpFlag(args[0]):
		return printHelp(stdout)
	case len(args) > 0 && !strings.HasPrefix(args[0], "-"):
		name, args = args[0], args[1:]
	}
	i := slices.IndexFunc(commands(), func(c command) bool { return c.name == name })
	if i < 0 {
		return usageError{fmt.Sprintf("unknown command %q; \"issuer --help\" lists the commands", name)}
	}
	c := commands()[i]
	if helpRequested(args) {
		// Help goes to stdout and exits 0, whatever else the line holds.
		if !c.flags && c.name != "schema" {
			_, err := fmt.Fprintf(stdout, "usage: issuer %s\n\n%s\n", strings.TrimSpace(c.name+" "+c.args), c.summary)
			return err
		}
		args, stderr = []string{"--help"}, stdout
	}
	err := c.run(ctx, args, getenv, stdout, stderr)
	if errors.Is(err, errHelp) {
		return nil
	}
	return err
}

// printHelp prints `issuer --help`: every command with one line, then the
// serve flags with their defaults and environment variables.
func printHelp(w io.Writer) error {
	fmt.Fprintln(w, "issuer: an OpenID4VCI 1.0 credential issuer (token service and credential endpoint) with DPoP.")
	fmt.Fprintln(w)
	for _, c := range commands() {
		fmt.Fprintf(w, "  issuer %-34s %s\n", strings.TrimSpace(c.name+" "+c.args), c.summary)
	}
	fmt.Fprintln(w, "\nEvery command takes --help. The flags of serve (a flag wins over its environment variable,")
	fmt.Fprintln(w, "which wins over the --config file, which wins over the default):")
	_, err := loadSettings([]string{"-h"}, func(string) string { return "" }, w)
	if errors.Is(err, errHelp) {
		return nil
	}
	return err
}

// isHelpFlag reports whether a is a request for help.
func isHelpFlag(a string) bool { return a == "-h" || a == "-help" || a == "--help" }

// helpRequested reports whether a flag argument before "--" asks for help.
func helpRequested(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if isHelpFlag(a) {
			return true
		}
	}
	return false
}

// parseFlags parses args into fs: errHelp after -h (the usage printed),
// a usageError for any other mistake.
func parseFlags(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return errHelp
	case err != nil:
		return usageError{err.Error()}
	}
	return nil
}

// noArgs refuses arguments to a command that takes none.
func noArgs(name string, args []string) error {
	if len(args) > 0 {
		return usageError{fmt.Sprintf("%s takes no arguments; got %q", name, args[0])}
	}
	return nil
}

func pkceCmd(_ context.Context, args []string, _ func(string) string, stdout, _ io.Writer) error {
	if err := noArgs("pkce", args); err != nil {
		return err
	}
	v := newAdminToken() + newAdminToken() // 64 random bytes, base64url: 86 characters
	_, err := fmt.Fprintf(stdout, "CODE_VERIFIER=%s\nCODE_CHALLENGE=%s\n", v, pkce.Challenge(v))
	return err
}

func versionCmd(_ context.Context, args []string, _ func(string) string, stdout, _ io.Writer) error {
	if err := noArgs("version", args); err != nil {
		return err
	}
	_, err := fmt.Fprintln(stdout, "issuer", version)
	return err
}
