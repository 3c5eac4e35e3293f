package dpop

import "time"

// token is a proof split into its parts. All slices point into one buffer.
type token struct {
	signingInput []byte // ASCII(BASE64URL(header) || '.' || BASE64URL(payload))
	signature    []byte
	header       header
	claims       claims
}

// header holds the JOSE header members a proof uses (RFC 9449 §4.2).
type header struct {
	typ, alg []byte
	jwk      []byte // raw JSON object
	crit     bool
}

// claims holds the payload members a proof uses (RFC 9449 §4.2).
type claims struct {
	jti, htm, htu, nonce, ath []byte
	iat                       int64
	exp                       time.Time
	hasIAT, hasATH, hasEXP    bool
}

// b64url marks the bytes of the base64url alphabet (RFC 4648 §5).
var b64url = func() (t [256]bool) {
	for _, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") {
		t[c] = true
	}
	return t
}()

// splitCompact returns the positions of the two dots of a compact JWS
// (RFC 7515 §7.1) whose three parts are non-empty and contain only base64url
// characters. Padding, whitespace, commas, a JWE's five parts and the JSON
// serialization all fail here.
func splitCompact(s string) (dot1, dot2 int, ok bool) {
	dot1, dot2 = -1, -1
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case b64url[c]:
		case c == '.' && dot1 < 0:
			dot1 = i
		case c == '.' && dot2 < 0:
			dot2 = i
		default:
			return 0, 0, false
		}
	}
	ok = dot1 > 0 && dot2 > dot1+1 && dot2 < len(s)-1
	return dot1, dot2, ok
}

// parse performs checks 1 and 2: size, compact form, JSON objects, required
// members and their types.
func (v *Verifier) parse(proof string, t *token) error {
	if len(proof) > v.maxProofSize {
		return errTooLarge
	}
	dot1, dot2, ok := splitCompact(proof)
	if !ok {
		return errCompact
	}
	// One allocation holds the proof text and the three decoded parts.
	hLen := b64.DecodedLen(dot1)
	pLen := b64.DecodedLen(dot2 - dot1 - 1)
	sLen := b64.DecodedLen(len(proof) - dot2 - 1)
	buf := make([]byte, len(proof)+hLen+pLen+sLen)
	raw := buf[:copy(buf, proof)]
	hdr, ok1 := decode(buf[len(raw):len(raw)+hLen], raw[:dot1])
	pay, ok2 := decode(buf[len(raw)+hLen:len(raw)+hLen+pLen], raw[dot1+1:dot2])
	sig, ok3 := decode(buf[len(raw)+hLen+pLen:], raw[dot2+1:])
	if !ok1 || !ok2 || !ok3 {
		return errCompact
	}
	t.signingInput, t.signature = raw[:dot2], sig
	if err := parseHeader(hdr, &t.header); err != nil {
		return err
	}
	if err := parsePayload(pay, &t.claims); err != nil {
		return err
	}
	return v.checkRequired(t)
}

// decode base64url-decodes src into dst.
func decode(dst, src []byte) ([]byte, bool) {
	n, err := b64.Decode(dst, src)
	return dst[:n], err == nil
}

// parseHeader reads the JOSE header object.
func parseHeader(data []byte, h *header) error {
	var buf [maxMembers]member
	ms, err := parseObject(data, buf[:0])
	if err != nil {
		return errHeaderJSON
	}
	ok := true
	for _, m := range ms {
		switch string(m.name) {
		case "typ":
			h.typ, ok = stringValue(m.value)
		case "alg":
			h.alg, ok = stringValue(m.value)
		case "jwk":
			h.jwk, ok = m.value, m.value[0] == '{'
		case "crit":
			h.crit = true
		}
		if !ok {
			return errHeaderTypes
		}
	}
	return nil
}

// parsePayload reads the claims object.
func parsePayload(data []byte, c *claims) error {
	var buf [maxMembers]member
	ms, err := parseObject(data, buf[:0])
	if err != nil {
		return errPayloadJSON
	}
	ok := true
	for _, m := range ms {
		switch string(m.name) {
		case "jti":
			c.jti, ok = stringValue(m.value)
		case "htm":
			c.htm, ok = stringValue(m.value)
		case "htu":
			c.htu, ok = stringValue(m.value)
		case "nonce":
			c.nonce, ok = stringValue(m.value)
		case "ath":
			c.ath, ok = stringValue(m.value)
			c.hasATH = true
		case "iat":
			if c.iat, ok = intValue(m.value); !ok {
				return errIATType
			}
			c.hasIAT = true
		case "exp":
			if c.exp, ok = numericDate(m.value); !ok {
				return errEXPType
			}
			c.hasEXP = true
		}
		if !ok {
			return errPayloadTypes
		}
	}
	return nil
}

// checkRequired checks that the required members are present (empty
// strings count as absent) and that jti is not too long.
func (v *Verifier) checkRequired(t *token) error {
	h, c := &t.header, &t.claims
	for _, r := range [...]struct {
		missing bool
		err     error
	}{
		{len(h.typ) == 0, errMissingTyp},
		{len(h.alg) == 0, errMissingAlg},
		{len(h.jwk) == 0, errMissingJWK},
		{len(c.jti) == 0, errMissingJTI},
		{len(c.htm) == 0, errMissingHTM},
		{len(c.htu) == 0, errMissingHTU},
		{!c.hasIAT, errMissingIAT},
		{len(c.jti) > v.maxJTILength, errJTITooLong},
	} {
		if r.missing {
			return r.err
		}
	}
	return nil
}
