package issuer

import (
	"testing"

	"issuer/issuer/oauth"
	"issuer/storage"
)

// TestPushQuotaKey: a public client's PAR quota is per address, an
// attested wallet's per instance, a confidential client's per client.
func TestPushQuotaKey(t *testing.T) {
	public := &storage.Client{ID: "wallet", AuthMethod: oauth.AuthNone}
	if pushQuotaKey(public, "192.0.2.1") == pushQuotaKey(public, "192.0.2.2") {
		t.Error("a public client's quota is shared across addresses")
	}
	a := &storage.Client{ID: "w", AuthMethod: oauth.AuthAttestJWT, AttestationJKT: "k1"}
	b := &storage.Client{ID: "w", AuthMethod: oauth.AuthAttestJWT, AttestationJKT: "k2"}
	if pushQuotaKey(a, "x") == pushQuotaKey(b, "x") {
		t.Error("two instances of a wallet share a quota")
	}
	c := &storage.Client{ID: "backend", AuthMethod: oauth.AuthClientSecretBasic}
	if pushQuotaKey(c, "192.0.2.1") != pushQuotaKey(c, "192.0.2.2") {
		t.Error("a confidential client's quota depends on its address")
	}
}
