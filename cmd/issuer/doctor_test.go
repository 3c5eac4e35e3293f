package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"issuer/issuer"
	"issuer/issuer/credential/keyproof"
	"issuer/storage/memory"
	"issuer/web"
)

const doctorAdmin = "doctor-admin-token"

// doctorServer serves an issuer of cfg (its URL set to the server's) in
// process, over TLS when tls is set, its handler wrapped by wrap.
func doctorServer(t *testing.T, cfg issuer.Config, tls bool, wrap ...func(http.Handler) http.Handler) *httptest.Server {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	scheme := "http://"
	if tls {
		scheme = "https://"
	}
	cfg.URL = scheme + ts.Listener.Addr().String()
	svc, err := issuer.New(t.Context(), cfg, memory.New(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var h http.Handler = web.New(svc, web.Options{AdminToken: doctorAdmin})
	for _, w := range wrap {
		h = w(h)
	}
	ts.Config.Handler = h
	if tls {
		ts.StartTLS()
	} else {
		ts.Start()
	}
	t.Cleanup(ts.Close)
	return ts
}

// runDoctor runs `issuer doctor args…` and returns its output and error.
func runDoctor(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(t.Context(), append([]string{"doctor"}, args...), func(string) string { return "" }, &out, &errOut)
	if errOut.Len() > 0 {
		t.Logf("stderr: %s", errOut.String())
	}
	return out.String(), err
}

// wantDoctorLines checks that out has a line starting with each of want.
func wantDoctorLines(t *testing.T, out string, want ...string) {
	t.Helper()
	lines := strings.Split(out, "\n")
	for _, w := range want {
		found := false
		for _, l := range lines {
			found = found || strings.HasPrefix(l, w)
		}
		if !found {
			t.Errorf("no line starting with %q in\n%s", w, out)
		}
	}
}

// wantFailed checks the summary line's count of failed checks, and that
// it is the number of FAIL lines.
func wantFailed(t *testing.T, out string, n int) {
	t.Helper()
	m := regexp.MustCompile(`(?m)^\d+ passed, (\d+) failed, \d+ skipped$`).FindStringSubmatch(out)
	if m == nil || m[1] != strconv.Itoa(n) || strings.Count(out, "\nFAIL  ")+btoi(strings.HasPrefix(out, "FAIL  ")) != n {
		t.Errorf("want %d failed checks in\n%s", n, out)
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestDoctorDefault runs doctor with an admin token against the default
// configuration: every check passes, the synthetic issuance included
// (anonymously, as the default allows), and the HAIP-only checks are
// skipped.
func TestDoctorDefault(t *testing.T) {
	ts := doctorServer(t, issuer.Defaults(), false)
	out, err := runDoctor(t, "--allow-http", "--admin-token", doctorAdmin, ts.URL)
	if err != nil || strings.Contains(out, "FAIL") {
		t.Fatalf("doctor = %v\n%s", err, out)
	}
	wantDoctorLines(t, out,
		"PASS  credential_issuer: "+ts.URL,
		"PASS  configuration eu.europa.ec.eudi.pid_vc_sd_jwt: dc+sd-jwt",
		"PASS  nonce endpoint GET: 405",
		"PASS  token endpoint errors: 400 unsupported_grant_type, no-store",
		"PASS  issuance: offer: eu.europa.ec.eudi.pid_vc_sd_jwt offered to an anonymous wallet",
		"PASS  issuance: credential signature: valid with the x5c leaf, which chains to /certs/ca.pem",
		"PASS  issuance: issuer key",
		"PASS  issuance: claims and key binding",
		"SKIP  client authentication: a HAIP check: run with --profile haip",
	)
	wantFailed(t, out, 0)
}

// TestDoctorHTTPWithoutAllowHTTP: without --allow-http, the plain http
// endpoints of a local run fail, and without an admin token the issuance
// is skipped.
func TestDoctorHTTPWithoutAllowHTTP(t *testing.T) {
	ts := doctorServer(t, issuer.Defaults(), false)
	out, err := runDoctor(t, ts.URL)
	if !errors.Is(err, errDoctorFailed) {
		t.Fatalf("doctor = %v; want errDoctorFailed\n%s", err, out)
	}
	wantDoctorLines(t, out,
		`FAIL  credential_endpoint: credential_endpoint "`+ts.URL+`/credential" is not https (--allow-http accepts it for local runs) (OpenID4VCI 1.0 §12.2.4)`,
		`FAIL  token_endpoint: token_endpoint "`+ts.URL+`/token" is not https`,
		"SKIP  issuance: offer: no --admin-token",
	)
}

// TestDoctorHAIP runs doctor --profile haip against an issuer under the
// haip profile, over TLS with its CA given by --cacert: every check
// passes, and the issuance runs with a temporary confidential client (no
// anonymous redemption under haip), deleted at the end.
func TestDoctorHAIP(t *testing.T) {
	cfg := issuer.Defaults()
	cfg.Profile = issuer.ProfileHAIP
	ts := doctorServer(t, cfg, true)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := runDoctor(t, "--profile", "haip", "--cacert", ca, "--admin-token", doctorAdmin, ts.URL)
	if err != nil || strings.Contains(out, "FAIL") {
		t.Fatalf("doctor = %v\n%s", err, out)
	}
	wantDoctorLines(t, out,
		"PASS  client authentication",
		"PASS  anonymous pre-authorized redemption",
		"PASS  password grant",
		"PASS  issuance: offer: eu.europa.ec.eudi.pid_vc_sd_jwt offered to the temporary client doctor-",
		"PASS  issuance: claims and key binding",
		"PASS  issuance: cleanup: temporary client doctor-",
	)
	wantFailed(t, out, 0)
	id := regexp.MustCompile(`temporary client (doctor-\S+) deleted`).FindStringSubmatch(out)
	if id == nil {
		t.Fatalf("no temporary client in\n%s", out)
	}
	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/admin/clients/"+id[1], nil)
	req.Header.Set("Authorization", "Bearer "+doctorAdmin)
	res, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("GET the temporary client after the run = %d; want 404", res.StatusCode)
	}
	t.Run("without the CA", func(t *testing.T) {
		out, err := runDoctor(t, "--profile", "haip", ts.URL)
		if !errors.Is(err, errDoctorFailed) || !strings.Contains(out, "FAIL  credential issuer metadata: GET "+ts.URL+"/.well-known/openid-credential-issuer: ") {
			t.Fatalf("doctor without --cacert = %v\n%s; want the metadata fetch to fail on the certificate", err, out)
		}
	})
}

// TestDoctorHAIPAgainstDefault: --profile haip against the default
// configuration fails the checks HAIP adds.
func TestDoctorHAIPAgainstDefault(t *testing.T) {
	ts := doctorServer(t, issuer.Defaults(), false)
	out, err := runDoctor(t, "--allow-http", "--profile", "haip", ts.URL)
	if !errors.Is(err, errDoctorFailed) {
		t.Fatalf("doctor = %v; want errDoctorFailed\n%s", err, out)
	}
	wantDoctorLines(t, out,
		"FAIL  client authentication: public clients (none) are accepted (HAIP §4.4.1)",
		"FAIL  anonymous pre-authorized redemption: pre-authorized_grant_anonymous_access_supported is true (HAIP §4.4.1)",
		"FAIL  password grant: grant_types_supported lists password (FAPI 2.0 §5.3.2.1)",
	)
	wantFailed(t, out, 3)
}

// brokenIssuer fakes an issuer whose identifier has a path (/tenant), with
// its metadata at the inserted well-known paths, and something wrong with
// every check.
func brokenIssuer(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	base := ts.URL + "/tenant"
	serveJSON := func(path string, v any) {
		mux.HandleFunc(path, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(v)
		})
	}
	serveJSON("GET /.well-known/openid-credential-issuer/tenant", map[string]any{
		"credential_issuer":   base + "/",
		"credential_endpoint": "/credential",
		"nonce_endpoint":      base + "/nonce",
		"credential_configurations_supported": map[string]any{
			"no-vct":     map[string]any{"format": "dc+sd-jwt", "scope": "a"},
			"no-doctype": map[string]any{"format": "mso_mdoc"},
			"es384": map[string]any{"format": "dc+sd-jwt", "vct": "urn:x", "cryptographic_binding_methods_supported": []any{"jwk"},
				"proof_types_supported": map[string]any{"jwt": map[string]any{"proof_signing_alg_values_supported": []any{"ES384"}}}},
			"no-proof-types": map[string]any{"format": "dc+sd-jwt", "vct": "urn:y", "cryptographic_binding_methods_supported": []any{"jwk"}},
		},
	})
	serveJSON("GET /.well-known/oauth-authorization-server/tenant", map[string]any{
		"issuer":                                base,
		"token_endpoint":                        base + "/token",
		"jwks_uri":                              base + "/jwks",
		"dpop_signing_alg_values_supported":     []any{"RS256"},
		"pushed_authorization_request_endpoint": base + "/par",
		"require_pushed_authorization_requests": false,
		"code_challenge_methods_supported":      []any{"S256", "plain"},
	})
	serveJSON("GET /tenant/jwks", map[string]any{"keys": []any{}})
	mux.HandleFunc("/tenant/nonce", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"c_nonce":"n"}`)) // GET too, and no no-store
	})
	mux.HandleFunc("POST /tenant/token", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"error":"invalid_client"}`))
	})
	return ts
}

