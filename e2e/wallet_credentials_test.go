package e2e

import (
	"crypto"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"

	"issuer/e2e/interop"
	"issuer/issuer"
)

// pidClaims are claims that satisfy every mandatory claim of both default
// PID configurations (the SD-JWT VC names at the top, the mdoc elements
// whose names differ in the PID namespace), with the given names.
func pidClaims(given, family string) map[string]any {
	return map[string]any{
		"given_name": given, "family_name": family, "birthdate": "1964-08-12",
		"place_of_birth": map[string]any{"locality": "Berlin", "country": "DE"}, "nationalities": []any{"DE"},
		"issuing_authority": "Test PID Provider", "issuing_country": "DE", "date_of_expiry": "2031-01-01",
		"age_equal_or_over": map[string]any{"18": true},
		issuer.PIDDocType: map[string]any{
			"birth_date": "1964-08-12", "nationality": []any{"DE"}, "expiry_date": "2031-01-01", "age_over_18": true,
		},
	}
}

// trust is what a verifier of the issuer's credentials relies on, fetched
// the way a verifier would.
type trust struct {
	// Root is the generated root certificate of GET /certs/ca.pem,
	// base64 DER: the anchor of every x5c and x5chain.
	Root string
	// IssuerKey is the key GET /.well-known/jwt-vc-issuer publishes.
	IssuerKey json.RawMessage
}

// trust fetches the issuer's root certificate and its jwt-vc-issuer key.
func (s *service) trust(t *testing.T) trust {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.URL+"/certs/ca.pem", nil)
	if err != nil {
		t.Fatal(err)
	}
	status, _, body := s.do(t, req)
	block, _ := pem.Decode(body)
	if status != http.StatusOK || block == nil || block.Type != "CERTIFICATE" {
		t.Fatalf("GET /certs/ca.pem = %d %q; want 200 and a PEM certificate", status, body)
	}
	var md struct {
		JWKS struct {
			Keys []json.RawMessage `json:"keys"`
		} `json:"jwks"`
	}
	s.getJSON(t, "/.well-known/jwt-vc-issuer", &md)
	if len(md.JWKS.Keys) != 1 {
		t.Fatalf("jwt-vc-issuer keys = %d; want one", len(md.JWKS.Keys))
	}
	return trust{Root: base64.StdEncoding.EncodeToString(block.Bytes), IssuerKey: md.JWKS.Keys[0]}
}

// publicKey is a P-256 public JWK, as the wallet reports its proof keys
// and as the verifiers report the keys credentials are bound to.
type publicKey struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
}

// thumbprint is the key's RFC 7638 thumbprint, base64url.
func (k publicKey) thumbprint(t *testing.T) string {
	t.Helper()
	b, err := json.Marshal(k)
	if err != nil {
		t.Fatal(err)
	}
	key, err := jwk.ParseKey(b)
	if err != nil {
		t.Fatalf("proof key %s: %v", b, err)
	}
	tp, err := key.Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(tp)
}

// wantCredentials is what the credentials of one run must hold besides
// their binding: the claims the grant carries, and how the SD-JWT VCs'
// signatures are checked.
type wantCredentials struct {
	GivenName, FamilyName string
	// ViaIssuerKey verifies SD-JWT VC signatures with the jwt-vc-issuer
	// key instead of the x5c leaf (the chain is checked either way).
	ViaIssuerKey bool
}

// checkCredentials checks the credentials of each request of the run
// (checkRequest), and that every proof key of the run is fresh: neither
// another proof's nor the DPoP key.
func checkCredentials(t *testing.T, v walletVerdict, reqs []walletRequest, configs map[string]credentialConfig, tr trust, want wantCredentials) {
	t.Helper()
	if len(v.Results) != len(reqs) {
		t.Fatalf("the wallet reports %d credential requests; want %d", len(v.Results), len(reqs))
	}
	seen := map[string]string{v.DPoPJKT: "the DPoP key"}
	for i, req := range reqs {
		res := v.Results[i]
		for j, key := range res.ProofJWKs {
			tp := key.thumbprint(t)
			if other, ok := seen[tp]; ok {
				t.Errorf("%s proof %d is of the same key as %s; want a fresh key per proof", req.ConfigurationID, j+1, other)
			}
			seen[tp] = fmt.Sprintf("%s proof %d", req.ConfigurationID, j+1)
		}
		checkRequest(t, req, res, configs[req.ConfigurationID], tr, want)
	}
}

