package web_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"

	"issuer/dpop"
	"issuer/issuer"
	"issuer/issuer/credential/mdoc"
	"issuer/issuer/credential/sdjwt"
)

// crVerifySDJWT verifies an SD-JWT VC with the issuer's own verifier
// against the server's published root and returns it.
func crVerifySDJWT(t testing.TB, ts *testServer, cred string) *sdjwt.Credential {
	t.Helper()
	dec, err := sdjwt.Decode(cred)
	if err != nil {
		t.Fatalf("sdjwt.Decode = %v", err)
	}
	if len(dec.Chain) != 1 {
		t.Fatalf("x5c has %d certificates; want the signer's only (HAIP: never the trust anchor)", len(dec.Chain))
	}
	crWantChained(t, ts, dec.Chain[0])
	c, err := sdjwt.Verify(cred, dec.Chain[0].PublicKey)
	if err != nil {
		t.Fatalf("sdjwt.Verify = %v", err)
	}
	return c
}

// crVerifyMDoc verifies an mdoc with the issuer's own verifier and checks
// its x5chain leads to the published root.
func crVerifyMDoc(t testing.TB, ts *testServer, cred string) *mdoc.Document {
	t.Helper()
	if !regexp.MustCompile(`^[A-Za-z0-9_-]+$`).MatchString(cred) {
		t.Fatalf("the mdoc is not unpadded base64url: %.40q…", cred)
	}
	doc, err := mdoc.Verify(cred)
	if err != nil {
		t.Fatalf("mdoc.Verify = %v", err)
	}
	if len(doc.Chain) != 1 {
		t.Fatalf("x5chain has %d certificates; want the document signer's only", len(doc.Chain))
	}
	crWantChained(t, ts, doc.Chain[0])
	return doc
}

