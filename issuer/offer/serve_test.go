package offer_test

import (
	"bytes"
	"net/url"
	"testing"
	"time"

	"issuer/issuer/oauth"
	"issuer/issuer/offer"
)

// TestByReference: the offer URI serves the offer JSON of an offer passed
// by reference while its code can be used, and nothing else (HAIP-18).
func TestByReference(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *offer.Config) { c.TxCodeMaxAttempts = 1 })
	ref := e.create(t, req(func(r *offer.Request) { r.ByReference = true }))
	got, err := e.Offers.ByReference(t.Context(), ref.OfferID)
	if err != nil {
		t.Fatalf("ByReference() = %v", err)
	}
	stored, _ := e.Store.GetOffer(t.Context(), ref.OfferID)
	if !bytes.Equal(got, stored.OfferJSON) || !bytes.Contains(got, []byte(code(t, ref))) {
		t.Errorf("ByReference() = %s; want the stored offer with its code", got)
	}

	byValue := e.create(t, req())
	redeemed := e.create(t, req(func(r *offer.Request) { r.ByReference = true }))
	e.redeem(t, code(t, redeemed))
	locked := e.create(t, req(func(r *offer.Request) { r.ByReference = true }, withTx(offer.TxCodeRequest{})))
	_ = e.check(t, code(t, locked), map[string]string{"tx_code": wrong(locked.TxCode)})
	for _, tc := range []struct{ name, id string }{
		{"unknown", "no-such-offer"},
		{"passed by value", byValue.OfferID},
		{"redeemed", redeemed.OfferID},
		{"locked", locked.OfferID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := e.Offers.ByReference(t.Context(), tc.id)
			wantError(t, err, oauth.CodeNotFound, "no such credential offer")
			if got != nil {
				t.Errorf("ByReference() = %s with the error", got)
			}
		})
	}
	t.Run("expired", func(t *testing.T) {
		e := newEnv(t)
		ref := e.create(t, req(func(r *offer.Request) { r.ByReference = true }))
		e.Clock.Advance(e.Cfg.CodeTTL)
		if _, err := e.Offers.ByReference(t.Context(), ref.OfferID); err != nil {
			t.Fatalf("ByReference() at the expiry = %v", err)
		}
		e.Clock.Advance(time.Nanosecond)
		_, err := e.Offers.ByReference(t.Context(), ref.OfferID)
		wantError(t, err, oauth.CodeNotFound, "no such credential offer")
	})
}

// TestQR: the QR page shows the link the admin API returned and the
// display names of the credentials, while the offer can be used.
func TestQR(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	byValue := e.create(t, req(func(r *offer.Request) { r.CredentialConfigurationIDs = []string{pid, mdl} }))
	p, err := e.Offers.QR(t.Context(), byValue.OfferID)
	if err != nil {
		t.Fatalf("QR() = %v", err)
	}
	if p.Link != byValue.CredentialOfferURI || len(p.Credentials) != 2 || p.Credentials[0] != pidName || p.Credentials[1] != pidName+" (mdoc)" {
		t.Errorf("QR() = %+v; want link %q and the two display names", p, byValue.CredentialOfferURI)
	}
	ref := e.create(t, req(func(r *offer.Request) { r.ByReference = true }))
	if p, err := e.Offers.QR(t.Context(), ref.OfferID); err != nil || p.Link != ref.CredentialOfferURI {
		t.Errorf("QR(by reference) = %+v, %v; want link %q", p, err, ref.CredentialOfferURI)
	}
	if u, _ := url.Parse(ref.CredentialOfferURI); u.Query().Get("credential_offer_uri") != ref.OfferURL {
		t.Errorf("by-reference link %q does not name %q", ref.CredentialOfferURI, ref.OfferURL)
	}
	if p.TxCode != nil || p.Status != "" {
		t.Errorf("QR() of an offer without tx_code = %+v; want no transaction code and no status", p)
	}
	withTx := e.create(t, req(func(r *offer.Request) {
		r.TxCode = &offer.TxCodeRequest{Length: 6, InputMode: "numeric", Description: "sent by SMS"}
	}))
	if p, err := e.Offers.QR(t.Context(), withTx.OfferID); err != nil || p.TxCode == nil || p.TxCode.Length != 6 || p.TxCode.Description != "sent by SMS" {
		t.Errorf("QR(with tx_code) = %+v, %v; want the transaction code's length and description", p, err)
	}

	// Once the offer cannot be used, the page says why and shows no link.
	redeemedAt := e.Clock.Now()
	e.redeem(t, code(t, byValue))
	p, err = e.Offers.QR(t.Context(), byValue.OfferID)
	if err != nil || p.Status != offer.StatusRedeemed || p.Link != "" || !p.Since.Equal(redeemedAt) || len(p.Credentials) != 2 {
		t.Errorf("QR(redeemed) = %+v, %v; want status redeemed since %s, no link, the credentials named", p, err, redeemedAt)
	}
	e.Clock.Advance(e.Cfg.CodeTTL + time.Second)
	p, err = e.Offers.QR(t.Context(), ref.OfferID)
	if err != nil || p.Status != offer.StatusExpired || p.Link != "" {
		t.Errorf("QR(expired) = %+v, %v; want status expired and no link", p, err)
	}
	_, err = e.Offers.QR(t.Context(), "no-such-offer")
	wantError(t, err, oauth.CodeNotFound, "no such credential offer")
}

