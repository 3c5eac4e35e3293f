package clientauth

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lestrrat-go/jwx/v2/jwk"

	"issuer/issuer/oauth"
	"issuer/issuer/token"
	"issuer/storage"
)

// Where a wallet provider's trust comes from.
const (
	ProviderFromConfig = "config"
	ProviderFromAPI    = "api"
)

// maxProviderName caps a provider's name (a label for logs and the admin
// API); maxProviderIssuer caps its issuer.
const (
	maxProviderName   = 100
	maxProviderIssuer = 1024
)

// WalletProvider is a wallet provider whose attestations authenticate
// wallets (attest_jwt_client_auth), as the config file and the admin API
// give it: a name, optionally the iss its attestations carry, and either
// its signing keys (JWKS) or the trust anchors its attestations' x5c
// chains lead to (X5CRoots, each PEM or base64 DER).
type WalletProvider struct {
	// ID identifies a provider added through the admin API; providers of
	// the config file have none.
	ID   string `json:"id,omitempty" yaml:"-"`
	Name string `json:"name" yaml:"name"`
	// Issuer, when set, is the iss every attestation of this provider must
	// carry (simple string comparison). When empty, any iss is accepted
	// from this provider's keys.
	Issuer string `json:"issuer,omitempty" yaml:"issuer"`
	// ClientIDs, when set, are the only client IDs (attestation sub) this
	// provider may vouch for; when empty, any.
	ClientIDs []string       `json:"client_ids,omitempty" yaml:"client_ids"`
	JWKS      map[string]any `json:"jwks,omitempty" yaml:"jwks"`
	X5CRoots  []string       `json:"x5c_roots,omitempty" yaml:"x5c_roots"`
	// Source is "config" or "api"; set by the server.
	Source    string `json:"source,omitempty" yaml:"-"`
	CreatedAt int64  `json:"created_at,omitempty" yaml:"-"`
}

// trustedProvider is a wallet provider ready for verification: its keys
// or its trust anchors.
type trustedProvider struct {
	name, issuer string
	clientIDs    []string
	keys         []jwk.Key
	roots        []*x509.Certificate
	pool         *x509.CertPool
}

// parse validates p and returns it ready for verification, together with
// p normalized: every root as one base64 DER certificate.
func (p WalletProvider) parse() (trustedProvider, WalletProvider, error) {
	switch {
	case p.Name == "" || utf8.RuneCountInString(p.Name) > maxProviderName || !printable(p.Name):
		return trustedProvider{}, p, fmt.Errorf("name: 1 to %d printable characters", maxProviderName)
	case len(p.Issuer) > maxProviderIssuer || !printable(p.Issuer):
		return trustedProvider{}, p, fmt.Errorf("issuer: at most %d printable characters", maxProviderIssuer)
	case len(p.JWKS) > 0 && len(p.X5CRoots) > 0:
		return trustedProvider{}, p, errors.New("give either jwks or x5c_roots, not both")
	case len(p.JWKS) == 0 && len(p.X5CRoots) == 0:
		return trustedProvider{}, p, errors.New("give the provider's jwks or its x5c_roots")
	}
	for _, id := range p.ClientIDs {
		if !ValidClientID(id) {
			return trustedProvider{}, p, errors.New("client_ids: each 1 to 255 visible ASCII characters")
		}
	}
	t := trustedProvider{name: p.Name, issuer: p.Issuer, clientIDs: p.ClientIDs}
	var err error
	if len(p.JWKS) > 0 {
		t.keys, err = parseProviderKeys(p.JWKS)
		return t, p, err
	}
	if t.roots, err = parseRoots(p.X5CRoots); err != nil {
		return t, p, err
	}
	t.pool = x509.NewCertPool()
	p.X5CRoots = nil
	for _, c := range t.roots {
		t.pool.AddCert(c)
		p.X5CRoots = append(p.X5CRoots, base64.StdEncoding.EncodeToString(c.Raw))
	}
	return t, p, nil
}

// printable reports whether s has no control characters.
func printable(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return utf8.ValidString(s)
}

// parseProviderKeys parses a provider's JWK set: at least one key, each a
// usable public key (checkJWK).
func parseProviderKeys(m map[string]any) ([]jwk.Key, error) {
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, errors.New("jwks: not a JWK set")
	}
	set, err := parseKeySet(raw)
	if err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	keys := make([]jwk.Key, 0, set.Len())
	for i := 0; i < set.Len(); i++ {
		k, _ := set.Key(i)
		keys = append(keys, k)
	}
	return keys, nil
}

// parseRoots parses trust anchors: each entry is PEM (one or more
// CERTIFICATE blocks) or one base64 DER certificate; each must be a CA
// certificate.
func parseRoots(entries []string) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for i, e := range entries {
		ders, err := rootDERs(e)
		if err != nil {
			return nil, fmt.Errorf("x5c_roots[%d]: %w", i, err)
		}
		for _, der := range ders {
			c, err := x509.ParseCertificate(der)
			switch {
			case err != nil:
				return nil, fmt.Errorf("x5c_roots[%d]: not an X.509 certificate", i)
			case !c.BasicConstraintsValid || !c.IsCA:
				return nil, fmt.Errorf("x5c_roots[%d]: not a CA certificate", i)
			}
			out = append(out, c)
		}
	}
	return out, nil
}

// rootDERs returns the DER certificates of one x5c_roots entry.
func rootDERs(entry string) ([][]byte, error) {
	rest := []byte(strings.TrimSpace(entry))
	if !bytes.HasPrefix(rest, []byte("-----BEGIN")) {
		der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(entry), ""))
		if err != nil || len(der) == 0 {
			return nil, errors.New("neither PEM nor base64 DER")
		}
		return [][]byte{der}, nil
	}
	var ders [][]byte
	for len(bytes.TrimSpace(rest)) > 0 {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil || b.Type != "CERTIFICATE" {
			return nil, errors.New("PEM holds something other than CERTIFICATE blocks")
		}
		ders = append(ders, b.Bytes)
	}
	return ders, nil
}

