package web

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"
	"rsc.io/qr"

	"issuer/issuer"
	"issuer/issuer/authz"
	"issuer/issuer/oauth"
)

//go:embed templates/*.html
var templateFS embed.FS

var pages = template.Must(template.ParseFS(templateFS, "templates/*.html"))

// cookieName is the browser's sign-in cookie: a random value whose hash
// names the sign-in on the server.
const cookieName = "issuer_signin"

// par is the pushed authorization request endpoint (RFC 9126 §2): 201 with
// the request_uri.
func (h *handlers) par(c echo.Context) error {
	h.challengeHeaders(c)
	req, err := h.clientRequest(c)
	if err != nil {
		return err
	}
	resp, err := h.svc.Authz.PushAuthorizationRequest(c.Request().Context(), authz.PARRequest{
		Request: req, DPoP: c.Request().Header.Values(oauth.HeaderDPoP),
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, resp)
}

// authorize is the authorization endpoint (RFC 6749 §3.1): it starts a
// sign-in and shows the login page, or redirects to the client.
func (h *handlers) authorize(c echo.Context) error {
	params, err := queryParams(c)
	if err != nil {
		return h.errorPage(c, err)
	}
	res, err := h.svc.Authz.Authorize(c.Request().Context(), params)
	if err != nil {
		return h.errorPage(c, err)
	}
	return h.authorizeResult(c, res)
}

// login receives the sign-in form.
func (h *handlers) login(c echo.Context) error {
	form, err := pageForm(c)
	if err != nil {
		return h.errorPage(c, err)
	}
	res, err := h.svc.Authz.Login(c.Request().Context(), authz.LoginForm{
		Cookie: cookieValue(c), CSRF: form["csrf_token"], Username: form["username"], Password: form["password"],
		RemoteIP: c.RealIP(),
	})
	if err != nil {
		return h.errorPage(c, err)
	}
	return h.authorizeResult(c, res)
}

// consent receives the user's decision.
func (h *handlers) consent(c echo.Context) error {
	form, err := pageForm(c)
	if err != nil {
		return h.errorPage(c, err)
	}
	decision := form["decision"]
	if decision != "approve" && decision != "deny" {
		return h.errorPage(c, oauth.ErrInvalidRequest("decision must be approve or deny"))
	}
	res, err := h.svc.Authz.Decide(c.Request().Context(), authz.DecisionForm{
		Cookie: cookieValue(c), CSRF: form["csrf_token"], Approve: decision == "approve",
	})
	if err != nil {
		return h.errorPage(c, err)
	}
	h.clearCookie(c)
	return h.authorizeResult(c, res)
}

// authorizeResult sends the browser on (303 See Other, so that the form
// POST becomes a GET) or renders the page.
func (h *handlers) authorizeResult(c echo.Context, res authz.AuthorizeResult) error {
	h.pageHeaders(c)
	if res.Cookie != "" {
		c.SetCookie(h.cookie(res.Cookie, 0))
	}
	if res.RedirectURL != "" {
		return c.Redirect(http.StatusSeeOther, res.RedirectURL)
	}
	action := h.svc.BasePath() + issuer.PathLogin
	if res.Page.Step == "consent" {
		action = h.svc.BasePath() + issuer.PathConsent
	}
	status := http.StatusOK
	if res.RetryAfter > 0 { // the sign-in is delayed (RFC 6585 §4)
		status = http.StatusTooManyRequests
		setRetryAfter(c, res.RetryAfter)
	}
	title := "Sign in"
	if res.Page.Step == "consent" {
		title = "Allow access"
	}
	return h.render(c, status, res.Page.Step, map[string]any{"Title": title, "Issuer": h.issuerDisplay(), "Page": res.Page, "Action": action})
}

// errorPage shows an authorization error in the browser, or redirects
// when the error may go back to the client.
func (h *handlers) errorPage(c echo.Context, err error) error {
	h.pageHeaders(c)
	var re *authz.RedirectError
	if errors.As(err, &re) {
		return c.Redirect(http.StatusSeeOther, re.URL)
	}
	e := toOAuthError(err)
	noteRefusal(c, e)
	if e.Status >= 500 {
		h.log.ErrorContext(c.Request().Context(), "request failed", "err", e)
	}
	return h.render(c, e.Status, "error", map[string]any{"Title": "Error", "Code": e.Code, "Description": e.Description})
}

func (h *handlers) render(c echo.Context, status int, name string, data any) error {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, data); err != nil {
		return oauth.ErrServer(err)
	}
	return c.HTMLBlob(status, buf.Bytes())
}

// pageHeaders keep the pages out of caches and frames and their URLs out
// of Referer headers. Forms post only to this server; no script runs.
func (h *handlers) pageHeaders(c echo.Context) {
	hdr := c.Response().Header()
	noStore(c)
	csp := "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'"
	if src := logoSource(h.issuerDisplay().LogoURI); src != "" {
		csp += "; img-src " + src // the issuer's logo, and nothing else
	}
	hdr.Set("Content-Security-Policy", csp)
	hdr.Set("X-Frame-Options", "DENY")
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Referrer-Policy", "no-referrer")
}

