package credential

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"issuer/issuer/credential/keyproof"
	"issuer/issuer/oauth"
	"issuer/storage"
)

// Response is the credential response (OpenID4VCI 1.0 §8.3): one
// credential per proof key. A later encrypted response (§10) wraps it.
type Response struct {
	Credentials []Issued `json:"credentials"`
}

// Issued is one credential of a response.
type Issued struct {
	Credential string `json:"credential"`
}

// Issue answers a credential request: the access token (through Access),
// the request's shape, the configuration the token grants, every key
// proof, the subject's claims; then it signs one credential per proof key
// and only then records the proofs as used. A refused request spends
// nothing but its DPoP proof. The same token may fetch again while it
// lives (a wallet retrying after a lost response), with new proofs.
func (s *Service) Issue(ctx context.Context, r Request) (*Response, error) {
	rec, err := s.parts.Access.Access(ctx, r.Access, s.cfg.CredentialURL)
	if err != nil {
		return nil, err
	}
	p, err := s.parse(r)
	if err != nil {
		return nil, err
	}
	g, err := tokenGrants(rec)
	if err != nil {
		return nil, err
	}
	conf, err := s.configuration(p, g)
	if err != nil {
		return nil, err
	}
	proofs, err := s.verifyProofs(ctx, p.proofs, conf, rec)
	if err != nil {
		return nil, err
	}
	src, err := s.subjectClaims(ctx, rec)
	if err != nil {
		return nil, err
	}
	content, err := prepare(conf, src)
	if err != nil {
		return nil, err
	}
	resp, err := s.signAll(ctx, content, proofs)
	if err != nil {
		return nil, err
	}
	if err := s.spend(ctx, proofs); err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "credentials issued", "configuration", conf.ID, "count", len(resp.Credentials), "grant", rec.GrantID)
	return resp, nil
}

// verifyProofs verifies every key proof and refuses two of the same key.
func (s *Service) verifyProofs(ctx context.Context, raws []string, conf *Configuration, rec storage.Token) ([]keyproof.Proof, error) {
	out := make([]keyproof.Proof, 0, len(raws))
	seen := map[string]bool{}
	for _, raw := range raws {
		p, err := s.parts.Proofs.Verify(ctx, raw, keyproof.Expect{Algs: conf.ProofAlgs, ClientID: rec.ClientID})
		switch {
		case errors.Is(err, keyproof.ErrInvalidNonce):
			return nil, oauth.New(http.StatusBadRequest, oauth.CodeInvalidNonce, "%s", description(err, keyproof.ErrInvalidNonce))
		case errors.Is(err, keyproof.ErrInvalidProof):
			return nil, errProof("%s", description(err, keyproof.ErrInvalidProof))
		case err != nil:
			return nil, oauth.ErrServer(err)
		case seen[p.Key.Thumbprint]:
			return nil, errProof("two proofs of the request are of the same key: one credential per key")
		}
		seen[p.Key.Thumbprint] = true
		out = append(out, p)
	}
	return out, nil
}

// description is what the verifier says is wrong: its error without the
// code it wraps.
func description(err, code error) string {
	return strings.TrimPrefix(err.Error(), code.Error()+": ")
}

// signAll signs one credential per proof key with the signer of now.
func (s *Service) signAll(ctx context.Context, content prepared, proofs []keyproof.Proof) (*Response, error) {
	now := s.cfg.Now()
	signer, err := s.parts.Keys.Signer(ctx, now)
	if err != nil {
		return nil, oauth.ErrServer(err)
	}
	resp := &Response{Credentials: make([]Issued, 0, len(proofs))}
	for _, p := range proofs {
		cred, err := s.sign(content, signer, p.Key.Public, now)
		if err != nil {
			return nil, err
		}
		resp.Credentials = append(resp.Credentials, Issued{Credential: cred})
	}
	return resp, nil
}

// spend records the proofs' replay keys: a proof is used once.
func (s *Service) spend(ctx context.Context, proofs []keyproof.Proof) error {
	now := s.cfg.Now()
	for _, p := range proofs {
		err := s.store.UseReplayKey(ctx, p.ReplayKey, p.ReplayExpiry, now)
		if errors.Is(err, storage.ErrAlreadyExists) {
			return errProof("the key proof was used before")
		} else if err != nil {
			return oauth.ErrServer(err)
		}
	}
	return nil
}
