package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"

	"issuer/dpop"
	"issuer/issuer"
	"issuer/issuer/credential/keyproof"
	"issuer/issuer/credential/sdjwt"
	"issuer/issuer/oauth"
)

// Spec sections the issuance checks cite.
const (
	secAdminAPI      = "the admin API of this issuer (README)"
	secTokenResponse = "OpenID4VCI 1.0 §6.2; RFC 9449 §5"
	secCredential    = "OpenID4VCI 1.0 §8.2, §8.3"
	secX5C           = "HAIP §6.1; SD-JWT VC §3.5"
	secIssuerKey     = "SD-JWT VC §4"
	secBinding       = "SD-JWT VC §3.2.2; OpenID4VCI 1.0 §8.2"
)

// issuance is one synthetic issuance: an offer created through the admin
// API, redeemed by a fresh wallet, whose credential is verified.
type issuance struct {
	d *doctor
	// configID and vct are the dc+sd-jwt configuration issued.
	configID, vct string
	// clientID and secret are a temporary confidential client, when the
	// issuer refuses anonymous redemption ("" otherwise).
	clientID, secret string
	// dpopKey signs the DPoP proofs, holderKey the key proof.
	dpopKey, holderKey *ecdsa.PrivateKey
	code, accessToken  string
	credentialID       string
	cNonce, rsNonce    string
	credential         *sdjwt.Credential
}

// issuanceStep is one step of the issuance: its check name, and what it
// does, returning a detail, or the reason it failed and the section.
type issuanceStep struct {
	name string
	run  func(ctx context.Context) (detail, reason, section string)
}

// checkIssuance runs the synthetic issuance, given an admin token: each
// step is a check, and the steps after a failed one are skipped.
func (d *doctor) checkIssuance(ctx context.Context) {
	iss := &issuance{d: d}
	steps := []issuanceStep{
		{"issuance: offer", iss.offer},
		{"issuance: token", iss.token},
		{"issuance: c_nonce", iss.nonce},
		{"issuance: credential", iss.request},
		{"issuance: credential signature", iss.signature},
		{"issuance: issuer key", iss.issuerKey},
		{"issuance: claims and key binding", iss.binding},
	}
	skipAll := func(reason string) {
		for _, s := range steps {
			d.r.skipped(s.name, reason)
		}
	}
	switch {
	case d.adminToken == "":
		skipAll("no --admin-token (the synthetic issuance needs one of our issuers)")
		return
	case d.vci == nil || d.as == nil:
		skipAll("without both metadata documents")
		return
	}
	if iss.configID, iss.vct = sdJWTConfiguration(d.vci); iss.configID == "" {
		skipAll("no dc+sd-jwt configuration")
		return
	}
	defer iss.cleanup(ctx)
	for i, s := range steps {
		detail, reason, section := s.run(ctx)
		if !d.r.check(s.name, reason, section, detail) {
			for _, rest := range steps[i+1:] {
				d.r.skipped(rest.name, "after a failed step")
			}
			return
		}
	}
}

// sdJWTConfiguration is the first dc+sd-jwt configuration, by ID, and its
// vct.
func sdJWTConfiguration(vci map[string]any) (id, vct string) {
	configs, _ := vci["credential_configurations_supported"].(map[string]any)
	for _, id := range slices.Sorted(maps.Keys(configs)) {
		if c, _ := configs[id].(map[string]any); c["format"] == "dc+sd-jwt" && str(c["vct"]) != "" {
			return id, str(c["vct"])
		}
	}
	return "", ""
}

// admin sends a JSON request to the admin API.
func (iss *issuance) admin(ctx context.Context, method, path string, body any) (*response, error) {
	var b []byte
	if body != nil {
		var err error
		if b, err = json.Marshal(body); err != nil {
			return nil, err
		}
	}
	h := http.Header{"Authorization": {"Bearer " + iss.d.adminToken}, "Content-Type": {"application/json"}}
	return iss.d.do(ctx, method, iss.d.base+path, h, b)
}

