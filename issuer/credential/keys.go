package credential

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"os"
	"sync"
	"time"
)

// Signer is the credential signing key with its certificate chain.
type Signer struct {
	// Key signs the credentials (ES256).
	Key *ecdsa.PrivateKey
	// Chain is what the credentials carry (x5c, x5chain): the signer's
	// certificate first, intermediates after, never the trust anchor
	// (HAIP 1.0 §6.1.1, ISO/IEC 18013-5 §9.3.3).
	Chain []*x509.Certificate
}

// SecretStore keeps the generated keys (storage.Keys).
type SecretStore interface {
	GetOrCreateSecret(ctx context.Context, name string, create func() ([]byte, error)) ([]byte, error)
}

// Generated PKI: a root kept for rootLife, and a document signer per
// signerPeriod, valid signerOverlap beyond its period so that credentials
// signed at the end of one still verify when the next begins.
const (
	rootSecret    = "credential-root-v1"
	signerSecret  = "credential-signer-v1-"
	rootLife      = 20 * 365 * 24 * time.Hour // ISO/IEC 18013-5 Annex B: an IACA lives up to 20 years
	signerPeriod  = 365 * 24 * time.Hour
	signerOverlap = 92 * 24 * time.Hour // ≤ 457 days in all (Annex B: document signer)
	certCountry   = "UT"                // ISO/IEC 18013-5's test country: a generated PKI is for tests and demos
)

// Keys gives the signer of the moment: the configured one, or the
// generated one of the current period. Create it with [ConfiguredKeys] or
// [GeneratedKeys]; it is safe for concurrent use.
type Keys struct {
	fixed *Signer
	// Root is the generated trust anchor (nil for configured keys).
	root    *x509.Certificate
	rootKey *ecdsa.PrivateKey
	host    string
	store   SecretStore

	mu      sync.Mutex
	period  int64
	current *Signer
}

// ConfiguredKeys loads the signing key (PEM, PKCS#8 or SEC 1) and its
// certificate chain (PEM, leaf first, without the root) and checks that the
// key is the leaf's.
func ConfiguredKeys(keyFile, chainFile string) (*Keys, error) {
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, err
	}
	chainPEM, err := os.ReadFile(chainFile)
	if err != nil {
		return nil, err
	}
	key, err := parseKeyPEM(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("credential.signing_key_file: %w", err)
	}
	chain, err := parseChainPEM(chainPEM)
	if err != nil {
		return nil, fmt.Errorf("credential.certificate_chain_file: %w", err)
	}
	if !key.PublicKey.Equal(chain[0].PublicKey) {
		return nil, errors.New("credential.signing_key_file: the key is not the key of the chain's first certificate")
	}
	return &Keys{fixed: &Signer{Key: key, Chain: chain}}, nil
}

// GeneratedKeys loads, or on first start creates, the generated root from
// store; document signers are created per period on demand. host names
// the certificates.
func GeneratedKeys(ctx context.Context, store SecretStore, issuerURL string, now time.Time) (*Keys, error) {
	u, err := url.Parse(issuerURL)
	if err != nil {
		return nil, err
	}
	host := u.Hostname()
	raw, err := store.GetOrCreateSecret(ctx, rootSecret, func() ([]byte, error) { return newRoot(host, now) })
	if err != nil {
		return nil, fmt.Errorf("loading the credential root key: %w", err)
	}
	key, certs, err := decodeKeyBlob(raw)
	if err != nil {
		return nil, fmt.Errorf("the stored credential root: %w", err)
	}
	return &Keys{root: certs[0], rootKey: key, host: host, store: store}, nil
}

// Root is the generated trust anchor, for verifiers (nil for configured
// keys).
func (k *Keys) Root() *x509.Certificate { return k.root }

// RootPEM is Root in PEM (nil for configured keys).
func (k *Keys) RootPEM() []byte {
	if k.root == nil {
		return nil
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: k.root.Raw})
}

// Signer returns the signer to use at now.
func (k *Keys) Signer(ctx context.Context, now time.Time) (*Signer, error) {
	if k.fixed != nil {
		return k.fixed, nil
	}
	period := now.Unix() / int64(signerPeriod/time.Second)
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.current != nil && k.period == period {
		return k.current, nil
	}
	raw, err := k.store.GetOrCreateSecret(ctx, fmt.Sprintf("%s%d", signerSecret, period), func() ([]byte, error) {
		return k.newSigner(period, now)
	})
	if err != nil {
		return nil, fmt.Errorf("loading the credential signing key: %w", err)
	}
	key, certs, err := decodeKeyBlob(raw)
	if err != nil {
		return nil, fmt.Errorf("the stored credential signing key: %w", err)
	}
	k.period, k.current = period, &Signer{Key: key, Chain: certs}
	return k.current, nil
}

// errNoSigner stops GetOrCreateSecret from creating a past period's signer.
var errNoSigner = errors.New("no signer of that period")

