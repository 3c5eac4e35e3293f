package offer

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"math/big"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"issuer/issuer/oauth"
	"issuer/issuer/token"
	"issuer/storage"
)

// Request is the admin API's request for a credential offer.
type Request struct {
	CredentialConfigurationIDs []string        `json:"credential_configuration_ids"`
	Subject                    string          `json:"subject"`
	Claims                     json.RawMessage `json:"claims,omitempty"`
	TxCode                     *TxCodeRequest  `json:"tx_code,omitempty"`
	// ExpiresIn is the life of the offer's code in seconds, from 1 to
	// pre_authorized.max_code_ttl; nil: pre_authorized.code_ttl.
	ExpiresIn   *int64 `json:"expires_in,omitempty"`
	ByReference bool   `json:"by_reference,omitempty"`
	// Grants are the grant types the offer carries: the pre-authorized code
	// (the default) and/or authorization_code, with an issuer_state.
	Grants []string `json:"grants,omitempty"`
	// Deferred defers the issuance (OpenID4VCI 1.0 §9): the credential
	// endpoint answers with a transaction, and the credentials are issued
	// once the claims are supplied (SupplyClaims).
	Deferred bool `json:"deferred,omitempty"`
}

// TxCodeRequest asks for a transaction code; every field is optional.
type TxCodeRequest struct {
	Length      int    `json:"length,omitempty"`
	InputMode   string `json:"input_mode,omitempty"`
	Description string `json:"description,omitempty"`
}

// CredentialOffer is the OpenID4VCI 1.0 §4.1.1 credential offer object.
type CredentialOffer struct {
	CredentialIssuer           string   `json:"credential_issuer"`
	CredentialConfigurationIDs []string `json:"credential_configuration_ids"`
	Grants                     Grants   `json:"grants"`
}

// Grants are the grants of an offer, keyed by grant type.
type Grants struct {
	PreAuthorizedCode *PreAuthorizedGrant     `json:"urn:ietf:params:oauth:grant-type:pre-authorized_code,omitempty"`
	AuthorizationCode *AuthorizationCodeGrant `json:"authorization_code,omitempty"`
}

// AuthorizationCodeGrant is the authorization_code entry of an offer's
// grants: the issuer_state the wallet sends back in its authorization
// request.
type AuthorizationCodeGrant struct {
	IssuerState string `json:"issuer_state"`
}

// PreAuthorizedGrant is the pre-authorized code entry of an offer's grants.
type PreAuthorizedGrant struct {
	PreAuthorizedCode string         `json:"pre-authorized_code"`
	TxCode            *TxCodeRequest `json:"tx_code,omitempty"`
}

// Response is what the admin API returns for a new offer. TxCode, the
// transaction code value, is returned only here, for the issuer to send out
// of band.
type Response struct {
	OfferID            string          `json:"offer_id"`
	CredentialOffer    CredentialOffer `json:"credential_offer"`
	CredentialOfferURI string          `json:"credential_offer_uri"`
	OfferURL           string          `json:"offer_url,omitempty"`
	// QRURL is the page that shows the offer as a QR code.
	QRURL     string    `json:"qr_url"`
	TxCode    string    `json:"tx_code,omitempty"`
	ExpiresAt time.Time `json:"expires_at"`
}

const (
	defaultTxCodeLength = 6
	maxTxCodeLength     = 16
	minTxCodeLength     = 4
	textTxCodeAlphabet  = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789" // no 0/O, 1/I
	offerScheme         = "openid-credential-offer://"
)

// Create creates a credential offer with a fresh pre-authorized code
// (256 random bits, stored only as a hash) and, when asked, a transaction
// code (stored only as a hash).
func (s *Offers) Create(ctx context.Context, req Request) (Response, error) {
	now := s.cfg.Now().UTC()
	ttl, err := s.validateOffer(&req)
	if err != nil {
		return Response{}, err
	}
	code := token.Random()
	codeHash := sha256.Sum256([]byte(code))
	o := storage.Offer{
		ID: token.NewID(), CodeHash: codeHash[:], Subject: req.Subject, Claims: req.Claims,
		ConfigurationIDs: req.CredentialConfigurationIDs, CreatedAt: now,
		ExpiresAt: now.Add(ttl), KeepUntil: now.Add(ttl), Deferred: req.Deferred,
	}
	if req.Deferred {
		// Kept while its transactions wait for the claims.
		o.KeepUntil = o.ExpiresAt.Add(s.cfg.DeferredTTL)
	}
	for range o.ConfigurationIDs {
		o.CredentialIdentifiers = append(o.CredentialIdentifiers, uuid.NewString())
	}
	resp := Response{OfferID: o.ID, ExpiresAt: o.ExpiresAt, QRURL: s.cfg.URL + Path + o.ID + "/qr"}
	resp.CredentialOffer = CredentialOffer{CredentialIssuer: s.cfg.URL, CredentialConfigurationIDs: o.ConfigurationIDs}
	if slices.Contains(req.Grants, oauth.GrantPreAuthorizedCode) {
		grant := &PreAuthorizedGrant{PreAuthorizedCode: code}
		if req.TxCode != nil {
			resp.TxCode = newTxCode(req.TxCode)
			sum := sha256.Sum256([]byte(resp.TxCode))
			o.TxCode = &storage.TxCode{Hash: sum[:], Length: req.TxCode.Length, InputMode: req.TxCode.InputMode, Description: req.TxCode.Description}
			grant.TxCode = advertisedTxCode(req.TxCode)
		}
		resp.CredentialOffer.Grants.PreAuthorizedCode = grant
	}
	if slices.Contains(req.Grants, oauth.GrantAuthorizationCode) {
		state := token.Random()
		o.IssuerStateHash = IssuerStateHash(state)
		resp.CredentialOffer.Grants.AuthorizationCode = &AuthorizationCodeGrant{IssuerState: state}
	}
	offerJSON, err := json.Marshal(resp.CredentialOffer)
	if err != nil {
		return Response{}, oauth.ErrServer(err)
	}
	// The JSON is kept for the QR page (and served by reference when asked
	// for); it holds the code, so the record is swept with the offer.
	o.OfferJSON, o.ByReference = offerJSON, req.ByReference
	if req.ByReference {
		resp.OfferURL = s.cfg.URL + Path + o.ID
		resp.CredentialOfferURI = offerLink(resp.OfferURL)
	} else {
		resp.CredentialOfferURI = offerValueLink(offerJSON)
	}
	if err := s.store.CreateOffer(ctx, o); err != nil {
		return Response{}, oauth.ErrServer(err)
	}
	return resp, nil
}

