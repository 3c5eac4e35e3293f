package storagetest

import (
	"encoding/json"
	"testing"
	"time"

	"issuer/storage"
)

func testWalletProviders(t *testing.T, s storage.Store) {
	ctx := t.Context()
	got, err := s.WalletProviders(ctx)
	if err != nil || len(got) != 0 {
		t.Fatalf("WalletProviders on an empty store = %v, %v; want none", got, err)
	}
	checkErr(t, "DeleteWalletProvider on an empty store", s.DeleteWalletProvider(ctx, "nope"), storage.ErrNotFound)
	// Creation order disagrees with ID order both ways, and wp-b and wp-d
	// tie on CreatedAt (then ID decides).
	want := []storage.WalletProvider{
		{ID: "wp-b", Name: "first", X5CRoots: []string{"MIIB", "MIIC"}, CreatedAt: t0.In(zone)},
		{ID: "wp-d", Name: "first too", X5CRoots: []string{"MIID"}, CreatedAt: t0},
		{ID: "wp-c", Name: "second", Issuer: "https://other.example", X5CRoots: []string{"MIIE"}, CreatedAt: t0.Add(time.Second)},
		{ID: "wp-a", Name: "last", Issuer: "https://wallet.example",
			JWKS: json.RawMessage(`{"keys": [{"kty":"EC","crv":"P-256","x":"abc","y":"def"}]}`), CreatedAt: t0.Add(time.Minute)},
	}
	for _, i := range []int{3, 1, 0, 2} {
		checkErr(t, "CreateWalletProvider "+want[i].ID, s.CreateWalletProvider(ctx, want[i]), nil)
	}
	checkErr(t, "CreateWalletProvider with a taken ID", s.CreateWalletProvider(ctx, storage.WalletProvider{ID: "wp-a", Name: "other"}), storage.ErrAlreadyExists)
	got, err = s.WalletProviders(ctx)
	if err != nil || len(got) != len(want) {
		t.Fatalf("WalletProviders = %v, %v; want %d", got, err, len(want))
	}
	for i := range want {
		checkEqual(t, "provider "+want[i].ID, want[i], got[i])
	}

	checkErr(t, "DeleteWalletProvider", s.DeleteWalletProvider(ctx, "wp-a"), nil)
	checkErr(t, "DeleteWalletProvider twice", s.DeleteWalletProvider(ctx, "wp-a"), storage.ErrNotFound)
	checkErr(t, "DeleteWalletProvider unknown", s.DeleteWalletProvider(ctx, "nope"), storage.ErrNotFound)
	got, err = s.WalletProviders(ctx)
	if err != nil || len(got) != 3 || got[2].ID != "wp-c" {
		t.Fatalf("WalletProviders after delete = %v, %v; want wp-b, wp-d, wp-c", got, err)
	}
}

// testAttestationKeyNotStored checks that the attestation key a client
// authenticated with is never stored with the client (the client record
// has no place for it: it travels as the request's oauth.Binding), while a
// refresh token's binding to it is.
func testAttestationKeyNotStored(t *testing.T, s storage.Store) {
	ctx := t.Context()
	c := storage.Client{ID: "wallet", AuthMethod: "attest_jwt_client_auth", CreatedAt: t0}
	checkErr(t, "CreateClient", s.CreateClient(ctx, c), nil)
	got, err := s.GetClient(ctx, c.ID)
	checkErr(t, "GetClient", err, nil)
	checkEqual(t, "client", c, got)
	rt := newToken("grant-1", t0, time.Hour)
	rt.Kind, rt.ClientID, rt.AttestationJKT = "refresh_token", c.ID, "instance-key"
	checkErr(t, "IssueTokens", s.IssueTokens(ctx, storage.Issuance{Now: t0, Tokens: []storage.Token{rt}}), nil)
	checkEqual(t, "refresh token", rt, getToken(t, s, rt.ID))
}