// checkRequest checks the credentials of one request: as many as the
// request had proofs; each verified by the independent verifier of its
// format, of the configuration's vct or doctype, with the grant's claims,
// and bound to the key of its own proof (the i-th credential to the i-th
// proof's key).
func checkRequest(t *testing.T, req walletRequest, res walletResult, conf credentialConfig, tr trust, want wantCredentials) {
	t.Helper()
	if res.ConfigurationID != req.ConfigurationID || res.Format != conf.Format {
		t.Errorf("result of %s: configuration %s (%s); want %s", req.ConfigurationID, res.ConfigurationID, res.Format, conf.Format)
	}
	if len(res.ProofJWKs) != req.Proofs || len(res.Credentials) != req.Proofs {
		t.Errorf("%s: %d proofs, %d credentials; want %d of each", req.ConfigurationID, len(res.ProofJWKs), len(res.Credentials), req.Proofs)
		return
	}
	check := map[string]func(*testing.T, string, string, publicKey, credentialConfig, trust, wantCredentials){
		"dc+sd-jwt": checkSDJWT, "mso_mdoc": checkMdoc,
	}[conf.Format]
	if check == nil || conf.VCT == "" && conf.Doctype == "" {
		t.Errorf("%s: configuration %+v; want dc+sd-jwt with a vct or mso_mdoc with a doctype", req.ConfigurationID, conf)
		return
	}
	for j, key := range res.ProofJWKs {
		what := fmt.Sprintf("%s credential %d of %d", req.ConfigurationID, j+1, req.Proofs)
		check(t, what, res.Credentials[j], key, conf, tr, want)
	}
}

// sdjwtVerdict is what verify-sdjwt.mjs (@sd-jwt/sd-jwt-vc) prints.
type sdjwtVerdict struct {
	Valid              bool                    `json:"valid"`
	LibraryVerified    bool                    `json:"library_verified"`
	X5CTrusted         bool                    `json:"x5c_trusted"`
	TypOK              bool                    `json:"typ_ok"`
	AlgOK              bool                    `json:"alg_ok"`
	DisclosuresOK      bool                    `json:"all_disclosures_referenced"`
	DisclosureShapesOK bool                    `json:"disclosure_shapes_ok"`
	Error              string                  `json:"error"`
	VCT                string                  `json:"vct"`
	CNF                struct{ JWK publicKey } `json:"cnf"`
	Claims             map[string]any          `json:"claims"`
}

// checkSDJWT verifies an SD-JWT VC with verify-sdjwt.mjs and checks its
// vct, its claims and that cnf.jwk is the proof's key.
func checkSDJWT(t *testing.T, what, cred string, key publicKey, conf credentialConfig, tr trust, want wantCredentials) {
	t.Helper()
	in := map[string]any{"credential": cred, "trusted_cert": tr.Root, "now": time.Now().Unix()}
	if want.ViaIssuerKey {
		in["issuer_jwk"] = tr.IssuerKey
	}
	var v sdjwtVerdict
	interop.Run(t, "verify-sdjwt.mjs", mustJSON(t, in), &v)
	if !v.Valid {
		t.Errorf("%s: @sd-jwt/sd-jwt-vc refuses it: %+v", what, v)
		return
	}
	if v.VCT != conf.VCT || v.CNF.JWK != key {
		t.Errorf("%s: vct %q, cnf.jwk %+v; want vct %q and its proof's key %+v", what, v.VCT, v.CNF.JWK, conf.VCT, key)
	}
	if v.Claims["given_name"] != want.GivenName || v.Claims["family_name"] != want.FamilyName {
		t.Errorf("%s: names %v %v; want the grant's %s %s", what, v.Claims["given_name"], v.Claims["family_name"], want.GivenName, want.FamilyName)
	}
}

