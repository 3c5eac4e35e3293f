package web_test

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"issuer/issuer"
	"issuer/issuer/oauth"
)

// An offer with both grants is for one issuance: whichever grant is used
// first ends the other.
func TestOfferUsedOnceAcrossGrants(t *testing.T) {
	bothGrants := map[string]any{"subject": afUser, "grants": []string{preAuth, "authorization_code"}}
	stateParams := func(s *afSetup, pk afPKCE, o issuer.OfferResponse) url.Values {
		return afParams(s.ClientID, pk, url.Values{"scope": {""}, "issuer_state": {o.CredentialOffer.Grants.AuthorizationCode.IssuerState}})
	}

	t.Run("a redeemed pre-authorized code ends the issuer_state", func(t *testing.T) {
		s := newAuthFlow(t)
		o := s.offer(t, bothGrants)
		wantToken(t, s.redeem(t, code(o), newWallet(t).Proof(t, s.TokenURL(), ""), nil))
		wantError(t, s.afPush(t, stateParams(s, newPKCE(t), o), nil), http.StatusBadRequest, "invalid_request")
	})
	t.Run("a code redeemed through the issuer_state ends the pre-authorized code", func(t *testing.T) {
		s := newAuthFlow(t)
		o := s.offer(t, bothGrants)
		pk, w := newPKCE(t), newWallet(t)
		c := s.afCode(t, stateParams(s, pk, o), nil)
		wantToken(t, s.afExchange(t, s.ClientID, c, pk.Verifier, w.Proof(t, s.TokenURL(), ""), nil))
		wantError(t, s.redeem(t, code(o), newWallet(t).Proof(t, s.TokenURL(), ""), nil), http.StatusBadRequest, "invalid_grant")
		wantGonePage(t, o.QRURL, "This offer was already used")
	})
	t.Run("a code issued before the pre-authorized redemption is refused after it", func(t *testing.T) {
		s := newAuthFlow(t)
		o := s.offer(t, bothGrants)
		pk := newPKCE(t)
		c := s.afCode(t, stateParams(s, pk, o), nil)
		wantToken(t, s.redeem(t, code(o), newWallet(t).Proof(t, s.TokenURL(), ""), nil))
		wantError(t, s.afExchange(t, s.ClientID, c, pk.Verifier, newWallet(t).Proof(t, s.TokenURL(), ""), nil), http.StatusBadRequest, "invalid_grant")
	})
}

// Codes from several authorization requests with one issuer_state,
// redeemed at once: the offer is checked and marked in the transaction
// that consumes a code, so exactly one redemption succeeds.
func TestOfferUsedOnceConcurrentCodes(t *testing.T) {
	s := newAuthFlow(t)
	o := s.offer(t, map[string]any{"subject": afUser, "grants": []string{"authorization_code"}})
	state := o.CredentialOffer.Grants.AuthorizationCode.IssuerState
	const n = 4
	type pending struct {
		code, verifier string
		w              *wallet
	}
	codes := make([]pending, n)
	for i := range codes {
		pk := newPKCE(t)
		codes[i] = pending{s.afCode(t, afParams(s.ClientID, pk, url.Values{"scope": {""}, "issuer_state": {state}}), nil), pk.Verifier, newWallet(t)}
	}
	statuses := make(chan int, n)
	for _, p := range codes {
		go func() {
			res := s.afExchange(t, s.ClientID, p.code, p.verifier, p.w.Proof(t, s.TokenURL(), ""), nil)
			readBody(t, res)
			statuses <- res.StatusCode
		}()
	}
	ok := 0
	for range n {
		if <-statuses == http.StatusOK {
			ok++
		}
	}
	if ok != 1 {
		t.Fatalf("%d of %d codes of one offer were redeemed; want exactly 1", ok, n)
	}
}

