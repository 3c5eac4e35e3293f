package pkce

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// The RFC 7636 Appendix B example.
const (
	rfcVerifier  = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	rfcChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
)

func TestChallengeRFC7636Vector(t *testing.T) {
	if got := Challenge(rfcVerifier); got != rfcChallenge {
		t.Fatalf("Challenge(%q) = %q; want %q", rfcVerifier, got, rfcChallenge)
	}
}

func TestVerify(t *testing.T) {
	tests := []struct {
		name      string
		challenge string
		verifier  string
		wantErr   error
	}{
		{"rfc vector", rfcChallenge, rfcVerifier, nil},
		{"wrong verifier of valid syntax", rfcChallenge, strings.Repeat("a", 43), ErrMismatch},
		{"challenge sent as verifier (S256 treated as plain)", rfcChallenge, rfcChallenge, ErrMismatch},
		{"42 characters", rfcChallenge, rfcVerifier[:42], ErrInvalidVerifier},
		{"129 characters", Challenge(strings.Repeat("a", 129)), strings.Repeat("a", 129), ErrInvalidVerifier},
		{"128 characters", Challenge(strings.Repeat("a", 128)), strings.Repeat("a", 128), nil},
		{"plus sign", rfcChallenge, rfcVerifier[:42] + "+", ErrInvalidVerifier},
		{"slash", rfcChallenge, rfcVerifier[:42] + "/", ErrInvalidVerifier},
		{"equals sign", rfcChallenge, rfcVerifier[:42] + "=", ErrInvalidVerifier},
		{"space", rfcChallenge, rfcVerifier[:42] + " ", ErrInvalidVerifier},
		{"empty", rfcChallenge, "", ErrInvalidVerifier},
		{"first byte altered", rfcChallenge, "e" + rfcVerifier[1:], ErrMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := Verify(tt.challenge, tt.verifier); !errors.Is(err, tt.wantErr) {
				t.Fatalf("Verify() = %v; want %v", err, tt.wantErr)
			}
		})
	}
}

func TestCheckChallenge(t *testing.T) {
	tests := []struct {
		name, challenge, method string
		wantErr                 error
	}{
		{"S256", rfcChallenge, "S256", nil},
		{"plain refused", rfcChallenge, "plain", ErrInvalidChallenge},
		{"method absent refused", rfcChallenge, "", ErrInvalidChallenge},
		{"lower-case s256 refused", rfcChallenge, "s256", ErrInvalidChallenge},
		{"too short", rfcChallenge[:42], "S256", ErrInvalidChallenge},
		{"padding", rfcChallenge[:42] + "=", "S256", ErrInvalidChallenge},
		{"not base64url", rfcChallenge[:42] + "~", "S256", ErrInvalidChallenge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := CheckChallenge(tt.challenge, tt.method); !errors.Is(err, tt.wantErr) {
				t.Fatalf("CheckChallenge() = %v; want %v", err, tt.wantErr)
			}
		})
	}
}

// FuzzVerify checks that Verify never panics and only accepts a verifier
// that is well formed and hashes to the challenge.
func FuzzVerify(f *testing.F) {
	f.Add(rfcChallenge, rfcVerifier)
	f.Add(rfcChallenge, rfcChallenge)
	f.Add("", "")
	f.Fuzz(func(t *testing.T, challenge, verifier string) {
		if Verify(challenge, verifier) == nil && (!ValidVerifier(verifier) || Challenge(verifier) != challenge) {
			t.Fatalf("Verify(%q, %q) accepted a verifier it should refuse", challenge, verifier)
		}
	})
}

func ExampleVerify() {
	err := Verify("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
	fmt.Println(err == nil)
	// Output: true
}
