package token

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"

	"issuer/storage"
)

// signer signs the server's JWTs with its ES256 key. The JOSE header of each
// token type is encoded once; the hot path is one JSON encoding of the
// claims, one SHA-256 and one ECDSA signature.
type signer struct {
	kid     string
	key     *ecdsa.PrivateKey
	public  jwk.Key
	headers map[string]string // typ → base64url(header)
}

// loadSigner returns the newest signing key in store, creating one on first
// start so that tokens stay valid across restarts.
func loadSigner(ctx context.Context, store storage.Keys, now time.Time) (*signer, error) {
	keys, err := store.SigningKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("loading signing keys: %w", err)
	}
	if len(keys) == 0 {
		k, err := newSigningKey(now)
		if err != nil {
			return nil, err
		}
		if err := store.AddSigningKey(ctx, k); err != nil {
			return nil, fmt.Errorf("storing the signing key: %w", err)
		}
		keys = append(keys, k)
	}
	return newSigner(keys[len(keys)-1])
}

func newSigningKey(now time.Time) (storage.SigningKey, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return storage.SigningKey{}, err
	}
	k, err := jwk.FromRaw(priv)
	if err != nil {
		return storage.SigningKey{}, err
	}
	tp, err := k.Thumbprint(crypto.SHA256)
	if err != nil {
		return storage.SigningKey{}, err
	}
	kid := base64.RawURLEncoding.EncodeToString(tp)
	raw, err := json.Marshal(k)
	if err != nil {
		return storage.SigningKey{}, err
	}
	return storage.SigningKey{ID: kid, Alg: "ES256", PrivateJWK: raw, CreatedAt: now}, nil
}

func newSigner(k storage.SigningKey) (*signer, error) {
	key, err := jwk.ParseKey(k.PrivateJWK)
	if err != nil {
		return nil, fmt.Errorf("parsing signing key %s: %w", k.ID, err)
	}
	var priv ecdsa.PrivateKey
	if err := key.Raw(&priv); err != nil || priv.Curve != elliptic.P256() {
		return nil, fmt.Errorf("signing key %s is not a P-256 key", k.ID)
	}
	public, err := jwk.FromRaw(priv.Public())
	if err != nil {
		return nil, err
	}
	for name, v := range map[string]string{jwk.KeyIDKey: k.ID, jwk.AlgorithmKey: "ES256", jwk.KeyUsageKey: "sig"} {
		if err := public.Set(name, v); err != nil {
			return nil, err
		}
	}
	s := &signer{kid: k.ID, key: &priv, public: public, headers: map[string]string{}}
	for _, typ := range []string{"at+jwt", "JWT"} {
		h, _ := json.Marshal(map[string]string{"alg": "ES256", "kid": k.ID, "typ": typ})
		s.headers[typ] = base64.RawURLEncoding.EncodeToString(h)
	}
	return s, nil
}

// sign returns the compact JWS of claims with the header for typ.
func (s *signer) sign(typ string, claims any) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	header := s.headers[typ]
	enc := base64.RawURLEncoding
	buf := make([]byte, 0, len(header)+1+enc.EncodedLen(len(payload))+1+86)
	buf = append(buf, header...)
	buf = append(buf, '.')
	buf = enc.AppendEncode(buf, payload)
	digest := sha256.Sum256(buf)
	r, sv, err := ecdsa.Sign(rand.Reader, s.key, digest[:])
	if err != nil {
		return "", err
	}
	var sig [64]byte
	r.FillBytes(sig[:32])
	sv.FillBytes(sig[32:])
	buf = append(buf, '.')
	buf = enc.AppendEncode(buf, sig[:])
	return string(buf), nil
}

// ErrNotOurs: the string is not an access token this server signed.
var ErrNotOurs = errors.New("not an access token of this server")

// verifyAccessToken checks that tok is an access token signed by this
// server (the exact header it writes, and the ES256 signature) and returns
// its claims. Expiry and revocation are the caller's to check.
func (s *signer) verifyAccessToken(tok string) (AccessClaims, error) {
	var claims AccessClaims
	header, rest, ok1 := strings.Cut(tok, ".")
	payload, sig, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || header != s.headers["at+jwt"] {
		return claims, ErrNotOurs
	}
	rawSig, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || len(rawSig) != 64 {
		return claims, ErrNotOurs
	}
	digest := sha256.Sum256([]byte(tok[:len(header)+1+len(payload)]))
	r, sv := new(big.Int).SetBytes(rawSig[:32]), new(big.Int).SetBytes(rawSig[32:])
	if !ecdsa.Verify(&s.key.PublicKey, digest[:], r, sv) {
		return claims, ErrNotOurs
	}
	body, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil || json.Unmarshal(body, &claims) != nil || claims.Jti == "" {
		return claims, ErrNotOurs
	}
	return claims, nil
}
