package e2e

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
)

// TestWalletLibrary lets a wallet library we did not write,
// @openid4vc/openid4vci (e2e/node/wallet-issue.mjs), run the issuance
// against the issuer's real HTTP handler with server DPoP nonces on: it
// resolves the offer the admin API made, fetches both metadata documents,
// gets a DPoP-bound access token with its own DPoP code (retrying on
// use_dpop_nonce), once with a pre-authorized code and a tx_code and once
// through the authorization code flow with PAR and PKCE (the user's sign-in
// posted without a browser); then, for each format, a c_nonce and key
// proofs of fresh keys signed through its callbacks, and the credentials,
// retrying on the credential endpoint's use_dpop_nonce. The credentials
// are verified by implementations we did not write either
// (verify-sdjwt.mjs, verify-mdoc.mjs).
func TestWalletLibrary(t *testing.T) {
	svc := startNonceService(t)
	configs := svc.configurations(t)
	sdJWT, mdoc := pickConfigurations(t, configs)
	offered := []string{sdJWT, mdoc}
	tr := svc.trust(t)
	// The offers carry a PID; the user has one of other names, which the
	// credentials must not show: the grant's claims are the offer's, also
	// for the offer whose issuer_state starts an authorization code flow.
	offerClaims := pidClaims("Erika", "Mustermann")
	var user struct {
		ID string `json:"id"`
	}
	svc.admin(t, "/admin/users", map[string]any{
		"username": username, "password": password, "claims": pidClaims(givenName, "Liddell"),
	}, &user)
	var client struct {
		ClientID string `json:"client_id"`
	}
	svc.admin(t, "/admin/clients", map[string]any{
		"client_id": clientID, "token_endpoint_auth_method": "none",
		"grant_types": []string{"authorization_code", "refresh_token"}, "redirect_uris": []string{walletRedirectURI},
	}, &client)

	t.Run("pre-authorized code with tx_code", func(t *testing.T) {
		var offer adminOffer
		svc.admin(t, "/admin/offers", map[string]any{
			"credential_configuration_ids": offered, "subject": username, "claims": offerClaims,
			"tx_code": map[string]any{"length": 6}, "by_reference": true,
		}, &offer)
		reqs := []walletRequest{{ConfigurationID: sdJWT, Proofs: 3}, {ConfigurationID: mdoc, Proofs: 2}}
		v := runWallet(t, walletInput{Flow: "pre-authorized_code", Offer: offer.Link, TxCode: offer.TxCode, Requests: reqs}, true)

		checkOfferAndMetadata(t, svc, v, offered, preAuthGrant)
		if got := v.Trace[0]; got.Method != http.MethodGet || got.Status != http.StatusOK || got.Path == "/.well-known/openid-credential-issuer" {
			t.Errorf("first exchange = %+v; want the GET of the offer by reference", got)
		}
		checkNonceRetry(t, v, "/token", http.StatusOK)
		checkToken(t, v, offered)
		if v.Token.HasRefreshToken {
			t.Errorf("an anonymous pre-authorized redemption got a refresh token; want none")
		}
		checkCredentialNonceRetry(t, v, len(reqs))
		checkCredentials(t, v, reqs, configs, tr, wantCredentials{GivenName: "Erika", FamilyName: "Mustermann"})
	})

	t.Run("wrong tx_code", func(t *testing.T) {
		var offer adminOffer
		svc.admin(t, "/admin/offers", map[string]any{
			"credential_configuration_ids": []string{sdJWT}, "subject": username, "claims": offerClaims,
			"tx_code": map[string]any{"length": 6},
		}, &offer)
		wrong := []byte(offer.TxCode)
		wrong[0] = '0' + (wrong[0]-'0'+1)%10
		v := runWallet(t, walletInput{Flow: "pre-authorized_code", Offer: offer.Link, TxCode: string(wrong)}, false)
		var e struct {
			Error string `json:"error"`
		}
		if err := json.Unmarshal(v.ErrorResponse, &e); err != nil || v.Step != "access token" || v.Status != http.StatusBadRequest || e.Error != "invalid_grant" {
			t.Errorf("wallet stopped at %q with status %d, error response %s; want the access token refused with 400 invalid_grant",
				v.Step, v.Status, v.ErrorResponse)
		}
	})

	t.Run("authorization code with PAR", func(t *testing.T) {
		var offer adminOffer
		svc.admin(t, "/admin/offers", map[string]any{
			"credential_configuration_ids": offered, "subject": username, "claims": offerClaims,
			"grants": []string{"authorization_code"},
		}, &offer)
		reqs := []walletRequest{{ConfigurationID: mdoc, Proofs: 2}, {ConfigurationID: sdJWT, Proofs: 1}}
		v := runWallet(t, walletInput{
			Flow: "authorization_code", Offer: offer.Link, Requests: reqs,
			ClientID: clientID, RedirectURI: walletRedirectURI, Username: username, Password: password,
		}, true)

		checkOfferAndMetadata(t, svc, v, offered, "authorization_code")
		a := v.Authorization
		if a.Flow != "Oauth2Redirect" || !a.Pushed || a.PKCEMethod != "S256" || a.RedirectTo != walletRedirectURI {
			t.Errorf("authorization = %+v; want a pushed request (PAR) with PKCE S256 and the redirect to %s", a, walletRedirectURI)
		}
		checkNonceRetry(t, v, "/par", http.StatusCreated)
		// The library keeps the nonce PAR's response gave for the token
		// request: one request, with the nonce.
		if ex := v.at(http.MethodPost, "/token"); len(ex) != 1 || ex[0].Status != http.StatusOK || ex[0].DPoPNonce == nil || !*ex[0].DPoPNonce {
			t.Errorf("POST /token exchanges = %+v; want one, with the nonce, 200", ex)
		}
		checkToken(t, v, offered)
		if !v.Token.HasRefreshToken {
			t.Errorf("the authorization code flow gave no refresh token; want one (the client has the refresh_token grant)")
		}
		checkCredentialNonceRetry(t, v, len(reqs))
		checkCredentials(t, v, reqs, configs, tr, wantCredentials{GivenName: "Erika", FamilyName: "Mustermann", ViaIssuerKey: true})
	})
}

