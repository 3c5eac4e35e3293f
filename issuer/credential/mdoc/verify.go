package mdoc

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/veraison/go-cose"
)

// ErrInvalid is wrapped by every error of [Verify].
var ErrInvalid = errors.New("mdoc: invalid credential")

// Document is an mdoc that [Verify] decoded and checked.
type Document struct {
	// DocType is the MSO's docType.
	DocType string
	// NameSpaces maps namespace → element identifier → value. Values are
	// string, bool, nil, int64 or uint64, float64, []byte, [FullDate],
	// time.Time (UTC), []any, map[string]any, or cbor.Tag for other tags.
	NameSpaces map[string]map[string]any
	// Validity is the MSO's validityInfo.
	Validity Validity
	// DeviceKey is the holder's key from deviceKeyInfo.
	DeviceKey *ecdsa.PublicKey
	// Chain is the x5chain, leaf first, whose leaf's key verified the
	// signature. Verify does not judge whether to trust it.
	Chain []*x509.Certificate
}

// decMode decodes untrusted credentials: duplicate map keys and
// indefinite lengths refused, nesting bounded.
var decMode = mustDecMode()

func mustDecMode() cbor.DecMode {
	dm, err := cbor.DecOptions{
		DupMapKey:       cbor.DupMapKeyEnforcedAPF,
		IndefLength:     cbor.IndefLengthForbidden,
		MaxNestedLevels: maxDepth + 8,
		DefaultMapType:  reflect.TypeFor[map[string]any](),
	}.DecMode()
	if err != nil {
		panic(err) // a fixed option set: fails at init or never
	}
	return dm
}

// invalid returns an ErrInvalid error.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// Verify decodes credential, the base64url (unpadded) IssuerSigned of an
// mso_mdoc credential, and checks it (ISO/IEC 18013-5 §9.3.1 steps that need
// no trust anchor or clock): the COSE_Sign1 is ES256 with the algorithm in
// the protected header and verifies with the key of the x5chain leaf; the
// MSO is version 1.0 with SHA-256 digests; every IssuerSignedItem's digest
// matches the MSO's digest for its namespace and digest ID, and digest IDs
// and identifiers are unique per namespace. The caller decides whether to
// trust [Document.Chain] and checks [Document.Validity] against its clock.
func Verify(credential string) (*Document, error) {
	raw, err := base64.RawURLEncoding.DecodeString(credential)
	if err != nil {
		return nil, invalid("not unpadded base64url")
	}
	var is issuerSigned
	if err := decMode.Unmarshal(raw, &is); err != nil {
		return nil, invalid("IssuerSigned: %v", err)
	}
	mso, chain, err := verifyIssuerAuth(is.IssuerAuth)
	if err != nil {
		return nil, err
	}
	doc, err := mso.document(chain)
	if err != nil {
		return nil, err
	}
	if len(is.NameSpaces) == 0 {
		return nil, invalid("no namespaces")
	}
	for ns, items := range is.NameSpaces {
		elements, err := verifyNameSpace(ns, items, mso.ValueDigests[ns])
		if err != nil {
			return nil, err
		}
		doc.NameSpaces[ns] = elements
	}
	return doc, nil
}

// decodedMSO is the MSO as Verify reads it.
type decodedMSO struct {
	Version         string                       `cbor:"version"`
	DigestAlgorithm string                       `cbor:"digestAlgorithm"`
	ValueDigests    map[string]map[uint64][]byte `cbor:"valueDigests"`
	DeviceKeyInfo   struct {
		DeviceKey coseKey `cbor:"deviceKey"`
	} `cbor:"deviceKeyInfo"`
	DocType      string `cbor:"docType"`
	ValidityInfo struct {
		Signed     cbor.Tag `cbor:"signed"`
		ValidFrom  cbor.Tag `cbor:"validFrom"`
		ValidUntil cbor.Tag `cbor:"validUntil"`
	} `cbor:"validityInfo"`
}

