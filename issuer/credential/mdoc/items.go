package mdoc

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/fxamacker/cbor/v2"
)

// randomSize is the length of each IssuerSignedItem's random: ISO/IEC
// 18013-5 §9.1.2.5 asks for at least 16 bytes; 32 leaves a margin at a cost
// of a few hundred bytes per credential.
const randomSize = 32

// digestIDLimit bounds the random digest IDs: below 2^31 they fit an int32
// and a JavaScript number in every verifier.
const digestIDLimit = 1 << 31

// tagEncodedCBOR is tag 24, "encoded CBOR data item" (RFC 8949 §3.4.5.1).
const tagEncodedCBOR = 24

// issuerSignedItem is ISO/IEC 18013-5 §8.3.2.1.2.2 IssuerSignedItem.
type issuerSignedItem struct {
	DigestID          uint32 `cbor:"digestID"`
	Random            []byte `cbor:"random"`
	ElementIdentifier string `cbor:"elementIdentifier"`
	ElementValue      any    `cbor:"elementValue"`
}

// nameSpace is one namespace's items, encoded, with their digests.
type nameSpace struct {
	// items are the IssuerSignedItemBytes, #6.24(bstr .cbor IssuerSignedItem).
	items []cbor.RawMessage
	// digests maps each digest ID to SHA-256 of its IssuerSignedItemBytes.
	digests map[uint32][]byte
}

// buildNameSpaces encodes every namespace of claims into its items and
// digests.
func buildNameSpaces(claims map[string]any, cfg Config, rand io.Reader) (map[string]nameSpace, error) {
	if len(claims) == 0 {
		return nil, fmt.Errorf("%w: no namespace", ErrClaims)
	}
	out := make(map[string]nameSpace, len(claims))
	for _, ns := range sortedKeys(claims) {
		elements, ok := claims[ns].(map[string]any)
		if !ok || len(elements) == 0 {
			return nil, fmt.Errorf("%w: namespace %q is not an object of data elements", ErrClaims, ns)
		}
		built, err := buildNameSpace(ns, elements, cfg, rand)
		if err != nil {
			return nil, err
		}
		out[ns] = built
	}
	return out, nil
}

// buildNameSpace encodes one namespace. Elements are taken in identifier
// order so a fixed rand gives a fixed output; the digest IDs are random and
// unique within the namespace, so they say nothing about that order
// (ISO/IEC 18013-5 §9.1.2.5).
func buildNameSpace(ns string, elements map[string]any, cfg Config, rand io.Reader) (nameSpace, error) {
	built := nameSpace{digests: make(map[uint32][]byte, len(elements))}
	for _, id := range sortedKeys(elements) {
		if ns == "" || id == "" {
			return nameSpace{}, fmt.Errorf("%w: an empty namespace or element identifier", ErrClaims)
		}
		value, err := elementValue(elements[id], cfg.Dates[Element{ns, id}])
		if err != nil {
			return nameSpace{}, fmt.Errorf("%w: element %q of namespace %q: %w", ErrClaims, id, ns, err)
		}
		digestID, err := newDigestID(rand, built.digests)
		if err != nil {
			return nameSpace{}, err
		}
		random := make([]byte, randomSize)
		if _, err := io.ReadFull(rand, random); err != nil {
			return nameSpace{}, fmt.Errorf("mdoc: reading randomness for an element: %w", err)
		}
		item, err := encodeItem(issuerSignedItem{DigestID: digestID, Random: random, ElementIdentifier: id, ElementValue: value})
		if err != nil {
			return nameSpace{}, fmt.Errorf("%w: element %q of namespace %q: %w", ErrClaims, id, ns, err)
		}
		sum := sha256.Sum256(item)
		built.items = append(built.items, item)
		built.digests[digestID] = sum[:]
	}
	return built, nil
}

// encodeItem returns the item's IssuerSignedItemBytes: tag 24 over its
// deterministic encoding.
func encodeItem(item issuerSignedItem) (cbor.RawMessage, error) {
	inner, err := encMode.Marshal(item)
	if err != nil {
		return nil, errors.New("encoding the element value")
	}
	return encMode.Marshal(cbor.Tag{Number: tagEncodedCBOR, Content: inner})
}

// digestIDTries bounds the draws for a fresh digest ID: a reader that keeps
// repeating itself fails instead of looping.
const digestIDTries = 64

// errDigestIDs is newDigestID's failure with a reader that repeats itself.
var errDigestIDs = errors.New("mdoc: the random reader gives no fresh digest IDs")

// newDigestID draws a random digest ID below digestIDLimit that taken does
// not hold yet.
func newDigestID(rand io.Reader, taken map[uint32][]byte) (uint32, error) {
	var b [4]byte
	for range digestIDTries {
		if _, err := io.ReadFull(rand, b[:]); err != nil {
			return 0, fmt.Errorf("mdoc: reading randomness for a digest ID: %w", err)
		}
		id := binary.BigEndian.Uint32(b[:]) % digestIDLimit
		if _, dup := taken[id]; !dup {
			return id, nil
		}
	}
	return 0, errDigestIDs
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