// mdocVerdict is what verify-mdoc.mjs (@animo-id/mdoc) prints.
type mdocVerdict struct {
	Base64URLUnpadded bool                      `json:"base64url_unpadded"`
	Parsed            bool                      `json:"parsed"`
	DocType           string                    `json:"doctype"`
	DocTypeMatches    bool                      `json:"doctype_matches"`
	SignatureValid    bool                      `json:"signature_valid"`
	ChainValid        bool                      `json:"chain_valid"`
	ValidNow          bool                      `json:"valid_now"`
	DigestsValid      bool                      `json:"digests_valid"`
	DeviceKey         publicKey                 `json:"device_key"`
	DeviceKeyMatches  bool                      `json:"device_key_matches"`
	FailedChecks      []string                  `json:"failed_checks"`
	Error             string                    `json:"error"`
	Elements          map[string]map[string]any `json:"elements"`
}

// checkMdoc verifies an mdoc with verify-mdoc.mjs and checks its doctype,
// its names and that its device key is the proof's key.
func checkMdoc(t *testing.T, what, cred string, key publicKey, conf credentialConfig, tr trust, want wantCredentials) {
	t.Helper()
	in := map[string]any{
		"credential": cred, "trusted_certificates": []string{tr.Root},
		"holder_jwk": key, "doctype": conf.Doctype, "now": time.Now().UTC().Format(time.RFC3339),
	}
	var v mdocVerdict
	interop.Run(t, "verify-mdoc.mjs", mustJSON(t, in), &v)
	if !v.Base64URLUnpadded || !v.Parsed || !v.SignatureValid || !v.ChainValid || !v.ValidNow || !v.DigestsValid ||
		len(v.FailedChecks) > 0 || v.Error != "" {
		t.Errorf("%s: @animo-id/mdoc refuses it: %+v", what, v)
		return
	}
	if !v.DocTypeMatches || !v.DeviceKeyMatches || v.DeviceKey != key {
		t.Errorf("%s: doctype %q, device key %+v; want doctype %q and its proof's key %+v", what, v.DocType, v.DeviceKey, conf.Doctype, key)
	}
	ns := v.Elements[conf.Doctype]
	if ns["given_name"] != want.GivenName || ns["family_name"] != want.FamilyName {
		t.Errorf("%s: names %v %v; want the grant's %s %s", what, ns["given_name"], ns["family_name"], want.GivenName, want.FamilyName)
	}
}

// checkCredentialNonceRetry checks the wallet's exchanges with the nonce
// and the credential endpoints: one c_nonce per credential request; the
// first credential request, whose DPoP proof carries the token endpoint's
// nonce (the library keeps it), refused with a DPoP use_dpop_nonce
// challenge and a DPoP-Nonce, as the resource server's nonces are its
// own; the library's retry with that nonce, and every later request, with
// the nonce of the previous response, accepted at once.
func checkCredentialNonceRetry(t *testing.T, v walletVerdict, requests int) {
	t.Helper()
	nonces := v.at(http.MethodPost, "/nonce")
	for _, e := range nonces {
		if e.Status != http.StatusOK {
			t.Errorf("POST /nonce = %v; want 200", e)
		}
	}
	if len(nonces) != requests {
		t.Errorf("POST /nonce exchanges = %v; want %d, one per credential request", nonces, requests)
	}
	ex := v.at(http.MethodPost, "/credential")
	if len(ex) != requests+1 {
		t.Fatalf("POST /credential exchanges = %v; want %d: the first refused for its DPoP nonce, then one per request", ex, requests+1)
	}
	if first := ex[0]; first.DPoPNonce == nil || !*first.DPoPNonce || first.Status != http.StatusUnauthorized ||
		first.ChallengeErr != "use_dpop_nonce" || !first.GotDPoPNonce {
		t.Errorf("first POST /credential = %v; want a proof with the token endpoint's nonce, 401 with a use_dpop_nonce challenge and a DPoP-Nonce", first)
	}
	for _, e := range ex[1:] {
		if e.Status != http.StatusOK || e.DPoPNonce == nil || !*e.DPoPNonce || !e.GotDPoPNonce {
			t.Errorf("POST /credential = %v; want a proof with the nonce, 200 and a fresh DPoP-Nonce", e)
		}
	}
}

// mustJSON encodes v.
func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
