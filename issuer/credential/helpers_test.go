package credential_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
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
// replay key of the string; "proof-N+M+…" is the proof of keys[N] with a
// key attestation of keys N, M, …; "att-N+M+…" is a key attestation of
// the attestation proof type. "nonce" and "bad" are refused. It keeps the
// Expect of the last call.
type fakeProofs struct {
	keys []*ecdsa.PrivateKey
	last keyproof.Expect
}

func (f *fakeProofs) Verify(_ context.Context, raw string, e keyproof.Expect) (keyproof.Proof, error) {
	f.last = e
	if err := fakeVerdict(raw); err != nil {
		return keyproof.Proof{}, err
	}
	rest, ok := strings.CutPrefix(raw, "proof-")
	keys, err := f.parse(rest, ok)
	if err != nil {
		return keyproof.Proof{}, err
	}
	p := keyproof.Proof{Key: keys[0], ReplayKey: []byte("replay:" + raw), ReplayExpiry: time.Now().Add(time.Hour)}
	if strings.Contains(rest, "+") {
		p.AttestedKeys = keys
	}
	return p, nil
}

func (f *fakeProofs) VerifyAttestation(_ context.Context, raw string, e keyproof.Expect) (keyproof.Attested, error) {
	f.last = e
	if err := fakeVerdict(raw); err != nil {
		return keyproof.Attested{}, err
	}
	rest, ok := strings.CutPrefix(raw, "att-")
	keys, err := f.parse(rest, ok)
	if err != nil {
		return keyproof.Attested{}, err
	}
	return keyproof.Attested{Keys: keys, ReplayKey: []byte("replay:" + raw), ReplayExpiry: time.Now().Add(time.Hour)}, nil
}

// fakeVerdict is the verdict on "nonce" and "bad".
func fakeVerdict(raw string) error {
	switch raw {
	case "nonce":
		return fmt.Errorf("%w: the c_nonce has expired", keyproof.ErrInvalidNonce)
	case "bad":
		return fmt.Errorf("%w: the key proof's typ must be openid4vci-proof+jwt", keyproof.ErrInvalidProof)
	}
	return nil
}

// parse reads "N+M+…" as the keys keys[N], keys[M], ….
func (f *fakeProofs) parse(list string, ok bool) ([]keyproof.Key, error) {
	if !ok {
		return nil, fmt.Errorf("%w: unknown", keyproof.ErrInvalidProof)
	}
	var out []keyproof.Key
	for _, s := range strings.Split(list, "+") {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n >= len(f.keys) {
			return nil, fmt.Errorf("%w: unknown", keyproof.ErrInvalidProof)
		}
		k := f.keys[n]
		key, err := jwk.FromRaw(k.Public())
		if err != nil {
			return nil, err
		}
		out = append(out, keyproof.Key{JWK: key, Public: k.Public(), Thumbprint: fmt.Sprintf("key-%d", n)})
	}
	return out, nil
}

// env is a credential service over the memory store with fakes.
type env struct {
	*credential.Service
	store  *memory.Store
	access *fakeAccess
	proofs *fakeProofs
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
	for range 5 {
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		proofs.keys = append(proofs.keys, k)
	}
	e := &env{store: store, access: &fakeAccess{}, clock: clock, proofs: proofs}
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
