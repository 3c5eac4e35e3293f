package mdoc

import (
	"encoding/base64"
	"testing"

	"github.com/fxamacker/cbor/v2"
)

// The tampering helpers re-encode a credential with one change, as an
// attacker who holds it could.

// rewrite decodes cred's IssuerSigned and issuerAuth, lets change edit them,
// and encodes the result.
func rewrite(t testing.TB, cred string, change func(nameSpaces map[string][]cbor.RawMessage, sign1 []cbor.RawMessage)) string {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(cred)
	if err != nil {
		t.Fatal(err)
	}
	var top struct {
		NameSpaces map[string][]cbor.RawMessage `cbor:"nameSpaces"`
		IssuerAuth []cbor.RawMessage            `cbor:"issuerAuth"`
	}
	if err := cbor.Unmarshal(raw, &top); err != nil {
		t.Fatal(err)
	}
	change(top.NameSpaces, top.IssuerAuth)
	out, err := encMode.Marshal(top)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(out)
}

// flipSignatureByte flips one bit of the COSE_Sign1 signature.
func flipSignatureByte(t testing.TB, cred string) string {
	return rewrite(t, cred, func(_ map[string][]cbor.RawMessage, sign1 []cbor.RawMessage) {
		var sig []byte
		if err := cbor.Unmarshal(sign1[3], &sig); err != nil {
			t.Fatal(err)
		}
		sig[10] ^= 0x01
		sign1[3] = mustMarshal(t, sig)
	})
}

// replaceX5Chain puts der in x5chain instead of the signer's certificate.
func replaceX5Chain(t testing.TB, cred string, der []byte) string {
	return rewrite(t, cred, func(_ map[string][]cbor.RawMessage, sign1 []cbor.RawMessage) {
		sign1[1] = mustMarshal(t, map[int64]any{33: der})
	})
}

// alterElement gives element id of namespace ns another value, keeping its
// digest ID and random.
func alterElement(t testing.TB, cred, ns, id string, value any) string {
	return rewrite(t, cred, func(nameSpaces map[string][]cbor.RawMessage, _ []cbor.RawMessage) {
		for i, raw := range nameSpaces[ns] {
			var tag cbor.Tag
			if err := cbor.Unmarshal(raw, &tag); err != nil {
				t.Fatal(err)
			}
			var item map[string]cbor.RawMessage
			if err := cbor.Unmarshal(tag.Content.([]byte), &item); err != nil {
				t.Fatal(err)
			}
			var name string
			if err := cbor.Unmarshal(item["elementIdentifier"], &name); err != nil || name != id {
				continue
			}
			item["elementValue"] = mustMarshal(t, value)
			nameSpaces[ns][i] = mustMarshal(t, cbor.Tag{Number: 24, Content: mustMarshal(t, item)})
			return
		}
		t.Fatalf("no element %q in namespace %q", id, ns)
	})
}

func mustMarshal(t testing.TB, v any) []byte {
	t.Helper()
	b, err := encMode.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rewriteUnprotected empties the unprotected header.
func rewriteUnprotected(t testing.TB, cred string) string {
	return rewrite(t, cred, func(_ map[string][]cbor.RawMessage, sign1 []cbor.RawMessage) {
		sign1[1] = mustMarshal(t, map[int64]any{})
	})
}
