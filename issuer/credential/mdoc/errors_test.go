package mdoc

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

// secret is a claim value the error messages must never repeat.
const secret = "Geheimname"

func TestIssueErrors(t *testing.T) {
	iss, other, holder := newIssuerKey(t, "DS"), newIssuerKey(t, "other"), newHolderKey(t)
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	edPub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	element := func(v any) func(*Input) {
		return func(in *Input) { in.Claims[pidNS].(map[string]any)["family_name"] = v }
	}
	tests := []struct {
		name   string
		given  func(*Input)
		want   error
		wantIn string // a part of the message
	}{
		{"no docType", func(in *Input) { in.Config.DocType = "" }, ErrIssuer, "docType"},
		{"no validity", func(in *Input) { in.Validity = Validity{} }, ErrIssuer, "validity"},
		{"validFrom before signed", func(in *Input) { in.Validity.ValidFrom = testNow.Add(-time.Hour) }, ErrIssuer, "validFrom"},
		{"validUntil not after validFrom", func(in *Input) { in.Validity.ValidUntil = testNow }, ErrIssuer, "validUntil"},
		{"no chain", func(in *Input) { in.Chain = nil }, ErrIssuer, "chain"},
		{"no signer", func(in *Input) { in.Signer = nil }, ErrIssuer, "signer"},
		{"leaf of another key", func(in *Input) { in.Chain = []*x509.Certificate{other.cert} }, ErrIssuer, "leaf"},
		{"P-384 signer", func(in *Input) { in.Signer = p384 }, ErrIssuer, "P-256"},
		{"signed after the certificate", func(in *Input) { in.Validity = ValidFor(iss.cert.NotAfter.Add(time.Hour), time.Hour) }, ErrIssuer, "certificate"},
		{"no device key", func(in *Input) { in.DeviceKey = nil }, ErrDeviceKey, ""},
		{"P-384 device key", func(in *Input) { in.DeviceKey = &p384.PublicKey }, ErrDeviceKey, "P-256"},
		{"Ed25519 device key", func(in *Input) { in.DeviceKey = edPub }, ErrDeviceKey, "P-256"},
		{"device key off the curve", func(in *Input) {
			in.DeviceKey = &ecdsa.PublicKey{Curve: elliptic.P256(), X: holder.X, Y: holder.X}
		}, ErrDeviceKey, ""},
		{"no claims", func(in *Input) { in.Claims = nil }, ErrClaims, "namespace"},
		{"namespace not an object", func(in *Input) { in.Claims[pidNS] = secret }, ErrClaims, pidNS},
		{"empty namespace", func(in *Input) { in.Claims[pidNS] = map[string]any{} }, ErrClaims, pidNS},
		{"empty identifier", func(in *Input) { in.Claims[pidNS].(map[string]any)[""] = secret }, ErrClaims, "identifier"},
		{"unsupported value", element(func() {}), ErrClaims, "family_name"},
		{"unsupported value in a map", element(map[string]any{"a": make(chan int)}), ErrClaims, "family_name"},
		{"map with int keys", element(map[int]string{1: secret}), ErrClaims, "family_name"},
		{"NaN", element(math.NaN()), ErrClaims, "family_name"},
		{"invalid FullDate", element(FullDate{2026, 2, 30}), ErrClaims, "family_name"},
		{"full-date hint on a bad date", func(in *Input) {
			in.Claims[pidNS].(map[string]any)["birth_date"] = secret
		}, ErrClaims, "birth_date"},
		{"full-date hint on a date-time", func(in *Input) {
			in.Claims[pidNS].(map[string]any)["birth_date"] = "1964-08-12T00:00:00Z"
		}, ErrClaims, "birth_date"},
		{"date-time hint on a date", func(in *Input) {
			in.Claims[pidNS].(map[string]any)["issuance_date"] = "2026-03-14"
		}, ErrClaims, "issuance_date"},
		{"a reader that repeats itself", func(in *Input) { in.Rand = zeros{} }, errDigestIDs, "digest IDs"},
		{"a reader that fails", func(in *Input) { in.Rand = strings.NewReader("short") }, nil, "randomness"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := pidInput(t, iss, holder)
			in.Claims[pidNS].(map[string]any)["given_name"] = secret
			tt.given(&in)
			_, err := Issue(in)
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) || !strings.Contains(err.Error(), tt.wantIn) {
				t.Fatalf("Issue() = %v; want %v mentioning %q", err, tt.want, tt.wantIn)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("Issue() = %v; the message repeats a claim value", err)
			}
		})
	}
}

// zeros is a reader of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func TestParseFullDate(t *testing.T) {
	tests := []struct {
		given   string
		want    FullDate
		wantErr bool
	}{
		{"1964-08-12", FullDate{1964, time.August, 12}, false},
		{"2024-02-29", FullDate{2024, time.February, 29}, false},
		{"2023-02-29", FullDate{}, true},
		{"1964-8-12", FullDate{}, true},
		{"1964-08-12T00:00:00Z", FullDate{}, true},
		{"", FullDate{}, true},
	}
	for _, tt := range tests {
		got, err := ParseFullDate(tt.given)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("ParseFullDate(%q) = %v, %v; want %v, error %v", tt.given, got, err, tt.want, tt.wantErr)
		}
		if err != nil && strings.Contains(err.Error(), tt.given) && tt.given != "" {
			t.Errorf("ParseFullDate(%q) error repeats its input: %v", tt.given, err)
		}
	}
}