// crRoot fetches the generated root from /certs/ca.pem.
func crRoot(t testing.TB, ts *testServer) *x509.Certificate {
	t.Helper()
	res := sendRaw(t, http.MethodGet, ts.URL+"/certs/ca.pem", "", nil, nil)
	body := readBody(t, res)
	block, _ := pem.Decode(body)
	if res.StatusCode != http.StatusOK || block == nil {
		t.Fatalf("GET /certs/ca.pem = %d %s", res.StatusCode, body)
	}
	root, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// crWantChained checks that leaf verifies up to the published root as a
// document signer (digitalSignature, C in the subject).
func crWantChained(t testing.TB, ts *testServer, leaf *x509.Certificate) {
	t.Helper()
	root := crRoot(t, ts)
	roots := x509.NewCertPool()
	roots.AddCert(root)
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, CurrentTime: ts.Clock.Now(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		t.Errorf("the signer certificate does not chain to /certs/ca.pem: %v", err)
	}
	if leaf.KeyUsage&x509.KeyUsageDigitalSignature == 0 || len(leaf.Subject.Country) != 1 || !root.IsCA || len(root.Subject.Country) != 1 {
		t.Errorf("signer %v (key usage %b), root %v (CA %v); want C in both subjects, digitalSignature, a CA root", leaf.Subject, leaf.KeyUsage, root.Subject, root.IsCA)
	}
}

// crJWK is the JWK of a public key as a map, as cnf.jwk carries it.
func crJWK(t testing.TB, k *ecdsa.PrivateKey) string {
	t.Helper()
	tp, err := dpop.Thumbprint(k.Public())
	if err != nil {
		t.Fatal(err)
	}
	return tp
}

// crCnfThumbprint is the thumbprint of an SD-JWT VC's cnf.jwk.
func crCnfThumbprint(t testing.TB, c *sdjwt.Credential) string {
	t.Helper()
	cnf, _ := c.Claims["cnf"].(map[string]any)
	raw, err := json.Marshal(cnf["jwk"])
	if err != nil {
		t.Fatal(err)
	}
	var jwk struct{ X, Y string }
	if err := json.Unmarshal(raw, &jwk); err != nil {
		t.Fatal(err)
	}
	x, _ := base64.RawURLEncoding.DecodeString(jwk.X)
	y, _ := base64.RawURLEncoding.DecodeString(jwk.Y)
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
	if err != nil {
		t.Fatalf("cnf.jwk %s: %v", raw, err)
	}
	tp, err := dpop.Thumbprint(pub)
	if err != nil {
		t.Fatal(err)
	}
	return tp
}

// TestCredentialSDJWT: offer → token → nonce → credential, an SD-JWT VC
// of the PID with the configuration's vct, bound to the proof's key,
// signed by the signer that chains to /certs/ca.pem, holding the offer's
// claims (only those the configuration lists) with the issuer's iss, iat
// and exp.
func TestCredentialSDJWT(t *testing.T) {
	ts := newTestServer(t)
	claims := crPIDClaims()
	claims["favourite_colour"] = "green" // not in the configuration: left out
	h := ts.crHolderFor(t, "erika", claims, pidConfig)
	key := crNewKey(t)
	res := ts.crRequest(t, h, crBody(h.identifier(t, pidConfig), ts.crFreshProof(t, key)))
	if res.Header.Get("Date") == "" {
		t.Error("the response has no Date header")
	}
	cred := crWantCredentials(t, res, 1)[0]
	c := crVerifySDJWT(t, ts, cred)
	if c.Header["typ"] != "dc+sd-jwt" || c.Claims["vct"] != issuer.PIDVCT || c.Claims["iss"] != ts.URL {
		t.Errorf("typ %v, vct %v, iss %v; want dc+sd-jwt, %s, %s", c.Header["typ"], c.Claims["vct"], c.Claims["iss"], issuer.PIDVCT, ts.URL)
	}
	if got := crCnfThumbprint(t, c); got != crJWK(t, key) {
		t.Errorf("cnf.jwk thumbprint %s; want the proof key's %s", got, crJWK(t, key))
	}
	iat, _ := c.Claims["iat"].(json.Number).Int64()
	exp, _ := c.Claims["exp"].(json.Number).Int64()
	// 365 days, or less: never past the signer certificate's NotAfter.
	now := ts.Clock.Now()
	if want := crValidUntil(now, c.Chain[0]).Unix(); iat != now.Unix() || exp != want {
		t.Errorf("iat %d, exp %d; want %d and %d (365 days later, capped at the certificate)", iat, exp, now.Unix(), want)
	}
	if c.Claims["given_name"] != "Erika" || c.Claims["family_name"] != "Mustermann" {
		t.Errorf("claims %v; want the offer's", c.Claims)
	}
	if _, ok := c.Claims["favourite_colour"]; ok {
		t.Error("a claim the configuration does not list went in")
	}
	disclosed := map[string]bool{}
	for _, d := range c.Disclosures {
		disclosed[d.Name] = true
	}
	for _, name := range []string{"given_name", "family_name", "birthdate", "place_of_birth", "locality", "nationalities", "issuing_country"} {
		if !disclosed[name] {
			t.Errorf("%s is not selectively disclosable (disclosures: %v)", name, disclosed)
		}
	}
}

// TestCredentialMDoc: the PID as an mdoc: unpadded base64url, the
// configuration's doctype, ES256 in the protected header and x5chain in
// the unprotected one (checked by the independent verifier in
// credential_interop_test.go), the device key = the proof's key, dates as
// full-dates, only the listed elements.
func TestCredentialMDoc(t *testing.T) {
	ts := newTestServer(t)
	h := ts.crHolderFor(t, "erika", nil, mdlConfig)
	key := crNewKey(t)
	cred := crWantCredentials(t, ts.crRequest(t, h, crBody(h.identifier(t, mdlConfig), ts.crFreshProof(t, key))), 1)[0]
	doc := crVerifyMDoc(t, ts, cred)
	if doc.DocType != issuer.PIDDocType {
		t.Errorf("docType = %q; want %q", doc.DocType, issuer.PIDDocType)
	}
	if !doc.DeviceKey.Equal(key.Public()) {
		t.Error("the device key is not the proof's key")
	}
	ns := doc.NameSpaces[issuer.PIDDocType]
	if ns["family_name"] != "Mustermann" || ns["birth_date"] != (mdoc.FullDate{Year: 1964, Month: time.August, Day: 12}) {
		t.Errorf("elements %v; want family_name and birth_date as a full-date", ns)
	}
	if _, ok := ns["birthdate"]; ok {
		t.Error("the SD-JWT VC's claim name went into the mdoc")
	}
	if want := crValidUntil(doc.Validity.ValidFrom, doc.Chain[0]); !doc.Validity.ValidUntil.Equal(want) {
		t.Errorf("validUntil %s; want %s (365 days after validFrom, capped at the certificate)", doc.Validity.ValidUntil, want)
	}
}

// TestCredentialBatch: three proofs of three keys give three credentials,
// each bound to its key, in both formats.
func TestCredentialBatch(t *testing.T) {
	ts := newTestServer(t)
	h := ts.crHolderFor(t, "erika", nil)
	for _, cfg := range []string{pidConfig, mdlConfig} {
		keys := []*ecdsa.PrivateKey{crNewKey(t), crNewKey(t), crNewKey(t)}
		n, _ := ts.crNonces(t)
		var proofs []string
		for _, k := range keys {
			proofs = append(proofs, ts.crKeyProof(t, k, n, nil))
		}
		creds := crWantCredentials(t, ts.crRequest(t, h, crBody(h.identifier(t, cfg), proofs...)), 3)
		for i, cred := range creds {
			if cfg == mdlConfig {
				if !crVerifyMDoc(t, ts, cred).DeviceKey.Equal(keys[i].Public()) {
					t.Errorf("mdoc %d is not bound to key %d", i, i)
				}
			} else if crCnfThumbprint(t, crVerifySDJWT(t, ts, cred)) != crJWK(t, keys[i]) {
				t.Errorf("SD-JWT VC %d is not bound to key %d", i, i)
			}
		}
	}
}

// TestCredentialRetry: the same token fetches again while it lives (a
// wallet retrying after a lost response), with new proofs, the same
// claims; another subject's token gets its own claims only.
func TestCredentialRetry(t *testing.T) {
	ts := newTestServer(t)
	h := ts.crHolderFor(t, "erika", nil, pidConfig)
	id := h.identifier(t, pidConfig)
	first := crVerifySDJWT(t, ts, crWantCredentials(t, ts.crRequest(t, h, crBody(id, ts.crFreshProof(t, crNewKey(t)))), 1)[0])
	ts.Clock.Advance(time.Minute)
	second := crVerifySDJWT(t, ts, crWantCredentials(t, ts.crRequest(t, h, crBody(id, ts.crFreshProof(t, crNewKey(t)))), 1)[0])
	if first.Claims["given_name"] != second.Claims["given_name"] || second.Claims["given_name"] != "Erika" {
		t.Errorf("the second fetch has other claims: %v", second.Claims)
	}
	other := crPIDClaims()
	other["given_name"] = "Max"
	h2 := ts.crHolderFor(t, "max", other, pidConfig)
	c := crVerifySDJWT(t, ts, crWantCredentials(t, ts.crRequest(t, h2, crBody(h2.identifier(t, pidConfig), ts.crFreshProof(t, crNewKey(t)))), 1)[0])
	if c.Claims["given_name"] != "Max" {
		t.Errorf("the other subject's credential says %v; want its own claims", c.Claims["given_name"])
	}
}

// TestCredentialMandatoryClaim: an offer without a mandatory claim gets
// credential_request_denied naming it, and nothing is spent: the same key
// proof works once the claims are complete (here: for the user of the
// subject, whose claims are used when the offer has none).
func TestCredentialMandatoryClaim(t *testing.T) {
	ts := newTestServer(t)
	claims := crPIDClaims()
	delete(claims, "birthdate")
	h := ts.crHolderFor(t, "erika", claims, pidConfig)
	proof := ts.crFreshProof(t, crNewKey(t))
	desc := crWantError(t, ts.crRequest(t, h, crBody(h.identifier(t, pidConfig), proof)), http.StatusBadRequest, "credential_request_denied")
	if desc != `the mandatory claim ['birthdate'] is not available for this subject` {
		t.Errorf("description %q; want the claim named", desc)
	}
	mdocClaims := crPIDClaims()
	delete(mdocClaims[issuer.PIDDocType].(map[string]any), "birth_date")
	hm := ts.crHolderFor(t, "erika-m", mdocClaims, mdlConfig)
	desc = crWantError(t, ts.crRequest(t, hm, crBody(hm.identifier(t, mdlConfig), ts.crFreshProof(t, crNewKey(t)))), http.StatusBadRequest, "credential_request_denied")
	if desc != `the mandatory claim ['eu.europa.ec.eudi.pid.1','birth_date'] is not available for this subject` {
		t.Errorf("mdoc description %q; want the element named", desc)
	}
	// The refused proof was not spent: with complete claims (an offer
	// without claims takes the user's), it works.
	ts.afCreateUser(t, "erika2", "pw-erika2-long-enough", crPIDClaims())
	h3 := &crHolder{wallet: h.wallet}
	o := ts.offer(t, map[string]any{"subject": "erika2", "credential_configuration_ids": []string{pidConfig}})
	h3.Token = wantToken(t, ts.redeem(t, code(o), rvProof(t, ts, h3.wallet), nil))
	h3.AT = h3.Token.AccessToken
	crWantCredentials(t, ts.crRequest(t, h3, crBody(h3.identifier(t, pidConfig), proof)), 1)
}

// TestCredentialAuthorizationCode: a token of the authorization code flow
// (PAR, sign-in) gets the signed-in user's claims, by credential
// identifier (authorization_details) and, for a scope, by
// credential_configuration_id.
func TestCredentialAuthorizationCode(t *testing.T) {
	s := newAuthFlow(t)
	s.afCreateUser(t, "erika", "erika's long password", crPIDClaims())
	w := newWallet(t)
	tok := s.acRedeemAs(t, w, "erika", "erika's long password", pidConfig)
	h := &crHolder{wallet: w, AT: tok.AccessToken}
	body := map[string]any{"credential_configuration_id": pidConfig, "proofs": map[string]any{"jwt": []string{s.crFreshProof(t, crNewKey(t))}}}
	c := crVerifySDJWT(t, s.testServer, crWantCredentials(t, s.crRequest(t, h, body), 1)[0])
	if c.Claims["family_name"] != "Mustermann" {
		t.Errorf("claims %v; want the user's", c.Claims)
	}
	// J15: the scope grants the PID as SD-JWT VC only.
	body["credential_configuration_id"] = mdlConfig
	body["proofs"] = map[string]any{"jwt": []string{s.crFreshProof(t, crNewKey(t))}}
	crWantError(t, s.crRequest(t, h, body), http.StatusBadRequest, "unknown_credential_configuration")
}

// TestCredentialKeys: the SD-JWT VC issuer metadata (SD-JWT VC §4)
// publishes the key that signs the credentials, the root is served as PEM,
// and the credential signer is not the token signer.
func TestCredentialKeys(t *testing.T) {
	ts := newTestServer(t)
	m, _ := getJSON(t, ts.URL+"/.well-known/jwt-vc-issuer")
	keys, _ := m["jwks"].(map[string]any)["keys"].([]any)
	if m["issuer"] != ts.URL || len(keys) != 1 {
		t.Fatalf("jwt-vc-issuer = %v; want the issuer and one key", m)
	}
	h := ts.crHolderFor(t, "erika", nil, pidConfig)
	c := crVerifySDJWT(t, ts, crWantCredentials(t, ts.crRequest(t, h, crBody(h.identifier(t, pidConfig), ts.crFreshProof(t, crNewKey(t)))), 1)[0])
	leaf := c.Chain[0].PublicKey.(*ecdsa.PublicKey)
	k := keys[0].(map[string]any)
	if want := publicJWK(leaf); k["x"] != want["x"] || k["y"] != want["y"] {
		t.Errorf("jwt-vc-issuer key %v is not the x5c leaf's %v", k, want)
	}
	jwks, _ := getJSON(t, ts.URL+"/jwks")
	for _, tk := range jwks["keys"].([]any) {
		if tk.(map[string]any)["x"] == k["x"] {
			t.Error("the credential signing key is the token signing key")
		}
	}
	res := ts.get(t, ts.URL+"/certs/ca.pem")
	if ct := res.Header.Get("Content-Type"); ct != "application/x-pem-file" {
		t.Errorf("Content-Type of ca.pem = %q", ct)
	}
}

// TestCredentialIssuerState: the authorization code flow started from an
// offer's issuer_state issues the offer's claims (the offer names the
// user by username, the token by ID), not the user's own.
func TestCredentialIssuerState(t *testing.T) {
	s := newAuthFlow(t) // alice's own claims: given_name Alice only
	claims := crPIDClaims()
	claims["given_name"] = "Alicia"
	o := s.offer(t, map[string]any{
		"subject": afUser, "claims": claims, "credential_configuration_ids": []string{pidConfig},
		"grants": []string{paAuthCode},
	})
	w := newWallet(t)
	pk := newPKCE(t)
	uri := s.afPushOK(t, afParams(s.ClientID, pk, url.Values{"scope": {""}, "issuer_state": {paIssuerState(t, o)}}), nil)
	loc := s.afSignIn(t, newBrowser(t), url.Values{"client_id": {s.ClientID}, "request_uri": {uri}}, afUser, afPassword, true)
	tok := s.acRedeem(t, acGrant{Code: loc.Query().Get("code"), PKCE: pk}, w)
	h := &crHolder{wallet: w, AT: tok.AccessToken, Token: tokenBody{AuthorizationDetails: tok.AuthorizationDetails}}
	c := crVerifySDJWT(t, s.testServer, crWantCredentials(t, s.crRequest(t, h, crBody(h.identifier(t, pidConfig), s.crFreshProof(t, crNewKey(t)))), 1)[0])
	if c.Claims["given_name"] != "Alicia" {
		t.Errorf("given_name = %v; want the offer's", c.Claims["given_name"])
	}
}

// TestCredentialNotForClients: a client_credentials token is a client's,
// not a person's: even with a PID scope and a user whose username is the
// client's ID, it gets credential_request_denied, never that user's PID.
func TestCredentialNotForClients(t *testing.T) {
	ts := newTestServer(t)
	if res := ts.admin(t, http.MethodPost, "/admin/users", map[string]any{"username": "backend", "password": "long enough pw", "claims": crPIDClaims()}); res.StatusCode != http.StatusCreated {
		t.Fatalf("POST /admin/users = %d %s", res.StatusCode, readBody(t, res))
	}
	c := ts.registerClient(t, map[string]any{"client_id": "backend", "token_endpoint_auth_method": "client_secret_basic",
		"scope": issuer.PIDSDJWTConfiguration, "grant_types": []string{"client_credentials"}})
	w := newWallet(t)
	tok := wantToken(t, ts.ccRequest(t, c, rvProof(t, ts, w), nil))
	h := &crHolder{wallet: w, AT: tok.AccessToken, Token: tok}
	body := map[string]any{"credential_configuration_id": pidConfig, "proofs": map[string]any{"jwt": []string{ts.crFreshProof(t, crNewKey(t))}}}
	crWantError(t, ts.crRequest(t, h, body), http.StatusBadRequest, "credential_request_denied")
}

// TestCredentialClaimOfAnotherShape: a claim whose value has another shape
// than the configuration's paths expect (place_of_birth as a string where
// its locality is listed) is issued whole, never a 500.
func TestCredentialClaimOfAnotherShape(t *testing.T) {
	ts := newTestServer(t)
	for name, v := range map[string]any{"string": "Berlin", "array": []any{"Berlin"}} {
		claims := crPIDClaims()
		claims["place_of_birth"] = v
		h := ts.crHolderFor(t, "erika-"+name, claims)
		cred := crWantCredentials(t, ts.crRequest(t, h, crBody(h.identifier(t, pidConfig), ts.crFreshProof(t, crNewKey(t)))), 1)[0]
		crVerifySDJWT(t, ts, cred)
	}
}

// crValidUntil is when a credential issued at from with the default
// validity (365 days) ends: never after its signer certificate.
func crValidUntil(from time.Time, leaf *x509.Certificate) time.Time {
	until := from.Add(365 * 24 * time.Hour)
	if leaf.NotAfter.Before(until) {
		until = leaf.NotAfter
	}
	return until.Truncate(time.Second)
}
