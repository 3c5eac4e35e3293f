package web_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"issuer/issuer"
)

// atCreateProvider is POST /admin/wallet-providers, which must answer 201.
func atCreateProvider(t testing.TB, ts *testServer, req map[string]any) issuer.WalletProvider {
	t.Helper()
	res := ts.admin(t, http.MethodPost, "/admin/wallet-providers", req)
	body := readBody(t, res)
	var p issuer.WalletProvider
	if res.StatusCode != http.StatusCreated || json.Unmarshal(body, &p) != nil || p.ID == "" {
		t.Fatalf("POST /admin/wallet-providers %v = %d %s; want 201 with an id", req, res.StatusCode, body)
	}
	return p
}

// TestAttestationAdminAPI covers trusting wallet providers at run time:
// a provider added through the admin API works at once and stops working
// once deleted.
func TestAttestationAdminAPI(t *testing.T) {
	f := atSetup(t)
	ts := f.ts
	t.Run("JWKS provider: added, listed, used, deleted", func(t *testing.T) {
		key := asNewKey(t)
		p := atCreateProvider(t, ts, map[string]any{"name": "Runtime Wallets", "issuer": "https://runtime.example",
			"jwks": map[string]any{"keys": []any{asJWK(key, "rt-1")}}})
		if p.Name != "Runtime Wallets" || p.Source != "api" || p.Issuer != "https://runtime.example" || len(p.JWKS) == 0 {
			t.Errorf("created provider = %+v", p)
		}
		list := atProviderList(t, ts)
		names := make([]string, 0, len(list))
		for _, q := range list {
			names = append(names, q.Name+"/"+q.Source)
		}
		if !slices.Equal(names, []string{"x5c provider/config", "jwks provider/config", "Runtime Wallets/api"}) {
			t.Errorf("listed providers = %v; want the two of the config, then the new one", names)
		}
		in := f.instance(t, atWalletID())
		in.Att = rawJWS(t, key, map[string]any{"typ": atTyp, "alg": "ES256", "kid": "rt-1"}, func() map[string]any {
			c := f.attClaims(in.ID, in.Key)
			c["iss"] = "https://runtime.example"
			return c
		}(), nil)
		atWantToken(t, in.redeem(t, in.headers(t), nil), in.ID)

		res := ts.admin(t, http.MethodDelete, "/admin/wallet-providers/"+p.ID, nil)
		if body := readBody(t, res); res.StatusCode != http.StatusNoContent {
			t.Fatalf("DELETE = %d %s; want 204", res.StatusCode, body)
		}
		atWantError(t, in.redeem(t, in.headers(t), nil), http.StatusUnauthorized, "invalid_client", atUntrusted)
		wantError(t, ts.admin(t, http.MethodDelete, "/admin/wallet-providers/"+p.ID, nil), http.StatusNotFound, "not_found")
		if n := len(atProviderList(t, ts)); n != 2 {
			t.Errorf("%d providers listed after the delete; want the 2 of the config", n)
		}
	})
	t.Run("x5c_roots provider in base64 DER: a chain to it works", func(t *testing.T) {
		root := atIssue(t, nil, "Runtime Root", true, nil)
		leaf := atIssue(t, root, "Runtime Leaf", false, nil)
		p := atCreateProvider(t, ts, map[string]any{"name": "Runtime X.509", "x5c_roots": atX5C(root.Cert)})
		if !slices.Equal(p.X5CRoots, atX5C(root.Cert)) {
			t.Errorf("x5c_roots = %v; want the root as base64 DER", p.X5CRoots)
		}
		in := f.instance(t, atWalletID())
		in.Att = rawJWS(t, leaf.Key, map[string]any{"typ": atTyp, "alg": "ES256", "x5c": atX5C(leaf.Cert)}, f.attClaims(in.ID, in.Key), nil)
		atWantToken(t, in.redeem(t, in.headers(t), nil), in.ID)
		// The root inside x5c is refused for this provider too (HAIP-07).
		in.Att = rawJWS(t, leaf.Key, map[string]any{"typ": atTyp, "alg": "ES256", "x5c": atX5C(leaf.Cert, root.Cert)}, f.attClaims(in.ID, in.Key), nil)
		atWantError(t, in.redeem(t, in.headers(t), nil), http.StatusUnauthorized, "invalid_client", atAnchor)
	})
	t.Run("x5c_roots in PEM is returned as base64 DER", func(t *testing.T) {
		a, b := atIssue(t, nil, "PEM Root A", true, nil), atIssue(t, nil, "PEM Root B", true, nil)
		p := atCreateProvider(t, ts, map[string]any{"name": "PEM roots", "x5c_roots": []string{atPEM(a.Cert) + atPEM(b.Cert)}})
		if !slices.Equal(p.X5CRoots, atX5C(a.Cert, b.Cert)) {
			t.Errorf("x5c_roots = %v; want both roots as base64 DER", p.X5CRoots)
		}
	})
	leafOnly := atIssue(t, f.Inter, "not a CA", false, nil)
	private := publicJWK(&f.JWKSKey.PublicKey)
	private["d"] = asB64(f.JWKSKey.D.FillBytes(make([]byte, 32)))
	for _, tc := range []struct {
		name string
		req  map[string]any
	}{
		{"no name", map[string]any{"jwks": map[string]any{"keys": []any{asJWK(f.JWKSKey, "k")}}}},
		{"neither jwks nor x5c_roots", map[string]any{"name": "n"}},
		{"both jwks and x5c_roots", map[string]any{"name": "n", "jwks": map[string]any{"keys": []any{asJWK(f.JWKSKey, "k")}}, "x5c_roots": atX5C(f.Root.Cert)}},
		{"a private key in jwks", map[string]any{"name": "n", "jwks": map[string]any{"keys": []any{private}}}},
		{"a symmetric key in jwks", map[string]any{"name": "n", "jwks": map[string]any{"keys": []any{map[string]any{"kty": "oct", "k": asB64([]byte("0123456789abcdef0123456789abcdef"))}}}}},
		{"an empty key set", map[string]any{"name": "n", "jwks": map[string]any{"keys": []any{}}}},
		{"a root that is not a CA", map[string]any{"name": "n", "x5c_roots": atX5C(leafOnly.Cert)}},
		{"a root that is not a certificate", map[string]any{"name": "n", "x5c_roots": []string{"bm90IGEgY2VydA=="}}},
		{"a PEM private key as root", map[string]any{"name": "n", "x5c_roots": []string{"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"}}},
		{"an unknown member", map[string]any{"name": "n", "x5c_roots": atX5C(f.Root.Cert), "trust": "all"}},
	} {
		t.Run("400 for "+tc.name, func(t *testing.T) {
			wantError(t, ts.admin(t, http.MethodPost, "/admin/wallet-providers", tc.req), http.StatusBadRequest, "invalid_request")
		})
	}
	t.Run("the admin token is required", func(t *testing.T) {
		res := sendRaw(t, http.MethodGet, ts.URL+"/admin/wallet-providers", "", nil, nil)
		wantError(t, res, http.StatusUnauthorized, "invalid_token")
	})
}

