package mdoc

import (
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"time"
)

// The errors Issue wraps, one per party at fault, so a caller can map them:
// the claims (the credential cannot be issued with these data), the holder's
// key (the wallet's key proof), or the issuer's own setup.
var (
	// ErrClaims: the claims or the configuration's element hints cannot be
	// encoded (a namespace that is not an object, an unsupported value, a
	// date hint on a value that is not a date).
	ErrClaims = errors.New("mdoc: claims cannot be encoded")
	// ErrDeviceKey: the holder's key is not acceptable as an mdoc device key
	// (ES256 only: an ECDSA P-256 key passing dpop.CheckPublicKey).
	ErrDeviceKey = errors.New("mdoc: unacceptable device key")
	// ErrIssuer: the issuer's signer, certificate chain, docType or validity
	// cannot make a valid mdoc.
	ErrIssuer = errors.New("mdoc: issuer setup")
)

// Input is everything one mdoc is made of.
type Input struct {
	// Config holds the credential configuration's choices.
	Config Config
	// Claims maps each namespace to its data elements: namespace →
	// element identifier → value, as decoded JSON (map[string]any) or Go
	// values; see [Issue] for the value types.
	Claims map[string]any
	// DeviceKey is the holder's public key from the key proof, bound into
	// the MSO as deviceKeyInfo.deviceKey: an *ecdsa.PublicKey on P-256.
	DeviceKey crypto.PublicKey
	// Signer is the document signer's private key (ECDSA P-256). Its public
	// key must be the one of Chain[0].
	Signer crypto.Signer
	// Chain is the document signer's certificate chain, leaf first, sent in
	// x5chain. ISO/IEC 18013-5 verifiers expect the leaf only (the IACA root
	// is the verifier's trust anchor and is not sent).
	Chain []*x509.Certificate
	// Validity is the MSO's validityInfo.
	Validity Validity
	// Rand supplies the element randoms and digest IDs and the signature's
	// entropy; crypto/rand.Reader when nil. A fixed reader makes everything
	// but the ECDSA signature reproducible.
	Rand io.Reader
}

// Config is what a credential configuration decides for its mdocs.
type Config struct {
	// DocType is the document type, e.g. "eu.europa.ec.eudi.pid.1"
	// (OpenID4VCI 1.0 Appendix A.2.2 doctype).
	DocType string
	// Dates names the elements whose string values are dates. JSON has no
	// date type, so claims from the admin API or a user record carry dates
	// as strings; an element listed here is encoded as a full-date
	// (tag 1004, "YYYY-MM-DD") or a tdate (tag 0, RFC 3339, whole seconds,
	// UTC) instead of a text string. A [FullDate] or time.Time value needs no
	// hint.
	Dates map[Element]DateKind
}

// Element names one data element: its namespace and identifier, the claim
// path [namespace, identifier] of OpenID4VCI 1.0 Appendix A.2.2.
type Element struct {
	NameSpace, Identifier string
}

// DateKind is the CBOR date type an element's value is encoded as.
type DateKind int

// The date kinds of ISO/IEC 18013-5 §7.2.1 (RFC 8943, RFC 8949 §3.4.1).
const (
	// KindFullDate is full-date: tag 1004 over "YYYY-MM-DD".
	KindFullDate DateKind = iota + 1
	// KindDateTime is tdate: tag 0 over an RFC 3339 date-time, whole
	// seconds, in UTC ("Z").
	KindDateTime
)

// Validity is the MSO's validityInfo (ISO/IEC 18013-5 §9.1.2.4). Times are
// truncated to whole seconds and written in UTC.
type Validity struct {
	// Signed is when the MSO is signed; it must lie within the signer
	// certificate's validity.
	Signed time.Time
	// ValidFrom is when the MSO starts being valid, not before Signed.
	ValidFrom time.Time
	// ValidUntil is when the MSO stops being valid, after ValidFrom.
	ValidUntil time.Time
}

// ValidFor returns the validity of an mdoc signed at now and valid from now
// for d.
func ValidFor(now time.Time, d time.Duration) Validity {
	return Validity{Signed: now, ValidFrom: now, ValidUntil: now.Add(d)}
}

// truncated returns v in whole seconds, UTC.
func (v Validity) truncated() Validity {
	return Validity{Signed: tdateTime(v.Signed), ValidFrom: tdateTime(v.ValidFrom), ValidUntil: tdateTime(v.ValidUntil)}
}

// check reports whether v is ordered: Signed ≤ ValidFrom < ValidUntil.
func (v Validity) check() error {
	switch {
	case v.Signed.IsZero() || v.ValidFrom.IsZero() || v.ValidUntil.IsZero():
		return fmt.Errorf("%w: the validity needs signed, validFrom and validUntil", ErrIssuer)
	case v.ValidFrom.Before(v.Signed):
		return fmt.Errorf("%w: validFrom is before signed", ErrIssuer)
	case !v.ValidUntil.After(v.ValidFrom):
		return fmt.Errorf("%w: validUntil is not after validFrom", ErrIssuer)
	}
	return nil
}

// tdateTime is t as a tdate holds it: whole seconds, UTC.
func tdateTime(t time.Time) time.Time {
	return t.UTC().Truncate(time.Second)
}