// list returns the trusted providers.
func (s *Providers) list() []trustedProvider {
	if p := s.trusted.Load(); p != nil {
		return *p
	}
	return nil
}

// Reload rebuilds the trusted providers from the config
// and the store. A stored provider that no longer parses (it was checked
// when added) is logged and skipped.
func (s *Providers) Reload(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var trusted []trustedProvider
	for _, p := range s.cfg.Attestation.Providers {
		t, _, err := p.parse()
		if err != nil {
			return fmt.Errorf("wallet provider %q: %w", p.Name, err)
		}
		trusted = append(trusted, t)
	}
	recs, err := s.store.WalletProviders(ctx)
	if err != nil {
		return fmt.Errorf("loading the wallet providers: %w", err)
	}
	for _, r := range recs {
		p, err := providerFromRecord(r)
		var t trustedProvider
		if err == nil {
			t, _, err = p.parse()
		}
		if err != nil {
			s.log.ErrorContext(ctx, "stored wallet provider ignored", "id", r.ID, "err", err)
			continue
		}
		trusted = append(trusted, t)
	}
	s.trusted.Store(&trusted)
	return nil
}

// providerFromRecord is the API form of a stored provider.
func providerFromRecord(r storage.WalletProvider) (WalletProvider, error) {
	p := WalletProvider{ID: r.ID, Name: r.Name, Issuer: r.Issuer, ClientIDs: r.ClientIDs, X5CRoots: r.X5CRoots, Source: ProviderFromAPI, CreatedAt: r.CreatedAt.Unix()}
	if len(r.JWKS) > 0 {
		if err := json.Unmarshal(r.JWKS, &p.JWKS); err != nil {
			return p, err
		}
	}
	return p, nil
}

// Create trusts a wallet provider from now on: it is
// validated, stored, and used for the next request.
func (s *Providers) Create(ctx context.Context, p WalletProvider) (WalletProvider, error) {
	_, p, err := p.parse()
	if err != nil {
		return WalletProvider{}, oauth.ErrInvalidRequest("%s", err.Error())
	}
	rec := storage.WalletProvider{ID: token.NewID(), Name: p.Name, Issuer: p.Issuer, ClientIDs: p.ClientIDs, X5CRoots: p.X5CRoots, CreatedAt: s.cfg.Now().UTC()}
	if len(p.JWKS) > 0 {
		if rec.JWKS, err = json.Marshal(p.JWKS); err != nil {
			return WalletProvider{}, oauth.ErrServer(err)
		}
	}
	if err := s.store.CreateWalletProvider(ctx, rec); err != nil {
		return WalletProvider{}, oauth.ErrServer(err)
	}
	if err := s.Reload(ctx); err != nil {
		return WalletProvider{}, oauth.ErrServer(err)
	}
	s.log.InfoContext(ctx, "wallet provider added", "id", rec.ID, "name", rec.Name)
	p.ID, p.Source, p.CreatedAt = rec.ID, ProviderFromAPI, rec.CreatedAt.Unix()
	return p, nil
}

// List lists the trusted wallet providers: those of the config
// file first, then those added through the admin API, oldest first.
func (s *Providers) List(ctx context.Context) ([]WalletProvider, error) {
	out := make([]WalletProvider, 0, len(s.cfg.Attestation.Providers))
	for _, p := range s.cfg.Attestation.Providers {
		_, p, _ = p.parse() // validated at start
		p.Source = ProviderFromConfig
		out = append(out, p)
	}
	recs, err := s.store.WalletProviders(ctx)
	if err != nil {
		return nil, oauth.ErrServer(err)
	}
	for _, r := range recs {
		p, err := providerFromRecord(r)
		if err != nil {
			return nil, oauth.ErrServer(err)
		}
		out = append(out, p)
	}
	return out, nil
}

// Delete stops trusting a provider added through the admin
// API; its attestations are refused from the next request on.
func (s *Providers) Delete(ctx context.Context, id string) error {
	err := s.store.DeleteWalletProvider(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return oauth.ErrNotFound("the wallet provider doesn't exist (providers of the config file are removed from the file)")
	} else if err != nil {
		return oauth.ErrServer(err)
	}
	if err := s.Reload(ctx); err != nil {
		return oauth.ErrServer(err)
	}
	s.log.InfoContext(ctx, "wallet provider removed", "id", id)
	return nil
}

// isAnchor reports whether c is one of p's trust anchors (the same
// certificate, or the same subject and key).
func (p trustedProvider) isAnchor(c *x509.Certificate) bool {
	for _, r := range p.roots {
		if bytes.Equal(c.Raw, r.Raw) || bytes.Equal(c.RawSubject, r.RawSubject) && bytes.Equal(c.RawSubjectPublicKeyInfo, r.RawSubjectPublicKeyInfo) {
			return true
		}
	}
	return false
}

// chainsToAnchor reports whether chain (leaf first, then intermediates)
// leads to one of p's trust anchors at now, with a leaf that may sign.
func (p trustedProvider) chainsToAnchor(chain []*x509.Certificate, now time.Time) bool {
	if p.pool == nil || len(chain) == 0 {
		return false
	}
	leaf := chain[0]
	if leaf.KeyUsage != 0 && leaf.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
		return false
	}
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	_, err := leaf.Verify(x509.VerifyOptions{
		Roots: p.pool, Intermediates: inter, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	return err == nil
}