// A wallet provider restricted to client_ids vouches for those wallets
// only (security review L1).
func TestAttestationProviderClientIDs(t *testing.T) {
	f := atSetup(t)
	ts := f.ts
	key := asNewKey(t)
	allowed := atWalletID()
	p := atCreateProvider(t, ts, map[string]any{"name": "Scoped Wallets", "issuer": "https://scoped.example",
		"client_ids": []string{allowed}, "jwks": map[string]any{"keys": []any{asJWK(key, "sc-1")}}})
	if !slices.Equal(p.ClientIDs, []string{allowed}) {
		t.Fatalf("created provider client_ids = %v; want [%s]", p.ClientIDs, allowed)
	}
	attest := func(id string) *atInstance {
		in := f.instance(t, id)
		c := f.attClaims(id, in.Key)
		c["iss"] = "https://scoped.example"
		in.Att = rawJWS(t, key, map[string]any{"typ": atTyp, "alg": "ES256", "kid": "sc-1"}, c, nil)
		return in
	}
	in := attest(allowed)
	atWantToken(t, in.redeem(t, in.headers(t), nil), allowed)
	other := attest(atWalletID())
	atWantError(t, other.redeem(t, other.headers(t), nil), http.StatusUnauthorized, "invalid_client",
		"the client attestation is not signed by a trusted wallet provider")
	res := ts.admin(t, http.MethodPost, "/admin/wallet-providers", map[string]any{"name": "Bad", "client_ids": []string{"has space"},
		"jwks": map[string]any{"keys": []any{asJWK(key, "sc-2")}}})
	if body := readBody(t, res); res.StatusCode != http.StatusBadRequest {
		t.Errorf("a provider with an invalid client_id = %d %s; want 400", res.StatusCode, body)
	}
}
