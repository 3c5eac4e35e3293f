package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"testing"
)

// BenchmarkIssuanceCryptoFloor is the public-key work a server cannot avoid
// in one full issuance (token + SD-JWT VC credential), to set next to the
// load generator's server CPU per issuance: at the token endpoint, verify
// the DPoP proof and sign the access token; at the credential endpoint,
// verify the access token, the DPoP proof and the key proof, and sign the
// credential. Six P-256 operations: two signatures, four verifications.
func BenchmarkIssuanceCryptoFloor(b *testing.B) {
	server, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	wallet, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	digest := sha256.Sum256([]byte("a JWS signing input"))
	walletSig, _ := ecdsa.SignASN1(rand.Reader, wallet, digest[:])
	serverSig, _ := ecdsa.SignASN1(rand.Reader, server, digest[:])
	b.ReportAllocs()
	for b.Loop() {
		ok := ecdsa.VerifyASN1(&wallet.PublicKey, digest[:], walletSig)           // token: DPoP proof
		if _, err := ecdsa.SignASN1(rand.Reader, server, digest[:]); err != nil { // access token
			b.Fatal(err)
		}
		ok = ecdsa.VerifyASN1(&server.PublicKey, digest[:], serverSig) && ok      // credential: access token
		ok = ecdsa.VerifyASN1(&wallet.PublicKey, digest[:], walletSig) && ok      // DPoP proof
		ok = ecdsa.VerifyASN1(&wallet.PublicKey, digest[:], walletSig) && ok      // key proof
		if _, err := ecdsa.SignASN1(rand.Reader, server, digest[:]); err != nil { // the credential
			b.Fatal(err)
		}
		if !ok {
			b.Fatal("a signature did not verify")
		}
	}
}
