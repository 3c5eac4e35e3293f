package web

import (
	"log/slog"
	"net"
	"net/http"
	"net/netip"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"issuer/issuer"
	"issuer/issuer/oauth"
)

// Options configures the HTTP layer.
type Options struct {
	// AdminToken enables the admin API under /admin when non-empty.
	AdminToken string
	// Logger receives access logs and errors; discarded when nil.
	Logger *slog.Logger
	// Dev serves PathDevCallback, a redirect URI for demos that shows what
	// the authorization endpoint sent back.
	Dev bool
	// TrustedProxies are the addresses of the reverse proxies in front of
	// the server. A request whose TCP peer is one of them is taken to come
	// from the right-most X-Forwarded-For address that is not; without
	// them, X-Forwarded-For is ignored and the peer is the client. The
	// guessing limits (client secrets, sign-ins, PAR pushes of public
	// clients) count per client address, so behind a proxy they need this.
	TrustedProxies []netip.Prefix
}

// PathDevCallback is the demo redirect URI served in dev mode.
const PathDevCallback = "/dev/callback"

// Body limits.
const (
	maxFormBytes  = 64 << 10 // token and other form endpoints
	maxAdminBytes = 1 << 20  // admin JSON
	maxParams     = 100
)

type handlers struct {
	svc   *issuer.Service
	log   *slog.Logger
	admin []byte // SHA-256 of the admin token
	// certHeader is the trusted client-certificate header; "" takes the
	// certificates of the TLS connection.
	certHeader string
	// pageRoutes are the routes that answer with HTML pages.
	pageRoutes map[string]bool
}

// New returns the HTTP handler of the service.
func New(svc *issuer.Service, opts Options) *echo.Echo {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &handlers{svc: svc, log: log, certHeader: svc.Config().ClientAuth.TLSCertificateHeader}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.IPExtractor = ipExtractor(opts.TrustedProxies)
	e.HTTPErrorHandler = h.renderError
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{DisableStackAll: true, DisablePrintStack: true}))
	e.Use(h.requestContext)
	e.Use(h.limitHeaders)

	base := svc.BasePath()
	h.pageRoutes = map[string]bool{
		base + issuer.PathAuthorize: true, base + issuer.PathLogin: true, base + issuer.PathConsent: true,
		base + issuer.PathOffers + ":id/qr": true, base + PathDevCallback: true,
	}
	e.GET(issuer.WellKnownOAuth+base, h.document(svc.AuthorizationServerMetadata))
	e.GET(issuer.WellKnownVCI+base, h.document(svc.CredentialIssuerMetadata))
	e.GET(base+issuer.PathJWKS, h.document(svc.JWKS))
	e.POST(base+issuer.PathToken, h.token)
	e.POST(base+issuer.PathNonce, h.nonce)
	e.POST(base+issuer.PathRevoke, h.revoke)
	e.POST(base+issuer.PathIntrospect, h.introspect)
	e.POST(base+issuer.PathUMAPermission, h.permission)
	e.POST(base+issuer.PathChallenge, h.challenge)
	if svc.Config().OwnCredentialEndpoint() {
		e.POST(base+issuer.PathCredential, h.credential)
		e.POST(base+issuer.PathNotification, h.notification)
		e.POST(base+issuer.PathDeferredCredential, h.deferredCredential)
		e.GET(issuer.WellKnownJWTVCIssuer+base, h.jwtVCIssuer)
		if svc.CredentialRootPEM() != nil {
			e.GET(base+issuer.PathCACert, h.caCert)
		}
	}
	e.GET(base+issuer.PathOffers+":id", h.offer)
	e.GET(base+issuer.PathOffers+":id/qr", h.offerQR)
	e.GET(base+issuer.WellKnownOIDC, h.document(svc.OpenIDConfiguration))
	if base != "" {
		e.GET(issuer.WellKnownOIDC+base, h.document(svc.OpenIDConfiguration)) // the RFC 8414 §5 form
	}
	e.GET(base+PathSchemas, h.schemaList)
	e.GET(base+PathSchemas+":file", h.schemaFile)
	e.POST(base+issuer.PathPAR, h.par)
	e.GET(base+issuer.PathAuthorize, h.authorize)
	e.POST(base+issuer.PathLogin, h.login)
	e.POST(base+issuer.PathConsent, h.consent)
	e.GET(base+issuer.PathUserInfo, h.userinfo)
	e.POST(base+issuer.PathUserInfo, h.userinfo)
	if opts.Dev {
		e.GET(base+PathDevCallback, h.devCallback)
	}
	if opts.AdminToken != "" {
		h.admin = sha256Sum(opts.AdminToken)
		g := e.Group(base+"/admin", h.requireAdmin)
		g.POST("/clients", h.createClient)
		g.GET("/clients/:id", h.getClient)
		g.DELETE("/clients/:id", h.deleteClient)
		g.POST("/offers", h.createOffer)
		g.GET("/offers/:id", h.getOffer)
		g.POST("/offers/:id/claims", h.supplyClaims)
		g.POST("/users", h.createUser)
		g.GET("/users/:username", h.getUser)
		g.DELETE("/users/:username", h.deleteUser)
		g.POST("/wallet-providers", h.createWalletProvider)
		g.GET("/wallet-providers", h.listWalletProviders)
		g.DELETE("/wallet-providers/:id", h.deleteWalletProvider)
		g.POST("/uma/resources", h.createUMAResource)
		g.GET("/uma/resources/:id", h.getUMAResource)
		g.POST("/uma/resources/:id/grants", h.addUMAGrant)
		g.POST("/uma/resources/:id/requests/:request/approve", h.decideUMARequest(true))
		g.POST("/uma/resources/:id/requests/:request/deny", h.decideUMARequest(false))
	} else {
		// Say how to switch it on rather than a bare "no such endpoint".
		e.Any(base+"/admin/*", adminOff)
	}
	return e
}

// adminOff answers every admin path when the admin API is switched off.
func adminOff(echo.Context) error {
	return oauth.ErrNotFound("the admin API is off: start the server with --admin-token (or ISSUER_ADMIN_TOKEN) to switch it on")
}

// document serves a precomputed JSON document.
func (h *handlers) document(body func() []byte) echo.HandlerFunc {
	return func(c echo.Context) error {
		return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, body())
	}
}

// ipExtractor is how the server tells a request's client address
// (Options.TrustedProxies): the TCP peer, or behind trusted proxies the
// right-most X-Forwarded-For address that is not one of them. Echo's
// defaults, which trust every private and loopback address, are off.
func ipExtractor(trusted []netip.Prefix) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, p := range trusted {
		p = p.Masked()
		opts = append(opts, echo.TrustIPRange(&net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}