// TestDoctorBrokenIssuer runs doctor against a fake issuer that gets every
// check wrong: each is a FAIL with its reason and section, and the run
// fails.
func TestDoctorBrokenIssuer(t *testing.T) {
	ts := brokenIssuer(t)
	base := ts.URL + "/tenant"
	out, err := runDoctor(t, "--allow-http", "--admin-token", "x", base)
	if !errors.Is(err, errDoctorFailed) {
		t.Fatalf("doctor = %v; want errDoctorFailed\n%s", err, out)
	}
	wantDoctorLines(t, out,
		"PASS  credential issuer metadata: "+ts.URL+"/.well-known/openid-credential-issuer/tenant",
		`FAIL  credential_issuer: credential_issuer is "`+base+`/", not "`+base+`", the identifier the metadata URL was built from (OpenID4VCI 1.0 §12.2.4)`,
		`FAIL  credential_endpoint: credential_endpoint "/credential" is not an absolute http(s) URL (OpenID4VCI 1.0 §12.2.4)`,
		"FAIL  configuration es384: jwt key proofs without ES256 (OpenID4VCI 1.0 §12.2.4; HAIP §7",
		"FAIL  configuration no-doctype: mso_mdoc without doctype (Appendix A.2)",
		"FAIL  configuration no-proof-types: cryptographic_binding_methods_supported without proof_types_supported",
		"FAIL  configuration no-vct: dc+sd-jwt without vct (Appendix A.3)",
		"PASS  issuer: "+base,
		"FAIL  jwks_uri: the JWK set has no keys (RFC 8414 §2; RFC 7517 §5)",
		"FAIL  dpop_signing_alg_values_supported: missing or without ES256 (RFC 9449 §5.1; HAIP §7)",
		"FAIL  pushed authorization requests: require_pushed_authorization_requests is not true (HAIP §4; FAPI 2.0 §5.3.2.2; RFC 9126 §5)",
		"FAIL  PKCE: code_challenge_methods_supported is [S256 plain], not S256 alone (HAIP §4; FAPI 2.0 §5.3.2.2)",
		"FAIL  iss in authorization responses: authorization_response_iss_parameter_supported is not true (HAIP §4; RFC 9207 §3)",
		"FAIL  nonce endpoint POST: no Cache-Control: no-store (OpenID4VCI 1.0 §7.2)",
		"FAIL  nonce endpoint GET: GET answers 200, not 405: the request is a POST (OpenID4VCI 1.0 §7.1)",
		"FAIL  token endpoint errors: an unknown grant type answers 401, not 400; no Cache-Control: no-store (RFC 6749 §5.2, §5.1)",
		"FAIL  issuance: offer: registering a temporary client answers 404: 404 page not found (the admin API of this issuer (README))",
		"SKIP  issuance: token: after a failed step",
	)
	wantFailed(t, out, 15)
	t.Run("the metadata at the wrong place", func(t *testing.T) {
		out, err := runDoctor(t, "--allow-http", "--admin-token", "x", ts.URL+"/other")
		if !errors.Is(err, errDoctorFailed) {
			t.Fatalf("doctor = %v; want errDoctorFailed", err)
		}
		wantDoctorLines(t, out,
			"FAIL  credential issuer metadata: GET "+ts.URL+"/.well-known/openid-credential-issuer/other answers 404 (OpenID4VCI 1.0 §12.2.2)",
			"FAIL  authorization server metadata: GET "+ts.URL+"/.well-known/oauth-authorization-server/other answers 404 (RFC 8414 §3)",
			"SKIP  nonce endpoint POST: no nonce_endpoint",
			"SKIP  issuance: offer: without both metadata documents",
		)
	})
}