// validateOffer checks an offer request and fills its defaults; it returns
// the code's time to live.
func (s *Offers) validateOffer(req *Request) (time.Duration, error) {
	ids := req.CredentialConfigurationIDs
	if len(ids) == 0 {
		return 0, oauth.ErrInvalidRequest("credential_configuration_ids must be a non-empty array")
	}
	for i, id := range ids {
		if _, ok := s.cfg.Configurations[id]; !ok {
			return 0, oauth.ErrInvalidRequest("credential_configuration_ids has an ID that is not in credential_configurations_supported")
		}
		if slices.Contains(ids[:i], id) {
			return 0, oauth.ErrInvalidRequest("credential_configuration_ids has a duplicate")
		}
	}
	if req.Subject == "" || len(req.Subject) > 255 || !utf8.ValidString(req.Subject) {
		return 0, oauth.ErrInvalidRequest("subject must be 1 to 255 bytes of UTF-8")
	}
	if len(req.Claims) > 0 && (req.Claims[0] != '{' || !json.Valid(req.Claims)) {
		return 0, oauth.ErrInvalidRequest("claims must be a JSON object")
	}
	if len(req.Grants) == 0 {
		req.Grants = []string{oauth.GrantPreAuthorizedCode}
	}
	for i, g := range req.Grants {
		if g != oauth.GrantPreAuthorizedCode && g != oauth.GrantAuthorizationCode || slices.Contains(req.Grants[:i], g) {
			return 0, oauth.ErrInvalidRequest("grants must list %s and/or %s, once each", oauth.GrantPreAuthorizedCode, oauth.GrantAuthorizationCode)
		}
	}
	if req.TxCode != nil && !slices.Contains(req.Grants, oauth.GrantPreAuthorizedCode) {
		return 0, oauth.ErrInvalidRequest("tx_code protects the pre-authorized code grant, which the offer does not carry")
	}
	if err := completeTxCode(req.TxCode); err != nil {
		return 0, err
	}
	return s.offerTTL(req.ExpiresIn)
}

// offerTTL is the life of an offer's code: expiresIn seconds, checked
// against the maximum before it is multiplied (a large count of seconds
// overflows a time.Duration), or the default when nil.
func (s *Offers) offerTTL(expiresIn *int64) (time.Duration, error) {
	if expiresIn == nil {
		return s.cfg.CodeTTL, nil
	}
	maxSeconds := int64(s.cfg.MaxCodeTTL / time.Second)
	if *expiresIn < 1 || *expiresIn > maxSeconds {
		return 0, oauth.ErrInvalidRequest("expires_in must be between 1 and %d seconds", maxSeconds)
	}
	return time.Duration(*expiresIn) * time.Second, nil
}

func completeTxCode(t *TxCodeRequest) error {
	if t == nil {
		return nil
	}
	setIfZero(&t.Length, defaultTxCodeLength)
	setIfZero(&t.InputMode, "numeric")
	switch {
	case t.Length < minTxCodeLength || t.Length > maxTxCodeLength:
		return oauth.ErrInvalidRequest("tx_code.length must be between %d and %d", minTxCodeLength, maxTxCodeLength)
	case t.InputMode != "numeric" && t.InputMode != "text":
		return oauth.ErrInvalidRequest("tx_code.input_mode must be numeric or text")
	case utf8.RuneCountInString(t.Description) > 300 || !utf8.ValidString(t.Description):
		return oauth.ErrInvalidRequest("tx_code.description must be at most 300 characters")
	}
	return nil
}

// advertisedTxCode is the tx_code object of the offer: input_mode is left
// out when numeric, its default (OpenID4VCI 1.0 §4.1.1).
func advertisedTxCode(t *TxCodeRequest) *TxCodeRequest {
	out := *t
	if out.InputMode == "numeric" {
		out.InputMode = ""
	}
	return &out
}

// newTxCode draws a transaction code of the requested shape uniformly from
// crypto/rand.
func newTxCode(t *TxCodeRequest) string {
	alphabet := "0123456789"
	if t.InputMode == "text" {
		alphabet = textTxCodeAlphabet
	}
	b := make([]byte, t.Length)
	for i := range b {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			panic("issuer: crypto/rand failed: " + err.Error())
		}
		b[i] = alphabet[n.Int64()]
	}
	return string(b)
}

func setIfZero[T comparable](p *T, v T) {
	var zero T
	if *p == zero {
		*p = v
	}
}
