// Command issuer runs the OpenID4VCI token service: one binary, state in one
// bbolt file or a PostgreSQL database. Subcommands (run.go's table, which
// `issuer --help` prints): serve (the default), migrate, proof (print a DPoP
// proof for curl), keyproof (print a credential request's key proof), decode
// (a JWT's header and claims, checked against the server's keys), show
// (decode and verify a credential), doctor (check a running issuer), pkce, schema, version, help.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "issuer:", err)
		var ue usageError
		if errors.As(err, &ue) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}
