package keyproof

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
	"time"

	"issuer/nonce"
)

// TestVerifyAttestation: the attestation proof type (Appendix F.3), one
// credential per attested key.
func TestVerifyAttestation(t *testing.T) {
	k := keys(t)
	wp := newWalletProvider(t)
	f := newAttestationFixture(t, wp)
	claims := f.attestationClaims(t, k.p256.Public(), k.ed.Public(), k.rsa2048.Public())
	delete(claims, "exp") // optional for this proof type
	att := wp.attestation(t, wp.attestationHeader(), claims)
	got, err := f.v.VerifyAttestation(context.Background(), att, Expect{Algs: []string{"ES256"}, KeyStorage: []string{"iso_18045_high"}})
	if err != nil {
		t.Fatalf("VerifyAttestation() = %v", err)
	}
	if len(got.Keys) != 3 {
		t.Fatalf("%d keys; want 3", len(got.Keys))
	}
	checkKey(t, got.Keys[0], k.p256.Public())
	checkKey(t, got.Keys[1], k.ed.Public())
	checkKey(t, got.Keys[2], k.rsa2048.Public())
	if got.Attestation.Provider != "Test Wallet Provider" || !got.Attestation.Expires.IsZero() {
		t.Fatalf("Attestation provider %q, exp %v", got.Attestation.Provider, got.Attestation.Expires)
	}
	if want := testNow.Add(time.Minute + 10*time.Second); !got.ReplayExpiry.Equal(want) {
		t.Fatalf("ReplayExpiry = %v; want iat + MaxAge + FutureSkew = %v", got.ReplayExpiry, want)
	}
	again, err := f.v.VerifyAttestation(context.Background(), att, Expect{Algs: []string{"ES256"}})
	if err != nil || len(got.ReplayKey) != 32 || !bytes.Equal(again.ReplayKey, got.ReplayKey) {
		t.Fatalf("the same attestation: ReplayKey %x, then %x (%v)", got.ReplayKey, again.ReplayKey, err)
	}
	other, err := f.v.VerifyAttestation(context.Background(), wp.attestation(t, wp.attestationHeader(), f.attestationClaims(t, k.p256.Public())), Expect{Algs: []string{"ES256"}})
	if err != nil || bytes.Equal(other.ReplayKey, got.ReplayKey) {
		t.Fatalf("another attestation has the same ReplayKey (%v)", err)
	}
}

// TestVerifyAttestationReplayDomain: the replay key of an attestation is
// the SHA-256 of "keyattestation", a 0 byte and its signing input, so
// that it never equals a proof's ("keyproof", a 0 byte, ...).
func TestVerifyAttestationReplayDomain(t *testing.T) {
	wp := newWalletProvider(t)
	f := newAttestationFixture(t, wp)
	att := wp.attestation(t, wp.attestationHeader(), f.attestationClaims(t, keys(t).p256.Public()))
	got, err := f.v.VerifyAttestation(context.Background(), att, Expect{Algs: allAlgs})
	if err != nil {
		t.Fatal(err)
	}
	input := att[:strings.LastIndexByte(att, '.')]
	want := sha256.Sum256([]byte("keyattestation\x00" + input))
	proofKey := sha256.Sum256([]byte("keyproof\x00" + input))
	if !bytes.Equal(got.ReplayKey, want[:]) || bytes.Equal(got.ReplayKey, proofKey[:]) {
		t.Fatalf("ReplayKey = %x; want %x", got.ReplayKey, want)
	}
}

// TestVerifyAttestationChecks: VCI-48 and the checks the key_attestation
// header shares.
func TestVerifyAttestationChecks(t *testing.T) {
	k := keys(t)
	wp := newWalletProvider(t)
	f := newAttestationFixture(t, wp)
	for _, c := range []struct {
		name string
		edit func(h, c map[string]any)
		code error
		want error
	}{
		{"VCI-48 no nonce", func(_, c map[string]any) { delete(c, "nonce") }, ErrInvalidProof, errAttNonceMissing},
		{"VCI-48 an old nonce", func(_, c map[string]any) { c["nonce"] = f.staleNonce() }, ErrInvalidNonce, errAttNonceExpired},
		{"an attestation challenge as nonce", func(_, c map[string]any) {
			c["nonce"] = f.nonces.Issue(nonce.AttestationChallenge, testNow, time.Minute)
		}, ErrInvalidNonce, errAttNonceUnknown},
		{"typ of a proof", func(h, _ map[string]any) { h["typ"] = Type }, ErrInvalidProof, errAttTyp},
		{"iat old", func(_, c map[string]any) { c["iat"] = testNow.Add(-time.Hour).Unix() }, ErrInvalidProof, errAttIatOld},
		{"exp past", func(_, c map[string]any) { c["exp"] = testNow.Add(-time.Second).Unix() }, ErrInvalidProof, errAttExpPast},
		{"no attested_keys", func(_, c map[string]any) { delete(c, "attested_keys") }, ErrInvalidProof, errAttKeys},
		{"untrusted", func(h, _ map[string]any) { h["x5c"] = x5c(newWalletProvider(t).leaf) }, ErrInvalidProof, errAttUntrusted},
	} {
		t.Run(c.name, func(t *testing.T) {
			h, claims := wp.attestationHeader(), f.attestationClaims(t, k.p256.Public())
			c.edit(h, claims)
			_, err := f.v.VerifyAttestation(context.Background(), wp.attestation(t, h, claims), Expect{Algs: allAlgs})
			wantErr(t, err, c.code, c.want)
		})
	}
	t.Run("not a JWT", func(t *testing.T) {
		_, err := f.v.VerifyAttestation(context.Background(), "a.b", Expect{Algs: allAlgs})
		wantProofErr(t, err, errAttCompact)
	})
	t.Run("a bad nonce on an untrusted attestation is invalid_proof", func(t *testing.T) {
		h, claims := wp.attestationHeader(), f.attestationClaims(t, k.p256.Public())
		claims["nonce"] = f.staleNonce()
		_, err := f.v.VerifyAttestation(context.Background(), newWalletProvider(t).attestation(t, h, claims), Expect{Algs: allAlgs})
		wantProofErr(t, err, errAttUntrusted)
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		att := wp.attestation(t, wp.attestationHeader(), f.attestationClaims(t, k.p256.Public()))
		if _, err := f.v.VerifyAttestation(ctx, att, Expect{Algs: allAlgs}); !errors.Is(err, context.Canceled) {
			t.Fatalf("VerifyAttestation(cancelled) = %v", err)
		}
	})
}
