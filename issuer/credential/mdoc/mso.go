package mdoc

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"fmt"
	"time"

	"github.com/fxamacker/cbor/v2"

	"issuer/dpop"
)

// mobileSecurityObject is ISO/IEC 18013-5 §9.1.2.4 MobileSecurityObject.
type mobileSecurityObject struct {
	Version         string                       `cbor:"version"`
	DigestAlgorithm string                       `cbor:"digestAlgorithm"`
	ValueDigests    map[string]map[uint32][]byte `cbor:"valueDigests"`
	DeviceKeyInfo   deviceKeyInfo                `cbor:"deviceKeyInfo"`
	DocType         string                       `cbor:"docType"`
	ValidityInfo    validityInfo                 `cbor:"validityInfo"`
}

// deviceKeyInfo is DeviceKeyInfo with the device key only (no keyAuthorizations
// or keyInfo).
type deviceKeyInfo struct {
	DeviceKey coseKey `cbor:"deviceKey"`
}

// validityInfo is ValidityInfo without expectedUpdate; each time a tdate.
type validityInfo struct {
	Signed     cbor.Tag `cbor:"signed"`
	ValidFrom  cbor.Tag `cbor:"validFrom"`
	ValidUntil cbor.Tag `cbor:"validUntil"`
}

// coseKey is an EC2 COSE_Key (RFC 9053 §7.1.1): kty, crv, x, y.
type coseKey struct {
	Kty int64  `cbor:"1,keyasint"`
	Crv int64  `cbor:"-1,keyasint"`
	X   []byte `cbor:"-2,keyasint"`
	Y   []byte `cbor:"-3,keyasint"`
}

// COSE_Key parameters of an EC2 P-256 key (RFC 9053 §7.1, IANA COSE Key
// Types and Elliptic Curves).
const (
	coseKtyEC2  = 2
	coseCrvP256 = 1
)

// newMSO assembles the MSO of the namespaces' digests.
func newMSO(docType string, spaces map[string]nameSpace, device coseKey, v Validity) mobileSecurityObject {
	digests := make(map[string]map[uint32][]byte, len(spaces))
	for ns, built := range spaces {
		digests[ns] = built.digests
	}
	return mobileSecurityObject{
		Version:         "1.0",
		DigestAlgorithm: "SHA-256",
		ValueDigests:    digests,
		DeviceKeyInfo:   deviceKeyInfo{DeviceKey: device},
		DocType:         docType,
		ValidityInfo: validityInfo{
			Signed:     tdate(v.Signed),
			ValidFrom:  tdate(v.ValidFrom),
			ValidUntil: tdate(v.ValidUntil),
		},
	}
}

// tdate is t as tag 0 over RFC 3339, whole seconds, UTC.
func tdate(t time.Time) cbor.Tag {
	return cbor.Tag{Number: tagDateTime, Content: tdateTime(t).Format(time.RFC3339)}
}

// deviceCOSEKey returns the holder's key as a COSE_Key after the server's
// key policy: ES256 only, so an ECDSA key on P-256.
func deviceCOSEKey(pub crypto.PublicKey) (coseKey, error) {
	if err := dpop.CheckPublicKey(pub); err != nil {
		return coseKey{}, fmt.Errorf("%w: %w", ErrDeviceKey, err)
	}
	ec, ok := pub.(*ecdsa.PublicKey)
	if !ok || ec.Curve != elliptic.P256() {
		return coseKey{}, fmt.Errorf("%w: the device key must be ECDSA P-256 (ES256)", ErrDeviceKey)
	}
	point, err := ec.Bytes() // 0x04 || x || y, 32 bytes each
	if err != nil {
		return coseKey{}, fmt.Errorf("%w: %w", ErrDeviceKey, err)
	}
	return coseKey{Kty: coseKtyEC2, Crv: coseCrvP256, X: point[1:33], Y: point[33:65]}, nil
}