// TestDoctorUsage: a missing URL, a URL that is none and an unknown
// profile are usage errors.
func TestDoctorUsage(t *testing.T) {
	for _, args := range [][]string{{}, {"ftp://x"}, {"--profile", "fapi", "https://x"}, {"a", "b"}} {
		var ue usageError
		if _, err := runDoctor(t, args...); !errors.As(err, &ue) {
			t.Errorf("doctor %q = %v; want a usage error", args, err)
		}
	}
}

// tamper wraps an issuer's handler: it changes the credential requests or
// responses as mode says.
func tamper(t *testing.T, h http.Handler, mode string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/credential" {
			h.ServeHTTP(w, r)
			return
		}
		if mode == "another key" {
			r = swapKeyProof(t, r)
			h.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		if mode == "signature" && rec.Code == http.StatusOK {
			// A character of the JWS signature, before the first ~ (not the
			// last, whose low bits are padding).
			i := bytes.IndexByte(body, '~') - 10
			body = append([]byte(nil), body...)
			if body[i] == 'A' { // another base64url character: still a JWS, one that does not verify
				body[i] = 'B'
			} else {
				body[i] = 'A'
			}
		}
		maps.Copy(w.Header(), rec.Header())
		w.WriteHeader(rec.Code)
		_, _ = w.Write(body)
	})
}

