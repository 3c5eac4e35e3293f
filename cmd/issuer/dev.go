package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"os"
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

// demoSeed is what --dev found or created in the database.
type demoSeed struct {
	clientReused, userReused bool
	// password is the demo user's, known only when this run created it.
	password string
	claims   json.RawMessage
}

// seedDemo registers the demo client and the demo user, once per database:
// a later run reuses them and says so.
func seedDemo(ctx context.Context, svc *issuer.Service) (demoSeed, error) {
	cfg := svc.Config()
	var seed demoSeed
	_, err := svc.Clients.Create(ctx, clients.Metadata{
		ClientID: demoClientID, TokenEndpointAuthMethod: oauth.AuthNone,
		GrantTypes:            []string{oauth.GrantPreAuthorizedCode, oauth.GrantAuthorizationCode, oauth.GrantRefreshToken},
		RedirectURIs:          []string{cfg.URL + web.PathDevCallback},
		DPoPBoundAccessTokens: true,
	})
	if seed.clientReused, err = existing(err); err != nil {
		return seed, err
	}
	if seed.claims, err = demoClaims(cfg.Now()); err != nil {
		return seed, err
	}
	// The demo user gets a random password, printed when it is created: a
	// database that --dev once ran on holds no known password.
	seed.password = newAdminToken()[:16]
	_, err = svc.Users.Create(ctx, authz.UserRequest{Username: demoUser, Password: seed.password, Claims: seed.claims})
	if seed.userReused, err = existing(err); err != nil || seed.userReused {
		seed.password = ""
	}
	return seed, err
}

// printDemo seeds the demo records and creates two fresh offers, one for
// each flow (a pre-authorized code redeemed first would otherwise end the
// offer whose issuer_state the code flow names), then prints the steps in
// the order they work, and how to stop the server.
func printDemo(ctx context.Context, svc *issuer.Service, adminToken string, w io.Writer) error {
	seed, err := seedDemo(ctx, svc)
	if err != nil {
		return err
	}
	cfg := svc.Config()
	ids := make([]string, 0, len(cfg.CredentialConfigurations))
	for id := range cfg.CredentialConfigurations {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	offer := func(grant string) (issuer.OfferResponse, error) {
		return svc.Offers.Create(ctx, issuer.OfferRequest{
			CredentialConfigurationIDs: ids, Subject: demoUser, Claims: seed.claims, Grants: []string{grant},
		})
	}
	pre, err := offer(oauth.GrantPreAuthorizedCode)
	if err != nil {
		return err
	}
	code, err := offer(oauth.GrantAuthorizationCode)
	if err != nil {
		return err
	}
	return writeDemo(w, demoText{
		Base: cfg.URL, Admin: adminToken, Client: demoClientID, User: demoUser,
		ClientNote: reusedNote(seed.clientReused, "registered"), Password: seed.password,
		Callback: cfg.URL + web.PathDevCallback, Config: ids[0], PID: os.Getpid(),
		PreOffer: pre.CredentialOfferURI, PreQR: pre.QRURL, PreCode: pre.CredentialOffer.Grants.PreAuthorizedCode.PreAuthorizedCode,
		CodeQR: code.QRURL, IssuerState: code.CredentialOffer.Grants.AuthorizationCode.IssuerState,
		PreTTL: time.Until(pre.ExpiresAt).Round(time.Minute), CodeTTL: time.Until(code.ExpiresAt).Round(time.Minute),
	})
}

func reusedNote(reused bool, verb string) string {
	if reused {
		return "reused: " + verb + " by an earlier --dev run on this database"
	}
	return "new"
}

// existing reports whether err is "already registered", which --dev
// takes as success: the demo records are created once per database.
func existing(err error) (bool, error) {
	var ie *oauth.Error
	if err != nil && errors.As(err, &ie) && ie.Status < 500 {
		return true, nil
	}
	return false, err
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
