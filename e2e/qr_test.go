package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"mime"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

const (
	offerLinkPrefix = "openid-credential-offer://?"
	preAuthGrant    = "urn:ietf:params:oauth:grant-type:pre-authorized_code"

	// The browser window for the QR page: a tall desktop window at
	// deviceScaleFactor 2 (a "retina" screen), so that each module of the
	// code is several device pixels wide.
	qrViewportWidth  = 1000
	qrViewportHeight = 1400
	qrDeviceScale    = 2
	// qrMinCSSWidth is the smallest on-screen width (CSS pixels) at which
	// the code counts as scannable from a phone held at a normal distance.
	qrMinCSSWidth = 200
	// qrQuietModules is the quiet zone ISO/IEC 18004 requires around a QR
	// code, in modules; the test accepts half a module less for the
	// rounding of module edges to device pixels.
	qrQuietModules = 4
)

// TestBrowserQRPageScans checks that the QR page of an offer renders a code
// that a wallet can scan: headless Chromium opens the qr_url the admin API
// returned, a screenshot of the page's inline SVG (#qr svg, without the
// page around it, so the quiet zone must be the code's own) is decoded with
// ZXing (gozxing), and the decoded text must be the page's own link
// (#offer-link) and the admin API's credential_offer_uri. A wallet that
// follows the link gets the offer: by value, the link's credential_offer
// is the admin API's credential_offer; by reference, the link's
// credential_offer_uri is the offer_url, which serves that offer as JSON
// with the pre-authorized code.
func TestBrowserQRPageScans(t *testing.T) {
	b := newBrowser(t)
	svc := startService(t)
	b.do(t, "set the viewport", chromedp.EmulateViewport(qrViewportWidth, qrViewportHeight, chromedp.EmulateScale(qrDeviceScale)))

	tests := []struct {
		name        string
		byReference bool
		grants      []string // nil: the admin API's default, the pre-authorized code
	}{
		{name: "pre-authorized by value"},
		{name: "pre-authorized by reference", byReference: true},
		{name: "authorization_code by value", grants: []string{"authorization_code"}},
	}
	for _, tc := range tests {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			req := map[string]any{"credential_configuration_ids": []string{pidConfig}, "subject": username}
			if tc.byReference {
				req["by_reference"] = true
			}
			if tc.grants != nil {
				req["grants"] = tc.grants
			}
			var offer struct {
				OfferID            string          `json:"offer_id"`
				CredentialOffer    json.RawMessage `json:"credential_offer"`
				CredentialOfferURI string          `json:"credential_offer_uri"`
				OfferURL           string          `json:"offer_url"`
				QRURL              string          `json:"qr_url"`
			}
			svc.admin(t, "/admin/offers", req, &offer)
			if want := svc.URL + "/offers/" + offer.OfferID + "/qr"; offer.OfferID == "" || offer.QRURL != want {
				t.Fatalf("offer_id %q, qr_url %q; want an ID and qr_url %s", offer.OfferID, offer.QRURL, want)
			}
			if tc.byReference != (offer.OfferURL != "") {
				t.Fatalf("by_reference %v: offer_url = %q; want one only by reference", tc.byReference, offer.OfferURL)
			}
			wantOffer := decodeJSON(t, "the admin API's credential_offer", offer.CredentialOffer)
			wantGrant(t, wantOffer, tc.grants)

			start := time.Now()
			res := run(t, b, "open qr_url", chromedp.NavigateResponse(offer.QRURL))
			if res.Status != http.StatusOK {
				t.Fatalf("GET %s = %d; want 200 with the QR page%s", offer.QRURL, res.Status, b.state())
			}

			// The page's link: not sanitized by html/template (a URL of an
			// unknown scheme that was not marked safe becomes #ZgotmplZ),
			// and the link the admin API returned.
			href := run(t, b, "read #offer-link's href", chromedp.AttributeValue(chromedp.ID("offer-link"), "href"))
			if !href.Exists || strings.Contains(href.Value, "ZgotmplZ") || !strings.HasPrefix(href.Value, offerLinkPrefix) {
				t.Fatalf("#offer-link href = %q (exists: %v); want an %s… link, not sanitized by html/template", href.Value, href.Exists, offerLinkPrefix)
			}
			link := href.Value
			if link != offer.CredentialOfferURI {
				t.Errorf("#offer-link href = %q;\nwant the admin API's credential_offer_uri %q", link, offer.CredentialOfferURI)
			}
			if text := run(t, b, "read the page's link text", chromedp.Text(chromedp.CSS("p.link"))); strings.TrimSpace(text) != link {
				t.Errorf("the page shows the link %q; want %q", text, link)
			}

			// Scan the code as a wallet would: a picture of the code alone.
			shot := run(t, b, "screenshot #qr svg", chromedp.Screenshot(chromedp.CSS("#qr svg")))
			t.Logf("QR page loaded and screenshot taken in %v", time.Since(start).Round(time.Millisecond))
			decodeStart := time.Now()
			img, err := png.Decode(bytes.NewReader(shot))
			if err != nil {
				t.Fatalf("the screenshot is not a PNG: %v", err)
			}
			text, err := scanQR(img)
			if err != nil {
				t.Fatalf("the QR code on %s does not decode: %v%s", offer.QRURL, err, keepScreenshot(t, shot))
			}
			t.Logf("decoded a %dx%d screenshot in %v", img.Bounds().Dx(), img.Bounds().Dy(), time.Since(decodeStart).Round(time.Millisecond))
			if text != link {
				t.Fatalf("the QR code decodes to %q;\nwant the page's link %q%s", text, link, keepScreenshot(t, shot))
			}
			if geometry, err := checkQuietZone(img); err != nil {
				t.Errorf("the QR code on %s: %v%s", offer.QRURL, err, keepScreenshot(t, shot))
			} else {
				t.Logf("the code: %s", geometry)
			}

			// Follow the scanned link as a wallet would.
			u, err := url.Parse(text)
			if err != nil || u.Scheme != "openid-credential-offer" {
				t.Fatalf("the scanned link %q does not parse as an openid-credential-offer URL: %v", text, err)
			}
			q, err := url.ParseQuery(u.RawQuery)
			if err != nil {
				t.Fatalf("the scanned link's query %q: %v", u.RawQuery, err)
			}
			if tc.byReference {
				if want := offerLinkPrefix + "credential_offer_uri=" + url.QueryEscape(offer.OfferURL); text != want {
					t.Errorf("the scanned link = %q;\nwant %q", text, want)
				}
				if len(q) != 1 || len(q["credential_offer_uri"]) != 1 || q.Get("credential_offer_uri") != offer.OfferURL {
					t.Fatalf("the scanned link's query = %v; want only credential_offer_uri=%s", q, offer.OfferURL)
				}
				got := fetchOffer(t, svc, q.Get("credential_offer_uri"))
				if !reflect.DeepEqual(got, wantOffer) {
					t.Errorf("GET %s = %v;\nwant the admin API's credential_offer %v", offer.OfferURL, got, wantOffer)
				}
				if code, want := preAuthCode(got), preAuthCode(wantOffer); code == "" || code != want {
					t.Errorf("GET %s has pre-authorized_code %q; want the admin API's %q", offer.OfferURL, code, want)
				}
			} else {
				if len(q) != 1 || len(q["credential_offer"]) != 1 {
					t.Fatalf("the scanned link's query = %v; want only credential_offer", q)
				}
				got := decodeJSON(t, "the scanned link's credential_offer", []byte(q.Get("credential_offer")))
				if !reflect.DeepEqual(got, wantOffer) {
					t.Errorf("the scanned link's credential_offer = %v;\nwant the admin API's credential_offer %v", got, wantOffer)
				}
			}
		})
	}
}

