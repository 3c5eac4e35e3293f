package credential

import (
	"bytes"
	"encoding/json"
	"mime"
	"net/http"

	"issuer/issuer/oauth"
	"issuer/issuer/resource"
)

// Request is a credential request as it arrived: the access part (the
// Authorization and DPoP headers, the client certificate), the content
// type and the body.
type Request struct {
	Access      resource.AccessRequest
	ContentType string
	Body        []byte
}

// body is the credential request's JSON (OpenID4VCI 1.0 §8.2), with the
// members of drafts 13–15 that wallets still send. Unknown members are
// ignored.
type body struct {
	CredentialIdentifier      *string         `json:"credential_identifier"`
	CredentialConfigurationID *string         `json:"credential_configuration_id"`
	Proofs                    json.RawMessage `json:"proofs"`
	Encryption                json.RawMessage `json:"credential_response_encryption"`
	// Drafts 13–15.
	Proof   json.RawMessage `json:"proof"`
	Format  *string         `json:"format"`
	VCT     *string         `json:"vct"`
	DocType *string         `json:"doctype"`
}

// legacyProof is the single proof object of drafts 13–14.
type legacyProof struct {
	ProofType string `json:"proof_type"`
	JWT       string `json:"jwt"`
}

// parsed is what a request asks for, its shape checked.
type parsed struct {
	// One of: a credential identifier, a configuration ID, or (drafts)
	// a format with an optional vct or doctype.
	identifier, configID string
	format, vct, docType string
	// proofs are the JWT key proofs (the draft's single proof as one).
	proofs []string
	// encryption is credential_response_encryption, nil for none.
	encryption *encryption
}

// errRequest is invalid_credential_request (OpenID4VCI 1.0 §8.3.1.2).
func errRequest(format string, args ...any) *oauth.Error {
	return oauth.New(http.StatusBadRequest, oauth.CodeInvalidCredentialRequest, format, args...)
}

// errProof is invalid_proof.
func errProof(format string, args ...any) *oauth.Error {
	return oauth.New(http.StatusBadRequest, oauth.CodeInvalidProof, format, args...)
}

// parse checks the content type and the body's shape. The strict switch
// refuses the members of drafts 13–15.
func (s *Service) parse(r Request) (parsed, error) {
	var p parsed
	if mt, _, err := mime.ParseMediaType(r.ContentType); err != nil || mt != "application/json" {
		return p, errRequest("the credential request must be sent as application/json")
	}
	var b body
	if !bytes.HasPrefix(bytes.TrimLeft(r.Body, " \t\r\n"), []byte("{")) || json.Unmarshal(r.Body, &b) != nil {
		return p, errRequest("the body is not a JSON object with members of the expected types")
	}
	if err := s.parseTarget(&p, b); err != nil {
		return p, err
	}
	if err := s.parseProofs(&p, b); err != nil {
		return p, err
	}
	var err error
	p.encryption, err = parseEncryption(b.Encryption, s.cfg.RequireEncryption)
	return p, err
}

// parseTarget reads which credential the request asks for: exactly one of
// credential_identifier and credential_configuration_id, or the draft's
// format.
func (s *Service) parseTarget(p *parsed, b body) error {
	switch {
	case b.CredentialIdentifier != nil && b.CredentialConfigurationID != nil:
		return errRequest("the request has both credential_identifier and credential_configuration_id: send exactly one")
	case b.CredentialIdentifier != nil:
		p.identifier = *b.CredentialIdentifier
	case b.CredentialConfigurationID != nil:
		p.configID = *b.CredentialConfigurationID
	case b.Format != nil && s.cfg.StrictRequests:
		return errRequest("the member format is of drafts 13 to 15: send credential_identifier or credential_configuration_id")
	case b.Format != nil:
		p.format = *b.Format
		if b.VCT != nil {
			p.vct = *b.VCT
		}
		if b.DocType != nil {
			p.docType = *b.DocType
		}
	default:
		return errRequest("the request has neither credential_identifier nor credential_configuration_id")
	}
	return nil
}

// parseProofs reads proofs (1.0 §8.2: one proof type, jwt, with 1 to
// batch_size proofs) or the draft's single proof.
func (s *Service) parseProofs(p *parsed, b body) error {
	hasProofs, hasProof := present(b.Proofs), present(b.Proof)
	switch {
	case hasProofs && hasProof:
		return errRequest("the request has both proof and proofs: send proofs only")
	case hasProof && s.cfg.StrictRequests:
		return errRequest("the member proof is of drafts 13 to 14: send proofs")
	case hasProof:
		var lp legacyProof
		if err := json.Unmarshal(b.Proof, &lp); err != nil || b.Proof[0] != '{' {
			return errProof("proof must be an object with proof_type and jwt")
		}
		if lp.ProofType != "jwt" {
			return errProof("the proof type is not supported: this issuer takes jwt proofs")
		}
		if lp.JWT == "" {
			return errProof("proof has no jwt")
		}
		p.proofs = []string{lp.JWT}
		return nil
	case !hasProofs:
		return errProof("the request has no proofs: send proofs with a key proof per credential")
	}
	var types map[string]json.RawMessage
	if err := json.Unmarshal(b.Proofs, &types); err != nil || b.Proofs[0] != '{' {
		return errProof("proofs must be an object with one proof type")
	}
	if len(types) != 1 {
		return errProof("proofs must hold exactly one proof type")
	}
	list, ok := types["jwt"]
	if !ok {
		return errProof("the proof type is not supported: this issuer takes jwt proofs")
	}
	if err := json.Unmarshal(list, &p.proofs); err != nil || list[0] != '[' || len(p.proofs) == 0 {
		return errProof("proofs.jwt must be a non-empty array of JWTs")
	}
	for _, v := range p.proofs {
		if v == "" {
			return errProof("proofs.jwt holds an empty proof")
		}
	}
	if len(p.proofs) > s.cfg.BatchSize {
		return errProof("proofs.jwt holds %d proofs; the batch size is %d", len(p.proofs), s.cfg.BatchSize)
	}
	return nil
}

// present reports whether a member was sent with a value other than null.
func present(raw json.RawMessage) bool {
	return len(raw) > 0 && string(raw) != "null"
}
