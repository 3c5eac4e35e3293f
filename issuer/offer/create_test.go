package offer_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"math"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"issuer/issuer/oauth"
	"issuer/issuer/offer"
)

var (
	token43 = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)
	numeric = regexp.MustCompile(`^[0-9]+$`)
	// text transaction codes leave out 0/O and 1/I.
	textAlphabet = regexp.MustCompile(`^[ABCDEFGHJKLMNPQRSTUVWXYZ23456789]+$`)
)

func ptr[T any](v T) *T { return &v }

// TestCreateRefused: what the admin API may not ask for, each refused as
// invalid_request with nothing stored (VCI-17, VCI-18).
func TestCreateRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	maxSeconds := int64(e.Cfg.MaxCodeTTL / time.Second)
	for _, tc := range []struct {
		name string
		mod  func(*offer.Request)
		desc string
	}{
		{"VCI-17 no configuration", func(r *offer.Request) { r.CredentialConfigurationIDs = nil }, "credential_configuration_ids must be a non-empty array"},
		{"VCI-17 unknown configuration", func(r *offer.Request) { r.CredentialConfigurationIDs = []string{pid, "unknown"} },
			"credential_configuration_ids has an ID that is not in credential_configurations_supported"},
		{"VCI-17 duplicate configuration", func(r *offer.Request) { r.CredentialConfigurationIDs = []string{pid, mdl, pid} }, "credential_configuration_ids has a duplicate"},
		{"no subject", func(r *offer.Request) { r.Subject = "" }, "subject must be 1 to 255 bytes of UTF-8"},
		{"subject of 256 bytes", func(r *offer.Request) { r.Subject = strings.Repeat("a", 256) }, "subject must be 1 to 255 bytes of UTF-8"},
		{"subject not UTF-8", func(r *offer.Request) { r.Subject = "a\xff" }, "subject must be 1 to 255 bytes of UTF-8"},
		{"claims an array", func(r *offer.Request) { r.Claims = json.RawMessage(`[1]`) }, "claims must be a JSON object"},
		{"claims not JSON", func(r *offer.Request) { r.Claims = json.RawMessage(`{"a":`) }, "claims must be a JSON object"},
		{"unknown grant", withGrants("implicit"), ""},
		{"password grant", withGrants(oauth.GrantPassword), ""},
		{"grant in another case", withGrants("Authorization_Code"), ""},
		{"duplicate grant", withGrants(oauth.GrantPreAuthorizedCode, oauth.GrantAuthorizationCode, oauth.GrantPreAuthorizedCode), ""},
		{"tx_code without the pre-authorized code", func(r *offer.Request) {
			withGrants(oauth.GrantAuthorizationCode)(r)
			withTx(offer.TxCodeRequest{Length: 6})(r)
		}, "tx_code protects the pre-authorized code grant, which the offer does not carry"},
		{"tx_code length 3", withTx(offer.TxCodeRequest{Length: 3}), "tx_code.length must be between 4 and 16"},
		{"tx_code length 17", withTx(offer.TxCodeRequest{Length: 17}), "tx_code.length must be between 4 and 16"},
		{"tx_code negative length", withTx(offer.TxCodeRequest{Length: -6}), "tx_code.length must be between 4 and 16"},
		{"tx_code input_mode", withTx(offer.TxCodeRequest{InputMode: "alphanumeric"}), "tx_code.input_mode must be numeric or text"},
		{"tx_code input_mode case", withTx(offer.TxCodeRequest{InputMode: "Numeric"}), "tx_code.input_mode must be numeric or text"},
		{"VCI-18 description of 301 characters", withTx(offer.TxCodeRequest{Description: strings.Repeat("é", 301)}), "tx_code.description must be at most 300 characters"},
		{"description not UTF-8", withTx(offer.TxCodeRequest{Description: "a\xff"}), "tx_code.description must be at most 300 characters"},
		{"expires_in 0", func(r *offer.Request) { r.ExpiresIn = ptr(int64(0)) }, ""},
		{"expires_in negative", func(r *offer.Request) { r.ExpiresIn = ptr(int64(-1)) }, ""},
		{"expires_in over the maximum", func(r *offer.Request) { r.ExpiresIn = ptr(maxSeconds + 1) }, ""},
		{"expires_in that overflows a Duration", func(r *offer.Request) { r.ExpiresIn = ptr(int64(math.MaxInt64 / 1000)) }, ""},
		// 2^55 + 60 seconds are 60 s modulo 2^64 ns: the check must come
		// before the multiplication.
		{"expires_in that wraps a Duration to a minute", func(r *offer.Request) { r.ExpiresIn = ptr(int64(1<<55 + 60)) }, ""},
		{"expires_in MaxInt64", func(r *offer.Request) { r.ExpiresIn = ptr(int64(math.MaxInt64)) }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.Store.Created()
			resp, err := e.Offers.Create(t.Context(), req(tc.mod))
			desc := tc.desc
			if strings.HasPrefix(tc.name, "expires_in") {
				desc = "expires_in must be between 1 and 604800 seconds"
			}
			wantError(t, err, oauth.CodeInvalidRequest, desc)
			if resp.OfferID != "" || e.Store.Created() != before {
				t.Errorf("a refused request stored an offer (%q)", resp.OfferID)
			}
		})
	}
}