// offer creates the wallet keys, a temporary client when anonymous
// redemption is off, and an offer of the configuration with PID claims.
func (iss *issuance) offer(ctx context.Context) (string, string, string) {
	var err error
	if iss.dpopKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		return "", err.Error(), secAdminAPI
	}
	if iss.holderKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		return "", err.Error(), secAdminAPI
	}
	who := "an anonymous wallet"
	if iss.d.as["pre-authorized_grant_anonymous_access_supported"] != true {
		if reason := iss.registerClient(ctx); reason != "" {
			return "", reason, secAdminAPI
		}
		who = "the temporary client " + iss.clientID
	}
	res, err := iss.admin(ctx, http.MethodPost, "/admin/offers", map[string]any{
		"credential_configuration_ids": []string{iss.configID}, "subject": "doctor", "claims": iss.claims(),
	})
	if err != nil {
		return "", err.Error(), secAdminAPI
	}
	var o issuer.OfferResponse
	if res.status != http.StatusCreated || res.json(&o) != nil || o.CredentialOffer.Grants.PreAuthorizedCode == nil {
		return "", fmt.Sprintf("POST /admin/offers answers %d: %s", res.status, snippet(res.body)), secAdminAPI
	}
	iss.code = o.CredentialOffer.Grants.PreAuthorizedCode.PreAuthorizedCode
	return fmt.Sprintf("%s offered to %s", iss.configID, who), "", ""
}

// registerClient registers a confidential client for the pre-authorized
// grant, deleted by cleanup.
func (iss *issuance) registerClient(ctx context.Context) string {
	id := "doctor-" + base64.RawURLEncoding.EncodeToString(randomBytes(9))
	res, err := iss.admin(ctx, http.MethodPost, "/admin/clients", map[string]any{
		"client_id": id, "token_endpoint_auth_method": oauth.AuthClientSecretBasic, "grant_types": []string{oauth.GrantPreAuthorizedCode},
	})
	if err != nil {
		return err.Error()
	}
	var c struct {
		ClientSecret string `json:"client_secret"`
	}
	if res.status != http.StatusCreated || res.json(&c) != nil || c.ClientSecret == "" {
		return fmt.Sprintf("registering a temporary client answers %d: %s", res.status, snippet(res.body))
	}
	iss.clientID, iss.secret = id, c.ClientSecret
	return ""
}

// cleanup deletes the temporary client.
func (iss *issuance) cleanup(ctx context.Context) {
	if iss.clientID == "" {
		return
	}
	res, err := iss.admin(ctx, http.MethodDelete, "/admin/clients/"+url.PathEscape(iss.clientID), nil)
	reason := ""
	switch {
	case err != nil:
		reason = err.Error()
	case res.status != http.StatusNoContent && res.status != http.StatusOK:
		reason = fmt.Sprintf("DELETE answers %d", res.status)
	}
	iss.d.r.check("issuance: cleanup", reason, secAdminAPI, "temporary client "+iss.clientID+" deleted")
}

// token redeems the code with a DPoP proof (retrying once with the
// server's DPoP-Nonce): a DPoP token with a credential identifier.
func (iss *issuance) token(ctx context.Context) (string, string, string) {
	u := str(iss.d.as["token_endpoint"])
	form := url.Values{"grant_type": {oauth.GrantPreAuthorizedCode}, "pre-authorized_code": {iss.code}}
	send := func(nonce string) (*response, error) {
		p, err := dpop.Sign(iss.dpopKey, "ES256", dpop.Claims{Method: http.MethodPost, URL: u, Nonce: nonce})
		if err != nil {
			return nil, err
		}
		h := http.Header{"Dpop": {p}}
		if iss.clientID != "" {
			h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(iss.clientID)+":"+url.QueryEscape(iss.secret))))
		}
		return iss.d.form(ctx, u, h, form)
	}
	res, err := withDPoPNonce(send, http.StatusBadRequest)
	if err != nil {
		return "", err.Error(), secTokenResponse
	}
	var tr struct {
		AccessToken          string                      `json:"access_token"`
		TokenType            string                      `json:"token_type"`
		AuthorizationDetails []oauth.AuthorizationDetail `json:"authorization_details"`
	}
	if res.status != http.StatusOK || res.json(&tr) != nil {
		return "", fmt.Sprintf("the token request answers %d: %s", res.status, snippet(res.body)), secTokenResponse
	}
	if !strings.EqualFold(tr.TokenType, "DPoP") || tr.AccessToken == "" {
		return "", fmt.Sprintf("token_type %q: not a DPoP-bound token", tr.TokenType), secTokenResponse
	}
	for _, ad := range tr.AuthorizationDetails {
		if ad.CredentialConfigurationID == iss.configID && len(ad.CredentialIdentifiers) > 0 {
			iss.accessToken, iss.credentialID = tr.AccessToken, ad.CredentialIdentifiers[0]
			return "a DPoP-bound token with credential_identifiers", "", ""
		}
	}
	return "", "no authorization_details with credential_identifiers for " + iss.configID, secTokenResponse
}

