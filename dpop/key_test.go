package dpop

import (
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"errors"
	"math/big"
	"testing"

	"filippo.io/edwards25519"
)

// smallOrderEd25519 are the canonical encodings of the eight points of
// order dividing 8 (libsodium's ge25519_has_small_order blocklist, which
// lists their y coordinates, with both signs of x where x is not 0).
var smallOrderEd25519 = []string{
	"0000000000000000000000000000000000000000000000000000000000000000", // y = 0, order 4
	"0000000000000000000000000000000000000000000000000000000000000080", // y = 0, order 4
	"0100000000000000000000000000000000000000000000000000000000000000", // identity
	"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05", // order 8
	"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85", // order 8
	"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a", // order 8
	"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa", // order 8
	"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // y = p-1, order 2
}

// nonCanonicalSmallOrderEd25519 are the six other encodings of those
// points that lenient decoders accept: y = p and y = p+1 with either sign,
// and the identity and the point of order 2 with the sign bit of x = 0 set.
var nonCanonicalSmallOrderEd25519 = []string{
	"0100000000000000000000000000000000000000000000000000000000000080",
	"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
	"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
	"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
}

func mustHex(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func wantKeyErr(t *testing.T, pub crypto.PublicKey, want error) {
	t.Helper()
	err := CheckPublicKey(pub)
	switch {
	case want == nil && err != nil:
		t.Fatalf("CheckPublicKey() = %v; want nil", err)
	case want != nil && !errors.Is(err, want):
		t.Fatalf("CheckPublicKey() = %v; want %v", err, want)
	case want != nil && !errors.Is(err, ErrUnacceptableKey):
		t.Fatalf("CheckPublicKey() = %v; want it to wrap ErrUnacceptableKey", err)
	}
}

func TestCheckPublicKeyEd25519SmallOrder(t *testing.T) {
	for _, h := range smallOrderEd25519 {
		t.Run(h, func(t *testing.T) {
			k := mustHex(t, h)
			// The table is independent of the code under test: each entry
			// decodes, and 8 times it is the identity.
			p, err := new(edwards25519.Point).SetBytes(k)
			if err != nil {
				t.Fatalf("table entry does not decode: %v", err)
			}
			if new(edwards25519.Point).MultByCofactor(p).Equal(edwards25519.NewIdentityPoint()) != 1 {
				t.Fatal("table entry is not of small order")
			}
			wantKeyErr(t, ed25519.PublicKey(k), errKeyEdOrder)
		})
	}
	for _, h := range nonCanonicalSmallOrderEd25519 {
		t.Run("non-canonical "+h, func(t *testing.T) {
			wantKeyErr(t, ed25519.PublicKey(mustHex(t, h)), errKeyEdEncoding)
		})
	}
}

// TestCheckPublicKeyEd25519ForgedSignature shows why: crypto/ed25519
// accepts R = identity, S = 0 for the identity key on any message.
func TestCheckPublicKeyEd25519ForgedSignature(t *testing.T) {
	identity := ed25519.PublicKey(mustHex(t, smallOrderEd25519[2]))
	sig := append(mustHex(t, smallOrderEd25519[2]), make([]byte, 32)...)
	if !ed25519.Verify(identity, []byte("any message"), sig) {
		t.Fatal("the forged signature no longer verifies with crypto/ed25519; the test premise changed")
	}
	wantKeyErr(t, identity, errKeyEdOrder)
}

func TestCheckPublicKeyEd25519Encoding(t *testing.T) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("generated key", func(t *testing.T) { wantKeyErr(t, priv.Public(), nil) })
	t.Run("short", func(t *testing.T) { wantKeyErr(t, ed25519.PublicKey(make([]byte, 31)), errKeyEdSize) })
	t.Run("long", func(t *testing.T) { wantKeyErr(t, ed25519.PublicKey(make([]byte, 33)), errKeyEdSize) })
	// y = p + k encodes the same point as y = k when k < 19; find the k
	// that are curve points and are not of small order, and the ones that
	// are no curve point at all.
	var onCurve, offCurve int
	for k := byte(2); k < 19; k++ {
		canonical := make([]byte, 32)
		canonical[0] = k
		nonCanonical := mustHex(t, "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")
		nonCanonical[0] += k
		if _, err := new(edwards25519.Point).SetBytes(canonical); err != nil {
			offCurve++
			wantKeyErr(t, ed25519.PublicKey(canonical), errKeyEdEncoding)
			continue
		}
		onCurve++
		wantKeyErr(t, ed25519.PublicKey(canonical), nil)
		wantKeyErr(t, ed25519.PublicKey(nonCanonical), errKeyEdEncoding)
	}
	if onCurve == 0 || offCurve == 0 {
		t.Fatalf("%d small y on the curve, %d off it; want some of each", onCurve, offCurve)
	}
}

