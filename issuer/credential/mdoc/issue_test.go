package mdoc

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
)

// parts is an issued credential taken apart with a generic CBOR decoder.
type parts struct {
	nameSpaces map[string][]cbor.RawMessage
	sign1      []cbor.RawMessage // protected, unprotected, payload, signature
	msoBytes   []byte            // the MSO inside its tag 24
}

func split(t *testing.T, cred string) parts {
	t.Helper()
	if strings.ContainsAny(cred, "=+/") {
		t.Fatalf("credential is not unpadded base64url: %q", cred[:16])
	}
	raw, err := base64.RawURLEncoding.DecodeString(cred)
	if err != nil {
		t.Fatal(err)
	}
	var top map[string]cbor.RawMessage
	if err := cbor.Unmarshal(raw, &top); err != nil || len(top) != 2 {
		t.Fatalf("IssuerSigned = %d members, %v; want nameSpaces and issuerAuth", len(top), err)
	}
	var p parts
	if err := cbor.Unmarshal(top["nameSpaces"], &p.nameSpaces); err != nil {
		t.Fatalf("nameSpaces: %v", err)
	}
	if err := cbor.Unmarshal(top["issuerAuth"], &p.sign1); err != nil || len(p.sign1) != 4 {
		t.Fatalf("issuerAuth is not an untagged 4-element COSE_Sign1: %v", err)
	}
	var payload []byte
	if err := cbor.Unmarshal(p.sign1[2], &payload); err != nil {
		t.Fatal(err)
	}
	var tag cbor.Tag
	if err := cbor.Unmarshal(payload, &tag); err != nil || tag.Number != 24 {
		t.Fatalf("payload is not tag 24: %v", err)
	}
	p.msoBytes = tag.Content.([]byte)
	return p
}

func TestIssueCOSEHeaders(t *testing.T) {
	iss, holder := newIssuerKey(t, "DS"), newHolderKey(t)
	p := split(t, mustIssue(t, pidInput(t, iss, holder)))

	var protected []byte
	if err := cbor.Unmarshal(p.sign1[0], &protected); err != nil {
		t.Fatal(err)
	}
	if want := []byte{0xa1, 0x01, 0x26}; !bytes.Equal(protected, want) {
		t.Errorf("protected header = %x; want %x ({1: -7}, ES256)", protected, want)
	}
	var unprotected map[int64]any
	if err := cbor.Unmarshal(p.sign1[1], &unprotected); err != nil {
		t.Fatal(err)
	}
	if der, _ := unprotected[33].([]byte); !bytes.Equal(der, iss.cert.Raw) || len(unprotected) != 1 {
		t.Errorf("unprotected header = %v; want only {33: the leaf's DER}", unprotected)
	}
}

func TestIssueMSO(t *testing.T) {
	iss, holder := newIssuerKey(t, "DS"), newHolderKey(t)
	p := split(t, mustIssue(t, pidInput(t, iss, holder)))

	var mso struct {
		Version         string                       `cbor:"version"`
		DigestAlgorithm string                       `cbor:"digestAlgorithm"`
		DocType         string                       `cbor:"docType"`
		ValueDigests    map[string]map[uint64][]byte `cbor:"valueDigests"`
		DeviceKeyInfo   map[string]map[int64]any     `cbor:"deviceKeyInfo"`
		ValidityInfo    map[string]cbor.RawTag       `cbor:"validityInfo"`
	}
	if err := cbor.Unmarshal(p.msoBytes, &mso); err != nil {
		t.Fatal(err)
	}
	if mso.Version != "1.0" || mso.DigestAlgorithm != "SHA-256" || mso.DocType != pidDocType {
		t.Errorf("MSO version, digestAlgorithm, docType = %q, %q, %q", mso.Version, mso.DigestAlgorithm, mso.DocType)
	}
	key := mso.DeviceKeyInfo["deviceKey"]
	point, _ := holder.PublicKey.Bytes()
	if key[1] != uint64(2) || key[-1] != uint64(1) || !bytes.Equal(key[-2].([]byte), point[1:33]) ||
		!bytes.Equal(key[-3].([]byte), point[33:]) || len(key) != 4 {
		t.Errorf("deviceKey = %v; want {1: 2, -1: 1, -2: x, -3: y} of the holder key", key)
	}
	wantValidity := map[string]string{
		"signed":     "2026-03-14T09:26:53Z",
		"validFrom":  "2026-03-14T09:26:53Z",
		"validUntil": "2026-04-13T09:26:53Z",
	}
	for name, want := range wantValidity {
		got := mso.ValidityInfo[name]
		var s string
		if err := cbor.Unmarshal(got.Content, &s); err != nil || got.Number != 0 || s != want {
			t.Errorf("validityInfo.%s = tag %d %q; want tag 0 %q", name, got.Number, s, want)
		}
	}
	checkDigests(t, p.nameSpaces[pidNS], mso.ValueDigests[pidNS])
}

