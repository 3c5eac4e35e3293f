package dpop

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Defaults for [Options].
const (
	DefaultMaxAge       = 60 * time.Second
	DefaultFutureSkew   = 10 * time.Second
	DefaultMaxProofSize = 8192
	DefaultMaxJTILength = 256

	// MaxFutureSkew bounds Options.FutureSkew: a proof dated further ahead
	// would stay usable long after it was made (RFC 9449 §11.1).
	MaxFutureSkew = 60 * time.Second
)

// Options configure a [Verifier]. Zero values select the defaults.
type Options struct {
	// Algs is the allow-list of JWS algorithms (RFC 9449 §4.3 check 5 and
	// the dpop_signing_alg_values_supported metadata of §5.1). Default
	// ["ES256"]. Supported: ES256, ES384, PS256, RS256, EdDSA (Ed25519).
	Algs []string
	// MaxAge is how old iat may be (RFC 9449 §11.1). Default 60s.
	MaxAge time.Duration
	// FutureSkew is how far in the future iat may be, to absorb client
	// clock skew. Default 10s, at most [MaxFutureSkew].
	FutureSkew time.Duration
	// MaxProofSize is the largest accepted DPoP header value in bytes.
	// Default 8192.
	MaxProofSize int
	// MaxJTILength is the largest accepted jti in bytes. Default 256.
	MaxJTILength int
}

// Verifier checks DPoP proofs. It is immutable and safe for concurrent use.
type Verifier struct {
	algs         []*algorithm
	names        []string
	maxAge       time.Duration
	futureSkew   time.Duration
	maxProofSize int
	maxJTILength int
}

// NewVerifier returns a Verifier for o. It fails on unknown or unsafe
// algorithms ("none", HS*, anything not listed in [Options.Algs]) and on
// out-of-range limits.
func NewVerifier(o Options) (*Verifier, error) {
	v := &Verifier{
		maxAge:       or(o.MaxAge, DefaultMaxAge),
		futureSkew:   or(o.FutureSkew, DefaultFutureSkew),
		maxProofSize: or(o.MaxProofSize, DefaultMaxProofSize),
		maxJTILength: or(o.MaxJTILength, DefaultMaxJTILength),
	}
	switch {
	case o.MaxAge < 0, o.FutureSkew < 0, o.MaxProofSize < 0, o.MaxJTILength < 0:
		return nil, errors.New("dpop: negative option")
	case v.futureSkew > MaxFutureSkew:
		return nil, fmt.Errorf("dpop: FutureSkew must not exceed %v", MaxFutureSkew)
	}
	names := o.Algs
	if len(names) == 0 {
		names = []string{"ES256"}
	}
	for _, name := range names {
		a := lookupAlg(name)
		if a == nil {
			return nil, fmt.Errorf("dpop: unsupported alg %q", name)
		}
		if v.allowed(name) == nil {
			v.algs = append(v.algs, a)
			v.names = append(v.names, name)
		}
	}
	return v, nil
}

// or returns v, or def when v is zero.
func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// Algs returns the effective allow-list, suitable for the
// dpop_signing_alg_values_supported metadata (RFC 9449 §5.1).
func (v *Verifier) Algs() []string {
	return append([]string(nil), v.names...)
}

// allowed returns the allowed algorithm named name, or nil.
func (v *Verifier) allowed(name string) *algorithm {
	for _, a := range v.algs {
		if a.name == name {
			return a
		}
	}
	return nil
}

// Input is what [Verifier.Verify] checks a proof against.
type Input struct {
	// Proof is the single DPoP header value. The caller has already refused
	// requests with more than one DPoP header (RFC 9449 §4.3 check 1).
	Proof string
	// Method is the HTTP method of the request, compared case-sensitively
	// with htm (RFC 9449 §4.3 check 8).
	Method string
	// URL is the expected target URI, absolute, built from the server's
	// configured public base URL rather than from request headers. Its query
	// and fragment are ignored (RFC 9449 §4.3 check 9).
	URL string
	// Now is the verification time; zero means time.Now().
	Now time.Time
	// CheckNonce, when non-nil, says nonces are in use (RFC 9449 §8, §9): it
	// receives the proof's nonce ("" when absent) and reports whether it is
	// current. When nil, a nonce claim is ignored.
	CheckNonce func(nonce string) bool
	// AccessToken, when non-empty, is the access token presented with the
	// proof; ath must then be its hash (RFC 9449 §4.3 check 12, §7).
	AccessToken string
}

// Proof is a verified DPoP proof.
type Proof struct {
	// JKT is the RFC 7638 SHA-256 thumbprint of the proof's jwk, base64url
	// without padding: the value to bind tokens to (RFC 9449 §6).
	JKT string
	// JTI is the proof's jti claim.
	JTI string
	// IssuedAt is the proof's iat claim.
	IssuedAt time.Time
	// Nonce is the proof's nonce claim, "" when absent.
	Nonce string
	// PublicKey is the proof's key: *ecdsa.PublicKey, *rsa.PublicKey or
	// ed25519.PublicKey.
	PublicKey crypto.PublicKey
	// ReplayKey is SHA-256 over JKT, a 0 byte and JTI. The caller records it
	// to refuse replays of the same jti with the same key (RFC 9449 §11.1).
	ReplayKey []byte
	// ReplayExpiry is IssuedAt + MaxAge + FutureSkew: after it the proof
	// fails the iat check anyway, so the caller may forget ReplayKey.
	ReplayExpiry time.Time
}

