package keyproof

import (
	"crypto"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// AttestationType is the typ header of a key attestation (Appendix D.1).
const AttestationType = "key-attestation+jwt"

// maxAttestedKeys bounds the attested_keys of a key attestation.
const maxAttestedKeys = 100

// Attestation is what a verified key attestation says of its keys
// (Appendix D.1).
type Attestation struct {
	// Provider is the name of the trusted wallet provider that signed it,
	// as the Trust hook gave it.
	Provider string
	// Issuer is its iss, "" when absent.
	Issuer string
	// KeyStorage and UserAuthentication are its key_storage and
	// user_authentication (Appendix D.2 values such as
	// iso_18045_high); nil when absent.
	KeyStorage, UserAuthentication []string
	// Certification is its certification URL, "" when absent.
	Certification string
	// IssuedAt is its iat; Expires its exp (zero when absent).
	IssuedAt, Expires time.Time
}

// keyAttestation is a key attestation parsed and checked, but for its
// signature (the Trust hook) and the liveness of its nonce.
type keyAttestation struct {
	raw   string
	t     *jwt
	alg   string
	kid   string
	chain []*x509.Certificate
	nonce string
	keys  []Key
	kids  []string // the kid member of each attested key, "" for none
	info  Attestation
}

// attestationShape are the shape errors of a key attestation.
var attestationShape = &shapeErrors{tooLarge: errAttTooLarge, compact: errAttCompact, header: errAttHeaderJSON, payload: errAttPayloadJSON}

// parseAttestation parses and checks the key attestation raw (Appendix
// D.1): typ key-attestation+jwt, alg in e.Algs, no crit, an optional kid
// and x5c for the Trust hook; iat in the window of a proof, exp (required
// when needExp, as for the key_attestation header of a jwt proof) not
// past, a non-empty attested_keys of distinct public keys, a nonce, and
// key_storage and user_authentication as e requires.
func (v *Verifier) parseAttestation(raw string, e Expect, now time.Time, needExp bool) (*keyAttestation, error) {
	t, err := parseCompact(raw, attestationShape)
	if err != nil {
		return nil, err
	}
	a := &keyAttestation{raw: raw, t: t}
	if err := a.checkHeader(e.Algs); err != nil {
		return nil, err
	}
	if err := v.checkAttestationTimes(a, now, needExp); err != nil {
		return nil, err
	}
	if a.keys, a.kids, err = attestedKeys(t.payload["attested_keys"]); err != nil {
		return nil, err
	}
	if err := a.readClaims(e); err != nil {
		return nil, err
	}
	return a, nil
}

// checkHeader checks typ, crit, alg, kid and x5c.
func (a *keyAttestation) checkHeader(allowed []string) error {
	h := a.t.header
	if typ, _, ok := h.str("typ"); !ok || typ != AttestationType {
		return errAttTyp
	}
	if _, ok := h["crit"]; ok {
		return errAttCrit
	}
	alg, _, ok := h.str("alg")
	if _, known := algorithms[alg]; !ok || !known || !slices.Contains(allowed, alg) {
		return errAttAlg
	}
	a.alg = alg
	kid, present, ok := h.str("kid")
	if present && !ok {
		return errAttKid
	}
	a.kid = kid
	if raw, ok := h["x5c"]; ok {
		chain, err := parseX5C(raw)
		if err != nil {
			return errAttX5C
		}
		a.chain = chain
	}
	return nil
}

// attestationTimeErrors are the errors of checkTimes for a key
// attestation.
var attestationTimeErrors = map[error]error{
	errIatMissing: errAttIatMissing, errIatType: errAttIatType, errIatOld: errAttIatOld, errIatFuture: errAttIatFuture,
	errExpType: errAttExpType, errExpPast: errAttExpPast, errNbfType: errAttNbfType, errNbfFuture: errAttNbfFuture,
}

// checkAttestationTimes checks iat, exp and nbf as a proof's, and
// requires exp when needExp.
func (v *Verifier) checkAttestationTimes(a *keyAttestation, now time.Time, needExp bool) error {
	p := a.t.payload
	iat, err := v.checkTimes(p, now)
	if err != nil {
		return attestationTimeErrors[err]
	}
	a.info.IssuedAt = iat
	exp, present, _ := p.number("exp")
	if !present && needExp {
		return errAttExpMissing
	}
	if present {
		a.info.Expires = seconds(exp)
	}
	return nil
}

// attestedKeys parses attested_keys: a non-empty array of at most
// maxAttestedKeys distinct public JWKs that the key policy accepts. It
// returns the keys and the kid member of each ("" when absent).
func attestedKeys(raw json.RawMessage) ([]Key, []string, error) {
	var list []json.RawMessage
	if len(raw) == 0 || raw[0] != '[' || json.Unmarshal(raw, &list) != nil || len(list) == 0 {
		return nil, nil, errAttKeys
	}
	if len(list) > maxAttestedKeys {
		return nil, nil, errAttTooManyKeys
	}
	keys, kids := make([]Key, len(list)), make([]string, len(list))
	for i, j := range list {
		pub, err := jwkKey(j, "")
		if err != nil {
			return nil, nil, attestedKeyError(i, err)
		}
		if keys[i], err = newKey(pub); err != nil {
			return nil, nil, attestedKeyError(i, errJWKMalformed)
		}
		for _, k := range keys[:i] {
			if k.Thumbprint == keys[i].Thumbprint {
				return nil, nil, errAttDuplicateKey
			}
		}
		var m struct {
			Kid string `json:"kid"`
		}
		_ = json.Unmarshal(j, &m) // jwkKey parsed it: an object
		kids[i] = m.Kid
	}
	return keys, kids, nil
}

// attestedKeyError says what is wrong with attested_keys[i], in the words
// jwkKey found for a jwk header.
func attestedKeyError(i int, err error) error {
	what := strings.TrimPrefix(strings.TrimPrefix(err.Error(), ErrInvalidProof.Error()+": "), "the key proof's jwk ")
	return fmt.Errorf("%w: the key attestation's attested_keys[%d] %s", ErrInvalidProof, i, what)
}

// readClaims reads nonce, iss, key_storage, user_authentication and
// certification, and applies e's key_storage and user_authentication
// requirements.
func (a *keyAttestation) readClaims(e Expect) error {
	p := a.t.payload
	n, present, ok := p.str("nonce")
	switch {
	case present && !ok:
		return errAttNonceType
	case n == "":
		return errAttNonceMissing
	}
	a.nonce = n
	var err error
	if a.info.Issuer, err = optionalString(p, "iss", errAttIss); err != nil {
		return err
	}
	if a.info.Certification, err = optionalString(p, "certification", errAttCertification); err != nil {
		return err
	}
	if a.info.KeyStorage, err = levels(p, "key_storage", errAttKeyStorage); err != nil {
		return err
	}
	if a.info.UserAuthentication, err = levels(p, "user_authentication", errAttUserAuthentication); err != nil {
		return err
	}
	switch {
	case !accepts(e.KeyStorage, a.info.KeyStorage):
		return errAttKeyStorageLevel
	case !accepts(e.UserAuthentication, a.info.UserAuthentication):
		return errAttUserAuthenticationLevel
	}
	return nil
}

// optionalString returns the member name, "" when absent, or bad when it
// is not a string.
func optionalString(p members, name string, bad error) (string, error) {
	s, present, ok := p.str(name)
	if present && !ok {
		return "", bad
	}
	return s, nil
}

// levels returns the member name, a non-empty array of strings (Appendix
// D.1 key_storage, user_authentication), or nil when absent.
func levels(p members, name string, bad error) ([]string, error) {
	raw, ok := p[name]
	if !ok {
		return nil, nil
	}
	var list []string
	if len(raw) == 0 || raw[0] != '[' || json.Unmarshal(raw, &list) != nil || len(list) == 0 {
		return nil, bad
	}
	return list, nil
}

// accepts reports whether asserted has one of the accepted values; an
// empty accepted list accepts anything.
func accepts(accepted, asserted []string) bool {
	if len(accepted) == 0 {
		return true
	}
	return slices.ContainsFunc(asserted, func(s string) bool { return slices.Contains(accepted, s) })
}

// attestedKey returns the attested key the proof's header names, with a
// key_attestation: its jwk or its x5c leaf must be one of the attested
// keys; a kid names one by its kid member or, failing that, by its
// position in attested_keys ("0" for the first, as in Appendix F.1's
// example).
func attestedKey(h members, a *keyAttestation) (crypto.PublicKey, error) {
	_, hasJWK := h["jwk"]
	_, hasX5C := h["x5c"]
	kid, hasKid, kidOK := h.str("kid")
	var n int
	for _, has := range [...]bool{hasJWK, hasKid, hasX5C} {
		if has {
			n++
		}
	}
	if n != 1 {
		return nil, errKeyCount
	}
	if hasKid {
		if !kidOK {
			return nil, errAttKidUnknown
		}
		return a.keyByKid(kid)
	}
	var pub crypto.PublicKey
	var err error
	if hasJWK {
		pub, err = jwkKey(h["jwk"], "")
	} else {
		pub, err = x5cKey(h["x5c"])
	}
	if err != nil {
		return nil, err
	}
	k, err := newKey(pub)
	if err != nil {
		return nil, errJWKMalformed
	}
	for _, ak := range a.keys {
		if ak.Thumbprint == k.Thumbprint {
			return pub, nil
		}
	}
	return nil, errAttNotAttested
}

// keyByKid returns the attested key named kid: the one whose kid member
// is kid or, when none is, the one at position kid (a decimal index
// without leading zeros).
func (a *keyAttestation) keyByKid(kid string) (crypto.PublicKey, error) {
	if i := slices.Index(a.kids, kid); i >= 0 {
		return a.keys[i].Public, nil
	}
	i, err := strconv.Atoi(kid)
	if err != nil || i < 0 || i >= len(a.keys) || strconv.Itoa(i) != kid {
		return nil, errAttKidUnknown
	}
	return a.keys[i].Public, nil
}