// nonce fetches a c_nonce, and the resource server's DPoP-Nonce when the
// nonce endpoint gives one.
func (iss *issuance) nonce(ctx context.Context) (string, string, string) {
	res, reason := iss.d.cNonce(ctx, str(iss.d.vci["nonce_endpoint"]))
	if reason != "" {
		return "", reason, secNonceResponse
	}
	var body struct {
		CNonce string `json:"c_nonce"`
	}
	_ = res.json(&body) // checked by cNonce
	iss.cNonce, iss.rsNonce = body.CNonce, res.header.Get("DPoP-Nonce")
	return "from " + str(iss.d.vci["nonce_endpoint"]), "", ""
}

// request sends the credential request with one key proof of the holder
// key.
func (iss *issuance) request(ctx context.Context) (string, string, string) {
	u := str(iss.d.vci["credential_endpoint"])
	kp, err := keyproof.Sign(iss.holderKey, "ES256", keyproof.Claims{Audience: str(iss.d.vci["credential_issuer"]), Nonce: iss.cNonce, Issuer: iss.clientID})
	if err != nil {
		return "", err.Error(), secCredential
	}
	body, err := json.Marshal(map[string]any{"credential_identifier": iss.credentialID, "proofs": map[string]any{"jwt": []string{kp}}})
	if err != nil {
		return "", err.Error(), secCredential
	}
	send := func(nonce string) (*response, error) {
		if nonce == "" {
			nonce = iss.rsNonce
		}
		p, err := dpop.Sign(iss.dpopKey, "ES256", dpop.Claims{Method: http.MethodPost, URL: u, Nonce: nonce, AccessToken: iss.accessToken})
		if err != nil {
			return nil, err
		}
		h := http.Header{"Authorization": {"DPoP " + iss.accessToken}, "Dpop": {p}, "Content-Type": {"application/json"}}
		return iss.d.do(ctx, http.MethodPost, u, h, body)
	}
	res, err := withDPoPNonce(send, http.StatusUnauthorized)
	if err != nil {
		return "", err.Error(), secCredential
	}
	var cr struct {
		Credentials []struct {
			Credential any `json:"credential"`
		} `json:"credentials"`
	}
	if res.status != http.StatusOK || res.json(&cr) != nil || len(cr.Credentials) != 1 || str(cr.Credentials[0].Credential) == "" {
		return "", fmt.Sprintf("the credential request answers %d: %s", res.status, snippet(res.body)), secCredential
	}
	if iss.credential, err = sdjwt.Decode(str(cr.Credentials[0].Credential)); err != nil {
		return "", "the credential is no SD-JWT VC: " + err.Error(), secCredential
	}
	return fmt.Sprintf("an SD-JWT VC with %d disclosures", len(iss.credential.Disclosures)), "", ""
}

// signature verifies the credential with its x5c leaf, and the chain up
// to the issuer's generated root when it serves one.
func (iss *issuance) signature(ctx context.Context) (string, string, string) {
	c := iss.credential
	if len(c.Chain) == 0 {
		return "", "no x5c header", secX5C
	}
	if err := c.CheckSignature(nil); err != nil {
		return "", "the signature does not verify with the x5c leaf: " + err.Error(), secX5C
	}
	res, err := iss.d.do(ctx, http.MethodGet, iss.d.base+issuer.PathCACert, nil, nil)
	if err != nil || res.status != http.StatusOK {
		return "valid with the x5c leaf (no generated root served: the chain is the deployment's to check)", "", ""
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(res.body) {
		return "", issuer.PathCACert + " holds no PEM certificate", secX5C
	}
	inter := x509.NewCertPool()
	for _, cert := range c.Chain[1:] {
		inter.AddCert(cert)
	}
	if _, err := c.Chain[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		return "", "the x5c chain does not verify to " + issuer.PathCACert + ": " + err.Error(), secX5C
	}
	for _, cert := range c.Chain {
		if block := (&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}); strings.Contains(string(res.body), string(pem.EncodeToMemory(block))) {
			return "", "the x5c header contains the root", secX5C
		}
	}
	return "valid with the x5c leaf, which chains to " + issuer.PathCACert, "", ""
}

