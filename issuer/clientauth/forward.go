package clientauth

import (
	"issuer/issuer/clients"
	"issuer/issuer/walletprovider"
	"issuer/storage"
)

// The names below moved to packages clients and walletprovider (issue 13);
// they forward there so that package issuer, which another change is
// splitting at the same time, builds unchanged. Remove them once its
// callers name the new packages.
type (
	// Metadata is [clients.Metadata].
	Metadata = clients.Metadata
	// WalletProvider is [walletprovider.Provider].
	WalletProvider = walletprovider.Provider
)

// ValidClientID is [clients.ValidClientID].
func ValidClientID(id string) bool { return clients.ValidClientID(id) }

// CheckRedirectURI is [clients.CheckRedirectURI].
func CheckRedirectURI(raw string) error { return clients.CheckRedirectURI(raw) }

// RedirectAllowed is [clients.RedirectAllowed].
func RedirectAllowed(client *storage.Client, uri string) bool {
	return clients.RedirectAllowed(client, uri)
}
