package keyproof

import (
	"context"
	"crypto/sha256"
	"slices"
	"time"
)

// replayDomain separates the replay keys of key proofs from the others
// in the same store.
const replayDomain = "keyproof\x00"

// Verify verifies one JWT key proof (OpenID4VCI 1.0 Appendix F.1, F.4)
// against the verifier's policy and e, in this order:
//
//  1. raw is one compact JWS of at most 64 KiB with one signature, its
//     header and payload JSON objects without duplicate members;
//  2. the header's typ is exactly openid4vci-proof+jwt, it has no crit,
//     and its alg is in e.Algs and supported (never none nor HS*; an empty
//     e.Algs refuses every proof);
//  3. the header has exactly one of jwk, kid and x5c: a public jwk, or the
//     leaf certificate of x5c (not validated: the binding is to the key);
//     kid is refused. The key passes dpop.CheckPublicKey and fits alg;
//  4. the payload: aud is a string equal to Config.Audience; iat is a
//     number within [now-MaxAge, now+FutureSkew]; exp and nbf, when
//     present, numbers that hold at now; iss as [Expect.ClientID] says;
//     a nonce, as a non-empty string;
//  5. the signature verifies with the header's key;
//  6. the nonce is a live c_nonce of Config.Nonces.
//
// The nonce is checked last so that ErrInvalidNonce, which sends the wallet
// for a new nonce, is said only of a proof that is otherwise valid. Every
// other failure wraps ErrInvalidProof. If ctx is done, Verify returns its
// error.
func (v *Verifier) Verify(ctx context.Context, raw string, e Expect) (Proof, error) {
	if err := ctx.Err(); err != nil {
		return Proof{}, err
	}
	t, err := parseCompact(raw)
	if err != nil {
		return Proof{}, err
	}
	alg, err := checkHeader(t.header, e.Algs)
	if err != nil {
		return Proof{}, err
	}
	pub, err := headerKey(t.header, alg)
	if err != nil {
		return Proof{}, err
	}
	now := v.cfg.Now()
	c, err := v.checkClaims(t.payload, e, now)
	if err != nil {
		return Proof{}, err
	}
	if algorithms[alg].verifier.Verify(t.signingInput, t.signature, pub) != nil {
		return Proof{}, errSignature
	}
	if err := v.checkNonce(c.nonce, now); err != nil {
		return Proof{}, err
	}
	key, err := newKey(pub)
	if err != nil { // the key passed CheckPublicKey: jwx handles all of them
		return Proof{}, errKeyAlgMismatch
	}
	return Proof{Key: key, ReplayKey: replayKey(t.signingInput), ReplayExpiry: c.iat.Add(v.cfg.MaxAge + v.cfg.FutureSkew)}, nil
}

// checkHeader checks typ, crit and alg (Appendix F.1, F.4) and returns
// alg.
func checkHeader(h members, allowed []string) (string, error) {
	if typ, _, ok := h.str("typ"); !ok || typ != Type {
		return "", errTyp
	}
	if _, ok := h["crit"]; ok {
		return "", errCrit
	}
	alg, _, ok := h.str("alg")
	switch {
	case !ok:
		return "", errAlgType
	case len(allowed) == 0:
		return "", errNoAlgs
	case !slices.Contains(allowed, alg):
		return "", errAlg
	}
	if _, ok := algorithms[alg]; !ok { // allowed by a configuration, but none or HS*
		return "", errAlg
	}
	return alg, nil
}

// replayKey identifies a proof for replay detection: the SHA-256 of the
// signing input (header and payload as sent), domain-separated. The
// signature is left out on purpose: ECDSA signatures are malleable ((r, s)
// and (r, n-s) both verify), so hashing them would let one proof be
// replayed under a second encoding.
func replayKey(signingInput []byte) []byte {
	h := sha256.New()
	h.Write([]byte(replayDomain))
	h.Write(signingInput)
	return h.Sum(nil)
}

// seconds converts a NumericDate of the range Verify accepts to a time.
func seconds(f float64) time.Time {
	sec := int64(f)
	return time.Unix(sec, int64((f-float64(sec))*1e9))
}
