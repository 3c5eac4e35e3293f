package token_test

import (
	"crypto/sha256"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"issuer/issuer/oauth"
	"issuer/issuer/token"
	"issuer/storage"
)

// TestRefreshIDIsAHash: a refresh token is stored under a hash of it, so
// the database never holds a usable refresh token; the hash is stable (the
// token is found again) and two tokens never share it. The ID is the full
// SHA-256, and its form is pinned: the records of a bolt file are keyed by
// it, so a change would orphan every stored refresh token on upgrade.
func TestRefreshIDIsAHash(t *testing.T) {
	tok := token.Random()
	id := token.RefreshID(tok)
	if id != token.RefreshID(tok) {
		t.Fatal("RefreshID is not deterministic")
	}
	if sum := sha256.Sum256([]byte(tok)); id != "rt-"+b64(sum[:]) {
		t.Errorf("RefreshID(%q) = %q; want rt- and the base64url SHA-256 of the token", tok, id)
	}
	if !strings.HasPrefix(id, "rt-") || strings.Contains(id, tok) {
		t.Errorf("RefreshID(%q) = %q; want rt- and a hash that does not contain the token", tok, id)
	}
	if token.RefreshID(tok+"x") == id || token.RefreshID("") == id {
		t.Error("two refresh tokens share a record ID")
	}
}

// TestNewRefresh: OA-30, a refresh token has 256 random bits (43
// base64url characters), two are never equal, and the record is found by
// the token's hash and holds the grant (RFC 6749 §6: the scope, details,
// auth_time needed later).
func TestNewRefresh(t *testing.T) {
	g := token.Grant{Subject: "user-1", ClientID: "client-1", Scope: "openid pid", GrantID: "g-1",
		Details: pidDetails, AuthTime: t0.Add(-time.Minute)}
	local := t0.In(time.FixedZone("X", -7200))
	tok, rec, err := token.NewRefresh(g, false, oauth.Binding{}, local, local.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if raw, err := b64Decode(tok); err != nil || len(raw) != 32 {
		t.Errorf("refresh token %q: %d bytes (%v); want 32 random bytes, base64url", tok, len(raw), err)
	}
	tok2, _, _ := token.NewRefresh(g, false, oauth.Binding{}, local, local.Add(time.Hour))
	if tok2 == tok {
		t.Error("two refresh tokens are equal")
	}
	details, _ := json.Marshal(pidDetails)
	want := storage.Token{
		ID: token.RefreshID(tok), Kind: token.KindRefresh, ClientID: "client-1", Subject: "user-1",
		Scope: "openid pid", GrantID: "g-1", AuthorizationDetails: details,
		IssuedAt: t0, ExpiresAt: t0.Add(24 * time.Hour), AuthTime: g.AuthTime,
	}
	if !reflect.DeepEqual(rec, want) {
		t.Errorf("record =\n%+v\nwant\n%+v", rec, want)
	}
	if rec.IssuedAt.Location() != time.UTC || rec.ExpiresAt.Location() != time.UTC {
		t.Errorf("record times in %v, %v; want UTC", rec.IssuedAt.Location(), rec.ExpiresAt.Location())
	}
}

// TestRefreshBinding covers DPOP-22, DPOP-23 and ATT-14 (H06..H08): a
// public client's refresh token is bound to its DPoP key; a confidential
// client's is bound through client authentication, not to the key, so it
// may refresh with a new one; a certificate never binds a refresh token
// (the client does); an attested client's token is bound to its wallet
// instance, public or not.
func TestRefreshBinding(t *testing.T) {
	for _, tc := range []struct {
		name          string
		public        bool
		b             oauth.Binding
		jkt, instance string
	}{
		{"DPOP-22 public client, DPoP key", true, oauth.Binding{JKT: "k"}, "k", ""},
		{"DPOP-23 confidential client, DPoP key", false, oauth.Binding{JKT: "k"}, "", ""},
		{"confidential client, certificate", false, oauth.Binding{X5T: "x"}, "", ""},
		{"public client, certificate and key", true, oauth.Binding{JKT: "k", X5T: "x"}, "k", ""},
		{"ATT-14 attested client with a DPoP key", false, oauth.Binding{JKT: "k", Instance: "i"}, "", "i"},
		{"ATT-14 attested public client", true, oauth.Binding{JKT: "k", Instance: "i"}, "k", "i"},
		{"public client without a key", true, oauth.Binding{}, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, err := token.RefreshRecord("rt", token.Grant{Subject: "s", ClientID: "c"}, tc.public, tc.b, t0, t0.Add(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			if rec.JKT != tc.jkt || rec.AttestationJKT != tc.instance || rec.X5T != "" {
				t.Errorf("jkt %q, instance %q, x5t %q; want %q, %q, none", rec.JKT, rec.AttestationJKT, rec.X5T, tc.jkt, tc.instance)
			}
			if rec.ID != token.RefreshID("rt") || rec.Kind != token.KindRefresh {
				t.Errorf("id %q, kind %q; want RefreshID(rt), %s", rec.ID, rec.Kind, token.KindRefresh)
			}
		})
	}
}

// TestSuccessor covers FAPI-06 note 1 and BCP-08: the successor of a
// rotated refresh token is a function of the token and the server's
// secret, so that every retry gets the same successor, across restarts
// too; another token, or another server's secret, gives another one; it
// has 256 bits and is neither the token nor its record ID.
func TestSuccessor(t *testing.T) {
	store := newSpy()
	m := newMinter(t, store, nil)
	rt := token.Random()
	next := m.Successor(rt)
	if next != m.Successor(rt) {
		t.Fatal("two successors of one refresh token differ: a retried rotation would lose its token")
	}
	if again := newMinter(t, store, nil); again.Successor(rt) != next {
		t.Error("the successor changed across a restart on the same store")
	}
	if raw, err := b64Decode(next); err != nil || len(raw) != 32 {
		t.Errorf("successor %q: %d bytes (%v); want 32, base64url", next, len(raw), err)
	}
	if next == rt || next == token.RefreshID(rt) || strings.TrimPrefix(token.RefreshID(rt), "rt-") == next {
		t.Error("the successor is the token or its record ID")
	}
	if m.Successor(rt+"x") == next || m.Successor("") == next {
		t.Error("two refresh tokens share a successor")
	}
	if other := newMinter(t, nil, nil); other.Successor(rt) == next {
		t.Error("another server's secret gives the same successor: it is not keyed")
	}
	if m.Successor(next) == next {
		t.Error("a successor is its own successor")
	}
}
