package issuer

import "issuer/issuer/offer"

// The offer types of the admin API, under the names web and its tests
// know: package offer owns them (a local variable named offer is common in
// the tests, and would hide the package).
type (
	// OfferRequest is the admin API's request for a credential offer.
	OfferRequest = offer.Request
	// OfferResponse is what the admin API returns for a new offer.
	OfferResponse = offer.Response
	// CredentialOffer is the OpenID4VCI 1.0 §4.1.1 credential offer object.
	CredentialOffer = offer.CredentialOffer
)