// cookie is the sign-in cookie: HttpOnly, SameSite=Lax (the login form
// posts from this site), Secure behind an https URL, scoped to the
// authorization endpoint's paths.
func (h *handlers) cookie(value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name: cookieName, Value: value, Path: h.svc.BasePath() + issuer.PathAuthorize, MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: strings.HasPrefix(h.svc.Config().URL, "https://"),
	}
}

func (h *handlers) clearCookie(c echo.Context) { c.SetCookie(h.cookie("", -1)) }

func cookieValue(c echo.Context) string {
	ck, err := c.Cookie(cookieName)
	if err != nil {
		return ""
	}
	return ck.Value
}

// queryParams reads the authorization request's query: no parameter may
// repeat (RFC 6749 §3.1), empty values count as absent.
func queryParams(c echo.Context) (map[string]string, error) {
	r := c.Request()
	if len(r.URL.RawQuery) > maxFormBytes {
		return nil, oauth.ErrInvalidRequest("the request URI is too long")
	}
	return parseForm(r.URL.RawQuery)
}

// pageForm reads a form posted by one of the pages.
func pageForm(c echo.Context) (map[string]string, error) {
	if c.Request().URL.RawQuery != "" {
		return nil, oauth.ErrInvalidRequest("the form must be posted without a query")
	}
	return readForm(c)
}

// userinfo is the OpenID Connect UserInfo endpoint (GET or POST).
func (h *handlers) userinfo(c echo.Context) error {
	noStore(c)
	setDPoPNonce(c, h.svc.ResourceDPoPNonce())
	out, err := h.svc.Resource.UserInfo(c.Request().Context(), h.accessRequest(c, true))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// display is the issuer's name and logo on its pages.
type display struct {
	Name, LogoURI, LogoAlt string
}

// issuerDisplay is the first entry of the metadata's display (OpenID4VCI
// 1.0 §12.2.4: name, logo.uri, logo.alt_text), else the issuer's URL.
func (h *handlers) issuerDisplay() display {
	cfg := h.svc.Config()
	d := display{Name: cfg.URL}
	if len(cfg.Display) == 0 {
		return d
	}
	first := cfg.Display[0]
	if name, ok := first["name"].(string); ok && name != "" {
		d.Name = name
	}
	if logo, ok := first["logo"].(map[string]any); ok {
		if uri, _ := logo["uri"].(string); logoSource(uri) != "" {
			d.LogoURI = uri
			d.LogoAlt, _ = logo["alt_text"].(string)
		}
	}
	return d
}

// logoSource is the CSP source of a logo URI: its https origin, or "" for
// a URI the pages do not show (http, data:, relative, malformed).
func logoSource(uri string) string {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "https" || u.Host == "" || strings.ContainsAny(u.Host, "; '\"") {
		return ""
	}
	return "https://" + u.Host
}

// offerQR is the page that shows an offer as a QR code, next to its link.
func (h *handlers) offerQR(c echo.Context) error {
	h.pageHeaders(c)
	p, err := h.svc.Offers.QR(c.Request().Context(), c.Param("id"))
	if err != nil {
		return h.errorPage(c, err)
	}
	data := map[string]any{"Title": "Credential offer", "Issuer": h.issuerDisplay(), "Offer": p}
	if p.Status != "" { // redeemed, expired or locked: say so, in words
		noteRefusal(c, oauth.New(http.StatusGone, "offer_"+p.Status, "the offer is %s", p.Status))
		return h.render(c, http.StatusGone, "qr-gone", data)
	}
	svg, err := qrSVG(p.Link)
	if err != nil {
		return h.errorPage(c, oauth.ErrServer(err))
	}
	data["QR"], data["Link"] = svg, template.URL(p.Link)
	return h.render(c, http.StatusOK, "qr", data)
}

// qrSVG draws text as a QR code (error correction M) in inline SVG, one
// rectangle per dark module, with the four-module quiet zone.
func qrSVG(text string) (template.HTML, error) {
	code, err := qr.Encode(text, qr.M)
	if err != nil {
		return "", err
	}
	const quiet = 4
	n := code.Size + 2*quiet
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" shape-rendering="crispEdges" role="img" aria-label="QR code of the credential offer"><rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, n, n, n, n)
	for y := 0; y < code.Size; y++ {
		for x := 0; x < code.Size; x++ {
			if code.Black(x, y) {
				fmt.Fprintf(&b, "M%d %dh1v1h-1z", x+quiet, y+quiet)
			}
		}
	}
	b.WriteString(`"/></svg>`)
	return template.HTML(b.String()), nil
}

// devCallback shows the parameters of an authorization response (dev mode).
func (h *handlers) devCallback(c echo.Context) error {
	h.pageHeaders(c)
	q := c.QueryParams()
	return h.render(c, http.StatusOK, "callback", map[string]any{
		"Title": "Authorization response", "Code": q.Get("code"), "State": q.Get("state"), "Iss": q.Get("iss"),
		"Error": q.Get("error"), "Description": q.Get("error_description"),
	})
}
