package schema

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// DecodeJWT decodes a compact JWS into the document the JWT schemas
// validate: {"header": <JOSE header>, "payload": <claims>}. It checks
// neither the signature nor any claim. A JWE (five segments) is refused.
func DecodeJWT(compact string) (any, error) {
	parts := strings.Split(strings.TrimSpace(compact), ".")
	if len(parts) == 5 {
		return nil, errors.New("an encrypted JWT (JWE) cannot be validated: decrypt it first")
	}
	if len(parts) != 3 {
		return nil, errors.New("not a compact JWT: want three base64url segments separated by dots")
	}
	header, err := decodeSegment("header", parts[0])
	if err != nil {
		return nil, err
	}
	payload, err := decodeSegment("payload", parts[1])
	if err != nil {
		return nil, err
	}
	return map[string]any{"header": header, "payload": payload}, nil
}

// LooksLikeJWT reports whether data is a compact JWS or JWE rather than a
// JSON document: dot-separated base64url segments.
func LooksLikeJWT(data []byte) bool {
	s := strings.TrimSpace(string(data))
	if s == "" || !strings.Contains(s, ".") {
		return false
	}
	for _, r := range s {
		if r != '.' && r != '-' && r != '_' && !('0' <= r && r <= '9') && !('a' <= r && r <= 'z') && !('A' <= r && r <= 'Z') {
			return false
		}
	}
	return true
}

func decodeSegment(what, seg string) (any, error) {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return nil, fmt.Errorf("the JWT %s is not base64url: %w", what, err)
	}
	v, err := DecodeJSON(b)
	if err != nil {
		return nil, fmt.Errorf("the JWT %s: %w", what, err)
	}
	if _, ok := v.(map[string]any); !ok {
		return nil, fmt.Errorf("the JWT %s is not a JSON object", what)
	}
	return v, nil
}
