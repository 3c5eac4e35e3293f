package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"issuer/issuer"
)

// challenge is the challenge endpoint of attestation-based client
// authentication (draft -07 §8): a fresh challenge, never cached.
func (h *handlers) challenge(c echo.Context) error {
	noStore(c)
	return c.JSON(http.StatusOK, h.svc.ClientAuth.Challenge(c.Request().Context()))
}

// createWalletProvider trusts a wallet provider: {"name", "issuer"?, and
// "jwks" or "x5c_roots"}. It answers 201 with the provider and its id.
func (h *handlers) createWalletProvider(c echo.Context) error {
	var p issuer.WalletProvider
	if err := readJSON(c, &p, true); err != nil {
		return err
	}
	out, err := h.svc.WalletProviders.Create(c.Request().Context(), p)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, out)
}

// listWalletProviders lists the trusted wallet providers, those of the
// config file included.
func (h *handlers) listWalletProviders(c echo.Context) error {
	out, err := h.svc.WalletProviders.List(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"wallet_providers": out})
}

// deleteWalletProvider stops trusting a provider added through the API.
func (h *handlers) deleteWalletProvider(c echo.Context) error {
	if err := h.svc.WalletProviders.Delete(c.Request().Context(), c.Param("id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
