package token_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"

	"issuer/issuer/token"
	"issuer/nonce"
	"issuer/storage"
	"issuer/storage/memory"
)

// t0 is the injected clock of every test: the Minter takes "now" as an
// argument, so there is no clock to advance, only times to pass.
var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

const testIssuer = "https://issuer.example"

// testConfig is the Minter's config as issuer.New builds it from
// issuer.Defaults(), but with a bound access token life of one hour, so
// that the five-minute cap on Bearer tokens (VCI-58) is visible.
func testConfig() token.Config {
	return token.Config{
		Issuer: testIssuer, AccessTTL: time.Hour, MaxBearerTTL: 5 * time.Minute,
		IDTokenTTL: 5 * time.Minute, CNonceTTL: 5 * time.Minute, CNonceInResponse: true,
	}
}

// testNonces returns the nonce manager the minter issues c_nonce values
// with; its secret is fixed so that a test can check the values.
func testNonces(t testing.TB) *nonce.Manager {
	t.Helper()
	n, err := nonce.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// newMinter returns a Minter on store (a new memory store when nil) with
// testConfig changed by mod.
func newMinter(t testing.TB, store storage.Keys, mod func(*token.Config)) *token.Minter {
	t.Helper()
	if store == nil {
		store = memory.New()
	}
	cfg := testConfig()
	if mod != nil {
		mod(&cfg)
	}
	m, err := token.New(context.Background(), cfg, store, testNonces(t), t0)
	if err != nil {
		t.Fatalf("token.New: %v", err)
	}
	return m
}

// jwtParts decodes the header and claims of a compact JWS without checking
// anything.
func jwtParts(t testing.TB, tok string) (header, claims map[string]any) {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("%q is not a compact JWS", tok)
	}
	for i, out := range []*map[string]any{&header, &claims} {
		raw, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatalf("part %d of %q: %v", i, tok, err)
		}
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("part %d of %q: %v", i, tok, err)
		}
	}
	return header, claims
}

// b64 is base64url without padding.
func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// signES256 returns the compact JWS of the raw header and payload JSON,
// signed with key (ES256, r||s).
func signES256(t testing.TB, key *ecdsa.PrivateKey, header, payload string) string {
	t.Helper()
	in := b64([]byte(header)) + "." + b64([]byte(payload))
	digest := sha256.Sum256([]byte(in))
	r, s, err := ecdsa.Sign(rand.Reader, key, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return in + "." + b64(sig)
}

// storedKey returns the newest signing key in store and its private key:
// what a forger who had stolen it would hold.
func storedKey(t testing.TB, store storage.Keys) (storage.SigningKey, *ecdsa.PrivateKey) {
	t.Helper()
	keys, err := store.SigningKeys(context.Background())
	if err != nil || len(keys) == 0 {
		t.Fatalf("signing keys: %v, %d", err, len(keys))
	}
	k := keys[len(keys)-1]
	parsed, err := jwk.ParseKey(k.PrivateJWK)
	if err != nil {
		t.Fatal(err)
	}
	var priv ecdsa.PrivateKey
	if err := parsed.Raw(&priv); err != nil {
		t.Fatal(err)
	}
	return k, &priv
}

// spyKeys is a storage.Keys that counts the writes it passes on to a
// memory store and can fail each call.
type spyKeys struct {
	*memory.Store
	adds, creates                        int
	failSigningKeys, failAdd, failSecret error
}

func newSpy() *spyKeys { return &spyKeys{Store: memory.New()} }

func (s *spyKeys) SigningKeys(ctx context.Context) ([]storage.SigningKey, error) {
	if s.failSigningKeys != nil {
		return nil, s.failSigningKeys
	}
	return s.Store.SigningKeys(ctx)
}

func (s *spyKeys) AddSigningKey(ctx context.Context, k storage.SigningKey) error {
	if s.failAdd != nil {
		return s.failAdd
	}
	s.adds++
	return s.Store.AddSigningKey(ctx, k)
}

func (s *spyKeys) GetOrCreateSecret(ctx context.Context, name string, create func() ([]byte, error)) ([]byte, error) {
	if s.failSecret != nil {
		return nil, s.failSecret
	}
	return s.Store.GetOrCreateSecret(ctx, name, func() ([]byte, error) {
		s.creates++
		return create()
	})
}

// signingKeyIDs lists the IDs of the signing keys in store, oldest first.
func signingKeyIDs(t testing.TB, store storage.Keys) []string {
	t.Helper()
	keys, err := store.SigningKeys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, k := range keys {
		ids = append(ids, k.ID)
	}
	return ids
}

// accessClaims decodes the claims of an access token into the type the
// minter writes them from.
func accessClaims(t testing.TB, tok string) token.AccessClaims {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("%q is not a compact JWS", tok)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c token.AccessClaims
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// b64Decode decodes base64url without padding.
func b64Decode(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }
