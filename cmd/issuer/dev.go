package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sort"
	"time"

	"issuer/issuer"
	"issuer/issuer/authz"
	"issuer/issuer/clients"
	"issuer/issuer/oauth"
	"issuer/web"
)

const (
	demoClientID = "demo-wallet"
	demoUser     = "alice"
)

func newAdminToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// printDemo registers the demo client (once per database), creates a fresh
// credential offer and prints ready-to-paste curl lines.
func printDemo(ctx context.Context, svc *issuer.Service, adminToken string, w io.Writer) error {
	cfg := svc.Config()
	callback := cfg.URL + web.PathDevCallback
	_, err := svc.Clients.Create(ctx, clients.Metadata{
		ClientID: demoClientID, TokenEndpointAuthMethod: oauth.AuthNone,
		GrantTypes:            []string{oauth.GrantPreAuthorizedCode, oauth.GrantAuthorizationCode, oauth.GrantRefreshToken},
		RedirectURIs:          []string{callback},
		DPoPBoundAccessTokens: true,
	})
	if err := ignoreExisting(err); err != nil {
		return err
	}
	// The demo user gets a random password, printed when it is created: a
	// database that --dev once ran on holds no known password.
	password := newAdminToken()[:16]
	claims, err := demoClaims(cfg.Now())
	if err != nil {
		return err
	}
	_, err = svc.Users.Create(ctx, authz.UserRequest{Username: demoUser, Password: password, Claims: claims})
	if err != nil {
		password = "(the one printed when --dev first ran on this database)"
	}
	if err := ignoreExisting(err); err != nil {
		return err
	}
	ids := make([]string, 0, len(cfg.CredentialConfigurations))
	for id := range cfg.CredentialConfigurations {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	offer, err := svc.Offers.Create(ctx, issuer.OfferRequest{
		CredentialConfigurationIDs: ids, Subject: demoUser, Claims: claims,
		Grants: []string{oauth.GrantPreAuthorizedCode, oauth.GrantAuthorizationCode},
	})
	if err != nil {
		return err
	}
	code := offer.CredentialOffer.Grants.PreAuthorizedCode.PreAuthorizedCode
	state := offer.CredentialOffer.Grants.AuthorizationCode.IssuerState
	base := cfg.URL
	_, err = fmt.Fprintf(w, `
issuer is running in demo mode (--dev)

  admin token:          %[1]s
  demo client:          %[2]s (public: token_endpoint_auth_method none, DPoP-bound tokens)
  credential offer:     %[3]s
  pre-authorized code:  %[4]s
  QR page of the offer: %[8]s
  demo user:            %[9]s / %[10]s

Redeem the offer; "issuer proof" signs a DPoP proof with the wallet key in ./wallet-key.json:

  curl -s %[5]s/token \
    -H "DPoP: $(go run ./cmd/issuer proof POST %[5]s/token)" \
    -d grant_type=%[6]s \
    --data-urlencode pre-authorized_code=%[4]s

Then fetch the PID with the answer's access_token (AT) and one of its credential_identifiers (ID);
"issuer keyproof" signs the key proof the credential is bound to:

  C_NONCE=$(curl -s -X POST %[5]s/nonce | sed 's/.*"c_nonce":"\([^"]*\)".*/\1/')
  curl -s %[5]s/credential \
    -H "Authorization: DPoP $AT" \
    -H "DPoP: $(go run ./cmd/issuer proof --access-token "$AT" POST %[5]s/credential)" \
    -H "Content-Type: application/json" \
    -d '{"credential_identifier":"'"$ID"'","proofs":{"jwt":["'"$(go run ./cmd/issuer keyproof --aud %[5]s --nonce "$C_NONCE")"'"]}}'

Create another offer, with a transaction code:

  curl -s %[5]s/admin/offers -H "Authorization: Bearer %[1]s" -H "Content-Type: application/json" \
    -d '{"credential_configuration_ids":["%[7]s"],"subject":"alice","tx_code":{"length":6}}'

The authorization code flow (PAR, PKCE, DPoP) for the same offer:

  eval "$(go run ./cmd/issuer pkce)"
  curl -s %[5]s/par \
    -H "DPoP: $(go run ./cmd/issuer proof POST %[5]s/par)" \
    -d client_id=%[2]s -d response_type=code -d redirect_uri=%[11]s \
    -d code_challenge=$CODE_CHALLENGE -d code_challenge_method=S256 \
    -d scope=openid -d issuer_state=%[12]s

  Open %[5]s/authorize?client_id=%[2]s&request_uri=<request_uri from the answer>
  in a browser, sign in as %[9]s / %[10]s and allow; the callback page shows the code. Then:

  curl -s %[5]s/token \
    -H "DPoP: $(go run ./cmd/issuer proof POST %[5]s/token)" \
    -d grant_type=authorization_code -d client_id=%[2]s -d redirect_uri=%[11]s \
    -d code_verifier=$CODE_VERIFIER -d code=<code>

`, adminToken, demoClientID, offer.CredentialOfferURI, code, base, url.QueryEscape(oauth.GrantPreAuthorizedCode), ids[0],
		offer.QRURL, demoUser, password, callback, state)
	return err
}

// demoClaims are the claims of the demo person, Erika Mustermann: every
// mandatory claim of both default PID configurations, the SD-JWT VC's
// names at the top, the mdoc elements whose names differ in the PID's
// namespace.
func demoClaims(now time.Time) (json.RawMessage, error) {
	expiry := now.AddDate(5, 0, 0).Format(time.DateOnly)
	issued := now.Format(time.DateOnly)
	place := map[string]any{"locality": "Berlin", "country": "DE"}
	return json.Marshal(map[string]any{
		"given_name": "Erika", "family_name": "Mustermann", "birthdate": "1964-08-12",
		"place_of_birth": place, "nationalities": []string{"DE"}, "age_equal_or_over": map[string]any{"18": true},
		"issuing_authority": "Demo PID Provider", "issuing_country": "DE",
		"date_of_expiry": expiry, "date_of_issuance": issued, "document_number": "DEMO-0001",
		issuer.PIDDocType: map[string]any{
			"birth_date": "1964-08-12", "nationality": []string{"DE"}, "age_over_18": true,
			"expiry_date": expiry, "issuance_date": issued,
		},
	})
}

// ignoreExisting treats "already registered" as success: the demo records
// are created once per database.
func ignoreExisting(err error) error {
	var ie *oauth.Error
	if err != nil && errors.As(err, &ie) && ie.Status < 500 {
		return nil
	}
	return err
}
