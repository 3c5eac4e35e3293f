package dpop

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Claims are the claims of a proof made by [Sign] (RFC 9449 §4.2).
type Claims struct {
	// Method is the htm claim, the HTTP method of the request.
	Method string
	// URL is the target URI; its query and fragment are dropped for htu.
	URL string
	// JTI is the jti claim; "" means 16 random bytes, base64url encoded.
	JTI string
	// Nonce, when non-empty, is the server-provided nonce claim (§8, §9).
	Nonce string
	// AccessToken, when non-empty, adds ath, its base64url SHA-256 (§4.2).
	AccessToken string
	// IssuedAt is the iat claim, in whole seconds; zero means time.Now().
	IssuedAt time.Time
}

// Sign returns a DPoP proof JWT (RFC 9449 §4.2) for c, signed by key with
// alg (ES256, ES384, PS256, RS256 or EdDSA), whose jwk header is the public
// key of key. ECDSA signatures are converted to the JWS R || S form. Sign
// enforces no key size policy, so tests can make proofs a Verifier refuses.
// It is meant for clients, tests and load generators.
func Sign(key crypto.Signer, alg string, c Claims) (string, error) {
	a := lookupAlg(alg)
	if a == nil {
		return "", fmt.Errorf("dpop: unsupported alg %q", alg)
	}
	var jwkBuf [1400]byte
	jwk, err := signerJWK(jwkBuf[:0], key.Public(), a)
	if err != nil {
		return "", err
	}
	var hdrBuf, payBuf [2048]byte
	hdr := append(hdrBuf[:0], `{"typ":"dpop+jwt","alg":"`...)
	hdr = append(hdr, a.name...)
	hdr = append(hdr, `","jwk":`...)
	hdr = append(append(hdr, jwk...), '}')
	pay, err := appendClaims(payBuf[:0], c)
	if err != nil {
		return "", err
	}
	out := make([]byte, 0, b64.EncodedLen(len(hdr))+b64.EncodedLen(len(pay))+2+b64.EncodedLen(512))
	out = b64.AppendEncode(out, hdr)
	out = append(out, '.')
	out = b64.AppendEncode(out, pay)
	sig, err := signInput(key, a, out)
	if err != nil {
		return "", err
	}
	out = append(out, '.')
	return string(b64.AppendEncode(out, sig)), nil
}

// signerJWK appends the canonical JWK of pub after checking that it is the
// key type alg needs (RFC 9449 §4.3 check 7 on the verifier side).
func signerJWK(dst []byte, pub crypto.PublicKey, a *algorithm) ([]byte, error) {
	ok := false
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		ok = a.kty == ktyEC && k.Curve == a.curve
	case *rsa.PublicKey:
		ok = a.kty == ktyRSA
	case ed25519.PublicKey:
		ok = a.kty == ktyOKP
	}
	if !ok {
		return nil, fmt.Errorf("dpop: key does not match alg %s", a.name)
	}
	return appendPublicJWK(dst, pub)
}

// appendClaims appends the JSON claims object of a proof.
func appendClaims(dst []byte, c Claims) ([]byte, error) {
	jti := c.JTI
	if jti == "" {
		var r [16]byte
		_, _ = rand.Read(r[:]) // never fails (crypto/rand, Go 1.24+)
		jti = b64.EncodeToString(r[:])
	}
	iat := c.IssuedAt
	if iat.IsZero() {
		iat = time.Now()
	}
	htu := c.URL
	if i := strings.IndexAny(htu, "?#"); i >= 0 {
		htu = htu[:i]
	}
	dst = appendMember(dst, '{', "jti", jti)
	dst = appendMember(dst, ',', "htm", c.Method)
	dst = appendMember(dst, ',', "htu", htu)
	dst = strconv.AppendInt(append(dst, `,"iat":`...), iat.Unix(), 10)
	if c.Nonce != "" {
		dst = appendMember(dst, ',', "nonce", c.Nonce)
	}
	if c.AccessToken != "" {
		sum := sha256.Sum256([]byte(c.AccessToken))
		dst = append(dst, `,"ath":"`...)
		dst = append(b64.AppendEncode(dst, sum[:]), '"')
	}
	return append(dst, '}'), nil
}

// appendMember appends sep, the quoted name, ':' and the JSON string value.
func appendMember(dst []byte, sep byte, name, value string) []byte {
	dst = append(dst, sep, '"')
	dst = append(dst, name...)
	dst = append(dst, '"', ':')
	return appendJSONString(dst, value)
}

// appendJSONString appends s as a JSON string, quoting printable ASCII
// directly and leaving anything else to encoding/json.
func appendJSONString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			q, _ := json.Marshal(s) // a string always marshals
			return append(dst, q...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

// signInput signs the JWS signing input with key as alg requires.
func signInput(key crypto.Signer, a *algorithm, input []byte) ([]byte, error) {
	switch {
	case a.kty == ktyOKP:
		return key.Sign(rand.Reader, input, crypto.Hash(0))
	case a.kty == ktyRSA:
		digest := sha256.Sum256(input)
		if a.pss {
			return key.Sign(rand.Reader, digest[:], &pssOptions)
		}
		return key.Sign(rand.Reader, digest[:], crypto.SHA256)
	}
	var digest []byte
	if a.hash == crypto.SHA384 {
		d := sha512.Sum384(input)
		digest = d[:]
	} else {
		d := sha256.Sum256(input)
		digest = d[:]
	}
	der, err := key.Sign(rand.Reader, digest, a.hash)
	if err != nil {
		return nil, err
	}
	var buf [2 * 48]byte
	sig, ok := rawSignature(buf[:0], der, a.size)
	if !ok {
		return nil, errors.New("dpop: signer returned a malformed ECDSA signature")
	}
	return sig, nil
}
