package uma_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"issuer/issuer/clientauth"
	"issuer/issuer/oauth"
	"issuer/issuer/oauth/oauthtest"
	"issuer/issuer/testclock"
	"issuer/issuer/uma"
	"issuer/storage"
	"issuer/storage/memory"
)

const (
	issuerURL = "https://issuer.example"
	// rs and rs2 are resource servers (client_secret_basic), wallet a
	// public client and client another confidential client.
	rs, rs2, wallet, client = "rs", "rs2", "wallet", "client"
	alice, bob              = "alice", "bob"
	aliceID, bobID          = "user-alice", "user-bob"
)

// fakeAuth authenticates the client named by the Authorization value
// (client authentication's rules are tested in clientauth); "" is no
// client, "broken" fails.
type fakeAuth struct{ store storage.Store }

func (a *fakeAuth) Authenticate(ctx context.Context, req clientauth.Request) (*storage.Client, oauth.Binding, error) {
	switch req.Authorization {
	case "":
		return nil, oauth.Binding{}, nil
	case "broken":
		return nil, oauth.Binding{}, oauth.ErrInvalidClient("broken")
	}
	c, err := a.store.GetClient(ctx, req.Authorization)
	if err != nil {
		return nil, oauth.Binding{}, err
	}
	return &c, oauth.Binding{}, nil
}

// env is UMA over a memory store with a settable clock.
type env struct {
	UMA   *uma.UMA
	Store *memory.Store
	Clock *testclock.Clock
}

// newEnv builds UMA as issuer/service.go does, with the clients rs, rs2,
// wallet and client and the users alice and bob.
func newEnv(t testing.TB) *env {
	t.Helper()
	clk := testclock.New(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))
	st := memory.New()
	e := &env{UMA: uma.New(uma.Config{URL: issuerURL, Now: clk.Now}, st, &fakeAuth{store: st}), Store: st, Clock: clk}
	for id, m := range map[string]string{
		rs: oauth.AuthClientSecretBasic, rs2: oauth.AuthClientSecretBasic,
		wallet: oauth.AuthNone, client: oauth.AuthClientSecretBasic,
	} {
		if err := st.CreateClient(t.Context(), storage.Client{ID: id, AuthMethod: m}); err != nil {
			t.Fatal(err)
		}
	}
	for name, id := range map[string]string{alice: aliceID, bob: bobID} {
		if err := st.CreateUser(t.Context(), storage.User{ID: id, Username: name}); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// resource registers a resource of alice protected by rs with the
// scopes read and write.
func (e *env) resource(t testing.TB, askOwner bool) uma.ResourceInfo {
	t.Helper()
	r, err := e.UMA.CreateResource(t.Context(), uma.ResourceRequest{
		ResourceServer: rs, Owner: alice, Name: "photos", Scopes: []string{"read", "write"}, AskOwner: askOwner,
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (e *env) grant(t testing.TB, id string, g uma.GrantRequest) {
	t.Helper()
	if err := e.UMA.AddGrant(t.Context(), id, g); err != nil {
		t.Fatal(err)
	}
}

// ticket asks rs for a ticket for body and returns it with its record.
func (e *env) ticket(t testing.TB, body string) (string, storage.UMATicket) {
	t.Helper()
	tk, err := e.UMA.CreatePermissionTicket(t.Context(), clientauth.Request{Authorization: rs}, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := e.Store.GetUMATicket(t.Context(), uma.TicketID(tk))
	if err != nil {
		t.Fatal(err)
	}
	return tk, rec
}

func (e *env) stored(t testing.TB, id string) storage.UMAResource {
	t.Helper()
	r, err := e.Store.GetUMAResource(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// unchanged fails the test if the resource changed.
func (e *env) unchanged(t testing.TB, before storage.UMAResource) {
	t.Helper()
	if after := e.stored(t, before.ID); !reflect.DeepEqual(after, before) {
		t.Errorf("the refusal changed the resource:\n got %+v\nwant %+v", after, before)
	}
}

// wantError asserts that err is the oauth error code.
func wantError(t testing.TB, err error, code string) *oauth.Error {
	t.Helper()
	return oauthtest.WantError(t, err, code, "")
}