func TestCheckPublicKeyEC(t *testing.T) {
	for _, c := range []elliptic.Curve{elliptic.P256(), elliptic.P384(), elliptic.P521()} {
		k, err := ecdsa.GenerateKey(c, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(c.Params().Name, func(t *testing.T) { wantKeyErr(t, &k.PublicKey, nil) })
	}
	k := keys(t).p256.PublicKey
	p := k.Curve.Params().P
	with := func(x, y *big.Int) *ecdsa.PublicKey { return &ecdsa.PublicKey{Curve: k.Curve, X: x, Y: y} }
	p224, err := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		pub  *ecdsa.PublicKey
		want error
	}{
		{"P-224", &p224.PublicKey, errKeyCurve},
		{"no curve", &ecdsa.PublicKey{X: k.X, Y: k.Y}, errKeyCurve},
		{"nil X", with(nil, k.Y), errKeyPoint},
		{"nil Y", with(k.X, nil), errKeyPoint},
		{"infinity as (0, 0)", with(new(big.Int), new(big.Int)), errKeyPoint},
		{"off the curve", with(k.X, new(big.Int).Add(k.Y, big.NewInt(1))), errKeyPoint},
		{"X + p", with(new(big.Int).Add(k.X, p), k.Y), errKeyPoint},
		{"Y - p", with(k.X, new(big.Int).Sub(k.Y, p)), errKeyPoint},
		{"X = p", with(new(big.Int).Set(p), k.Y), errKeyPoint},
	} {
		t.Run(tc.name, func(t *testing.T) { wantKeyErr(t, tc.pub, tc.want) })
	}
}

func TestCheckPublicKeyRSA(t *testing.T) {
	k := keys(t)
	n := k.rsa2048.N
	bits := func(b int) *big.Int { // an odd modulus of exactly b bits
		v := new(big.Int).Lsh(big.NewInt(1), uint(b-1))
		return v.SetBit(v, 0, 1)
	}
	for _, tc := range []struct {
		name string
		pub  *rsa.PublicKey
		want error
	}{
		{"2048 bits", &k.rsa2048.PublicKey, nil},
		{"4096 bits", &rsa.PublicKey{N: bits(4096), E: 65537}, nil},
		{"e = 3", &rsa.PublicKey{N: n, E: 3}, nil},
		{"e = 2^31 - 1", &rsa.PublicKey{N: n, E: 1<<31 - 1}, nil},
		{"1024 bits", &k.rsa1024.PublicKey, errKeyRSASize},
		{"2047 bits", &rsa.PublicKey{N: bits(2047), E: 65537}, errKeyRSASize},
		{"4097 bits", &rsa.PublicKey{N: bits(4097), E: 65537}, errKeyRSASize},
		{"even modulus", &rsa.PublicKey{N: new(big.Int).Add(n, big.NewInt(1)), E: 65537}, errKeyRSASize},
		{"negative modulus", &rsa.PublicKey{N: new(big.Int).Neg(n), E: 65537}, errKeyRSASize},
		{"nil modulus", &rsa.PublicKey{E: 65537}, errKeyType},
		{"e = 1", &rsa.PublicKey{N: n, E: 1}, errKeyRSAExponent},
		{"e = 65536", &rsa.PublicKey{N: n, E: 65536}, errKeyRSAExponent},
		{"e = -3", &rsa.PublicKey{N: n, E: -3}, errKeyRSAExponent},
		{"e = 2^31 + 1", &rsa.PublicKey{N: n, E: 1<<31 + 1}, errKeyRSAExponent},
	} {
		t.Run(tc.name, func(t *testing.T) { wantKeyErr(t, tc.pub, tc.want) })
	}
}

func TestCheckPublicKeyTypes(t *testing.T) {
	x25519, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ed := keys(t).ed.Public().(ed25519.PublicKey)
	for _, tc := range []struct {
		name string
		pub  crypto.PublicKey
	}{
		{"nil", nil},
		{"nil *ecdsa.PublicKey", (*ecdsa.PublicKey)(nil)},
		{"nil *rsa.PublicKey", (*rsa.PublicKey)(nil)},
		{"X25519", x25519.PublicKey()},
		{"*ed25519.PublicKey", &ed},
		{"bytes", []byte(ed)},
		{"ecdsa.PublicKey value", keys(t).p256.PublicKey},
	} {
		t.Run(tc.name, func(t *testing.T) { wantKeyErr(t, tc.pub, errKeyType) })
	}
}