// checkDigests checks that each item's digest is in digests under its
// digest ID, that the IDs are unique and below 2^31, and the randoms 32
// bytes long.
func checkDigests(t *testing.T, items []cbor.RawMessage, digests map[uint64][]byte) {
	t.Helper()
	if len(items) != 11 || len(digests) != len(items) {
		t.Fatalf("%d items, %d digests; want 11 each", len(items), len(digests))
	}
	for _, raw := range items {
		var tag cbor.Tag
		if err := cbor.Unmarshal(raw, &tag); err != nil || tag.Number != 24 {
			t.Fatalf("an item is not tag 24: %v", err)
		}
		var item struct {
			DigestID uint64 `cbor:"digestID"`
			Random   []byte `cbor:"random"`
		}
		if err := cbor.Unmarshal(tag.Content.([]byte), &item); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(raw)
		if !bytes.Equal(digests[item.DigestID], sum[:]) || item.DigestID >= 1<<31 || len(item.Random) != 32 {
			t.Errorf("item digestID %d (random %d bytes): digest %x; want %x", item.DigestID, len(item.Random), digests[item.DigestID], sum)
		}
	}
}

// TestIssueDeterministicEncoding re-encodes the MSO's members in core
// deterministic order and expects the same bytes.
func TestIssueDeterministicEncoding(t *testing.T) {
	iss, holder := newIssuerKey(t, "DS"), newHolderKey(t)
	p := split(t, mustIssue(t, pidInput(t, iss, holder)))
	var members map[string]cbor.RawMessage
	if err := cbor.Unmarshal(p.msoBytes, &members); err != nil {
		t.Fatal(err)
	}
	again, err := cbor.CoreDetEncOptions().EncMode()
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := again.Marshal(members); !bytes.Equal(b, p.msoBytes) {
		t.Errorf("MSO is not in core deterministic order:\n got %x\nwant %x", p.msoBytes, b)
	}
	if got := p.msoBytes[1:9]; !bytes.Equal(got, []byte("\x67docType")) {
		t.Errorf("MSO starts with %q; want the shortest key, docType, first", got)
	}
}

func TestIssueElementEncodings(t *testing.T) {
	iss, holder := newIssuerKey(t, "DS"), newHolderKey(t)
	p := split(t, mustIssue(t, pidInput(t, iss, holder)))
	all := bytes.Join(func() [][]byte {
		var out [][]byte
		for _, r := range p.nameSpaces[pidNS] {
			out = append(out, r)
		}
		return out
	}(), nil)
	tests := []struct {
		name string
		want []byte
	}{
		{"birth_date as full-date (tag 1004)", append([]byte{0xd9, 0x03, 0xec, 0x6a}, "1964-08-12"...)},
		{"issuance_date as tdate (tag 0)", append([]byte{0xc0, 0x74}, "2026-03-14T09:26:53Z"...)},
		{"age_in_years as uint 61", append([]byte{0x6c}, "elementValue\x18\x3d"...)},
		{"age_over_18 as true", append([]byte{0x6c}, "elementValue\xf5"...)},
	}
	for _, tt := range tests {
		if !bytes.Contains(all, tt.want) {
			t.Errorf("%s: %x not found in the items", tt.name, tt.want)
		}
	}
}

// TestIssueReproducible: with the same reader everything but the ECDSA
// signature repeats; with another reader randoms and digest IDs differ.
func TestIssueReproducible(t *testing.T) {
	iss, holder := newIssuerKey(t, "DS"), newHolderKey(t)
	in := pidInput(t, iss, holder)
	a := split(t, mustIssue(t, in))
	in.Rand = seeded(1)
	b := split(t, mustIssue(t, in))
	in.Rand = seeded(2)
	c := split(t, mustIssue(t, in))
	if !bytes.Equal(a.msoBytes, b.msoBytes) {
		t.Error("the same reader gave two MSOs")
	}
	if bytes.Equal(a.msoBytes, c.msoBytes) || bytes.Equal(a.nameSpaces[pidNS][0], c.nameSpaces[pidNS][0]) {
		t.Error("two readers gave the same MSO or item")
	}
}

func TestIssueX5ChainArray(t *testing.T) {
	iss, other, holder := newIssuerKey(t, "DS"), newIssuerKey(t, "CA"), newHolderKey(t)
	in := pidInput(t, iss, holder)
	in.Chain = append(in.Chain, other.cert)
	p := split(t, mustIssue(t, in))
	var unprotected map[int64][][]byte
	if err := cbor.Unmarshal(p.sign1[1], &unprotected); err != nil {
		t.Fatalf("x5chain of two certificates is not an array of bstr: %v", err)
	}
	if got := unprotected[33]; len(got) != 2 || !bytes.Equal(got[0], iss.cert.Raw) {
		t.Errorf("x5chain = %d certificates; want the leaf first, then the CA", len(got))
	}
}

func TestValidityTruncated(t *testing.T) {
	v := Validity{Signed: testNow.In(time.FixedZone("X", 3600))}
	if got := v.truncated().Signed; got.Location() != time.UTC || got.Nanosecond() != 0 {
		t.Errorf("truncated() = %v; want whole seconds in UTC", got)
	}
}
