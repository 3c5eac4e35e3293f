package walletprovider_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"issuer/issuer/oauth"
	"issuer/issuer/walletprovider"
	"issuer/storage"
)

// The registry of trusted providers: the config file's and those added
// through the admin API, reloaded on each change.

// names are the names of the trusted providers.
func names(r *walletprovider.Registry) []string {
	var out []string
	for _, p := range r.Trusted() {
		out = append(out, p.Name())
	}
	return out
}

func wantOAuthError(t testing.TB, err error, code string) {
	t.Helper()
	var e *oauth.Error
	if !errors.As(err, &e) || e.Code != code {
		t.Fatalf("error = %v; want %s", err, code)
	}
}

func TestRegistryTrustsNothingBeforeReload(t *testing.T) {
	r := walletprovider.New([]walletprovider.Provider{{Name: "w", JWKS: jwks(jwk(newKey(t), ""))}}, nil, time.Now, nil)
	if got := r.Trusted(); got != nil {
		t.Fatalf("Trusted() before Reload = %v; want none", got)
	}
}

func TestRegistryConfigured(t *testing.T) {
	root := ca(t, nil, "Root")
	r, _ := newRegistry(t,
		walletprovider.Provider{Name: "x5c", X5CRoots: []string{pemOf(root.Cert)}},
		walletprovider.Provider{Name: "jwks", JWKS: jwks(jwk(newKey(t), "k"))})
	if got := names(r); !slices.Equal(got, []string{"x5c", "jwks"}) {
		t.Fatalf("trusted = %v", got)
	}
	list, err := r.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Source != walletprovider.FromConfig || !slices.Equal(list[0].X5CRoots, []string{der64(root.Cert)}) {
		t.Fatalf("List() = %+v; want the config's providers, roots as base64 DER", list)
	}

	bad := walletprovider.New([]walletprovider.Provider{{Name: "bad"}}, nil, time.Now, nil)
	if err := bad.Reload(t.Context()); err == nil {
		t.Fatal("Reload() of an invalid configured provider = nil; want an error")
	}
}

// TestRegistryCreateDelete covers the admin API: a provider is validated,
// stored, trusted from the next request on, listed after those of the
// config, and no longer trusted once deleted.
func TestRegistryCreateDelete(t *testing.T) {
	root, other := ca(t, nil, "Root"), ca(t, nil, "Other")
	r, st := newRegistry(t, walletprovider.Provider{Name: "config", JWKS: jwks(jwk(newKey(t), ""))})

	_, err := r.Create(t.Context(), walletprovider.Provider{Name: "neither"})
	wantOAuthError(t, err, oauth.CodeInvalidRequest)
	if recs, _ := st.WalletProviders(t.Context()); len(recs) != 0 || !slices.Equal(names(r), []string{"config"}) {
		t.Fatalf("after a refused Create: stored %v, trusted %v; want nothing new", recs, names(r))
	}

	p, err := r.Create(t.Context(), walletprovider.Provider{Name: "runtime", Issuer: "https://w.example", ClientIDs: []string{"a"},
		X5CRoots: []string{pemOf(root.Cert) + pemOf(other.Cert)}, Source: walletprovider.FromConfig, ID: "mine"})
	if err != nil {
		t.Fatalf("Create = %v", err)
	}
	if p.ID == "" || p.ID == "mine" || p.Source != walletprovider.FromAPI || p.CreatedAt != now.Unix() ||
		!slices.Equal(p.X5CRoots, []string{der64(root.Cert), der64(other.Cert)}) {
		t.Fatalf("Create = %+v; want a new id, source api, created now, the roots as base64 DER", p)
	}
	if !slices.Equal(names(r), []string{"config", "runtime"}) {
		t.Fatalf("trusted = %v; want the new provider from now on", names(r))
	}
	recs, _ := st.WalletProviders(t.Context())
	if len(recs) != 1 || recs[0].ID != p.ID || recs[0].Issuer != "https://w.example" || !slices.Equal(recs[0].X5CRoots, p.X5CRoots) {
		t.Fatalf("stored = %+v", recs)
	}
	list, err := r.List(t.Context())
	if err != nil || len(list) != 2 || list[0].Source != walletprovider.FromConfig || list[1].ID != p.ID || list[1].Source != walletprovider.FromAPI {
		t.Fatalf("List() = %+v, %v; want config first, then the API's", list, err)
	}

	wantOAuthError(t, r.Delete(t.Context(), "nobody"), oauth.CodeNotFound)
	if err := r.Delete(t.Context(), p.ID); err != nil {
		t.Fatalf("Delete = %v", err)
	}
	if !slices.Equal(names(r), []string{"config"}) {
		t.Fatalf("trusted after Delete = %v; want only the config's", names(r))
	}
	wantOAuthError(t, r.Delete(t.Context(), p.ID), oauth.CodeNotFound)
}

// TestRegistryJWKSRoundTrip: a JWKS provider added through the API is
// stored and listed with its keys, and verifies after a reload from the
// store alone.
func TestRegistryJWKSRoundTrip(t *testing.T) {
	k := newKey(t)
	r, st := newRegistry(t)
	if _, err := r.Create(t.Context(), walletprovider.Provider{Name: "keys", JWKS: jwks(jwk(k, "k1"))}); err != nil {
		t.Fatal(err)
	}
	fresh := walletprovider.New(nil, st, time.Now, nil)
	if err := fresh.Reload(t.Context()); err != nil {
		t.Fatal(err)
	}
	tr := fresh.Trusted()
	if len(tr) != 1 || !tr[0].Verifies(sign(t, k, map[string]any{"alg": "ES256", "kid": "k1"}), "ES256", "k1", nil, now) {
		t.Fatalf("the reloaded provider does not verify its key's signature")
	}
	list, _ := fresh.List(t.Context())
	if len(list) != 1 || len(list[0].JWKS) == 0 {
		t.Fatalf("List() = %+v; want the keys", list)
	}
}

// TestRegistrySkipsUnparsableStored: a stored provider that no longer
// parses is skipped at Reload; the others stay trusted.
func TestRegistrySkipsUnparsableStored(t *testing.T) {
	r, st := newRegistry(t)
	if err := st.CreateWalletProvider(t.Context(), storage.WalletProvider{ID: "old", Name: "old", X5CRoots: []string{"not base64 !"}, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Create(t.Context(), walletprovider.Provider{Name: "good", JWKS: jwks(jwk(newKey(t), ""))}); err != nil {
		t.Fatalf("Create beside an unparsable stored provider = %v", err)
	}
	if !slices.Equal(names(r), []string{"good"}) {
		t.Fatalf("trusted = %v; want only the good one", names(r))
	}
}