// Published returns the signers whose credentials verifiers may still be
// shown at now: the configured one; or the generated one of the current
// period and, while its certificate lasts, the previous period's, whose
// credentials are still valid after a rollover. It never creates a past
// signer.
func (k *Keys) Published(ctx context.Context, now time.Time) ([]*Signer, error) {
	current, err := k.Signer(ctx, now)
	if err != nil || k.fixed != nil {
		return []*Signer{current}, err
	}
	out := []*Signer{current}
	period := now.Unix()/int64(signerPeriod/time.Second) - 1
	raw, err := k.store.GetOrCreateSecret(ctx, fmt.Sprintf("%s%d", signerSecret, period), func() ([]byte, error) { return nil, errNoSigner })
	switch {
	case errors.Is(err, errNoSigner):
		return out, nil
	case err != nil:
		return nil, fmt.Errorf("loading the previous credential signing key: %w", err)
	}
	key, certs, err := decodeKeyBlob(raw)
	if err != nil {
		return nil, fmt.Errorf("the stored previous credential signing key: %w", err)
	}
	if now.Before(certs[0].NotAfter) {
		out = append(out, &Signer{Key: key, Chain: certs})
	}
	return out, nil
}

// keyBlob is how a generated key is stored: PKCS#8 and its certificate.
type keyBlob struct {
	Key  []byte   `json:"pkcs8"`
	Cert [][]byte `json:"certificates"`
}

func decodeKeyBlob(raw []byte) (*ecdsa.PrivateKey, []*x509.Certificate, error) {
	var b keyBlob
	if err := json.Unmarshal(raw, &b); err != nil || len(b.Cert) == 0 {
		return nil, nil, errors.New("not a key and certificate")
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Key)
	if err != nil {
		return nil, nil, err
	}
	key, ok := k.(*ecdsa.PrivateKey)
	if !ok || key.Curve != elliptic.P256() {
		return nil, nil, errors.New("not a P-256 key")
	}
	certs := make([]*x509.Certificate, len(b.Cert))
	for i, der := range b.Cert {
		if certs[i], err = x509.ParseCertificate(der); err != nil {
			return nil, nil, err
		}
	}
	return key, certs, nil
}

func encodeKeyBlob(key *ecdsa.PrivateKey, certs ...[]byte) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return json.Marshal(keyBlob{Key: der, Cert: certs})
}

// newRoot creates the self-signed root ("IACA"-like: CA, C and CN).
func newRoot(host string, now time.Time) ([]byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{Country: []string{certCountry}, CommonName: host + " credential root (generated)"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(rootLife),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true, IsCA: true, MaxPathLenZero: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, err
	}
	return encodeKeyBlob(key, der)
}

// newSigner creates the document signer of period, certified by the root.
func (k *Keys) newSigner(period int64, now time.Time) ([]byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	start := time.Unix(period*int64(signerPeriod/time.Second), 0)
	// Valid from its creation (an hour of clock skew), not from the start
	// of its period, which may be months before.
	notBefore := later(later(start, now).Add(-time.Hour), k.root.NotBefore)
	pub, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return nil, err
	}
	ski := sha1.Sum(pub) // RFC 5280 §4.2.1.2's method, as for the root
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{Country: []string{certCountry}, CommonName: k.host},
		Issuer:       k.root.Subject,
		NotBefore:    notBefore,
		NotAfter:     earlier(start.Add(signerPeriod+signerOverlap), k.root.NotAfter),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		// ISO/IEC 18013-5 Annex B: a document signer's extended key usage
		// is id-mdl-kp-mdlDS.
		UnknownExtKeyUsage: []asn1.ObjectIdentifier{oidMdlDS},
		SubjectKeyId:       ski[:],
		AuthorityKeyId:     k.root.SubjectKeyId,
	}
	if !tmpl.NotAfter.After(now) {
		return nil, errors.New("the generated credential root has expired: delete it from the store or configure credential.signing_key_file")
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, k.root, key.Public(), k.rootKey)
	if err != nil {
		return nil, err
	}
	return encodeKeyBlob(key, der)
}

// oidMdlDS is id-mdl-kp-mdlDS (ISO/IEC 18013-5 Annex B.1.4).
var oidMdlDS = asn1.ObjectIdentifier{1, 0, 18013, 5, 1, 2}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// serial is a random positive 128-bit serial number.
func serial() *big.Int {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[0] &= 0x7f
	return new(big.Int).SetBytes(b)
}

// parseKeyPEM reads an ECDSA P-256 private key: PKCS#8 or SEC 1.
func parseKeyPEM(text []byte) (*ecdsa.PrivateKey, error) {
	block, _ := pem.Decode(text)
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	var k any
	var err error
	switch block.Type {
	case "PRIVATE KEY":
		k, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		k, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("a PEM block of type %q; want PRIVATE KEY or EC PRIVATE KEY", block.Type)
	}
	if err != nil {
		return nil, err
	}
	key, ok := k.(*ecdsa.PrivateKey)
	if !ok || key.Curve != elliptic.P256() {
		return nil, errors.New("the key must be ECDSA P-256 (ES256)")
	}
	return key, nil
}

// parseChainPEM reads the CERTIFICATE blocks of a PEM text, leaf first.
func parseChainPEM(text []byte) ([]*x509.Certificate, error) {
	var chain []*x509.Certificate
	for {
		var block *pem.Block
		block, text = pem.Decode(text)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		chain = append(chain, c)
	}
	if len(chain) == 0 {
		return nil, errors.New("no certificate")
	}
	return chain, nil
}