// TestCreateLifetime: the code lives pre_authorized.code_ttl, or
// expires_in seconds from 1 to pre_authorized.max_code_ttl (VCI-03).
func TestCreateLifetime(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *offer.Config) { c.CodeTTL, c.MaxCodeTTL = 7*time.Minute, 2*time.Hour })
	now := e.Clock.Now()
	for _, tc := range []struct {
		name      string
		expiresIn *int64
		want      time.Duration
	}{
		{"default", nil, 7 * time.Minute},
		{"one second", ptr(int64(1)), time.Second},
		{"the maximum", ptr(int64(7200)), 2 * time.Hour},
		{"over the default", ptr(int64(3600)), time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := e.create(t, req(func(r *offer.Request) { r.ExpiresIn = tc.expiresIn }))
			o := e.stored(t, code(t, resp))
			if !resp.ExpiresAt.Equal(now.Add(tc.want)) || !o.ExpiresAt.Equal(now.Add(tc.want)) || !o.KeepUntil.Equal(o.ExpiresAt) {
				t.Errorf("expires_at = %v, stored %v (keep until %v); want %v", resp.ExpiresAt, o.ExpiresAt, o.KeepUntil, now.Add(tc.want))
			}
			if !o.CreatedAt.Equal(now) {
				t.Errorf("created_at = %v; want %v", o.CreatedAt, now)
			}
		})
	}
	_, err := e.Offers.Create(t.Context(), req(func(r *offer.Request) { r.ExpiresIn = ptr(int64(7201)) }))
	wantError(t, err, oauth.CodeInvalidRequest, "expires_in must be between 1 and 7200 seconds")
}

// TestCreateTxCodeShape: the transaction code is drawn in the requested
// shape (VCI-18, VCI-22), advertised without its value and with
// input_mode left out when numeric, and stored only as its hash.
func TestCreateTxCodeShape(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	desc300 := strings.Repeat("é", 300)
	for _, tc := range []struct {
		name     string
		tx       offer.TxCodeRequest
		length   int
		alphabet *regexp.Regexp
		advert   offer.TxCodeRequest
	}{
		{"J06 empty object: 6 digits", offer.TxCodeRequest{}, 6, numeric, offer.TxCodeRequest{Length: 6}},
		{"numeric length 4", offer.TxCodeRequest{Length: 4, InputMode: "numeric"}, 4, numeric, offer.TxCodeRequest{Length: 4}},
		{"numeric length 16", offer.TxCodeRequest{Length: 16}, 16, numeric, offer.TxCodeRequest{Length: 16}},
		{"text length 8", offer.TxCodeRequest{Length: 8, InputMode: "text", Description: "see your letter"}, 8, textAlphabet,
			offer.TxCodeRequest{Length: 8, InputMode: "text", Description: "see your letter"}},
		{"text default length", offer.TxCodeRequest{InputMode: "text"}, 6, textAlphabet, offer.TxCodeRequest{Length: 6, InputMode: "text"}},
		{"VCI-18 description of 300 characters", offer.TxCodeRequest{Description: desc300}, 6, numeric, offer.TxCodeRequest{Length: 6, Description: desc300}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := e.create(t, req(withTx(tc.tx)))
			if len(resp.TxCode) != tc.length || !tc.alphabet.MatchString(resp.TxCode) {
				t.Errorf("tx_code = %q; want %d characters matching %s", resp.TxCode, tc.length, tc.alphabet)
			}
			if got := resp.CredentialOffer.Grants.PreAuthorizedCode.TxCode; got == nil || *got != tc.advert {
				t.Errorf("advertised tx_code = %+v; want %+v", got, tc.advert)
			}
			o := e.stored(t, code(t, resp))
			sum := sha256.Sum256([]byte(resp.TxCode))
			if o.TxCode == nil || !bytes.Equal(o.TxCode.Hash, sum[:]) {
				t.Fatalf("stored tx_code = %+v; want the SHA-256 of %q", o.TxCode, resp.TxCode)
			}
			if o.TxCode.Length != tc.length {
				t.Errorf("stored length = %d; want %d", o.TxCode.Length, tc.length)
			}
			full, _ := e.Store.GetOffer(t.Context(), resp.OfferID)
			if strings.Contains(string(full.OfferJSON), `"`+resp.TxCode+`"`) {
				t.Errorf("the offer JSON %s holds the transaction code", full.OfferJSON)
			}
		})
	}
	// The codes are drawn at random: 20 of 6 digits are not all alike.
	seen := map[string]bool{}
	for range 20 {
		seen[e.create(t, req(withTx(offer.TxCodeRequest{}))).TxCode] = true
	}
	if len(seen) < 15 {
		t.Errorf("20 transaction codes have %d distinct values", len(seen))
	}
}

