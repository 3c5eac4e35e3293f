package mdoc

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"

	"github.com/fxamacker/cbor/v2"
)

// issuerSigned is ISO/IEC 18013-5 §8.3.2.1.2.2 IssuerSigned.
type issuerSigned struct {
	NameSpaces map[string][]cbor.RawMessage `cbor:"nameSpaces"`
	IssuerAuth cbor.RawMessage              `cbor:"issuerAuth"`
}

// Issue returns the mdoc of in as the credential of an OpenID4VCI 1.0
// Appendix A.2 (mso_mdoc) credential response: base64url without padding of
// the CBOR IssuerSigned structure. See [Encode] for the structure.
func Issue(in Input) (string, error) {
	b, err := Encode(in)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// Encode returns the CBOR IssuerSigned structure of in (ISO/IEC 18013-5
// §8.3.2.1.2.2, §9.1.2.4):
//
//	IssuerSigned = {"nameSpaces": {ns: [+ #6.24(bstr .cbor IssuerSignedItem)]},
//	                "issuerAuth": COSE_Sign1 over #6.24(bstr .cbor MobileSecurityObject)}
//
// Element values may be: string, bool, nil, the integer types, float64 and
// json.Number (integral values become integers), []byte (a byte string),
// [FullDate] (full-date, tag 1004), time.Time (tdate, tag 0, whole seconds,
// UTC), slices (arrays) and maps with string keys of these. A string value of
// an element that in.Config.Dates names is parsed as that kind of date.
//
// Errors wrap [ErrClaims], [ErrDeviceKey] or [ErrIssuer] (or report a failed
// read of in.Rand or a failed signature); none of them repeats a claim value.
func Encode(in Input) ([]byte, error) {
	r := in.Rand
	if r == nil {
		r = rand.Reader
	}
	v := in.Validity.truncated()
	if err := checkInput(in, v); err != nil {
		return nil, err
	}
	device, err := deviceCOSEKey(in.DeviceKey)
	if err != nil {
		return nil, err
	}
	spaces, err := buildNameSpaces(in.Claims, in.Config, r)
	if err != nil {
		return nil, err
	}
	auth, err := signMSO(newMSO(in.Config.DocType, spaces, device, v), in, r)
	if err != nil {
		return nil, err
	}
	out := issuerSigned{NameSpaces: make(map[string][]cbor.RawMessage, len(spaces)), IssuerAuth: auth}
	for ns, built := range spaces {
		out.NameSpaces[ns] = built.items
	}
	b, err := encMode.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("mdoc: encoding IssuerSigned: %w", err)
	}
	return b, nil
}

// checkInput checks the issuer's side of in: docType, validity, signer and
// chain.
func checkInput(in Input, v Validity) error {
	if in.Config.DocType == "" {
		return fmt.Errorf("%w: no docType", ErrIssuer)
	}
	if err := v.check(); err != nil {
		return err
	}
	return checkIssuer(in, v)
}
