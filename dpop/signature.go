package dpop

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
)

// pssOptions follows RFC 7518 §3.5: the salt is as long as the hash.
var pssOptions = rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA256}

// verifySignature checks the JWS signature (RFC 7515 §5.2 step 8) with the
// embedded key only (RFC 9449 §4.3 check 6).
func verifySignature(a *algorithm, pub crypto.PublicKey, input, sig []byte) bool {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		return verifyECDSA(a, k, input, sig)
	case *rsa.PublicKey:
		digest := sha256.Sum256(input)
		if a.pss {
			return rsa.VerifyPSS(k, crypto.SHA256, digest[:], sig, &pssOptions) == nil
		}
		return rsa.VerifyPKCS1v15(k, crypto.SHA256, digest[:], sig) == nil
	case ed25519.PublicKey:
		return ed25519.Verify(k, input, sig)
	}
	return false
}

// verifyECDSA checks a JWS ECDSA signature, which is the fixed-length
// big-endian R || S (RFC 7518 §3.4); ASN.1 DER signatures are refused.
//
// High-S signatures are accepted on purpose: JOSE signers, Go's crypto/ecdsa
// included, produce them half the time. ECDSA malleability lets anyone turn
// a valid proof into a second valid encoding, but that copy carries the same
// jwk and jti, and replay protection is keyed by (JKT, jti) through
// Proof.ReplayKey, never by the proof bytes, so it is refused as a replay.
func verifyECDSA(a *algorithm, k *ecdsa.PublicKey, input, sig []byte) bool {
	if len(sig) != 2*a.size {
		return false
	}
	var der [8 + 2*49]byte
	sigDER := appendDERSignature(der[:0], sig[:a.size], sig[a.size:])
	if a.hash == crypto.SHA384 {
		digest := sha512.Sum384(input)
		return ecdsa.VerifyASN1(k, digest[:], sigDER)
	}
	digest := sha256.Sum256(input)
	return ecdsa.VerifyASN1(k, digest[:], sigDER)
}

// appendDERSignature appends the ASN.1 DER ECDSA-Sig-Value of the unsigned
// big-endian integers r and s (at most 127 bytes of content in all).
func appendDERSignature(dst, r, s []byte) []byte {
	r, s = trimZeros(r), trimZeros(s)
	lr, ls := derIntLen(r), derIntLen(s)
	dst = append(dst, 0x30, byte(lr+ls))
	dst = appendDERInt(dst, r)
	return appendDERInt(dst, s)
}

// trimZeros drops leading zero bytes, keeping at least one byte.
func trimZeros(b []byte) []byte {
	for len(b) > 1 && b[0] == 0 {
		b = b[1:]
	}
	return b
}

// derIntLen returns the encoded length of the INTEGER with magnitude b.
func derIntLen(b []byte) int {
	return 2 + len(b) + int(b[0]>>7)
}

// appendDERInt appends a DER INTEGER for the non-negative magnitude b.
func appendDERInt(dst, b []byte) []byte {
	dst = append(dst, 0x02, byte(len(b)+int(b[0]>>7)))
	if b[0]&0x80 != 0 {
		dst = append(dst, 0)
	}
	return append(dst, b...)
}

// rawSignature converts an ASN.1 DER ECDSA signature into the fixed-length
// R || S form of RFC 7518 §3.4, appending it to dst.
func rawSignature(dst, der []byte, size int) ([]byte, bool) {
	seq, rest, ok := derElement(der, 0x30)
	if !ok || len(rest) != 0 {
		return nil, false
	}
	r, seq, ok1 := derElement(seq, 0x02)
	s, seq, ok2 := derElement(seq, 0x02)
	if !ok1 || !ok2 || len(seq) != 0 {
		return nil, false
	}
	r, s = trimZeros(r), trimZeros(s)
	if len(r) > size || len(s) > size {
		return nil, false
	}
	out := append(dst, make([]byte, 2*size)...)
	sig := out[len(dst):]
	copy(sig[size-len(r):size], r)
	copy(sig[2*size-len(s):], s)
	return out, true
}

// derElement splits off one short- or one-byte-long-form DER element with
// the given tag, as crypto/ecdsa produces for curves up to P-521.
func derElement(b []byte, tag byte) (content, rest []byte, ok bool) {
	if len(b) < 2 || b[0] != tag {
		return nil, nil, false
	}
	n, hdr := int(b[1]), 2
	if n == 0x81 {
		if len(b) < 3 {
			return nil, nil, false
		}
		n, hdr = int(b[2]), 3
	} else if n > 0x7f {
		return nil, nil, false
	}
	if len(b) < hdr+n {
		return nil, nil, false
	}
	return b[hdr : hdr+n], b[hdr+n:], true
}
