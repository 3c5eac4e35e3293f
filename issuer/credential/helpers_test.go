package credential_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"

	"issuer/issuer"
	"issuer/issuer/credential"
	"issuer/issuer/credential/keyproof"
	"issuer/issuer/oauth"
	"issuer/issuer/resource"
	"issuer/issuer/testclock"
	"issuer/storage"
	"issuer/storage/memory"
)

const issuerURL = "https://issuer.example"

// fakeAccess answers every request with its token (or its error).
type fakeAccess struct {
	tok storage.Token
	err error
}

func (f *fakeAccess) Access(context.Context, resource.AccessRequest, string) (storage.Token, error) {
	return f.tok, f.err
}

// fakeProofs verifies "proof-N" strings: the proof of keys[N], with the
// replay key of the string; "nonce" and "bad" are refused.
type fakeProofs struct{ keys []*ecdsa.PrivateKey }

func (f *fakeProofs) Verify(_ context.Context, raw string, _ keyproof.Expect) (keyproof.Proof, error) {
	switch raw {
	case "nonce":
		return keyproof.Proof{}, fmt.Errorf("%w: the c_nonce has expired", keyproof.ErrInvalidNonce)
	case "bad":
		return keyproof.Proof{}, fmt.Errorf("%w: the key proof's typ must be openid4vci-proof+jwt", keyproof.ErrInvalidProof)
	}
	var n int
	if _, err := fmt.Sscanf(raw, "proof-%d", &n); err != nil || n >= len(f.keys) {
		return keyproof.Proof{}, fmt.Errorf("%w: unknown", keyproof.ErrInvalidProof)
	}
	k := f.keys[n]
	key, err := jwk.FromRaw(k.Public())
	if err != nil {
		return keyproof.Proof{}, err
	}
	return keyproof.Proof{
		Key:       keyproof.Key{JWK: key, Public: k.Public(), Thumbprint: fmt.Sprintf("key-%d", n)},
		ReplayKey: []byte("replay:" + raw), ReplayExpiry: time.Now().Add(time.Hour),
	}, nil
}

// env is a credential service over the memory store with fakes.
type env struct {
	*credential.Service
	store  *memory.Store
	access *fakeAccess
	clock  *testclock.Clock
}

func newEnv(t testing.TB, mod func(*credential.Config)) *env {
	t.Helper()
	store := memory.New()
	clock := testclock.New(time.Now().Truncate(time.Second))
	confs, err := credential.ParseConfigurations(issuer.DefaultCredentialConfigurations())
	if err != nil {
		t.Fatal(err)
	}
	keys, err := credential.GeneratedKeys(t.Context(), store, issuerURL, clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	cfg := credential.Config{URL: issuerURL, CredentialURL: issuerURL + "/credential", Configurations: confs,
		NotificationURL: issuerURL + "/notification", DeferredURL: issuerURL + "/deferred_credential",
		BatchSize: 3, Validity: 24 * time.Hour, NotificationTTL: time.Hour, DeferredTTL: time.Hour, DeferredInterval: 5 * time.Second,
		Now: clock.Now}
	if mod != nil {
		mod(&cfg)
	}
	proofs := &fakeProofs{}
	for range 4 {
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		proofs.keys = append(proofs.keys, k)
	}
	e := &env{store: store, access: &fakeAccess{}, clock: clock}
	e.Service = credential.New(cfg, store, credential.Parts{Access: e.access, Proofs: proofs, Keys: keys}, nil)
	return e
}

// grant stores an offer of subject with claims and makes it the token's
// grant, with the PID configurations granted by authorization_details.
func (e *env) grant(t testing.TB, subject string, claims map[string]any) {
	t.Helper()
	raw, _ := json.Marshal(claims)
	o := storage.Offer{ID: "offer-" + subject, CodeHash: []byte(subject), Subject: subject, Claims: raw,
		ConfigurationIDs: []string{issuer.PIDSDJWTConfiguration}, CredentialIdentifiers: []string{"id-" + subject},
		CreatedAt: e.clock.Now(), ExpiresAt: e.clock.Now().Add(time.Hour), KeepUntil: e.clock.Now().Add(time.Hour)}
	if err := e.store.CreateOffer(t.Context(), o); err != nil {
		t.Fatal(err)
	}
	details, _ := json.Marshal([]oauth.AuthorizationDetail{
		{Type: oauth.TypeOpenIDCredential, CredentialConfigurationID: issuer.PIDSDJWTConfiguration, CredentialIdentifiers: []string{"id-" + subject}},
		{Type: oauth.TypeOpenIDCredential, CredentialConfigurationID: issuer.PIDMDocConfiguration, CredentialIdentifiers: []string{"mdoc-" + subject}},
	})
	e.access.tok = storage.Token{ID: "at", Subject: subject, GrantID: o.ID, AuthorizationDetails: details}
}

// request is a credential request for identifier with proofs.
func request(identifier string, proofs ...string) credential.Request {
	b, _ := json.Marshal(map[string]any{"credential_identifier": identifier, "proofs": map[string]any{"jwt": proofs}})
	return credential.Request{ContentType: "application/json", Body: b}
}

// pidClaims satisfy both PID configurations.
func pidClaims() map[string]any {
	return map[string]any{
		"given_name": "Erika", "family_name": "Mustermann", "birthdate": "1964-08-12",
		"place_of_birth": map[string]any{"locality": "Berlin"}, "nationalities": []any{"DE"},
		"issuing_authority": "X", "issuing_country": "DE", "date_of_expiry": "2031-01-01",
		issuer.PIDDocType: map[string]any{"birth_date": "1964-08-12", "nationality": []any{"DE"}, "expiry_date": "2031-01-01"},
	}
}

// response decodes a 200 credential reply in JSON.
func response(t testing.TB, r *credential.Reply) credential.Response {
	t.Helper()
	var out credential.Response
	if r.Status != 200 || r.ContentType != credential.ContentTypeJSON || json.Unmarshal(r.Body, &out) != nil {
		t.Fatalf("reply %d %s %s; want 200 with a JSON credential response", r.Status, r.ContentType, r.Body)
	}
	return out
}
