package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"issuer/e2e/interop"
	"issuer/issuer"
	"issuer/storage/memory"
	"issuer/web"
)

// walletRedirectURI is the registered redirect URI of the wallet library's
// client. Nothing listens there: the sign-in stops at the issuer's
// redirect and hands its Location to the library.
const walletRedirectURI = "https://wallet.example/cb"

// startNonceService is startService with server-provided DPoP nonces on
// (dpop.use_dpop_nonce), so that the wallet library has to take the
// issuer's DPoP-Nonce and retry, at the token endpoint, at PAR and at the
// credential endpoint.
func startNonceService(t *testing.T) *service {
	t.Helper()
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	cfg := issuer.Defaults()
	cfg.URL = srv.URL
	cfg.DPoP.UseNonce = true
	svc, err := issuer.New(t.Context(), cfg, memory.New(), nil)
	if err != nil {
		t.Fatalf("issuer.New() = %v", err)
	}
	h = web.New(svc, web.Options{AdminToken: adminToken})
	return &service{Server: srv, client: &http.Client{Timeout: httpTimeout}}
}

// getJSON gets a JSON document of the issuer, wants 200, and decodes it.
func (s *service) getJSON(t *testing.T, path string, out any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	status, _, body := s.do(t, req)
	if status != http.StatusOK {
		t.Fatalf("GET %s = %d %s; want 200", path, status, body)
	}
	if err := json.Unmarshal(body, out); err != nil {
		t.Fatalf("GET %s: %s: %v", path, body, err)
	}
}

// credentialConfig is what the test reads of one entry of the issuer
// metadata's credential_configurations_supported.
type credentialConfig struct {
	Format  string `json:"format"`
	VCT     string `json:"vct"`
	Doctype string `json:"doctype"`
}

// configurations returns the issuer metadata's
// credential_configurations_supported.
func (s *service) configurations(t *testing.T) map[string]credentialConfig {
	t.Helper()
	var md struct {
		Configs map[string]credentialConfig `json:"credential_configurations_supported"`
	}
	s.getJSON(t, "/.well-known/openid-credential-issuer", &md)
	return md.Configs
}

// pickConfigurations returns the IDs of the configurations of the SD-JWT
// VC and the mdoc format: the first of each format in ID order.
func pickConfigurations(t *testing.T, configs map[string]credentialConfig) (sdJWT, mdoc string) {
	t.Helper()
	ids := make([]string, 0, len(configs))
	for id := range configs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		switch c := configs[id]; {
		case c.Format == "dc+sd-jwt" && sdJWT == "":
			sdJWT = id
		case c.Format == "mso_mdoc" && mdoc == "":
			mdoc = id
		}
	}
	if sdJWT == "" || mdoc == "" {
		t.Fatalf("credential_configurations_supported = %+v; want a dc+sd-jwt and an mso_mdoc configuration", configs)
	}
	return sdJWT, mdoc
}

// adminOffer is the admin API's answer to POST /admin/offers.
type adminOffer struct {
	Link   string `json:"credential_offer_uri"`
	TxCode string `json:"tx_code"`
}

// walletInput is the standard input of wallet-issue.mjs.
type walletInput struct {
	Flow        string `json:"flow"`
	Offer       string `json:"credential_offer"`
	TxCode      string `json:"tx_code,omitempty"`
	ClientID    string `json:"client_id,omitempty"`
	RedirectURI string `json:"redirect_uri,omitempty"`
	Username    string `json:"username,omitempty"`
	Password    string `json:"password,omitempty"`
	// Requests are the credential requests, one per configuration; none
	// stops after the access token.
	Requests []walletRequest `json:"requests,omitempty"`
}

// walletRequest asks for the credentials of one configuration, one per
// key proof.
type walletRequest struct {
	ConfigurationID string `json:"configuration_id"`
	Proofs          int    `json:"proofs"`
}