// Verify checks in.Proof against in and returns the verified proof. It
// performs the checks of RFC 9449 §4.3 that need no state, in this order
// (RFC check numbers in brackets):
//
//  1. the value is at most MaxProofSize bytes and is exactly one compact
//     JWS: three non-empty base64url parts without padding or whitespace,
//     whose header and payload are JSON objects [2];
//  2. the required members are present with the right JSON types: header
//     typ, alg, jwk; payload jti, htm, htu, iat; jti is at most
//     MaxJTILength bytes [3];
//  3. typ is dpop+jwt (or application/dpop+jwt, case-insensitively) [4];
//  4. there is no crit header: this package understands no extension;
//  5. alg is in the allow-list (never none or a MAC) [5];
//  6. jwk is a public key of the type alg needs: no private members, not
//     oct, a valid curve point or an RSA key of 2048 to 4096 bits [7];
//  7. the signature verifies with that key [6];
//  8. htm equals in.Method exactly [8];
//  9. htu, an absolute http(s) URI, equals in.URL, both without their
//     query and fragment, after RFC 3986 normalisation [9];
//  10. when in.CheckNonce is set, it accepts the nonce claim; otherwise the
//     error is ErrUseNonce [10];
//  11. iat is an integer within [Now-MaxAge, Now+FutureSkew] [11]; when
//     the proof carries exp (RFC 7519 §4.1.4), it is a JSON number and Now
//     is before exp + FutureSkew, the leeway given to client clocks;
//  12. when in.AccessToken is set, ath equals its base64url SHA-256 [12].
//
// Every failure except 10 wraps [ErrInvalidProof]. Members named kid, jku,
// x5u or x5c are ignored: the key is always the embedded jwk. Replay
// detection (RFC 9449 §11.1) is left to the caller through
// [Proof.ReplayKey]. If ctx is already done, Verify returns its error.
func (v *Verifier) Verify(ctx context.Context, in Input) (*Proof, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var t token
	if err := v.parse(in.Proof, &t); err != nil { // 1, 2
		return nil, err
	}
	a, err := v.checkHeader(&t.header) // 3, 4, 5
	if err != nil {
		return nil, err
	}
	fields, err := parseJWKFields(t.header.jwk)
	if err != nil {
		return nil, errJWKMalformed
	}
	pub, jkt, err := publicKey(&fields, a) // 6
	if err != nil {
		return nil, err
	}
	if !verifySignature(a, pub, t.signingInput, t.signature) { // 7
		return nil, errSignature
	}
	if err := v.checkClaims(&t.claims, in); err != nil { // 8 to 12
		return nil, err
	}
	return v.proof(&t.claims, jkt, pub), nil
}

// checkHeader performs checks 3 to 5 and returns the algorithm.
func (v *Verifier) checkHeader(h *header) (*algorithm, error) {
	if !isDPoPType(h.typ) {
		return nil, errTyp
	}
	if h.crit {
		return nil, errCrit
	}
	a := v.allowed(string(h.alg))
	if a == nil {
		return nil, errAlg
	}
	return a, nil
}

// isDPoPType reports whether typ names the dpop+jwt media type (RFC 9449
// §4.2). Media types are case-insensitive and the "application/" prefix may
// be omitted (RFC 7515 §4.1.9).
func isDPoPType(typ []byte) bool {
	s := string(typ)
	if len(s) > len("application/") && strings.EqualFold(s[:len("application/")], "application/") {
		s = s[len("application/"):]
	}
	return strings.EqualFold(s, "dpop+jwt")
}

// checkClaims performs checks 8 to 12.
func (v *Verifier) checkClaims(c *claims, in Input) error {
	if string(c.htm) != in.Method {
		return errHTM
	}
	if err := checkHTU(c.htu, in.URL); err != nil {
		return err
	}
	if in.CheckNonce != nil && !in.CheckNonce(string(c.nonce)) {
		return errNonceMissingOrBad
	}
	now := in.Now
	if now.IsZero() {
		now = time.Now()
	}
	iat := time.Unix(c.iat, 0)
	if iat.Before(now.Add(-v.maxAge)) {
		return errIATOld
	}
	if iat.After(now.Add(v.futureSkew)) {
		return errIATFuture
	}
	if c.hasEXP && !now.Add(-v.futureSkew).Before(c.exp) {
		return errEXPPast
	}
	if in.AccessToken != "" {
		return checkATH(c, in.AccessToken)
	}
	return nil
}

// checkATH compares ath with base64url(SHA-256(accessToken)) in constant
// time (RFC 9449 §4.2, §7).
func checkATH(c *claims, accessToken string) error {
	if !c.hasATH {
		return errMissingATH
	}
	sum := sha256.Sum256([]byte(accessToken))
	var want [43]byte
	b64.Encode(want[:], sum[:])
	if subtle.ConstantTimeCompare(c.ath, want[:]) != 1 {
		return errATH
	}
	return nil
}

// proof builds the result of a successful verification.
func (v *Verifier) proof(c *claims, jkt string, pub crypto.PublicKey) *Proof {
	p := &Proof{
		JKT:       jkt,
		JTI:       string(c.jti),
		IssuedAt:  time.Unix(c.iat, 0),
		PublicKey: pub,
	}
	if len(c.nonce) > 0 {
		p.Nonce = string(c.nonce)
	}
	p.ReplayExpiry = p.IssuedAt.Add(v.maxAge + v.futureSkew)
	p.ReplayKey = replayKey(jkt, c.jti)
	return p
}

// replayKey returns SHA-256(jkt || 0x00 || jti).
func replayKey(jkt string, jti []byte) []byte {
	var buf [64 + DefaultMaxJTILength]byte
	b := append(buf[:0], jkt...)
	b = append(b, 0)
	b = append(b, jti...)
	sum := sha256.Sum256(b)
	return sum[:]
}