// TestByIssuerState: an issuer_state names its live offer; an unknown,
// expired, redeemed or locked one is refused alike (OpenID4VCI 1.0
// §5.1.3: the value may come from an attacker).
func TestByIssuerState(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *offer.Config) { c.TxCodeMaxAttempts = 1 })
	state := func(r offer.Response) string { return r.CredentialOffer.Grants.AuthorizationCode.IssuerState }
	live := e.create(t, req(withGrants(oauth.GrantAuthorizationCode)))
	o, err := e.Offers.ByIssuerState(t.Context(), state(live))
	if err != nil || o.ID != live.OfferID {
		t.Fatalf("ByIssuerState() = %s, %v; want %s", o.ID, err, live.OfferID)
	}
	redeemed := e.create(t, req(withGrants(oauth.GrantAuthorizationCode, oauth.GrantPreAuthorizedCode)))
	e.redeem(t, code(t, redeemed))
	locked := e.create(t, req(withGrants(oauth.GrantAuthorizationCode, oauth.GrantPreAuthorizedCode), withTx(offer.TxCodeRequest{})))
	_ = e.check(t, code(t, locked), map[string]string{"tx_code": wrong(locked.TxCode)})
	const bad = "the issuer_state is not valid or has expired"
	for _, tc := range []struct{ name, state string }{
		{"unknown", "no-such-state"},
		{"empty", ""},
		{"the pre-authorized code instead", code(t, redeemed)},
		{"redeemed through the pre-authorized code", state(redeemed)},
		{"locked", state(locked)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.Offers.ByIssuerState(t.Context(), tc.state)
			wantError(t, err, oauth.CodeInvalidRequest, bad)
		})
	}
	t.Run("expired", func(t *testing.T) {
		e.Clock.Advance(e.Cfg.CodeTTL)
		if _, err := e.Offers.ByIssuerState(t.Context(), state(live)); err != nil {
			t.Fatalf("ByIssuerState() at the expiry = %v", err)
		}
		e.Clock.Advance(time.Nanosecond)
		_, err := e.Offers.ByIssuerState(t.Context(), state(live))
		wantError(t, err, oauth.CodeInvalidRequest, bad)
	})
}

// TestCredentialName: the display name of credential_metadata (1.0), of
// the configuration (draft 13), else the ID.
func TestCredentialName(t *testing.T) {
	t.Parallel()
	display := func(name any) map[string]any { return map[string]any{"display": []any{map[string]any{"name": name}}} }
	configs := map[string]any{
		"v1":      map[string]any{"credential_metadata": display("One")},
		"draft13": display("Thirteen"),
		"both":    map[string]any{"credential_metadata": display("New"), "display": []any{map[string]any{"name": "Old"}}},
		"empty":   map[string]any{"credential_metadata": display("")},
		"number":  display(7),
		"none":    map[string]any{"format": "x"},
	}
	for id, want := range map[string]string{"v1": "One", "draft13": "Thirteen", "both": "New", "empty": "empty", "number": "number", "none": "none", "unknown": "unknown"} {
		if got := offer.CredentialName(configs, id); got != want {
			t.Errorf("CredentialName(%s) = %q; want %q", id, got, want)
		}
	}
}
