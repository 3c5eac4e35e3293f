package web_test

import (
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"

	"issuer/e2e/interop"
	"issuer/issuer"
)

// TestCredentialInterop: a credential of each format, fetched through
// HTTP, verified by implementations we did not write (e2e/node): the
// SD-JWT VC by @sd-jwt/sd-jwt-vc against /certs/ca.pem and against the
// key of /.well-known/jwt-vc-issuer, the mdoc by @animo-id/mdoc (COSE
// signature, chain, digests, device key, ES256 in the protected header,
// x5chain in the unprotected one, unpadded base64url).
func TestCredentialInterop(t *testing.T) {
	ts := newTestServer(t)
	h := ts.crHolderFor(t, "erika", nil)
	root := crRoot(t, ts)
	key := crNewKey(t)
	now := ts.Clock.Now().Add(time.Minute)

	t.Run("dc+sd-jwt", func(t *testing.T) {
		cred := crWantCredentials(t, ts.crRequest(t, h, crBody(h.identifier(t, pidConfig), ts.crFreshProof(t, key))), 1)[0]
		meta, _ := getJSON(t, ts.URL+"/.well-known/jwt-vc-issuer")
		published := meta["jwks"].(map[string]any)["keys"].([]any)[0]
		for _, issuerJWK := range []any{nil, published} {
			in := map[string]any{"credential": cred, "trusted_cert": base64.StdEncoding.EncodeToString(root.Raw), "now": now.Unix(),
				"present": map[string]any{"given_name": true}}
			if issuerJWK != nil {
				in["issuer_jwk"] = issuerJWK
			}
			var v struct {
				Valid     bool           `json:"valid"`
				Error     string         `json:"error"`
				VCT       string         `json:"vct"`
				CNF       map[string]any `json:"cnf"`
				Claims    map[string]any `json:"claims"`
				Presented struct {
					LibraryVerified bool           `json:"library_verified"`
					Claims          map[string]any `json:"claims"`
				} `json:"presented"`
			}
			interop.Run(t, "verify-sdjwt.mjs", crMustJSON(t, in), &v)
			want := publicJWK(&key.PublicKey)
			jwk, _ := v.CNF["jwk"].(map[string]any)
			if !v.Valid || v.VCT != issuer.PIDVCT || jwk["x"] != want["x"] || jwk["y"] != want["y"] {
				t.Fatalf("@sd-jwt/sd-jwt-vc (issuer key %v): valid %v (%s), vct %q, cnf %v", issuerJWK != nil, v.Valid, v.Error, v.VCT, v.CNF)
			}
			if v.Claims["family_name"] != "Mustermann" || !v.Presented.LibraryVerified || v.Presented.Claims["given_name"] != "Erika" || v.Presented.Claims["family_name"] != nil {
				t.Errorf("claims %v, presented %+v; want all, then given_name only", v.Claims, v.Presented)
			}
		}
	})
	t.Run("mso_mdoc", func(t *testing.T) {
		cred := crWantCredentials(t, ts.crRequest(t, h, crBody(h.identifier(t, mdlConfig), ts.crFreshProof(t, key))), 1)[0]
		b64 := base64.RawURLEncoding.EncodeToString
		point, _ := key.PublicKey.Bytes()
		in := map[string]any{
			"credential": cred, "trusted_certificates": []string{base64.StdEncoding.EncodeToString(root.Raw)},
			"holder_jwk": map[string]string{"kty": "EC", "crv": "P-256", "x": b64(point[1:33]), "y": b64(point[33:])},
			"doctype":    issuer.PIDDocType, "now": now.Format(time.RFC3339),
		}
		var v struct {
			Base64URLUnpadded  bool                      `json:"base64url_unpadded"`
			DocTypeMatches     bool                      `json:"doctype_matches"`
			AlgInProtected     bool                      `json:"alg_in_protected"`
			X5ChainUnprotected bool                      `json:"x5chain_in_unprotected"`
			SignatureValid     bool                      `json:"signature_valid"`
			ChainValid         bool                      `json:"chain_valid"`
			ValidNow           bool                      `json:"valid_now"`
			DigestsValid       bool                      `json:"digests_valid"`
			DeviceKeyMatches   bool                      `json:"device_key_matches"`
			FailedChecks       []string                  `json:"failed_checks"`
			Error              string                    `json:"error"`
			Elements           map[string]map[string]any `json:"elements"`
		}
		interop.Run(t, "verify-mdoc.mjs", crMustJSON(t, in), &v)
		if !v.Base64URLUnpadded || !v.DocTypeMatches || !v.AlgInProtected || !v.X5ChainUnprotected || !v.SignatureValid ||
			!v.ChainValid || !v.ValidNow || !v.DigestsValid || !v.DeviceKeyMatches || len(v.FailedChecks) > 0 {
			t.Fatalf("@animo-id/mdoc: %+v", v)
		}
		pid := v.Elements[issuer.PIDDocType]
		if bd, _ := pid["birth_date"].(map[string]any); pid["given_name"] != "Erika" || bd["full-date"] != "1964-08-12" {
			t.Errorf("elements %v; want given_name and birth_date as a full-date", pid)
		}
	})
}

// crMustJSON encodes v.
func crMustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
