package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"issuer/issuer"
	"issuer/issuer/credential/keyproof"
)

// keyProof prints a key proof JWT (OpenID4VCI 1.0 Appendix F.1) for a
// credential request, signed with the wallet key of `issuer proof`: typ
// openid4vci-proof+jwt, the public key as jwk, aud the credential issuer,
// iat now, the c_nonce of the nonce endpoint and, for a known client, iss.
func keyProof(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fset := flag.NewFlagSet("issuer keyproof", flag.ContinueOnError)
	fset.SetOutput(stderr)
	keyFile := fset.String("key", pick(false, "", getenv("ISSUER_WALLET_KEY"), "wallet-key.json"), "wallet key file (JWK; env ISSUER_WALLET_KEY)")
	aud := fset.String("aud", pick(false, "", getenv("ISSUER_URL"), issuer.Defaults().URL), "credential issuer identifier, the proof's aud (env ISSUER_URL)")
	nonce := fset.String("nonce", "", "c_nonce from the nonce endpoint (required)")
	iss := fset.String("iss", "", "client_id of the wallet, when the access token was issued to a client (iss)")
	fset.Usage = func() {
		fmt.Fprintln(stderr, "usage: issuer keyproof --nonce C_NONCE [flags]")
		fset.PrintDefaults()
	}
	if err := parseFlags(fset, args); err != nil {
		return err
	}
	if fset.NArg() != 0 {
		fset.Usage()
		return usageError{"keyproof takes no arguments"}
	}
	if err := checkURL("--aud", *aud); err != nil {
		return err
	}
	if *nonce == "" {
		return usageError{fmt.Sprintf("keyproof needs --nonce: get a c_nonce with\n  curl -s -X POST %s%s", strings.TrimSuffix(*aud, "/"), issuer.PathNonce)}
	}
	key, err := walletKey(*keyFile)
	if err != nil {
		return err
	}
	p, err := keyproof.Sign(key, "ES256", keyproof.Claims{Audience: *aud, Nonce: *nonce, Issuer: *iss})
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, p)
	return err
}
