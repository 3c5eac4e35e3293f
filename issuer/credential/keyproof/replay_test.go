package keyproof

import (
	"bytes"
	"crypto/elliptic"
	"encoding/asn1"
	"encoding/base64"
	"math/big"
	"strings"
	"testing"
	"time"
)

func TestReplayKey(t *testing.T) {
	f := newFixture(t)
	raw := f.valid(t)
	p1, err := f.verify(raw)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := f.verify(raw)
	if err != nil {
		t.Fatal(err)
	}
	if len(p1.ReplayKey) != 32 || !bytes.Equal(p1.ReplayKey, p2.ReplayKey) {
		t.Fatalf("ReplayKey of the same proof: %x and %x; want the same 32 bytes", p1.ReplayKey, p2.ReplayKey)
	}
	// Another proof, even with the same key, claims and nonce but another
	// iat, has another ReplayKey.
	key := keys(t).p256
	claims := f.claims()
	a := sign(t, key, "ES256", header(t, key, "ES256"), claims)
	claims["iat"] = claims["iat"].(int64) - 1
	b := sign(t, key, "ES256", header(t, key, "ES256"), claims)
	seen := map[string]string{string(p1.ReplayKey): "first"}
	for name, raw := range map[string]string{"a": a, "b": b} {
		p, err := f.verify(raw)
		if err != nil {
			t.Fatal(err)
		}
		if prev, dup := seen[string(p.ReplayKey)]; dup {
			t.Fatalf("proof %s has the ReplayKey of proof %s", name, prev)
		}
		seen[string(p.ReplayKey)] = name
	}
}

// TestReplayKeyMalleableSignature: (r, s) and (r, n-s) are both valid
// ECDSA signatures of one message, so a captured proof can be sent again
// with its signature changed; the ReplayKey stays the same.
func TestReplayKeyMalleableSignature(t *testing.T) {
	f := newFixture(t)
	raw := f.valid(t)
	i := strings.LastIndexByte(raw, '.')
	sig, err := base64.RawURLEncoding.DecodeString(raw[i+1:])
	if err != nil {
		t.Fatal(err)
	}
	s := new(big.Int).SetBytes(sig[32:])
	s.Sub(elliptic.P256().Params().N, s)
	s.FillBytes(sig[32:])
	other := raw[:i+1] + base64.RawURLEncoding.EncodeToString(sig)
	p1, err := f.verify(raw)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := f.verify(other)
	if err != nil {
		t.Fatalf("Verify(malleated signature) = %v; the test premise changed", err)
	}
	if !bytes.Equal(p1.ReplayKey, p2.ReplayKey) {
		t.Fatal("a malleated signature gives the proof another ReplayKey")
	}
}

func TestReplayExpiry(t *testing.T) {
	f := newFixture(t)
	key := keys(t).p256
	for _, age := range []time.Duration{0, 30 * time.Second, time.Minute, -10 * time.Second} {
		claims := f.claims()
		iat := testNow.Add(-age)
		claims["iat"] = iat.Unix()
		p, err := f.verify(sign(t, key, "ES256", header(t, key, "ES256"), claims))
		if err != nil {
			t.Fatalf("age %v: %v", age, err)
		}
		want := iat.Add(time.Minute + 10*time.Second) // MaxAge + FutureSkew of the fixture
		if !p.ReplayExpiry.Equal(want) || !p.ReplayExpiry.After(testNow) {
			t.Fatalf("age %v: ReplayExpiry = %v; want %v, after now", age, p.ReplayExpiry, want)
		}
	}
}

// derSignature re-encodes a JWS ES256 signature (r || s) in ASN.1 DER, the
// form JWS does not use.
func derSignature(t *testing.T, b64sig string) []byte {
	t.Helper()
	sig, err := base64.RawURLEncoding.DecodeString(b64sig)
	if err != nil {
		t.Fatal(err)
	}
	der, err := asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])})
	if err != nil {
		t.Fatal(err)
	}
	return der
}
