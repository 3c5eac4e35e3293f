package mdoc

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"fmt"
	"io"

	"github.com/fxamacker/cbor/v2"
	"github.com/veraison/go-cose"
)

// encMode is core deterministic CBOR (RFC 8949 §4.2.1: preferred
// serialization, map keys sorted bytewise, no indefinite lengths): the MSO
// and the items are hashed and signed, so their bytes must not depend on Go
// map order, and verifiers that re-encode find the same bytes.
var encMode = mustEncMode()

func mustEncMode() cbor.EncMode {
	em, err := cbor.CoreDetEncOptions().EncMode()
	if err != nil {
		panic(err) // a fixed option set: fails at init or never
	}
	return em
}

// checkIssuer checks that the signer is ECDSA P-256, that the chain has a
// leaf holding the signer's public key, and that the MSO is signed while the
// leaf is valid.
func checkIssuer(in Input, v Validity) error {
	if in.Signer == nil || len(in.Chain) == 0 || in.Chain[0] == nil {
		return fmt.Errorf("%w: a signer and its certificate chain are needed", ErrIssuer)
	}
	pub, ok := in.Signer.Public().(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		return fmt.Errorf("%w: the signer must be ECDSA P-256 (ES256)", ErrIssuer)
	}
	leaf := in.Chain[0]
	if !pub.Equal(leaf.PublicKey) {
		return fmt.Errorf("%w: the chain's leaf certificate does not hold the signer's public key", ErrIssuer)
	}
	if v.Signed.Before(leaf.NotBefore) || v.Signed.After(leaf.NotAfter) {
		return fmt.Errorf("%w: the MSO's signed time is outside the signer certificate's validity", ErrIssuer)
	}
	return nil
}

// signMSO returns issuerAuth: an untagged COSE_Sign1 (ISO/IEC 18013-5
// §9.1.2.4) with ES256 in the protected header, x5chain in the unprotected
// one, and as payload the MobileSecurityObjectBytes, #6.24(bstr .cbor MSO).
func signMSO(mso mobileSecurityObject, in Input, rand io.Reader) (cbor.RawMessage, error) {
	inner, err := encMode.Marshal(mso)
	if err != nil {
		return nil, fmt.Errorf("mdoc: encoding the MSO: %w", err)
	}
	payload, err := encMode.Marshal(cbor.Tag{Number: tagEncodedCBOR, Content: inner})
	if err != nil {
		return nil, fmt.Errorf("mdoc: encoding the MSO: %w", err)
	}
	signer, err := cose.NewSigner(cose.AlgorithmES256, in.Signer)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrIssuer, err)
	}
	msg := cose.UntaggedSign1Message{
		Headers: cose.Headers{
			Protected:   cose.ProtectedHeader{cose.HeaderLabelAlgorithm: cose.AlgorithmES256},
			Unprotected: cose.UnprotectedHeader{cose.HeaderLabelX5Chain: x5chain(in.Chain)},
		},
		Payload: payload,
	}
	if err := msg.Sign(rand, nil, signer); err != nil {
		return nil, fmt.Errorf("mdoc: signing the MSO: %w", err)
	}
	return msg.MarshalCBOR()
}

// x5chain is the x5chain header value (RFC 9360 §2): one certificate as a
// byte string, several as an array of byte strings, leaf first.
func x5chain(chain []*x509.Certificate) any {
	if len(chain) == 1 {
		return chain[0].Raw
	}
	ders := make([][]byte, len(chain))
	for i, c := range chain {
		ders[i] = c.Raw
	}
	return ders
}