// issuerKey checks that the x5c leaf's key is published in the JWT VC
// issuer metadata.
func (iss *issuance) issuerKey(ctx context.Context) (string, string, string) {
	u := wellKnown(iss.d.base, "jwt-vc-issuer")
	m, reason := iss.d.getMetadata(ctx, u)
	if reason != "" {
		return "", reason, secIssuerKey
	}
	if m["issuer"] != iss.d.base {
		return "", mismatch("issuer", str(m["issuer"]), iss.d.base), secIssuerKey
	}
	raw, _ := json.Marshal(m["jwks"])
	set, err := jwk.Parse(raw)
	if err != nil {
		return "", "no JWK set in jwks: " + err.Error(), secIssuerKey
	}
	want, err := thumbprint(iss.credential.Chain[0].PublicKey)
	if err != nil {
		return "", err.Error(), secIssuerKey
	}
	for i := range set.Len() {
		k, _ := set.Key(i)
		if jkt, err := thumbprintOf(k); err == nil && jkt == want {
			return "the signing key is published at " + u, "", ""
		}
	}
	return "", fmt.Sprintf("the signing key is not among the %d keys at %s", set.Len(), u), secIssuerKey
}

// binding checks iss, vct and cnf: the credential is the issuer's, of the
// configuration, bound to the key of the key proof.
func (iss *issuance) binding(context.Context) (string, string, string) {
	claims := iss.credential.Claims
	var problems []string
	if got := str(claims["iss"]); got != str(iss.d.vci["credential_issuer"]) {
		problems = append(problems, fmt.Sprintf("iss is %q", got))
	}
	if got := str(claims["vct"]); got != iss.vct {
		problems = append(problems, fmt.Sprintf("vct is %q, not %q", got, iss.vct))
	}
	want, _ := thumbprint(iss.holderKey.Public())
	raw, _ := json.Marshal(member(claims, "cnf", "jwk"))
	if k, err := jwk.ParseKey(raw); err != nil {
		problems = append(problems, "no cnf.jwk")
	} else if jkt, err := thumbprintOf(k); err != nil || jkt != want {
		problems = append(problems, "cnf.jwk is not the key of the key proof")
	}
	if len(problems) > 0 {
		return "", strings.Join(problems, "; "), secBinding
	}
	return "iss, vct and cnf.jwk as requested", "", ""
}

// claims are the subject's claims of the offer: a demo PID, plus a value
// for each mandatory claim of the configuration the PID lacks.
func (iss *issuance) claims() map[string]any {
	now := time.Now()
	claims := map[string]any{
		"given_name": "Doctor", "family_name": "Check", "birthdate": "1970-01-01",
		"place_of_birth": map[string]any{"locality": "Utopia", "country": "UT"}, "nationalities": []any{"UT"},
		"issuing_authority": "issuer doctor", "issuing_country": "UT",
		"date_of_expiry": now.AddDate(1, 0, 0).Format(time.DateOnly), "date_of_issuance": now.Format(time.DateOnly),
	}
	configs, _ := iss.d.vci["credential_configurations_supported"].(map[string]any)
	list, _ := member(configs, iss.configID, "credential_metadata", "claims").([]any)
	for _, c := range list {
		c, _ := c.(map[string]any)
		if path, _ := c["path"].([]any); c["mandatory"] == true {
			setPath(claims, path)
		}
	}
	return claims
}

// setPath sets "doctor" at path in claims unless a value is there; it
// handles member names only (a path through an array is left alone).
func setPath(claims map[string]any, path []any) {
	obj := claims
	for i, step := range path {
		name, ok := step.(string)
		if !ok {
			return
		}
		if i == len(path)-1 {
			if _, present := obj[name]; !present {
				obj[name] = "doctor"
			}
			return
		}
		next, ok := obj[name].(map[string]any)
		if !ok {
			if _, present := obj[name]; present {
				return
			}
			next = map[string]any{}
			obj[name] = next
		}
		obj = next
	}
}

// withDPoPNonce sends a request, and once more with the server's
// DPoP-Nonce when it answers use_dpop_nonce with status (400 at an
// authorization server, 401 at a resource server, RFC 9449 §8, §9).
func withDPoPNonce(send func(nonce string) (*response, error), status int) (*response, error) {
	res, err := send("")
	if err != nil || res.status != status {
		return res, err
	}
	nonce := res.header.Get("DPoP-Nonce")
	var body struct {
		Error string `json:"error"`
	}
	_ = res.json(&body)
	if nonce == "" || (body.Error != "use_dpop_nonce" && !strings.Contains(res.header.Get("WWW-Authenticate"), "use_dpop_nonce")) {
		return res, nil
	}
	return send(nonce)
}

// thumbprintOf is the RFC 7638 SHA-256 thumbprint of a JWK, base64url.
func thumbprintOf(k jwk.Key) (string, error) {
	pub, err := k.PublicKey()
	if err != nil {
		return "", err
	}
	var raw any
	if err := pub.Raw(&raw); err != nil {
		return "", err
	}
	return thumbprint(raw)
}

// snippet is the start of a response body, for a failure's reason.
func snippet(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// randomBytes returns n random bytes.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}
