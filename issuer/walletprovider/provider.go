package walletprovider

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"issuer/issuer/clients"
	"issuer/issuer/jwkset"
	"strings"
	"unicode/utf8"

	"github.com/lestrrat-go/jwx/v2/jwk"
)

// Where a wallet provider's trust comes from.
const (
	FromConfig = "config"
	FromAPI    = "api"
)

// maxProviderName caps a provider's name (a label for logs and the admin
// API); maxProviderIssuer caps its issuer.
const (
	maxProviderName   = 100
	maxProviderIssuer = 1024
)

// Provider is a wallet provider whose attestations authenticate
// wallets (attest_jwt_client_auth), as the config file and the admin API
// give it: a name, optionally the iss its attestations carry, and either
// its signing keys (JWKS) or the trust anchors its attestations' x5c
// chains lead to (X5CRoots, each PEM or base64 DER).
type Provider struct {
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

// parse validates p and returns it ready for verification, together with
// p normalized: every root as one base64 DER certificate.
func (p Provider) parse() (Trusted, Provider, error) {
	switch {
	case p.Name == "" || utf8.RuneCountInString(p.Name) > maxProviderName || !printable(p.Name):
		return Trusted{}, p, fmt.Errorf("name: 1 to %d printable characters", maxProviderName)
	case len(p.Issuer) > maxProviderIssuer || !printable(p.Issuer):
		return Trusted{}, p, fmt.Errorf("issuer: at most %d printable characters", maxProviderIssuer)
	case len(p.JWKS) > 0 && len(p.X5CRoots) > 0:
		return Trusted{}, p, errors.New("give either jwks or x5c_roots, not both")
	case len(p.JWKS) == 0 && len(p.X5CRoots) == 0:
		return Trusted{}, p, errors.New("give the provider's jwks or its x5c_roots")
	}
	for _, id := range p.ClientIDs {
		if !clients.ValidClientID(id) {
			return Trusted{}, p, errors.New("client_ids: each 1 to 255 visible ASCII characters")
		}
	}
	t := Trusted{name: p.Name, issuer: p.Issuer, clientIDs: p.ClientIDs}
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

// Validate reports what makes p unusable: its name, issuer or client IDs,
// or its keys or trust anchors.
func (p Provider) Validate() error {
	_, _, err := p.parse()
	return err
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
// usable public key ([jwkset.Check]).
func parseProviderKeys(m map[string]any) ([]jwk.Key, error) {
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, errors.New("jwks: not a JWK set")
	}
	set, err := jwkset.Parse(raw)
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