// TestCreateOffer: the offer object (VCI-16, VCI-17), the code (256 bits,
// stored only as its hash), one credential identifier per configuration,
// and the links by value and by reference.
func TestCreateOffer(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	claims := json.RawMessage(`{"given_name":"Alice"}`)
	resp := e.create(t, req(func(r *offer.Request) { r.CredentialConfigurationIDs, r.Claims = []string{mdl, pid}, claims }))
	co := resp.CredentialOffer
	if co.CredentialIssuer != issuerURL || strings.Join(co.CredentialConfigurationIDs, ",") != mdl+","+pid {
		t.Errorf("credential offer = %+v; want the issuer and [%s %s]", co, mdl, pid)
	}
	c := code(t, resp)
	if !token43.MatchString(c) {
		t.Errorf("pre-authorized code %q is not 43 base64url characters", c)
	}
	if co.Grants.AuthorizationCode != nil || co.Grants.PreAuthorizedCode.TxCode != nil || resp.TxCode != "" {
		t.Errorf("grants = %+v, tx_code %q; want only the pre-authorized code, without tx_code", co.Grants, resp.TxCode)
	}
	o, err := e.Store.GetOffer(t.Context(), resp.OfferID)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(o.CodeHash, codeHash(c)) || o.Subject != "alice" || !bytes.Equal(o.Claims, claims) || o.TxCode != nil || o.IssuerStateHash != nil {
		t.Errorf("stored offer = %+v", o)
	}
	if len(o.CredentialIdentifiers) != 2 || o.CredentialIdentifiers[0] == o.CredentialIdentifiers[1] {
		t.Errorf("credential identifiers = %v; want two distinct", o.CredentialIdentifiers)
	}
	// VCI-16: by value, credential_offer_uri carries the offer itself.
	link, err := url.Parse(resp.CredentialOfferURI)
	if err != nil || link.Scheme != "openid-credential-offer" || link.Query().Has("credential_offer_uri") {
		t.Fatalf("credential_offer_uri = %q; want an openid-credential-offer:// link by value", resp.CredentialOfferURI)
	}
	var linked offer.CredentialOffer
	if err := json.Unmarshal([]byte(link.Query().Get("credential_offer")), &linked); err != nil || linked.Grants.PreAuthorizedCode.PreAuthorizedCode != c {
		t.Errorf("linked offer = %+v, %v; want the offer with its code", linked, err)
	}
	if !bytes.Equal(o.OfferJSON, []byte(link.Query().Get("credential_offer"))) || o.ByReference || resp.OfferURL != "" {
		t.Errorf("by value: offer_url %q, stored JSON %s, by reference %v", resp.OfferURL, o.OfferJSON, o.ByReference)
	}
	if resp.QRURL != issuerURL+"/offers/"+resp.OfferID+"/qr" {
		t.Errorf("qr_url = %q", resp.QRURL)
	}
	// VCI-16: by reference, only the URL of the offer.
	ref := e.create(t, req(func(r *offer.Request) { r.ByReference = true }))
	if want := issuerURL + "/offers/" + ref.OfferID; ref.OfferURL != want ||
		ref.CredentialOfferURI != "openid-credential-offer://?credential_offer_uri="+url.QueryEscape(want) {
		t.Errorf("by reference: offer_url %q, credential_offer_uri %q; want %s and a link to it", ref.OfferURL, ref.CredentialOfferURI, want)
	}
	if code(t, ref) == c {
		t.Error("two offers share a pre-authorized code")
	}
}

// TestCreateGrants: the grants an offer carries, and the issuer_state of
// the authorization_code grant (random, stored only as its hash).
func TestCreateGrants(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ac := e.create(t, req(withGrants(oauth.GrantAuthorizationCode)))
	g := ac.CredentialOffer.Grants
	if g.PreAuthorizedCode != nil || g.AuthorizationCode == nil || !token43.MatchString(g.AuthorizationCode.IssuerState) {
		t.Fatalf("grants = %+v; want only authorization_code with a 43-character issuer_state", g)
	}
	o, err := e.Store.GetOffer(t.Context(), ac.OfferID)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(o.IssuerStateHash, offer.IssuerStateHash(g.AuthorizationCode.IssuerState)) {
		t.Errorf("stored issuer_state hash = %x; want IssuerStateHash(issuer_state)", o.IssuerStateHash)
	}
	both := e.create(t, req(withGrants(oauth.GrantAuthorizationCode, oauth.GrantPreAuthorizedCode), withTx(offer.TxCodeRequest{})))
	g2 := both.CredentialOffer.Grants
	if g2.PreAuthorizedCode == nil || g2.PreAuthorizedCode.TxCode == nil || g2.AuthorizationCode == nil || both.TxCode == "" {
		t.Errorf("grants = %+v; want both, the pre-authorized one with tx_code", g2)
	}
	if g2.AuthorizationCode.IssuerState == g.AuthorizationCode.IssuerState {
		t.Error("two offers share an issuer_state")
	}
	if def := e.create(t, req()).CredentialOffer.Grants; def.PreAuthorizedCode == nil || def.AuthorizationCode != nil {
		t.Errorf("default grants = %+v; want only the pre-authorized code", def)
	}
}