// checkOfferAndMetadata checks what the library made of the offer and of
// the metadata: the offered configurations and grant, a 1.0 issuer that is
// its own authorization server, and both configurations understood.
func checkOfferAndMetadata(t *testing.T, svc *service, v walletVerdict, configs []string, grant string) {
	t.Helper()
	if !slices.Equal(v.Offer.ConfigurationIDs, configs) || !slices.Equal(v.Offer.Grants, []string{grant}) {
		t.Errorf("offer as resolved = %+v; want configurations %v and the grant %s", v.Offer, configs, grant)
	}
	m := v.Metadata
	if m.Version != "V1" || m.CredentialIssuer != svc.URL || !slices.Equal(m.AuthorizationServers, []string{svc.URL}) {
		t.Errorf("metadata as resolved = %+v; want version V1, issuer %s, its own authorization server", m, svc.URL)
	}
	for _, id := range configs {
		if !slices.Contains(m.KnownConfigurations, id) {
			t.Errorf("the library does not understand configuration %s (known: %v)", id, m.KnownConfigurations)
		}
	}
}

// checkToken checks the token response: a DPoP token bound to the wallet's
// DPoP key, with authorization_details for each configuration.
func checkToken(t *testing.T, v walletVerdict, configs []string) {
	t.Helper()
	if v.Token.TokenType != "DPoP" || v.DPoPJKT == "" || v.Token.CnfJKT != v.DPoPJKT {
		t.Errorf("token_type %q, cnf.jkt %q; want DPoP bound to the wallet's DPoP key %q", v.Token.TokenType, v.Token.CnfJKT, v.DPoPJKT)
	}
	var got []string
	for _, d := range v.Token.AuthorizationDetails {
		if d.Type != "openid_credential" || len(d.CredentialIdentifiers) == 0 {
			t.Errorf("authorization_details entry %+v; want openid_credential with credential identifiers", d)
		}
		got = append(got, d.ConfigurationID)
	}
	if !slices.Equal(got, configs) {
		t.Errorf("authorization_details name %v; want %v", got, configs)
	}
}