// verifyIssuerAuth checks the COSE_Sign1 against its x5chain leaf and
// returns the MSO it signs.
func verifyIssuerAuth(raw cbor.RawMessage) (*decodedMSO, []*x509.Certificate, error) {
	var msg cose.UntaggedSign1Message
	if err := msg.UnmarshalCBOR(raw); err != nil {
		return nil, nil, invalid("issuerAuth: %v", err)
	}
	if alg, err := msg.Headers.Protected.Algorithm(); err != nil || alg != cose.AlgorithmES256 {
		return nil, nil, invalid("issuerAuth: the protected header's alg is not ES256")
	}
	chain, err := parseX5Chain(msg.Headers.Unprotected[cose.HeaderLabelX5Chain])
	if err != nil {
		return nil, nil, err
	}
	pub, ok := chain[0].PublicKey.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		return nil, nil, invalid("issuerAuth: the x5chain leaf's key is not ECDSA P-256")
	}
	verifier, err := cose.NewVerifier(cose.AlgorithmES256, pub)
	if err != nil {
		return nil, nil, invalid("issuerAuth: %v", err)
	}
	if err := msg.Verify(nil, verifier); err != nil {
		return nil, nil, invalid("issuerAuth: the signature does not verify with the x5chain leaf")
	}
	mso, err := decodeMSO(msg.Payload)
	return mso, chain, err
}

// parseX5Chain parses the x5chain header value: a byte string or an array
// of them (RFC 9360 §2).
func parseX5Chain(v any) ([]*x509.Certificate, error) {
	var ders [][]byte
	switch x := v.(type) {
	case []byte:
		ders = [][]byte{x}
	case []any:
		for _, e := range x {
			der, ok := e.([]byte)
			if !ok {
				return nil, invalid("issuerAuth: x5chain holds a non-bstr")
			}
			ders = append(ders, der)
		}
	}
	if len(ders) == 0 {
		return nil, invalid("issuerAuth: no x5chain in the unprotected header")
	}
	chain := make([]*x509.Certificate, len(ders))
	for i, der := range ders {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, invalid("issuerAuth: x5chain certificate %d: %v", i, err)
		}
		chain[i] = c
	}
	return chain, nil
}

// decodeMSO decodes MobileSecurityObjectBytes and checks its fixed members.
func decodeMSO(payload []byte) (*decodedMSO, error) {
	inner, err := unwrapTag24(payload)
	if err != nil {
		return nil, invalid("MSO: %v", err)
	}
	var mso decodedMSO
	if err := decMode.Unmarshal(inner, &mso); err != nil {
		return nil, invalid("MSO: %v", err)
	}
	if mso.Version != "1.0" || mso.DigestAlgorithm != "SHA-256" || mso.DocType == "" {
		return nil, invalid("MSO: not version 1.0 with SHA-256 digests and a docType")
	}
	return &mso, nil
}

// unwrapTag24 returns the content of #6.24(bstr), which must be all of b.
func unwrapTag24(b []byte) ([]byte, error) {
	var tag cbor.RawTag
	if err := decMode.Unmarshal(b, &tag); err != nil {
		return nil, err
	}
	var inner []byte
	if tag.Number != tagEncodedCBOR || decMode.Unmarshal(tag.Content, &inner) != nil {
		return nil, errors.New("not #6.24(bstr)")
	}
	return inner, nil
}

// document returns the Document of the MSO's own members.
func (m *decodedMSO) document(chain []*x509.Certificate) (*Document, error) {
	var v Validity
	var err1, err2, err3 error
	v.Signed, err1 = tagTime(m.ValidityInfo.Signed)
	v.ValidFrom, err2 = tagTime(m.ValidityInfo.ValidFrom)
	v.ValidUntil, err3 = tagTime(m.ValidityInfo.ValidUntil)
	if err := errors.Join(err1, err2, err3); err != nil {
		return nil, invalid("MSO validityInfo: %v", err)
	}
	key, err := m.DeviceKeyInfo.DeviceKey.publicKey()
	if err != nil {
		return nil, err
	}
	return &Document{
		DocType:    m.DocType,
		NameSpaces: make(map[string]map[string]any),
		Validity:   v,
		DeviceKey:  key,
		Chain:      chain,
	}, nil
}

