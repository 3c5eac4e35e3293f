package token_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"

	"issuer/issuer/oauth"
	"issuer/issuer/token"
	"issuer/storage"
	"issuer/storage/memory"
)

// TestSignerCreatedOnFirstStart: an empty store gets one ES256 P-256 key,
// created at the injected time, whose kid is its RFC 7638 thumbprint, and
// the refresh successor secret.
func TestSignerCreatedOnFirstStart(t *testing.T) {
	store := newSpy()
	m := newMinter(t, store, nil)
	if store.adds != 1 || store.creates != 1 {
		t.Fatalf("writes: %d signing keys, %d secrets; want 1 and 1", store.adds, store.creates)
	}
	k, priv := storedKey(t, store)
	if k.Alg != "ES256" || priv.Curve != elliptic.P256() || !k.CreatedAt.Equal(t0) {
		t.Errorf("stored key: alg %q, curve %v, created %v; want ES256, P-256, %v", k.Alg, priv.Curve.Params().Name, k.CreatedAt, t0)
	}
	pub, err := jwk.FromRaw(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	tp, err := pub.Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if k.ID != b64(tp) {
		t.Errorf("kid = %q; want the RFC 7638 thumbprint %q", k.ID, b64(tp))
	}
	tok, _, err := m.Access(token.Grant{Subject: "s"}, oauth.Binding{}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if h, _ := jwtParts(t, tok); h["kid"] != k.ID {
		t.Errorf("token kid = %v; want the stored key's %q", h["kid"], k.ID)
	}
}

// TestSignerKeptAcrossRestarts: a second start on the same store creates
// nothing, and what the first minter issued still verifies and rotates to
// the same successor (tokens stay valid across restarts).
func TestSignerKeptAcrossRestarts(t *testing.T) {
	store := newSpy()
	first := newMinter(t, store, nil)
	tok, _, err := first.Access(token.Grant{Subject: "s"}, oauth.Binding{JKT: "j"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	second := newMinter(t, store, nil)
	if store.adds != 1 || store.creates != 1 {
		t.Fatalf("writes after a restart: %d signing keys, %d secrets; want still 1 and 1", store.adds, store.creates)
	}
	if _, err := second.VerifyAccess(tok); err != nil {
		t.Errorf("token of the first start at the second: %v; want valid", err)
	}
	if string(first.JWKS()) != string(second.JWKS()) {
		t.Errorf("JWKS changed across a restart:\n%s\n%s", first.JWKS(), second.JWKS())
	}
	if first.Successor("rt") != second.Successor("rt") {
		t.Error("the successor of a refresh token changed across a restart")
	}
}

// TestSignerNewestKey: with several stored keys the minter signs with the
// newest (CreatedAt), and a token signed with an older key is no longer
// ours: VerifyAccess knows only the key it signs with.
func TestSignerNewestKey(t *testing.T) {
	old := memory.New()
	oldMinter := newMinter(t, old, nil)
	oldKey, _ := storedKey(t, old)
	oldTok, _, err := oldMinter.Access(token.Grant{Subject: "s"}, oauth.Binding{JKT: "j"}, t0)
	if err != nil {
		t.Fatal(err)
	}

	store := memory.New()
	newer := p256Key(t, "newer", t0)
	older := oldKey
	older.CreatedAt = t0.Add(-time.Hour)
	for _, k := range []storage.SigningKey{newer, older} { // insertion order is not age
		if err := store.AddSigningKey(context.Background(), k); err != nil {
			t.Fatal(err)
		}
	}
	m := newMinter(t, store, nil)
	tok, _, err := m.Access(token.Grant{Subject: "s"}, oauth.Binding{JKT: "j"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if h, _ := jwtParts(t, tok); h["kid"] != "newer" {
		t.Errorf("kid = %v; want the newest key's", h["kid"])
	}
	if _, err := m.VerifyAccess(oldTok); !errors.Is(err, token.ErrNotOurs) {
		t.Errorf("token of the older key: %v; want ErrNotOurs", err)
	}
	if ids := signingKeyIDs(t, store); !slices.Equal(ids, []string{oldKey.ID, "newer"}) {
		t.Errorf("stored keys = %v; want unchanged", ids)
	}
}

// p256Key returns a new P-256 signing key record named id.
func p256Key(t testing.TB, id string, created time.Time) storage.SigningKey {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return storage.SigningKey{ID: id, Alg: "ES256", PrivateJWK: jwkJSON(t, priv), CreatedAt: created}
}

func jwkJSON(t testing.TB, raw any) json.RawMessage {
	t.Helper()
	k, err := jwk.FromRaw(raw)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(k)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSignerRefusesUnusableKey: a stored key the minter cannot sign ES256
// with fails the start; it is not replaced by a new key (the store is not
// written to) and no token is signed with anything else.
func TestSignerRefusesUnusableKey(t *testing.T) {
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p256, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		jwk  json.RawMessage
		want string
	}{
		{"not a JWK", json.RawMessage(`{"kty":"nope"}`), "parsing signing key bad"},
		{"EC P-384 private key", jwkJSON(t, p384), "signing key bad is not a P-256 key"},
		{"RSA private key", jwkJSON(t, rsaKey), "signing key bad is not a P-256 key"},
		{"P-256 public key only", jwkJSON(t, &p256.PublicKey), "signing key bad is not a P-256 key"},
		{"symmetric key", jwkJSON(t, []byte("0123456789abcdef0123456789abcdef")), "signing key bad is not a P-256 key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := newSpy()
			if err := store.Store.AddSigningKey(context.Background(), storage.SigningKey{ID: "bad", Alg: "ES256", PrivateJWK: tc.jwk, CreatedAt: t0}); err != nil {
				t.Fatal(err)
			}
			m, err := token.New(context.Background(), testConfig(), store, testNonces(t), t0)
			if err == nil || !strings.Contains(err.Error(), tc.want) || m != nil {
				t.Fatalf("token.New = %v, %v; want nil and an error containing %q", m, err, tc.want)
			}
			if ids := signingKeyIDs(t, store); store.adds != 0 || !slices.Equal(ids, []string{"bad"}) {
				t.Errorf("signing keys after the refusal: %v (%d added); want only the stored one", ids, store.adds)
			}
		})
	}
}

// TestSignerStoreErrors: a store that fails makes the start fail with the
// step named, and no key is written after a failed step.
func TestSignerStoreErrors(t *testing.T) {
	boom := errors.New("boom")
	for _, tc := range []struct {
		name     string
		set      func(*spyKeys)
		want     string
		wantKeys int
	}{
		{"secret", func(s *spyKeys) { s.failSecret = boom }, "loading the refresh token secret", 0},
		{"list keys", func(s *spyKeys) { s.failSigningKeys = boom }, "loading signing keys", 0},
		{"add key", func(s *spyKeys) { s.failAdd = boom }, "storing the signing key", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := newSpy()
			tc.set(store)
			m, err := token.New(context.Background(), testConfig(), store, testNonces(t), t0)
			if !errors.Is(err, boom) || !strings.Contains(err.Error(), tc.want) || m != nil {
				t.Fatalf("token.New = %v, %v; want nil and boom wrapped in %q", m, err, tc.want)
			}
			keys, err := store.Store.SigningKeys(context.Background())
			if err != nil || len(keys) != tc.wantKeys {
				t.Errorf("stored keys: %d, %v; want %d", len(keys), err, tc.wantKeys)
			}
		})
	}
}

// TestJWKS: the published set holds exactly the public half of the
// signing key (no private member), named by the kid the tokens carry, and
// verifies both access and ID tokens (OIDC-07, JWTAT-02: never alg none).
func TestJWKS(t *testing.T) {
	store := memory.New()
	m := newMinter(t, store, nil)
	k, priv := storedKey(t, store)

	var raw struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(m.JWKS(), &raw); err != nil {
		t.Fatal(err)
	}
	if len(raw.Keys) != 1 {
		t.Fatalf("JWKS %s has %d keys; want 1", m.JWKS(), len(raw.Keys))
	}
	for _, member := range []string{"d", "p", "q", "dp", "dq", "qi", "k"} {
		if _, ok := raw.Keys[0][member]; ok {
			t.Errorf("JWKS key has the private member %q: %s", member, m.JWKS())
		}
	}
	want := map[string]any{"kty": "EC", "crv": "P-256", "kid": k.ID, "alg": "ES256", "use": "sig"}
	for name, v := range want {
		if raw.Keys[0][name] != v {
			t.Errorf("JWKS key %s = %v; want %v", name, raw.Keys[0][name], v)
		}
	}

	set, err := jwk.Parse(m.JWKS())
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := set.Key(0)
	var got ecdsa.PublicKey
	if err := pub.Raw(&got); err != nil || !got.Equal(&priv.PublicKey) {
		t.Fatalf("JWKS key is not the stored key's public half (%v)", err)
	}
	at, _, err := m.Access(token.Grant{Subject: "s", ClientID: "c"}, oauth.Binding{JKT: "j"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	id, err := m.IDToken("s", "c", "", t0, at, t0)
	if err != nil {
		t.Fatal(err)
	}
	for name, tok := range map[string]string{"access token": at, "ID token": id} {
		if _, err := jws.Verify([]byte(tok), jws.WithKeySet(set, jws.WithRequireKid(true))); err != nil {
			t.Errorf("%s does not verify with the JWKS: %v", name, err)
		}
		if _, err := jws.Verify([]byte(tok), jws.WithKey(jwa.ES256, &priv.PublicKey)); err != nil {
			t.Errorf("%s does not verify as ES256: %v", name, err)
		}
	}
}
