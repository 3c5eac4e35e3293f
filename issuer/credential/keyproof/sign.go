package keyproof

import (
	"crypto"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
)

// Claims are the claims of a key proof made by [Sign] (Appendix F.1).
type Claims struct {
	// Audience is aud, the credential issuer identifier.
	Audience string
	// Nonce is the c_nonce of the nonce endpoint.
	Nonce string
	// Issuer, when non-empty, is iss: the client_id of the wallet.
	Issuer string
	// IssuedAt is iat, in whole seconds; zero means time.Now().
	IssuedAt time.Time
}

// Sign returns a JWT key proof for c, signed by key with alg, whose jwk
// header is the public key of key. It checks that alg is one [Verify]
// knows and that the key fits it, but applies no key policy, so that
// tests can make proofs a Verifier refuses. It is meant for wallets, the
// command line and tests.
func Sign(key crypto.Signer, alg string, c Claims) (string, error) {
	a, ok := algorithms[alg]
	if !ok {
		return "", fmt.Errorf("keyproof: unsupported alg %q", alg)
	}
	if !a.fits(key.Public()) {
		return "", fmt.Errorf("keyproof: a %T does not sign %s", key.Public(), alg)
	}
	if c.Audience == "" || c.Nonce == "" {
		return "", errors.New("keyproof: a proof needs an audience and a nonce")
	}
	pub, err := jwk.FromRaw(key.Public())
	if err != nil {
		return "", err
	}
	header, err := json.Marshal(map[string]any{"typ": Type, "alg": alg, "jwk": pub})
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(c.payload())
	if err != nil {
		return "", err
	}
	input := base64.RawURLEncoding.EncodeToString(header) + "." + base64.RawURLEncoding.EncodeToString(payload)
	signer, err := jws.NewSigner(jwa.SignatureAlgorithm(alg))
	if err != nil {
		return "", err
	}
	sig, err := signer.Sign([]byte(input), key)
	if err != nil {
		return "", err
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

// payload is the JSON object of c.
func (c Claims) payload() map[string]any {
	iat := c.IssuedAt
	if iat.IsZero() {
		iat = time.Now()
	}
	p := map[string]any{"aud": c.Audience, "iat": iat.Unix(), "nonce": c.Nonce}
	if c.Issuer != "" {
		p["iss"] = c.Issuer
	}
	return p
}
