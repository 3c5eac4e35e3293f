package authz_test

import (
	"encoding/json"
	"slices"
	"testing"

	"issuer/issuer/oauth"
	"issuer/issuer/offer"
)

// details decodes a code's authorization_details.
func details(t testing.TB, raw json.RawMessage) []oauth.AuthorizationDetail {
	t.Helper()
	var d []oauth.AuthorizationDetail
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("authorization_details %s: %v", raw, err)
	}
	return d
}

func configIDs(d []oauth.AuthorizationDetail) []string {
	var ids []string
	for _, x := range d {
		ids = append(ids, x.CredentialConfigurationID)
	}
	return ids
}

// TestRequestedAccess: what a code grants is what the request asked for:
// credential scopes and authorization_details (unknown scope values
// ignored, OpenID4VCI 1.0 §5.1.2), openid and offline_access; the code
// keeps the request's PKCE challenge, redirect URI, nonce and client.
func TestRequestedAccess(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pidDetail := `{"type":"openid_credential","credential_configuration_id":"` + pid + `"}`
	for _, tc := range []struct {
		name      string
		mod       map[string]string
		scope     string
		configIDs []string
	}{
		{"credential scope", nil, pid, []string{pid}},
		{"unknown values ignored", map[string]string{"scope": "profile " + pid + " email " + pid}, pid, []string{pid}},
		{"openid alone", map[string]string{"scope": "openid"}, "openid", nil},
		{"both scopes, openid, offline_access", map[string]string{"scope": mdl + " " + pid + " openid offline_access"}, mdl + " " + pid + " openid offline_access", []string{mdl, pid}},
		{"authorization_details", map[string]string{"scope": "", "authorization_details": `[` + pidDetail + `,` + pidDetail + `]`}, "", []string{pid}},
		{"scope and authorization_details", map[string]string{"scope": mdl, "authorization_details": `[` + pidDetail + `]`}, mdl, []string{mdl, pid}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := params(tc.mod)
			p["nonce"] = "n-1"
			c := e.codeOf(t, e.push(t, p).RequestURI)
			if c.Scope != tc.scope || !slices.Equal(configIDs(details(t, c.AuthorizationDetails)), tc.configIDs) {
				t.Errorf("code scope %q, details %s; want %q and %v", c.Scope, c.AuthorizationDetails, tc.scope, tc.configIDs)
			}
			if c.ClientID != walletID || c.RedirectURI != redirect || c.CodeChallenge != p["code_challenge"] || c.Nonce != "n-1" || c.Subject == "" {
				t.Errorf("code = %+v", c)
			}
			if !c.ExpiresAt.Equal(e.Clock.Now().Add(e.Cfg.CodeTTL)) {
				t.Errorf("code expires %v; want %v", c.ExpiresAt, e.Clock.Now().Add(e.Cfg.CodeTTL))
			}
		})
	}
}

// TestIssuerState: an issuer_state binds the request to its offer
// (OpenID4VCI 1.0 §5.1.3): the credentials default to the offer's, may
// not go beyond them (B18), and the code carries the offer's credential
// identifiers; only the offer's subject may sign in.
func TestIssuerState(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	create := func(subject string, ids ...string) offer.Response {
		resp, err := e.Offers.Create(t.Context(), offer.Request{CredentialConfigurationIDs: ids, Subject: subject, Grants: []string{oauth.GrantAuthorizationCode}})
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	state := func(r offer.Response) string { return r.CredentialOffer.Grants.AuthorizationCode.IssuerState }
	o := create(alice, pid)
	stored, _ := e.Store.GetOffer(t.Context(), o.OfferID)
	c := e.codeOf(t, e.push(t, params(map[string]string{"scope": "", "issuer_state": state(o)})).RequestURI)
	d := details(t, c.AuthorizationDetails)
	if c.OfferID != o.OfferID || len(d) != 1 || d[0].CredentialConfigurationID != pid || d[0].CredentialIdentifiers[0] != stored.CredentialIdentifiers[0] {
		t.Errorf("code offer %q, details %+v; want the offer's credential and identifier %s", c.OfferID, d, stored.CredentialIdentifiers[0])
	}

	_, err := e.Authz.PushAuthorizationRequest(t.Context(), parRequest(params(map[string]string{"scope": mdl, "issuer_state": state(create(alice, pid))})))
	wantError(t, err, oauth.CodeInvalidRequest, "the request asks for a credential that the offer of issuer_state does not cover")

	bob := create("bob", pid)
	s := e.open(t, e.push(t, params(map[string]string{"issuer_state": state(bob)})).RequestURI)
	res, err := e.Authz.Login(t.Context(), loginForm(s, alice, password))
	if err != nil || res.Page == nil || res.Page.Step != "login" || res.Page.Error != "this credential offer is for another person" {
		t.Errorf("Login(alice, bob's offer) = %+v, %v; want the login page with an error", res.Page, err)
	}
}

// TestGrantedDetails: VCI-27, RAR-04 (B18). The token covers the grant,
// or the subset its request names; anything outside is refused.
func TestGrantedDetails(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ids, idents := []string{pid, mdl}, []string{"i-pid", "i-mdl"}
	all, err := e.Authz.GrantedDetails(ids, idents, "")
	if err != nil || len(all) != 2 || all[1].CredentialIdentifiers[0] != "i-mdl" || all[0].Type != oauth.TypeOpenIDCredential {
		t.Errorf("GrantedDetails(all) = %+v, %v", all, err)
	}
	sub, err := e.Authz.GrantedDetails(ids, idents, `[{"type":"openid_credential","credential_configuration_id":"`+mdl+`"}]`)
	if err != nil || len(sub) != 1 || sub[0].CredentialConfigurationID != mdl || sub[0].CredentialIdentifiers[0] != "i-mdl" {
		t.Errorf("GrantedDetails(mdl) = %+v, %v", sub, err)
	}
	dup, err := e.Authz.GrantedDetails(ids, idents, `[{"type":"openid_credential","credential_configuration_id":"`+pid+`"},{"type":"openid_credential","credential_configuration_id":"`+pid+`"}]`)
	if err != nil || len(dup) != 1 {
		t.Errorf("GrantedDetails(pid twice) = %+v, %v; want pid once", dup, err)
	}
	_, err = e.Authz.GrantedDetails([]string{pid}, []string{"i-pid"}, `[{"type":"openid_credential","credential_configuration_id":"`+mdl+`"}]`)
	wantError(t, err, oauth.CodeInvalidAuthorizationDetails, "authorization_details asks for a credential configuration that the grant does not cover")
	_, err = e.Authz.GrantedDetails(ids, idents, `{"type":"openid_credential"}`)
	wantError(t, err, oauth.CodeInvalidAuthorizationDetails, "authorization_details must be a JSON array")
}
