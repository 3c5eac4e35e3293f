package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"issuer/pkce"
)

// usageError is a command-line mistake (exit status 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

const usage = `usage: issuer [serve] [flags]          run the token service (the default)
       issuer migrate --db postgres://…  apply the PostgreSQL schema's migrations and exit
       issuer proof [flags] METHOD URL    print a DPoP proof signed with a wallet key file
       issuer keyproof --nonce C_NONCE    print a credential request's key proof signed with the wallet key
       issuer show [--url URL] CRED|-     decode and verify an SD-JWT VC or mdoc credential
       issuer doctor [flags] URL          check a running issuer against OpenID4VCI 1.0 and HAIP ("issuer doctor -h")
       issuer pkce                        print a PKCE verifier and its S256 challenge as shell variables
       issuer schema list|export|validate the JSON Schemas of the messages ("issuer schema -h")
       issuer version

Run "issuer serve -h", "issuer proof -h", "issuer keyproof -h" or "issuer show -h" for the flags.`

// run is the whole program, testable: args without the program name, the
// environment through getenv, output through stdout and stderr.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, args, getenv, stdout, stderr)
	case "migrate":
		return migrateCmd(ctx, args, getenv, stdout, stderr)
	case "proof":
		return proof(args, getenv, stdout, stderr)
	case "schema":
		return schemaCmd(args, os.Stdin, stdout)
	case "keyproof":
		return keyProof(args, getenv, stdout, stderr)
	case "show":
		return show(ctx, args, os.Stdin, stdout, stderr)
	case "doctor":
		return doctorCmd(ctx, args, getenv, stdout, stderr)
	case "pkce":
		v := newAdminToken() + newAdminToken() // 64 random bytes, base64url: 86 characters
		_, err := fmt.Fprintf(stdout, "CODE_VERIFIER=%s\nCODE_CHALLENGE=%s\n", v, pkce.Challenge(v))
		return err
	case "version":
		_, err := fmt.Fprintln(stdout, "issuer", version)
		return err
	case "help":
		_, err := fmt.Fprintln(stdout, usage)
		return err
	}
	return usageError{fmt.Sprintf("unknown command %q\n%s", cmd, usage)}
}