// scanQR decodes the QR code in img as ZXing does for a camera frame: it
// finds the code by its finder patterns (no "pure barcode" shortcut, no
// hints).
func scanQR(img image.Image) (string, error) {
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", err
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		return "", err
	}
	return res.GetText(), nil
}

// checkQuietZone checks that the picture of the code is dark modules on a
// light ground with a light margin of at least qrQuietModules modules on
// every side (a decoder may read a code without it, but cameras and the
// standard need it), and that the code is big enough on screen. It
// describes the code's geometry, for the log.
func checkQuietZone(img image.Image) (string, error) {
	r := img.Bounds()
	if css := r.Dx() / qrDeviceScale; css < qrMinCSSWidth {
		return "", fmt.Errorf("the code is %d CSS pixels wide; want at least %d to be scannable from a screen", css, qrMinCSSWidth)
	}
	dark := func(x, y int) bool { return color.GrayModel.Convert(img.At(x, y)).(color.Gray).Y < 128 }
	// The bounding box of the dark pixels is the symbol.
	x0, y0, x1, y1 := r.Max.X, r.Max.Y, r.Min.X-1, r.Min.Y-1
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if dark(x, y) {
				x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x), max(y1, y)
			}
		}
	}
	if x1 < x0 {
		return "", fmt.Errorf("the %dx%d picture has no dark pixel", r.Dx(), r.Dy())
	}
	// The symbol's top row starts with the top-left finder pattern's top
	// edge: a run of 7 dark modules.
	run := 0
	for x := x0; x <= x1 && dark(x, y0); x++ {
		run++
	}
	module := float64(run) / 7
	margins := map[string]int{"left": x0 - r.Min.X, "top": y0 - r.Min.Y, "right": r.Max.X - 1 - x1, "bottom": r.Max.Y - 1 - y1}
	for _, side := range []string{"left", "top", "right", "bottom"} {
		if m := float64(margins[side]); m < (qrQuietModules-0.5)*module {
			return "", fmt.Errorf("its %s quiet zone is %.1f modules (%d px at %.1f px per module); want %d modules of light margin",
				side, m/module, margins[side], module, qrQuietModules)
		}
	}
	return fmt.Sprintf("%.0f modules of %.2f device px, quiet zone %.1f/%.1f/%.1f/%.1f modules (left/top/right/bottom)",
		float64(x1-x0+1)/module, module, float64(margins["left"])/module, float64(margins["top"])/module,
		float64(margins["right"])/module, float64(margins["bottom"])/module), nil
}

