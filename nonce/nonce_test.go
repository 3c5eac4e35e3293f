package nonce

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

func newManager(t testing.TB, secret byte) *Manager {
	t.Helper()
	m, err := New(bytes.Repeat([]byte{secret}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestNewRefusesShortSecret(t *testing.T) {
	if _, err := New(make([]byte, 31)); err == nil {
		t.Fatal("New(31 bytes) = nil error; want an error")
	}
}

func TestCheck(t *testing.T) {
	m := newManager(t, 1)
	other := newManager(t, 2)
	valid := m.Issue(CNonce, t0, time.Minute)
	tamper := []byte(valid)
	tamper[20] ^= 1
	tests := []struct {
		name    string
		purpose Purpose
		value   string
		now     time.Time
		wantErr error
	}{
		{"fresh", CNonce, valid, t0, nil},
		{"at expiry", CNonce, valid, t0.Add(time.Minute), nil},
		{"after expiry", CNonce, valid, t0.Add(time.Minute + time.Second), ErrExpired},
		{"other purpose", DPoP, valid, t0, ErrInvalid},
		{"other secret", CNonce, other.Issue(CNonce, t0, time.Minute), t0, ErrInvalid},
		{"tampered", CNonce, string(tamper), t0, ErrInvalid},
		{"garbage", CNonce, "garbage", t0, ErrInvalid},
		{"right length, bad base64", CNonce, strings.Repeat("!", EncodedLen), t0, ErrInvalid},
		{"empty", CNonce, "", t0, ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := m.Check(tt.purpose, tt.value, tt.now); !errors.Is(err, tt.wantErr) {
				t.Fatalf("Check() = %v; want %v", err, tt.wantErr)
			}
		})
	}
}

// TestPurposesSeparate checks that a nonce of each purpose is accepted for
// that purpose only: an attestation challenge is never a DPoP nonce or a
// c_nonce, and the other way round.
func TestPurposesSeparate(t *testing.T) {
	m := newManager(t, 1)
	purposes := []Purpose{DPoP, CNonce, AttestationChallenge, DPoPResource}
	for _, issued := range purposes {
		v := m.Issue(issued, t0, time.Minute)
		for _, checked := range purposes {
			err := m.Check(checked, v, t0)
			if want := issued == checked; (err == nil) != want {
				t.Errorf("Check(%d, nonce of purpose %d) = %v; want accepted %v", checked, issued, err, want)
			}
		}
	}
}

// TestUnpredictable issues 10 000 nonces and checks that none repeats, that
// each uses only NQCHAR characters (RFC 9449 §8.1), and that the random part
// differs between consecutive values.
func TestUnpredictable(t *testing.T) {
	m := newManager(t, 1)
	seen := make(map[string]bool)
	for i := 0; i < 10000; i++ {
		v := m.Issue(DPoP, t0, time.Minute)
		if seen[v] {
			t.Fatalf("nonce %d repeats an earlier value", i)
		}
		seen[v] = true
		for _, c := range v {
			if c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
				t.Fatalf("nonce %q has character %q outside NQCHAR", v, c)
			}
		}
	}
}

func FuzzCheck(f *testing.F) {
	m := newManager(f, 1)
	f.Add(m.Issue(DPoP, t0, time.Minute))
	f.Add("")
	f.Add(strings.Repeat("A", EncodedLen))
	f.Fuzz(func(t *testing.T, v string) {
		if m.Check(DPoP, v, t0) == nil && m.Check(CNonce, v, t0) == nil {
			t.Fatalf("%q accepted for two purposes", v)
		}
	})
}

func ExampleManager_Check() {
	m, _ := New(bytes.Repeat([]byte{7}, 32))
	c := m.Issue(CNonce, t0, 5*time.Minute)
	fmt.Println(m.Check(CNonce, c, t0.Add(time.Minute)), m.Check(DPoP, c, t0))
	// Output: <nil> nonce: invalid
}
