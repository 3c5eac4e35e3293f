package storagetest

import (
	"encoding/json"
	"testing"
	"time"

	"issuer/storage"
)

// zone is a non-UTC zone with a non-whole-hour offset.
var zone = time.FixedZone("IST", 5*3600+30*60)

func testRoundTrip(t *testing.T, s storage.Store) {
	ctx := t.Context()
	key := storage.SigningKey{ID: "k1", Alg: "ES256", PrivateJWK: json.RawMessage(`{"kty": "EC", "crv": "P-256", "d": "x<y"}`), CreatedAt: t0.In(zone)}
	checkErr(t, "AddSigningKey", s.AddSigningKey(ctx, key), nil)
	keys, err := s.SigningKeys(ctx)
	if err != nil || len(keys) != 1 {
		t.Fatalf("SigningKeys: %v, %v", keys, err)
	}
	checkEqual(t, "signing key", key, keys[0])

	client := storage.Client{
		ID: "c1", SecretHash: hashOf("secret"), AuthMethod: "client_secret_basic",
		GrantTypes:   []string{"authorization_code", "urn:ietf:params:oauth:grant-type:pre-authorized_code"},
		RedirectURIs: []string{"https://wallet.example/cb"}, Scope: "openid degree",
		JWKS: json.RawMessage(`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"abc"}]}`), DPoPBound: true, CreatedAt: t0,
		ClientTLS: storage.ClientTLS{SubjectDN: "CN=c1,O=Example", CertificateBoundAccessTokens: true},
	}
	checkErr(t, "CreateClient", s.CreateClient(ctx, client), nil)
	gotClient, err := s.GetClient(ctx, client.ID)
	checkErr(t, "GetClient", err, nil)
	checkEqual(t, "client", client, gotClient)

	o := fullOffer()
	createOffer(t, s, o)
	checkEqual(t, "offer", o, getOffer(t, s, o.ID))

	tok := fullToken(o.ID)
	redeemOK(t, s, redemption(o, t0, tok))
	checkEqual(t, "token", tok, getToken(t, s, tok.ID))
}

// fullOffer returns an offer with every field set.
func fullOffer() storage.Offer {
	o := newOffer(t0.In(zone), 10*time.Minute)
	o.Claims = json.RawMessage(`{"given_name":"Alice","degree":{"type":"BachelorDegree"}}`)
	o.ConfigurationIDs = []string{"UniversityDegree", "Diploma"}
	o.CredentialIdentifiers = []string{"degree-1", "diploma-1"}
	o.TxCode = &storage.TxCode{Hash: hashOf("493536"), Length: 6, InputMode: "numeric", Description: "sent by mail"}
	o.OfferJSON = json.RawMessage(`{"credential_issuer":"https://issuer.example"}`)
	o.KeepUntil = o.ExpiresAt.Add(time.Minute)
	o.Failures = 1
	return o
}

// fullToken returns a token with every field set.
func fullToken(grantID string) storage.Token {
	tok := newToken(grantID, t0.In(zone), time.Hour)
	tok.ClientID, tok.JKT, tok.Scope = "c1", "thumb", "openid"
	tok.X5T = "cert-thumb"
	tok.AttestationJKT = "instance-thumb"
	tok.AuthorizationDetails = json.RawMessage(`[{"type":"openid_credential","credential_configuration_id":"UniversityDegree"}]`)
	tok.Revoked = true
	return tok
}

func testTimeZones(t *testing.T, s storage.Store) {
	o := newOffer(t0.In(zone), time.Minute)
	createOffer(t, s, o)
	got := getOffer(t, s, o.ID)
	for _, f := range []struct {
		name      string
		want, got time.Time
	}{{"CreatedAt", o.CreatedAt, got.CreatedAt}, {"ExpiresAt", o.ExpiresAt, got.ExpiresAt}, {"KeepUntil", o.KeepUntil, got.KeepUntil}} {
		if !f.got.Equal(f.want) {
			t.Errorf("%s = %v, want the instant %v", f.name, f.got, f.want)
		}
	}
	utcExpiry := o.ExpiresAt.UTC()
	checkErr(t, "Redeem 1ns after expiry (UTC)", s.Redeem(t.Context(), redemption(o, utcExpiry.Add(time.Nanosecond))), storage.ErrExpired)
	redeemOK(t, s, redemption(o, utcExpiry))

	key, exp := []byte("zoned"), t0.Add(time.Minute).In(zone)
	checkErr(t, "UseReplayKey", s.UseReplayKey(t.Context(), key, exp, t0), nil)
	checkErr(t, "at expiry (UTC)", s.UseReplayKey(t.Context(), key, exp, exp.UTC()), storage.ErrAlreadyExists)
	checkErr(t, "after expiry (UTC)", s.UseReplayKey(t.Context(), key, exp, exp.UTC().Add(time.Nanosecond)), nil)
}
