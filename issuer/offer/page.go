package offer

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"time"

	"issuer/issuer/oauth"
	"issuer/storage"
)

// ByReference returns the credential offer JSON served at the offer
// URI of an offer passed by reference, while its code is still redeemable.
func (s *Offers) ByReference(ctx context.Context, id string) (json.RawMessage, error) {
	o, err := s.live(ctx, id)
	if err != nil {
		return nil, err
	}
	if !o.ByReference {
		return nil, oauth.ErrNotFound("no such credential offer")
	}
	return o.OfferJSON, nil
}

// offerValueLink is the openid-credential-offer:// link that carries the
// offer itself.
func offerValueLink(offerJSON []byte) string {
	return offerScheme + "?credential_offer=" + url.QueryEscape(string(offerJSON))
}

// offerLink is the openid-credential-offer:// link to an offer passed by
// reference.
func offerLink(offerURL string) string {
	return offerScheme + "?credential_offer_uri=" + url.QueryEscape(offerURL)
}

// Page is what the QR page of an offer shows.
type Page struct {
	// Link is the openid-credential-offer:// link, as the admin API
	// returned it: by reference, or by value. Empty once the offer cannot
	// be used (Status).
	Link string
	// Credentials are the display names of the offered credentials.
	Credentials []string
	// TxCode, when set, is the transaction code the wallet will ask for.
	TxCode *TxCodeHint
	// Status says why the offer can no longer be used: "" (it can),
	// StatusRedeemed, StatusExpired or StatusLocked; Since is when.
	Status string
	Since  time.Time
}

// TxCodeHint is what the QR page says of an offer's transaction code.
type TxCodeHint struct {
	Length      int
	InputMode   string
	Description string
}

// Why an offer's page shows no QR code.
const (
	StatusRedeemed = "redeemed"
	StatusExpired  = "expired"
	StatusLocked   = "locked"
)

// QR returns the QR page of an offer: its link while it can be used, else
// why not (redeemed, expired, or locked after wrong transaction codes).
func (s *Offers) QR(ctx context.Context, id string) (Page, error) {
	o, err := s.store.GetOffer(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return Page{}, oauth.ErrNotFound("no such credential offer")
	} else if err != nil {
		return Page{}, oauth.ErrServer(err)
	}
	var p Page
	for _, c := range o.ConfigurationIDs {
		p.Credentials = append(p.Credentials, CredentialName(s.cfg.Configurations, c))
	}
	switch {
	case !o.RedeemedAt.IsZero():
		p.Status, p.Since = StatusRedeemed, o.RedeemedAt
	case o.Locked:
		p.Status = StatusLocked
	case s.cfg.Now().After(o.ExpiresAt):
		p.Status, p.Since = StatusExpired, o.ExpiresAt
	case len(o.OfferJSON) == 0:
		return Page{}, oauth.ErrNotFound("no such credential offer")
	default:
		p.Link = offerValueLink(o.OfferJSON)
		if o.ByReference {
			p.Link = offerLink(s.cfg.URL + Path + id)
		}
		if t := o.TxCode; t != nil {
			p.TxCode = &TxCodeHint{Length: t.Length, InputMode: t.InputMode, Description: t.Description}
		}
	}
	return p, nil
}

// CredentialName is the display name of a credential configuration, for
// the consent page: the first display name of credential_metadata (1.0)
// or of the configuration itself (draft 13), else the ID.
func CredentialName(configs map[string]any, id string) string {
	c, _ := configs[id].(map[string]any)
	for _, holder := range []any{c["credential_metadata"], c} {
		h, _ := holder.(map[string]any)
		if list, ok := h["display"].([]any); ok && len(list) > 0 {
			if d, ok := list[0].(map[string]any); ok {
				if name, ok := d["name"].(string); ok && name != "" {
					return name
				}
			}
		}
	}
	return id
}
