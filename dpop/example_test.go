package dpop_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"issuer/dpop"
)

func ExampleVerifier_Verify() {
	verifier, err := dpop.NewVerifier(dpop.Options{}) // ES256, 60s max age
	if err != nil {
		panic(err)
	}

	// A client makes a proof for its token request.
	clientKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Now()
	proof, err := dpop.Sign(clientKey, "ES256", dpop.Claims{
		Method: "POST", URL: "https://as.example.com/token", IssuedAt: now,
	})
	if err != nil {
		panic(err)
	}

	// The token endpoint checks it against the request.
	p, err := verifier.Verify(context.Background(), dpop.Input{
		Proof:  proof,
		Method: "POST",
		URL:    "https://as.example.com/token",
		Now:    now,
	})
	switch {
	case errors.Is(err, dpop.ErrUseNonce):
		fmt.Println("answer use_dpop_nonce with a DPoP-Nonce header")
	case errors.Is(err, dpop.ErrInvalidProof):
		fmt.Println("answer invalid_dpop_proof:", err)
	case err != nil:
		panic(err)
	default:
		// Refuse p.ReplayKey if seen before; remember it until p.ReplayExpiry.
		jkt, _ := dpop.Thumbprint(&clientKey.PublicKey)
		fmt.Println("bind the token to jkt:", p.JKT == jkt)
	}

	// A proof made for another endpoint fails with a fixed description.
	_, err = verifier.Verify(context.Background(), dpop.Input{
		Proof: proof, Method: "POST", URL: "https://as.example.com/par", Now: now,
	})
	fmt.Println(err)
	// Output:
	// bind the token to jkt: true
	// invalid DPoP proof: htu does not match the request URI (expected https://as.example.com/par)
}