// TestIssuerStateFlow covers VCI-23 end to end: the issuer_state of an
// authorization_code offer brings the offer's credentials and credential
// identifiers into the token.
func TestIssuerStateFlow(t *testing.T) {
	t.Parallel()
	s := newAuthFlow(t)
	ts := s.testServer
	w := newWallet(t)
	o := paAuthCodeOffer(t, ts, afUser, []string{paAuthCode}, pidConfig, mdlConfig)
	state := paIssuerState(t, o)

	run := func(t *testing.T, extra url.Values) map[string]string {
		t.Helper()
		pk := newPKCE(t)
		uri := paPush(t, ts, afParams(s.ClientID, pk, extra), nil)
		b := newBrowser(t)
		page, csrf := paLoginPage(t, ts, b, s.ClientID, uri)
		consent := paWantConsent(t, paLogin(t, ts, b, csrf, afUser, afPassword), afUser)
		names := []string{}
		for _, m := range regexp.MustCompile(`<li class="credential">([^<]*)</li>`).FindAllStringSubmatch(consent, -1) {
			names = append(names, m[1])
		}
		q := paWantRedirect(t, paDecide(t, ts, b, afCSRF(t, []byte(consent)), "approve"), afRedirect)
		tb := wantToken(t, s.afExchange(t, s.ClientID, q.Get("code"), pk.Verifier, paProof(t, ts, w, ts.TokenURL()), nil))
		ids := paIdentifiers(t, tb.AuthorizationDetails)
		want := []string{}
		for id := range ids {
			want = append(want, map[string]string{pidConfig: paPIDName, mdlConfig: paMDLName}[id])
		}
		slices.Sort(names)
		slices.Sort(want)
		if !slices.Equal(names, want) || !strings.Contains(page, `<li class="credential">`) {
			t.Errorf("consent lists %v; want %v", names, want)
		}
		return ids
	}
	first := run(t, url.Values{"scope": {""}, "issuer_state": {state}})
	if len(first) != 2 || first[pidConfig] == "" || first[mdlConfig] == "" {
		t.Fatalf("credential identifiers %v; want the offer's PID and mDL", first)
	}
	// An offer is for one issuance: once a code of its issuer_state is
	// redeemed, the issuer_state is refused.
	wantError(t, ts.afPush(t, afParams(s.ClientID, newPKCE(t), url.Values{"scope": {""}, "issuer_state": {state}}), nil), http.StatusBadRequest, "invalid_request")
	o2 := paAuthCodeOffer(t, ts, afUser, []string{paAuthCode}, pidConfig, mdlConfig)
	narrowed := run(t, url.Values{"scope": {pidConfig}, "issuer_state": {paIssuerState(t, o2)}})
	stored2, err := ts.Store.GetOffer(t.Context(), o2.OfferID)
	if err != nil {
		t.Fatal(err)
	}
	if len(narrowed) != 1 || narrowed[pidConfig] != stored2.CredentialIdentifiers[slices.Index(stored2.ConfigurationIDs, pidConfig)] {
		t.Errorf("issuer_state with scope PID: identifiers %v; want only the offer's PID", narrowed)
	}
	if fresh := run(t, url.Values{"scope": {pidConfig + " " + mdlConfig}}); fresh[pidConfig] == first[pidConfig] || fresh[mdlConfig] == first[mdlConfig] {
		t.Errorf("a request without issuer_state got the offer's identifiers %v", fresh)
	}
	// The identifiers are exactly those the offer holds (read from the
	// store: the HTTP API does not show them before a redemption).
	stored, err := ts.Store.GetOffer(t.Context(), o.OfferID)
	if err != nil {
		t.Fatal(err)
	}
	offer := map[string]string{}
	for i, id := range stored.ConfigurationIDs {
		offer[id] = stored.CredentialIdentifiers[i]
	}
	if !maps.Equal(offer, first) {
		t.Errorf("offer identifiers %v; the issuer_state flow gave %v", offer, first)
	}
}