// swapKeyProof replaces the key proof of a credential request with one of
// another key, with the same claims.
func swapKeyProof(t *testing.T, r *http.Request) *http.Request {
	var req struct {
		CredentialIdentifier string              `json:"credential_identifier"`
		Proofs               map[string][]string `json:"proofs"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		t.Error(err)
		return r
	}
	var claims struct {
		Aud   string `json:"aud"`
		Nonce string `json:"nonce"`
		Iss   string `json:"iss"`
	}
	payload, _ := base64.RawURLEncoding.DecodeString(strings.Split(req.Proofs["jwt"][0], ".")[1])
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Error(err)
	}
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p, err := keyproof.Sign(other, "ES256", keyproof.Claims{Audience: claims.Aud, Nonce: claims.Nonce, Issuer: claims.Iss})
	if err != nil {
		t.Error(err)
	}
	req.Proofs["jwt"] = []string{p}
	b, _ := json.Marshal(req)
	r2 := r.Clone(r.Context())
	r2.Body, r2.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
	return r2
}

// TestDoctorCatchesBadCredentials: a credential whose signature does not
// verify, and one bound to another key than the key proof's, each fail
// their check.
func TestDoctorCatchesBadCredentials(t *testing.T) {
	for mode, want := range map[string]string{
		"signature":   "FAIL  issuance: credential signature: the signature does not verify with the x5c leaf",
		"another key": "FAIL  issuance: claims and key binding: cnf.jwk is not the key of the key proof (SD-JWT VC §3.2.2; OpenID4VCI 1.0 §8.2)",
	} {
		t.Run(mode, func(t *testing.T) {
			ts := doctorServer(t, issuer.Defaults(), false, func(h http.Handler) http.Handler { return tamper(t, h, mode) })
			out, err := runDoctor(t, "--allow-http", "--admin-token", doctorAdmin, ts.URL)
			if !errors.Is(err, errDoctorFailed) {
				t.Fatalf("doctor = %v; want errDoctorFailed\n%s", err, out)
			}
			wantDoctorLines(t, out, want)
		})
	}
}
