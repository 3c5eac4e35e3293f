// Command issuer runs the OpenID4VCI token service: one binary, state in one
// bbolt file. Subcommands: serve (the default), proof (print a DPoP proof for
// curl demos), keyproof (print a credential request's key proof), show
// (decode and verify a credential), doctor (check a running issuer), pkce,
// version.
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
