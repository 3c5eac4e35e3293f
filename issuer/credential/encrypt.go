package credential

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwe"
	"github.com/lestrrat-go/jwx/v2/jwk"

	"issuer/issuer/jwkset"
	"issuer/issuer/oauth"
)

// Encrypted responses (OpenID4VCI 1.0 §10): what this issuer offers in
// credential_response_encryption of its metadata.
var (
	// EncryptionAlgs are the JWE key management algorithms: ECDH-ES on
	// P-256 (HAIP).
	EncryptionAlgs = []string{jwa.ECDH_ES.String()}
	// EncryptionEncs are the content encryption algorithms.
	EncryptionEncs = []string{jwa.A128GCM.String(), jwa.A256GCM.String()}
)

// Content types of the endpoint's answers.
const (
	ContentTypeJSON = "application/json"
	ContentTypeJWT  = "application/jwt"
)

// Reply is an answer of the credential or the deferred credential
// endpoint: its status (200 or 202), content type and body, encrypted when
// the request asked for it.
type Reply struct {
	Status      int
	ContentType string
	Body        []byte
}

// encryption is a request's credential_response_encryption, checked.
type encryption struct {
	key jwk.Key
	enc jwa.ContentEncryptionAlgorithm
	kid string
}

// encryptionRequest is the credential_response_encryption object
// (§8.2): jwk, enc, zip; unknown members are ignored.
type encryptionRequest struct {
	JWK json.RawMessage `json:"jwk"`
	Enc *string         `json:"enc"`
	Zip *string         `json:"zip"`
}

// errEncryption is invalid_encryption_parameters.
func errEncryption(format string, args ...any) *oauth.Error {
	return oauth.New(http.StatusBadRequest, oauth.CodeInvalidEncryptionParameters, format, args...)
}

// parseEncryption reads credential_response_encryption: nil when absent
// (refused when required), else a public EC P-256 JWK whose alg is
// ECDH-ES, an enc of EncryptionEncs and no zip (none is offered).
func parseEncryption(raw json.RawMessage, required bool) (*encryption, error) {
	if !present(raw) {
		if required {
			return nil, errEncryption("this credential issuer requires encrypted responses: send credential_response_encryption")
		}
		return nil, nil
	}
	var req encryptionRequest
	if raw[0] != '{' || json.Unmarshal(raw, &req) != nil {
		return nil, errEncryption("credential_response_encryption must be an object with jwk and enc")
	}
	switch {
	case !present(req.JWK):
		return nil, errEncryption("credential_response_encryption has no jwk")
	case req.Enc == nil:
		return nil, errEncryption("credential_response_encryption has no enc")
	case !slices.Contains(EncryptionEncs, *req.Enc):
		return nil, errEncryption("the enc is not supported: use A128GCM or A256GCM")
	case req.Zip != nil:
		return nil, errEncryption("zip is not supported: this issuer does not compress responses")
	}
	key, err := encryptionKey(req.JWK)
	if err != nil {
		return nil, err
	}
	e := &encryption{key: key, enc: jwa.ContentEncryptionAlgorithm(*req.Enc)}
	e.kid = key.KeyID()
	return e, nil
}

// encryptionKey checks the jwk of credential_response_encryption: a
// public key (jwkset.Check), EC on P-256, alg ECDH-ES (§10: the alg
// member must be present), use enc if any.
func encryptionKey(raw json.RawMessage) (jwk.Key, error) {
	var members map[string]any
	if raw[0] != '{' || json.Unmarshal(raw, &members) != nil {
		return nil, errEncryption("credential_response_encryption.jwk is not a JWK")
	}
	for _, m := range []string{"d", "p", "q", "dp", "dq", "qi", "k"} {
		if _, ok := members[m]; ok {
			return nil, errEncryption("credential_response_encryption.jwk must be a public key")
		}
	}
	alg, _ := members["alg"].(string)
	switch {
	case members["alg"] == nil:
		return nil, errEncryption("credential_response_encryption.jwk has no alg: it must name ECDH-ES")
	case !slices.Contains(EncryptionAlgs, alg):
		return nil, errEncryption("the alg of credential_response_encryption.jwk is not supported: use ECDH-ES")
	case members["use"] != nil && members["use"] != "enc":
		return nil, errEncryption("credential_response_encryption.jwk has a use other than enc")
	}
	key, err := jwk.ParseKey(raw)
	if err != nil {
		return nil, errEncryption("credential_response_encryption.jwk is not a JWK")
	}
	var pub ecdsa.PublicKey
	if key.KeyType() != jwa.EC || key.Raw(&pub) != nil || pub.Curve != elliptic.P256() {
		return nil, errEncryption("credential_response_encryption.jwk must be an EC key on P-256")
	}
	if err := jwkset.Check(key); err != nil {
		return nil, errEncryption("credential_response_encryption.jwk is not a valid P-256 public key")
	}
	return key, nil
}

// seal encrypts plaintext into a compact JWE for the request's key, with
// its kid in the protected header when it has one.
func (e *encryption) seal(plaintext []byte) ([]byte, error) {
	hdr := jwe.NewHeaders()
	if e.kid != "" {
		if err := hdr.Set(jwe.KeyIDKey, e.kid); err != nil {
			return nil, err
		}
	}
	return jwe.Encrypt(plaintext, jwe.WithKey(jwa.ECDH_ES, e.key), jwe.WithContentEncryption(e.enc), jwe.WithProtectedHeaders(hdr), jwe.WithCompact())
}

// reply encodes body as the answer of status: JSON, or a JWE of the JSON
// when enc is set.
func reply(status int, body any, enc *encryption) (*Reply, error) {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(body); err != nil {
		return nil, oauth.ErrServer(err)
	}
	if enc == nil {
		return &Reply{Status: status, ContentType: ContentTypeJSON, Body: buf.Bytes()}, nil
	}
	sealed, err := enc.seal(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
	if err != nil {
		return nil, oauth.ErrServer(fmt.Errorf("encrypting the credential response: %w", err))
	}
	return &Reply{Status: status, ContentType: ContentTypeJWT, Body: sealed}, nil
}
