package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"

	"issuer/issuer/oauth"
)

// signJWT signs claims with key (ES256) under the given typ and kid.
func signJWT(t *testing.T, key *ecdsa.PrivateKey, typ, kid string, claims map[string]any) string {
	t.Helper()
	h := jws.NewHeaders()
	_ = h.Set(jws.TypeKey, typ)
	if kid != "" {
		_ = h.Set(jws.KeyIDKey, kid)
	}
	payload, _ := json.Marshal(claims)
	out, err := jws.Sign(payload, jws.WithKey(jwa.ES256, key, jws.WithProtectedHeaders(h)))
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// publicJWKMap is the public JWK of key as JSON values, with kid if set.
func publicJWKMap(t *testing.T, key *ecdsa.PrivateKey, kid string) map[string]any {
	t.Helper()
	k, err := jwk.FromRaw(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if kid != "" {
		_ = k.Set(jwk.KeyIDKey, kid)
	}
	b, _ := json.Marshal(k)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return m
}

func newKey(t *testing.T) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// attested redeems a fresh offer on c as a wallet instance attested by the
// provider key (attest_jwt_client_auth), with a fresh PoP and DPoP proof.
func attested(t *testing.T, cl *cluster, c *child, provider, instance *ecdsa.PrivateKey, clientID string) reply {
	t.Helper()
	now := time.Now()
	att := signJWT(t, provider, "oauth-client-attestation+jwt", "wp-1", map[string]any{
		"iss": "https://wallet-provider.example", "sub": clientID, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"cnf": map[string]any{"jwk": publicJWKMap(t, instance, "")},
	})
	pop := signJWT(t, instance, "oauth-client-attestation-pop+jwt", "", map[string]any{
		"iss": clientID, "aud": cl.url, "jti": uuid.NewString(), "iat": now.Unix(),
	})
	form := url.Values{"grant_type": {oauth.GrantPreAuthorizedCode}, "pre-authorized_code": {c.offer(t)}, "client_id": {clientID}}
	req, _ := http.NewRequest(http.MethodPost, c.base+"/token", stringsReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("DPoP", cl.proof(t, http.MethodPost, "/token"))
	req.Header.Set("OAuth-Client-Attestation", att)
	req.Header.Set("OAuth-Client-Attestation-PoP", pop)
	return do2(req)
}

// walletProviderAcrossNodes adds a wallet provider through node A's admin
// API: node B, which refused the provider's wallets before, trusts them
// within seconds (its periodic reload), without a restart.
func walletProviderAcrossNodes(t *testing.T, cl *cluster) {
	a, b := cl.nodes[0], cl.nodes[1]
	provider, instance := newKey(t), newKey(t)
	const clientID = "https://wallet.example/app"
	if r := attested(t, cl, b, provider, instance, clientID); r.status != http.StatusUnauthorized {
		t.Fatalf("an attestation of an unknown provider on B = %d %v; want 401", r.status, r.body)
	}
	admin(t, a, "/admin/wallet-providers", map[string]any{
		"name": "test provider", "issuer": "https://wallet-provider.example",
		"jwks": map[string]any{"keys": []any{publicJWKMap(t, provider, "wp-1")}},
	})
	start := time.Now()
	for {
		r := attested(t, cl, b, provider, instance, clientID)
		if r.status == http.StatusOK {
			t.Logf("node B trusted the provider added through A after %s", time.Since(start).Round(time.Millisecond))
			return
		}
		if time.Since(start) > 10*time.Second {
			t.Fatalf("node B still refuses the provider added through A after %s: %d %v", time.Since(start), r.status, r.body)
		}
		time.Sleep(250 * time.Millisecond)
	}
}
