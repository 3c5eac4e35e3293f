package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sort"

	"issuer/issuer"
)

const demoClientID = "demo-wallet"

func newAdminToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// printDemo registers the demo client (once per database), creates a fresh
// credential offer and prints ready-to-paste curl lines.
func printDemo(ctx context.Context, svc *issuer.Service, adminToken string, w io.Writer) error {
	_, err := svc.CreateClient(ctx, issuer.ClientMetadata{
		ClientID: demoClientID, TokenEndpointAuthMethod: issuer.AuthNone,
		GrantTypes: []string{issuer.GrantPreAuthorizedCode}, DPoPBoundAccessTokens: true,
	})
	var ie *issuer.Error
	if err != nil && !(errors.As(err, &ie) && ie.Code == "invalid_client_metadata") {
		return err
	}
	cfg := svc.Config()
	ids := make([]string, 0, len(cfg.CredentialConfigurations))
	for id := range cfg.CredentialConfigurations {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	offer, err := svc.CreateOffer(ctx, issuer.OfferRequest{CredentialConfigurationIDs: ids[:1], Subject: "demo-subject"})
	if err != nil {
		return err
	}
	code := offer.CredentialOffer.Grants.PreAuthorizedCode.PreAuthorizedCode
	base := cfg.URL
	_, err = fmt.Fprintf(w, `
issuer is running in demo mode (--dev)

  admin token:          %[1]s
  demo client:          %[2]s (public: token_endpoint_auth_method none, DPoP-bound tokens)
  credential offer:     %[3]s
  pre-authorized code:  %[4]s

Redeem the offer; "issuer proof" signs a DPoP proof with the wallet key in ./wallet-key.json:

  curl -s %[5]s/token \
    -H "DPoP: $(go run ./cmd/issuer proof POST %[5]s/token)" \
    -d grant_type=%[6]s \
    --data-urlencode pre-authorized_code=%[4]s

Create another offer, with a transaction code:

  curl -s %[5]s/admin/offers -H "Authorization: Bearer %[1]s" -H "Content-Type: application/json" \
    -d '{"credential_configuration_ids":["%[7]s"],"subject":"alice","tx_code":{"length":6}}'

`, adminToken, demoClientID, offer.CredentialOfferURI, code, base, url.QueryEscape(issuer.GrantPreAuthorizedCode), ids[0])
	return err
}