// TestIssuerStateSubject: only the offer's subject (username or user ID)
// may sign in for an issuer_state request.
func TestIssuerStateSubject(t *testing.T) {
	t.Parallel()
	s := newAuthFlow(t)
	ts := s.testServer
	s.afCreateUser(t, "bob", "bob's password", map[string]any{})
	open := func(t *testing.T, subject string) (*afBrowser, string) {
		t.Helper()
		state := paIssuerState(t, paAuthCodeOffer(t, ts, subject, []string{paAuthCode}))
		uri := paPush(t, ts, afParams(s.ClientID, newPKCE(t), url.Values{"issuer_state": {state}, "scope": {""}}), nil)
		b := newBrowser(t)
		_, csrf := paLoginPage(t, ts, b, s.ClientID, uri)
		return b, csrf
	}
	t.Run("another user", func(t *testing.T) {
		t.Parallel()
		b, csrf := open(t, afUser)
		paWantLoginError(t, paLogin(t, ts, b, csrf, "bob", "bob's password"), paOther)
		paWantPage(t, paDecide(t, ts, b, csrf, "approve"), http.StatusForbidden, "invalid_request")
		paWantConsent(t, paLogin(t, ts, b, csrf, afUser, afPassword), afUser)
	})
	t.Run("subject is the user ID", func(t *testing.T) {
		t.Parallel()
		b, csrf := open(t, s.UserID)
		paWantConsent(t, paLogin(t, ts, b, csrf, afUser, afPassword), afUser)
	})
	t.Run("subject is the user ID, another user", func(t *testing.T) {
		t.Parallel()
		b, csrf := open(t, s.UserID)
		paWantLoginError(t, paLogin(t, ts, b, csrf, "bob", "bob's password"), paOther)
	})
	t.Run("subject of nobody", func(t *testing.T) {
		t.Parallel()
		b, csrf := open(t, "subject-1")
		paWantLoginError(t, paLogin(t, ts, b, csrf, afUser, afPassword), paOther)
	})
}

// TestOfferGrants covers the admin API's grants member of offers.
func TestOfferGrants(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	refused := []struct {
		name string
		req  map[string]any
	}{
		{"unknown grant", map[string]any{"grants": []string{"implicit"}}},
		{"password grant", map[string]any{"grants": []string{oauth.GrantPassword}}},
		{"duplicate", map[string]any{"grants": []string{paAuthCode, paAuthCode}}},
		{"duplicate pre-authorized code", map[string]any{"grants": []string{preAuth, paAuthCode, preAuth}}},
		{"tx_code without the pre-authorized code", map[string]any{"grants": []string{paAuthCode}, "tx_code": map[string]any{"length": 6}}},
		{"grant in another case", map[string]any{"grants": []string{"Authorization_Code"}}},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.req["credential_configuration_ids"] = []string{pidConfig}
			tc.req["subject"] = afUser
			wantError(t, ts.admin(t, http.MethodPost, "/admin/offers", tc.req), http.StatusBadRequest, "invalid_request")
		})
	}
	grantsOf := func(t *testing.T, raw map[string]any) map[string]any {
		t.Helper()
		co, _ := raw["credential_offer"].(map[string]any)
		g, _ := co["grants"].(map[string]any)
		return g
	}
	wantQR := func(t *testing.T, raw map[string]any) {
		t.Helper()
		if id, _ := raw["offer_id"].(string); id == "" || raw["qr_url"] != ts.URL+"/offers/"+id+"/qr" {
			t.Errorf("qr_url = %v; want %s/offers/<offer_id>/qr", raw["qr_url"], ts.URL)
		}
	}
	t.Run("authorization_code only", func(t *testing.T) {
		t.Parallel()
		raw := adminOfferRaw(t, ts, map[string]any{"credential_configuration_ids": []string{pidConfig}, "subject": afUser, "grants": []string{paAuthCode}})
		g := grantsOf(t, raw)
		if _, ok := g[preAuth]; ok || len(g) != 1 {
			t.Errorf("grants = %v; want only authorization_code", g)
		}
		ac, _ := g[paAuthCode].(map[string]any)
		if st, _ := ac["issuer_state"].(string); !paToken43RE.MatchString(st) {
			t.Errorf("authorization_code grant = %v; want a 43-character issuer_state", ac)
		}
		if _, ok := raw["tx_code"]; ok {
			t.Errorf("response has a tx_code")
		}
		if _, ok := raw["offer_url"]; ok {
			t.Errorf("by-value offer has an offer_url")
		}
		wantQR(t, raw)
		// The by-value link carries the same grants.
		link, _ := raw["credential_offer_uri"].(string)
		u, err := url.Parse(link)
		if err != nil {
			t.Fatal(err)
		}
		var offer map[string]any
		if err := json.Unmarshal([]byte(u.Query().Get("credential_offer")), &offer); err != nil {
			t.Fatalf("credential_offer_uri %s: %v", link, err)
		}
		if g2, _ := offer["grants"].(map[string]any); len(g2) != 1 || g2[paAuthCode] == nil {
			t.Errorf("linked offer grants = %v; want only authorization_code", g2)
		}
	})
	t.Run("both grants with tx_code", func(t *testing.T) {
		t.Parallel()
		raw := adminOfferRaw(t, ts, map[string]any{
			"credential_configuration_ids": []string{pidConfig}, "subject": afUser,
			"grants": []string{paAuthCode, preAuth}, "tx_code": map[string]any{"length": 6}, "by_reference": true,
		})
		g := grantsOf(t, raw)
		pa, _ := g[preAuth].(map[string]any)
		ac, _ := g[paAuthCode].(map[string]any)
		if pa["pre-authorized_code"] == nil || pa["tx_code"] == nil || ac["issuer_state"] == nil {
			t.Errorf("grants = %v; want both, the pre-authorized one with tx_code", g)
		}
		if raw["offer_url"] == nil {
			t.Errorf("by-reference offer has no offer_url")
		}
		wantQR(t, raw)
	})
	t.Run("default is the pre-authorized code", func(t *testing.T) {
		t.Parallel()
		raw := adminOfferRaw(t, ts, map[string]any{"credential_configuration_ids": []string{pidConfig}, "subject": afUser})
		g := grantsOf(t, raw)
		if _, ok := g[paAuthCode]; ok || g[preAuth] == nil {
			t.Errorf("grants = %v; want only the pre-authorized code", g)
		}
		wantQR(t, raw)
	})
	t.Run("two offers, two issuer_states", func(t *testing.T) {
		t.Parallel()
		a := paIssuerState(t, paAuthCodeOffer(t, ts, afUser, []string{paAuthCode}))
		b := paIssuerState(t, paAuthCodeOffer(t, ts, afUser, []string{paAuthCode}))
		if a == b {
			t.Errorf("two offers share the issuer_state %s", a)
		}
	})
}