// publicKey returns the EC2 P-256 COSE_Key as an ECDSA public key.
func (k coseKey) publicKey() (*ecdsa.PublicKey, error) {
	if k.Kty != coseKtyEC2 || k.Crv != coseCrvP256 || len(k.X) != 32 || len(k.Y) != 32 {
		return nil, invalid("MSO deviceKey: not an EC2 P-256 COSE_Key")
	}
	point := append(append([]byte{4}, k.X...), k.Y...)
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), point)
	if err != nil {
		return nil, invalid("MSO deviceKey: %v", err)
	}
	return pub, nil
}

// tagTime reads a tdate.
func tagTime(t cbor.Tag) (time.Time, error) {
	s, ok := t.Content.(string)
	if t.Number != tagDateTime || !ok {
		return time.Time{}, errors.New("not a tdate")
	}
	return time.Parse(time.RFC3339, s)
}

// verifyNameSpace checks each item's digest against digests and returns the
// namespace's elements.
func verifyNameSpace(ns string, items []cbor.RawMessage, digests map[uint64][]byte) (map[string]any, error) {
	elements := make(map[string]any, len(items))
	seen := make(map[uint64]bool, len(items))
	for _, raw := range items {
		item, err := decodeItem(raw)
		if err != nil {
			return nil, invalid("namespace %q: %v", ns, err)
		}
		sum := sha256.Sum256(raw)
		want, ok := digests[item.DigestID]
		if !ok || !bytes.Equal(sum[:], want) {
			return nil, invalid("namespace %q element %q: its digest does not match the MSO", ns, item.ElementIdentifier)
		}
		if _, dup := elements[item.ElementIdentifier]; dup || seen[item.DigestID] {
			return nil, invalid("namespace %q element %q: a repeated identifier or digest ID", ns, item.ElementIdentifier)
		}
		seen[item.DigestID] = true
		value, err := plainValue(item.ElementValue, 0)
		if err != nil {
			return nil, invalid("namespace %q element %q: %v", ns, item.ElementIdentifier, err)
		}
		elements[item.ElementIdentifier] = value
	}
	return elements, nil
}

// decodedItem is an IssuerSignedItem as Verify reads it.
type decodedItem struct {
	DigestID          uint64 `cbor:"digestID"`
	Random            []byte `cbor:"random"`
	ElementIdentifier string `cbor:"elementIdentifier"`
	ElementValue      any    `cbor:"elementValue"`
}

// decodeItem decodes IssuerSignedItemBytes.
func decodeItem(raw []byte) (*decodedItem, error) {
	inner, err := unwrapTag24(raw)
	if err != nil {
		return nil, fmt.Errorf("IssuerSignedItemBytes: %w", err)
	}
	var item decodedItem
	if err := decMode.Unmarshal(inner, &item); err != nil {
		return nil, fmt.Errorf("IssuerSignedItem: %w", err)
	}
	if len(item.Random) < 16 || item.ElementIdentifier == "" {
		return nil, errors.New("IssuerSignedItem: a random below 16 bytes or no elementIdentifier")
	}
	return &item, nil
}

// plainValue turns the date tags of a decoded element value into FullDate
// and time.Time.
func plainValue(v any, depth int) (any, error) {
	if depth > maxDepth {
		return nil, errValueDepth
	}
	switch x := v.(type) {
	case time.Time:
		return x.UTC(), nil
	case cbor.Tag:
		return plainTag(x)
	case []any:
		for i := range x {
			e, err := plainValue(x[i], depth+1)
			if err != nil {
				return nil, err
			}
			x[i] = e
		}
	case map[string]any:
		for k, e := range x {
			e, err := plainValue(e, depth+1)
			if err != nil {
				return nil, err
			}
			x[k] = e
		}
	}
	return v, nil
}

// plainTag reads full-date and tdate tags; other tags stay as they are.
func plainTag(t cbor.Tag) (any, error) {
	s, ok := t.Content.(string)
	switch {
	case t.Number == tagFullDate && ok:
		return ParseFullDate(s)
	case t.Number == tagDateTime && ok:
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return nil, errDate
		}
		return tm.UTC(), nil
	}
	return t, nil
}
