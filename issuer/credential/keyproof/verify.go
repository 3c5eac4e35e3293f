package keyproof

import (
	"context"
	"crypto"
	"crypto/sha256"
	"slices"
	"time"
)

// replayDomain and attestationReplayDomain separate the replay keys of
// key proofs and of key attestations from each other and from the others
// in the same store.
const (
	replayDomain            = "keyproof\x00"
	attestationReplayDomain = "keyattestation\x00"
)

// Verify verifies one JWT key proof (OpenID4VCI 1.0 Appendix F.1, F.4)
// against the verifier's policy and e, in this order:
//
//  1. raw is one compact JWS of at most 64 KiB with one signature, its
//     header and payload JSON objects without duplicate members;
//  2. the header's typ is exactly openid4vci-proof+jwt, it has no crit,
//     and its alg is in e.Algs and supported (never none nor HS*; an empty
//     e.Algs refuses every proof);
//  3. a key_attestation header, required when e.RequireKeyAttestation, is
//     a key attestation (Appendix D.1) as [Verifier.VerifyAttestation]
//     checks it, with an exp;
//  4. the header has exactly one of jwk, kid and x5c: a public jwk, or the
//     leaf certificate of x5c (not validated: the binding is to the key).
//     Without a key attestation kid is refused; with one, kid names one of
//     the attested keys, and a jwk or x5c key must be one of them. The key
//     passes dpop.CheckPublicKey and fits alg;
//  5. the payload: aud is a string equal to Config.Audience; iat is a
//     number within [now-MaxAge, now+FutureSkew]; exp and nbf, when
//     present, numbers that hold at now; iss as [Expect.ClientID] says;
//     a nonce, as a non-empty string;
//  6. the signature verifies with the header's key;
//  7. the Trust hook finds the wallet provider that signed the key
//     attestation;
//  8. the nonce of the proof, then that of the key attestation, are live
//     c_nonces of Config.Nonces.
//
// The nonces are checked last so that ErrInvalidNonce, which sends the
// wallet for a new nonce, is said only of a proof that is otherwise valid.
// Every other failure wraps ErrInvalidProof. If ctx is done, Verify
// returns its error.
func (v *Verifier) Verify(ctx context.Context, raw string, e Expect) (Proof, error) {
	if err := ctx.Err(); err != nil {
		return Proof{}, err
	}
	t, err := parseCompact(raw, proofShape)
	if err != nil {
		return Proof{}, err
	}
	alg, err := checkHeader(t.header, e.Algs)
	if err != nil {
		return Proof{}, err
	}
	now := v.cfg.Now()
	att, err := v.headerAttestation(t.header, e, now)
	if err != nil {
		return Proof{}, err
	}
	pub, err := proofKey(t.header, alg, att)
	if err != nil {
		return Proof{}, err
	}
	c, err := v.checkClaims(t.payload, e, now)
	if err != nil {
		return Proof{}, err
	}
	if algorithms[alg].verifier.Verify(t.signingInput, t.signature, pub) != nil {
		return Proof{}, errSignature
	}
	if err := v.trust(ctx, att, e, now); err != nil {
		return Proof{}, err
	}
	if err := v.checkNonce(c.nonce, now, errNonceExpired, errNonceUnknown); err != nil {
		return Proof{}, err
	}
	if err := v.checkAttestationNonce(att, now); err != nil {
		return Proof{}, err
	}
	key, err := newKey(pub)
	if err != nil { // the key passed CheckPublicKey: jwx handles all of them
		return Proof{}, errKeyAlgMismatch
	}
	p := Proof{Key: key, ReplayKey: replayKey(replayDomain, t.signingInput), ReplayExpiry: c.iat.Add(v.cfg.MaxAge + v.cfg.FutureSkew)}
	if att != nil {
		p.AttestedKeys, p.Attestation = att.keys, &att.info
	}
	return p, nil
}