// TestQRPage covers the offer's QR page (HAIP-18).
func TestQRPage(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	get := func(t *testing.T, target string) (*http.Response, string) {
		t.Helper()
		res := sendRaw(t, http.MethodGet, target, "", nil, nil)
		return res, string(readBody(t, res))
	}
	wantQRPage := func(t *testing.T, o issuer.OfferResponse) (link, svg string) {
		t.Helper()
		res, page := get(t, o.QRURL)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s = %d %s; want 200", o.QRURL, res.StatusCode, page)
		}
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("Content-Type = %q; want text/html", ct)
		}
		for _, h := range []struct{ name, prefix string }{
			{"Cache-Control", "no-store"}, {"Content-Security-Policy", "default-src 'none'"}, {"X-Frame-Options", "DENY"},
		} {
			if got := res.Header.Get(h.name); !strings.HasPrefix(got, h.prefix) {
				t.Errorf("%s = %q; want %s", h.name, got, h.prefix)
			}
		}
		m := paOfferLinkRE.FindStringSubmatch(page)
		if m == nil || !strings.HasPrefix(m[1], "openid-credential-offer://?") {
			t.Fatalf("QR page has no offer-link to openid-credential-offer://:\n%s", page)
		}
		if !strings.Contains(page, paPIDName) {
			t.Errorf("QR page does not name %s", paPIDName)
		}
		svg = paSVGRE.FindString(page)
		if svg == "" || !strings.Contains(svg, "<path") {
			t.Fatalf("QR page has no inline SVG QR code:\n%s", page)
		}
		return strings.ReplaceAll(m[1], "&amp;", "&"), svg
	}
	t.Run("by reference", func(t *testing.T) {
		t.Parallel()
		o := ts.offer(t, map[string]any{"by_reference": true})
		link, _ := wantQRPage(t, o)
		if !strings.Contains(link, "credential_offer_uri=") || strings.Contains(link, "credential_offer=") {
			t.Errorf("link %s; want the by-reference link", link)
		}
		u, err := url.Parse(link)
		if err != nil || u.Query().Get("credential_offer_uri") != o.OfferURL {
			t.Errorf("link %s; want credential_offer_uri=%s", link, o.OfferURL)
		}
	})
	t.Run("by value", func(t *testing.T) {
		t.Parallel()
		o := ts.offer(t, nil)
		link, _ := wantQRPage(t, o)
		if !strings.Contains(link, "credential_offer=") || strings.Contains(link, "credential_offer_uri=") {
			t.Errorf("link %s; want the by-value link", link)
		}
		u, err := url.Parse(link)
		var offer issuer.CredentialOffer
		if err != nil || json.Unmarshal([]byte(u.Query().Get("credential_offer")), &offer) != nil || code(issuer.OfferResponse{CredentialOffer: offer}) != code(o) {
			t.Errorf("link %s; want the offer with its pre-authorized code", link)
		}
	})
	t.Run("authorization_code only", func(t *testing.T) {
		t.Parallel()
		o := paAuthCodeOffer(t, ts, afUser, []string{paAuthCode}, pidConfig, mdlConfig)
		link, _ := wantQRPage(t, o)
		if !strings.Contains(link, url.QueryEscape(paIssuerState(t, o))) {
			t.Errorf("link %s; want the issuer_state in it", link)
		}
	})
	t.Run("different offers, different QR codes", func(t *testing.T) {
		t.Parallel()
		_, a := wantQRPage(t, ts.offer(t, nil))
		_, b := wantQRPage(t, ts.offer(t, nil))
		if a == b {
			t.Errorf("two offers have the same QR code")
		}
	})
	t.Run("unknown offer", func(t *testing.T) {
		t.Parallel()
		res := sendRaw(t, http.MethodGet, ts.URL+"/offers/00000000-0000-7000-8000-000000000000/qr", "", nil, nil)
		paWantPage(t, res, http.StatusNotFound, "not_found")
		res = sendRaw(t, http.MethodGet, ts.URL+"/offers/%3Cscript%3E/qr", "", nil, nil)
		if page := paWantPage(t, res, http.StatusNotFound, "not_found"); strings.Contains(page, "<script>") {
			t.Errorf("error page echoes the offer ID:\n%s", page)
		}
	})
	t.Run("redeemed offer", func(t *testing.T) {
		t.Parallel()
		o := ts.offer(t, map[string]any{"grants": []string{preAuth, paAuthCode}})
		wantQRPage(t, o)
		wantToken(t, ts.redeem(t, code(o), paProof(t, ts, newWallet(t), ts.TokenURL()), nil))
		wantGonePage(t, o.QRURL, "This offer was already used, on ")
	})
	t.Run("expired offer", func(t *testing.T) {
		t.Parallel()
		ts := newTestServer(t)
		o := ts.offer(t, map[string]any{"expires_in": 60})
		ts.Clock.Advance(61 * time.Second)
		wantGonePage(t, o.QRURL, "This offer expired on ")
	})
	t.Run("locked offer", func(t *testing.T) {
		t.Parallel()
		ts := newTestServer(t)
		o := ts.offer(t, map[string]any{"tx_code": map[string]any{"length": 6}})
		for range 5 { // the default budget of wrong transaction codes
			ts.redeem(t, code(o), paProof(t, ts, newWallet(t), ts.TokenURL()), url.Values{"tx_code": {"000000x"}})
		}
		wantGonePage(t, o.QRURL, "blocked after too many wrong transaction codes")
	})
	t.Run("transaction code", func(t *testing.T) {
		t.Parallel()
		o := ts.offer(t, map[string]any{"tx_code": map[string]any{"length": 6, "input_mode": "numeric", "description": "sent by <SMS>"}})
		res, page := get(t, o.QRURL)
		if res.StatusCode != http.StatusOK || !strings.Contains(page, "Your wallet will ask for a transaction code of 6 digits, which you receive separately: sent by &lt;SMS&gt;.") {
			t.Errorf("QR page of an offer with a tx_code = %d; want it to say the wallet will ask for it:\n%s", res.StatusCode, page)
		}
		_, page = get(t, ts.offer(t, nil).QRURL)
		if strings.Contains(page, "transaction code") {
			t.Errorf("QR page of an offer without tx_code mentions one:\n%s", page)
		}
	})
}

// wantGonePage asserts the QR page of an offer that can no longer be used:
// 410, the reason in words, no link and no QR code.
func wantGonePage(t *testing.T, qrURL, want string) {
	t.Helper()
	res := sendRaw(t, http.MethodGet, qrURL, "", nil, nil)
	page := string(readBody(t, res))
	if res.StatusCode != http.StatusGone || !strings.Contains(page, want) || strings.Contains(page, "openid-credential-offer://") || strings.Contains(page, "<svg") {
		t.Errorf("GET %s = %d; want 410 saying %q with no link or QR code:\n%s", qrURL, res.StatusCode, want, page)
	}
}
