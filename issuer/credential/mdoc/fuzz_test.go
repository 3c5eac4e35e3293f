package mdoc

import (
	"encoding/base64"
	"testing"
)

// FuzzVerify feeds Verify CBOR bytes (base64url-encoded for it): it never
// panics, and what it accepts is a whole document. Seeds: an issued PID, the
// same with a flipped signature byte, an altered element, and no x5chain.
func FuzzVerify(f *testing.F) {
	iss, other, holder := newIssuerKey(f, "DS"), newIssuerKey(f, "other"), newHolderKey(f)
	cred := mustIssue(f, pidInput(f, iss, holder))
	for _, seed := range []string{
		cred,
		flipSignatureByte(f, cred),
		alterElement(f, cred, pidNS, "age_in_years", 17),
		replaceX5Chain(f, cred, other.cert.Raw),
		rewriteUnprotected(f, cred),
	} {
		raw, err := base64.RawURLEncoding.DecodeString(seed)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Add([]byte{0xa0})
	f.Fuzz(func(t *testing.T, raw []byte) {
		doc, err := Verify(base64.RawURLEncoding.EncodeToString(raw))
		if err != nil {
			return
		}
		if doc.DocType == "" || len(doc.NameSpaces) == 0 || len(doc.Chain) == 0 || doc.DeviceKey == nil {
			t.Errorf("Verify accepted an incomplete document: %+v", doc)
		}
	})
}