// fetchOffer gets an offer passed by reference, as a wallet does, and
// decodes its JSON.
func fetchOffer(t *testing.T, svc *service, offerURL string) any {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, offerURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	status, hdr, body := svc.do(t, req)
	if status != http.StatusOK {
		t.Fatalf("GET %s = %d %s; want 200 with the offer", offerURL, status, body)
	}
	if mt, _, err := mime.ParseMediaType(hdr.Get("Content-Type")); err != nil || mt != "application/json" {
		t.Errorf("GET %s Content-Type = %q; want application/json", offerURL, hdr.Get("Content-Type"))
	}
	return decodeJSON(t, "GET "+offerURL, body)
}

func decodeJSON(t *testing.T, what string, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %s is not JSON: %v", what, b, err)
	}
	return v
}

// wantGrant checks that the admin API's offer carries the grants asked for,
// with their values: the test then compares the scanned offer with it.
func wantGrant(t *testing.T, offer any, grants []string) {
	t.Helper()
	o, _ := offer.(map[string]any)
	g, _ := o["grants"].(map[string]any)
	if grants == nil {
		if preAuthCode(offer) == "" || len(g) != 1 {
			t.Fatalf("the admin API's credential_offer = %v; want only a pre-authorized code", offer)
		}
		return
	}
	ac, _ := g["authorization_code"].(map[string]any)
	if s, _ := ac["issuer_state"].(string); s == "" || len(g) != 1 {
		t.Fatalf("the admin API's credential_offer = %v; want only an authorization_code grant with an issuer_state", offer)
	}
}

// preAuthCode is the offer's pre-authorized code, or "".
func preAuthCode(offer any) string {
	o, _ := offer.(map[string]any)
	g, _ := o["grants"].(map[string]any)
	p, _ := g[preAuthGrant].(map[string]any)
	code, _ := p["pre-authorized_code"].(string)
	return code
}

// keepScreenshot saves a screenshot that failed a check and says where, for
// the failure message.
func keepScreenshot(t *testing.T, shot []byte) string {
	t.Helper()
	f, err := os.CreateTemp("", "issuer-qr-*.png")
	if err != nil {
		return fmt.Sprintf(" (the screenshot cannot be saved: %v)", err)
	}
	defer f.Close()
	if _, err := f.Write(shot); err != nil {
		return fmt.Sprintf(" (the screenshot cannot be saved: %v)", err)
	}
	return "\nthe screenshot is in " + f.Name()
}

// TestBrowserOfferPages: the QR page of an offer with a transaction code
// says the wallet will ask for it; once the offer is redeemed, its page
// says so in words (410) and shows no code. Both pages are the README's
// pictures.
func TestBrowserOfferPages(t *testing.T) {
	b := newBrowser(t)
	svc := startService(t)
	b.do(t, "set the viewport", chromedp.EmulateViewport(shotWidth, shotHeight))
	var offer struct {
		CredentialOffer json.RawMessage `json:"credential_offer"`
		TxCode          string          `json:"tx_code"`
		QRURL           string          `json:"qr_url"`
	}
	svc.admin(t, "/admin/offers", map[string]any{"credential_configuration_ids": []string{pidConfig}, "subject": username,
		"tx_code": map[string]any{"length": 6, "input_mode": "numeric", "description": "sent to you by SMS"}}, &offer)
	if res := run(t, b, "open qr_url", chromedp.NavigateResponse(offer.QRURL)); res.Status != http.StatusOK {
		t.Fatalf("GET %s = %d; want 200%s", offer.QRURL, res.Status, b.state())
	}
	if text := run(t, b, "read the transaction code hint", chromedp.Text(chromedp.ID("tx-code"))); !strings.Contains(text, "6 digits") || !strings.Contains(text, "sent to you by SMS") {
		t.Errorf("the QR page says %q; want that the wallet asks for a 6-digit transaction code sent by SMS", text)
	}
	screenshot(t, b, "offer-qr")

	w := newWallet(t)
	form := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:pre-authorized_code"},
		"pre-authorized_code": {preAuthCode(decodeJSON(t, "credential_offer", offer.CredentialOffer))}, "tx_code": {offer.TxCode}}
	if status, _, body := svc.postForm(t, "/token", form, dpopHeader(w.proof(t, http.MethodPost, svc.URL+"/token", ""))); status != http.StatusOK {
		t.Fatalf("POST /token = %d %s; want 200", status, body)
	}
	if res := run(t, b, "open qr_url again", chromedp.NavigateResponse(offer.QRURL)); res.Status != http.StatusGone {
		t.Fatalf("GET %s after the redemption = %d; want 410%s", offer.QRURL, res.Status, b.state())
	}
	if text := run(t, b, "read the offer's status", chromedp.Text(chromedp.ID("offer-status"))); !strings.Contains(text, "already used") {
		t.Errorf("the used offer's page says %q; want that it was already used", text)
	}
	screenshot(t, b, "offer-used")
}