// headerAttestation returns the proof's key_attestation header, checked
// but for its signature and nonce; nil without one, which
// e.RequireKeyAttestation refuses.
func (v *Verifier) headerAttestation(h members, e Expect, now time.Time) (*keyAttestation, error) {
	raw, present, ok := h.str("key_attestation")
	switch {
	case !present && e.RequireKeyAttestation:
		return nil, errAttRequired
	case !present:
		return nil, nil
	case !ok:
		return nil, errAttType
	}
	return v.parseAttestation(raw, e, now, true)
}

// proofKey returns the key of the proof's header: see headerKey, and
// attestedKey with a key attestation.
func proofKey(h members, alg string, att *keyAttestation) (crypto.PublicKey, error) {
	if att == nil {
		return headerKey(h, alg)
	}
	pub, err := attestedKey(h, att)
	if err != nil {
		return nil, err
	}
	if !algorithms[alg].fits(pub) {
		return nil, errKeyAlgMismatch
	}
	return pub, nil
}

// VerifyAttestation verifies a key attestation of the attestation proof
// type (Appendix F.3, D.1): the checks of a key_attestation header in
// [Verifier.Verify] (typ key-attestation+jwt, alg in e.Algs, iat in the
// window of a proof, exp and nbf when present, distinct public
// attested_keys, key_storage and user_authentication as e requires),
// then the Trust hook, then its nonce, a live c_nonce. There is no proof
// of possession: each attested key is to get one credential.
func (v *Verifier) VerifyAttestation(ctx context.Context, raw string, e Expect) (Attested, error) {
	if err := ctx.Err(); err != nil {
		return Attested{}, err
	}
	now := v.cfg.Now()
	att, err := v.parseAttestation(raw, e, now, false)
	if err != nil {
		return Attested{}, err
	}
	if err := v.trust(ctx, att, e, now); err != nil {
		return Attested{}, err
	}
	if err := v.checkAttestationNonce(att, now); err != nil {
		return Attested{}, err
	}
	return Attested{
		Keys: att.keys, Attestation: att.info,
		ReplayKey:    replayKey(attestationReplayDomain, att.t.signingInput),
		ReplayExpiry: att.info.IssuedAt.Add(v.cfg.MaxAge + v.cfg.FutureSkew),
	}, nil
}

// trust asks the Trust hook who signed att (nil: nothing to do).
func (v *Verifier) trust(ctx context.Context, att *keyAttestation, e Expect, now time.Time) error {
	if att == nil {
		return nil
	}
	if v.cfg.Trust == nil {
		return errAttNoTrust
	}
	provider, err := v.cfg.Trust.TrustKeyAttestation(ctx, SignedAttestation{
		Raw: att.raw, Alg: att.alg, Kid: att.kid, Chain: att.chain, Issuer: att.info.Issuer, ClientID: e.ClientID, Now: now,
	})
	switch {
	case err == nil:
		att.info.Provider = provider
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	}
	return errAttUntrusted
}

// checkAttestationNonce requires att's nonce to be a live c_nonce.
func (v *Verifier) checkAttestationNonce(att *keyAttestation, now time.Time) error {
	if att == nil {
		return nil
	}
	return v.checkNonce(att.nonce, now, errAttNonceExpired, errAttNonceUnknown)
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

// replayKey identifies a proof or an attestation for replay detection:
// the SHA-256 of its signing input (header and payload as sent),
// domain-separated. The signature is left out on purpose: ECDSA
// signatures are malleable ((r, s) and (r, n-s) both verify), so hashing
// them would let one proof be replayed under a second encoding.
func replayKey(domain string, signingInput []byte) []byte {
	h := sha256.New()
	h.Write([]byte(domain))
	h.Write(signingInput)
	return h.Sum(nil)
}

// seconds converts a NumericDate of the range Verify accepts to a time.
func seconds(f float64) time.Time {
	sec := int64(f)
	return time.Unix(sec, int64((f-float64(sec))*1e9))
}
