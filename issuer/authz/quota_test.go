package authz

import (
	"testing"

	"issuer/issuer/oauth"
	"issuer/storage"
)

// TestPushQuotaKey: a public client's PAR quota is per address, an
// attested wallet's per instance, a confidential client's per client.
func TestPushQuotaKey(t *testing.T) {
	public := &storage.Client{ID: "wallet", AuthMethod: oauth.AuthNone}
	if pushQuotaKey(public, oauth.Binding{}, "192.0.2.1") == pushQuotaKey(public, oauth.Binding{}, "192.0.2.2") {
		t.Error("a public client's quota is shared across addresses")
	}
	w := &storage.Client{ID: "w", AuthMethod: oauth.AuthAttestJWT}
	if pushQuotaKey(w, oauth.Binding{Instance: "k1"}, "x") == pushQuotaKey(w, oauth.Binding{Instance: "k2"}, "x") {
		t.Error("two instances of a wallet share a quota")
	}
	c := &storage.Client{ID: "backend", AuthMethod: oauth.AuthClientSecretBasic}
	if pushQuotaKey(c, oauth.Binding{}, "192.0.2.1") != pushQuotaKey(c, oauth.Binding{}, "192.0.2.2") {
		t.Error("a confidential client's quota depends on its address")
	}
}
