package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/lestrrat-go/jwx/v2/jwk"

	"issuer/dpop"
)

// proof prints a fresh DPoP proof for METHOD and URL, signed with the wallet
// key kept in a JWK file (created on first use).
func proof(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fset := flag.NewFlagSet("issuer proof", flag.ContinueOnError)
	fset.SetOutput(stderr)
	keyFile := fset.String("key", pick(false, "", getenv("ISSUER_WALLET_KEY"), "wallet-key.json"), "wallet key file (JWK; env ISSUER_WALLET_KEY)")
	nonce := fset.String("nonce", "", "server nonce from a DPoP-Nonce header")
	ath := fset.String("access-token", "", "access token the proof accompanies (sets ath)")
	fset.Usage = func() {
		fmt.Fprintln(stderr, "usage: issuer proof [flags] METHOD URL")
		fset.PrintDefaults()
	}
	if err := parseFlags(fset, args); err != nil {
		return err
	}
	if fset.NArg() != 2 {
		fset.Usage()
		return usageError{"proof needs METHOD and URL"}
	}
	if err := checkMethod(fset.Arg(0)); err != nil {
		return err
	}
	if err := checkURL("URL", fset.Arg(1)); err != nil {
		return err
	}
	key, err := walletKey(*keyFile)
	if err != nil {
		return err
	}
	p, err := dpop.Sign(key, "ES256", dpop.Claims{Method: fset.Arg(0), URL: fset.Arg(1), Nonce: *nonce, AccessToken: *ath})
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, p)
	return err
}

// walletKey loads the P-256 key in path, creating it (mode 0600) if absent.
func walletKey(path string) (crypto.Signer, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return newWalletKey(path)
	} else if err != nil {
		return nil, err
	}
	k, err := jwk.ParseKey(b)
	if err != nil {
		return nil, fmt.Errorf("wallet key %s: %w", path, err)
	}
	var priv ecdsa.PrivateKey
	if err := k.Raw(&priv); err != nil {
		return nil, fmt.Errorf("wallet key %s is not an EC private key", path)
	}
	return &priv, nil
}

func newWalletKey(path string) (crypto.Signer, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	k, err := jwk.FromRaw(priv)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(k)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return nil, err
	}
	return priv, nil
}
