package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"

	"issuer/issuer"
	"issuer/issuer/schema"
)

// decode prints a compact JWT's header and claims as one JSON object,
// {"header":…,"payload":…}, the shape "issuer schema validate" takes, and,
// with --url, says on stderr whether the signature verifies with a key of
// the server's JWK set (exit status 1 when it does not). Access tokens, ID
// tokens and requesting party tokens are signed with those keys.
func decode(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fset := flag.NewFlagSet("issuer decode", flag.ContinueOnError)
	fset.SetOutput(stderr)
	base := fset.String("url", "", "the server's URL (--url of serve): verify the signature with its "+issuer.PathJWKS+" keys")
	fset.Usage = func() {
		fmt.Fprintln(fset.Output(), "usage: issuer decode [--url URL] JWT|-\n\nPrints the header and claims as {\"header\":…,\"payload\":…}; with --url, whether the")
		fmt.Fprintln(fset.Output(), "signature verifies with the server's keys (on stderr; exit status 1 when it does not).")
		fset.PrintDefaults()
	}
	if err := parseFlags(fset, args); err != nil {
		return err
	}
	if fset.NArg() != 1 {
		fset.Usage()
		return usageError{"decode needs one JWT, or - to read it from stdin"}
	}
	if *base != "" {
		if err := checkURL("--url", *base); err != nil {
			return err
		}
	}
	token, err := readCredential(fset.Arg(0), stdin)
	if err != nil {
		return err
	}
	if strings.Contains(token, "~") {
		return usageError{`an SD-JWT (it has "~" disclosures): "issuer show" decodes credentials`}
	}
	doc, err := schema.DecodeJWT(token)
	if err != nil {
		return usageError{err.Error()}
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(stdout, "%s\n", b); err != nil {
		return err
	}
	if *base == "" {
		return nil
	}
	return verifyWithJWKS(ctx, strings.TrimSuffix(*base, "/")+issuer.PathJWKS, token, stderr)
}

// verifyWithJWKS checks the signature of token with the keys at jwksURL
// and reports the verdict on w.
func verifyWithJWKS(ctx context.Context, jwksURL, token string, w io.Writer) error {
	var raw json.RawMessage
	found, err := getJSON(ctx, jwksURL, &raw)
	if err != nil || !found {
		return fmt.Errorf("the server's keys: %v", orNotFound(err))
	}
	set, err := jwk.Parse(raw)
	if err != nil {
		return fmt.Errorf("the server's keys at %s: %w", jwksURL, err)
	}
	msg, err := jws.Parse([]byte(token))
	if err != nil || len(msg.Signatures()) != 1 {
		return usageError{fmt.Sprintf("not a signed JWT: %v", err)}
	}
	h := msg.Signatures()[0].ProtectedHeaders()
	for i := 0; i < set.Len(); i++ {
		k, _ := set.Key(i)
		if h.KeyID() != "" && k.KeyID() != h.KeyID() {
			continue
		}
		if _, err := jws.Verify([]byte(token), jws.WithKey(jwa.SignatureAlgorithm(h.Algorithm()), k)); err == nil {
			_, err := fmt.Fprintf(w, "signature: verified with key %q of %s\n", k.KeyID(), jwksURL)
			return err
		}
	}
	fmt.Fprintf(w, "signature: NOT verified by any of the %d keys of %s (kid %q, alg %s)\n", set.Len(), jwksURL, h.KeyID(), h.Algorithm())
	return errSignature
}

// errSignature is the error (exit status 1) of a token that no key of the
// server verifies.
var errSignature = errors.New("the signature does not verify")