// walletVerdict is what wallet-issue.mjs prints.
type walletVerdict struct {
	OK            bool            `json:"ok"`
	Step          string          `json:"step"`
	Error         string          `json:"error"`
	ErrorResponse json.RawMessage `json:"error_response"`
	ErrorBody     string          `json:"error_body"`
	Status        int             `json:"status"`
	Offer         struct {
		ConfigurationIDs []string `json:"credential_configuration_ids"`
		Grants           []string `json:"grants"`
	} `json:"offer"`
	Metadata struct {
		Version              string   `json:"version"`
		CredentialIssuer     string   `json:"credential_issuer"`
		AuthorizationServers []string `json:"authorization_servers"`
		KnownConfigurations  []string `json:"known_configurations"`
	} `json:"metadata"`
	DPoPJKT       string `json:"dpop_jkt"`
	Authorization struct {
		Flow       string   `json:"flow"`
		Pushed     bool     `json:"pushed"`
		PKCEMethod string   `json:"pkce_method"`
		Scope      []string `json:"scope"`
		RedirectTo string   `json:"redirect_to"`
	} `json:"authorization"`
	Token struct {
		TokenType            string `json:"token_type"`
		CnfJKT               string `json:"cnf_jkt"`
		HasRefreshToken      bool   `json:"has_refresh_token"`
		AuthorizationDetails []struct {
			Type                  string   `json:"type"`
			ConfigurationID       string   `json:"credential_configuration_id"`
			CredentialIdentifiers []string `json:"credential_identifiers"`
		} `json:"authorization_details"`
	} `json:"token"`
	Results []walletResult `json:"results"`
	Trace   []exchange     `json:"trace"`
}

// walletResult is one credential request's outcome.
type walletResult struct {
	ConfigurationID string      `json:"configuration_id"`
	Format          string      `json:"format"`
	ProofJWKs       []publicKey `json:"proof_jwks"`
	Credentials     []string    `json:"credentials"`
	NotificationID  string      `json:"notification_id"`
}

// exchange is one HTTP exchange of the wallet, as its trace records it.
type exchange struct {
	Method       string `json:"method"`
	Path         string `json:"path"`
	Status       int    `json:"status"`
	DPoPNonce    *bool  `json:"dpop_nonce"`
	GotDPoPNonce bool   `json:"got_dpop_nonce"`
	Error        string `json:"error"`
	ChallengeErr string `json:"www_authenticate_error"`
}

// runWallet runs wallet-issue.mjs and returns its verdict, failing the
// test unless the run went as far as it wanted.
func runWallet(t *testing.T, in walletInput, wantOK bool) walletVerdict {
	t.Helper()
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var v walletVerdict
	interop.Run(t, "wallet-issue.mjs", b, &v)
	if v.OK != wantOK {
		t.Fatalf("the wallet stopped at %q with %q (status %d, error response %s, body %s); want ok=%v\ntrace: %+v",
			v.Step, v.Error, v.Status, v.ErrorResponse, v.ErrorBody, wantOK, v.Trace)
	}
	return v
}

// at returns the wallet's exchanges with method and path, in order.
func (v walletVerdict) at(method, path string) []exchange {
	var out []exchange
	for _, e := range v.Trace {
		if e.Method == method && e.Path == path {
			out = append(out, e)
		}
	}
	return out
}

// checkNonceRetry checks that the wallet's first request to path had no
// DPoP nonce and was refused with use_dpop_nonce, and that the library's
// retry carried the nonce and got wantStatus.
func checkNonceRetry(t *testing.T, v walletVerdict, path string, wantStatus int) {
	t.Helper()
	ex := v.at(http.MethodPost, path)
	if len(ex) != 2 {
		t.Fatalf("POST %s exchanges = %+v; want two: refused with use_dpop_nonce, then the retry", path, ex)
	}
	first, retry := ex[0], ex[1]
	if first.DPoPNonce == nil || *first.DPoPNonce || first.Status != http.StatusBadRequest ||
		first.Error != "use_dpop_nonce" || !first.GotDPoPNonce {
		t.Errorf("first POST %s = %+v; want a proof without nonce, 400 use_dpop_nonce with a DPoP-Nonce", path, first)
	}
	if retry.DPoPNonce == nil || !*retry.DPoPNonce || retry.Status != wantStatus {
		t.Errorf("retried POST %s = %+v; want a proof with the nonce and %d", path, retry, wantStatus)
	}
}

// String prints an exchange for failure messages.
func (e exchange) String() string {
	nonce := "no proof"
	if e.DPoPNonce != nil {
		nonce = fmt.Sprintf("proof with nonce: %v", *e.DPoPNonce)
	}
	s := fmt.Sprintf("%s %s → %d (%s, DPoP-Nonce back: %v", e.Method, e.Path, e.Status, nonce, e.GotDPoPNonce)
	if e.Error != "" {
		s += ", error " + e.Error
	}
	if e.ChallengeErr != "" {
		s += ", challenge error " + e.ChallengeErr
	}
	return s + ")"
}
