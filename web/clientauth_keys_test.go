package web_test

// Public keys that the server takes from outside: clients' registered jwks
// and jwks_uri, wallet providers' jwks, attestations' cnf.jwk and x5c
// leaves. Each must be a usable public key of an allowed type
// (dpop.CheckPublicKey): in particular no Ed25519 key of small order, for
// which crypto/ed25519 verifies the signature R = identity, S = 0 on any
// message, so that anyone could sign as that key.

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"issuer/issuer/oauth"
)

// Encodings of edwards25519 points of small order.
const (
	keyEdOrder8        = "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"
	keyEdNonCanonical1 = "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f" // y = p + 1: the identity
)

// keyForgedSig is the signature R = identity, S = 0, which crypto/ed25519
// accepts from the identity key on every message.
func keyForgedSig(t testing.TB) []byte {
	t.Helper()
	sig, err := hex.DecodeString(dpEd25519Identity + strings.Repeat("00", 32))
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

// keyOKP is an OKP JWK with x given in hex.
func keyOKP(t testing.TB, crv, x string) map[string]any {
	t.Helper()
	b, err := hex.DecodeString(x)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]any{"kty": "OKP", "crv": crv, "x": base64.RawURLEncoding.EncodeToString(b)}
}

// keyRSA is the JWK of an RSA public key.
func keyRSA(k *rsa.PublicKey) map[string]any {
	return map[string]any{"kty": "RSA", "n": asB64(k.N.Bytes()), "e": asB64(big.NewInt(int64(k.E)).Bytes())}
}

// keyShortX returns a P-256 key whose x coordinate starts with a zero
// byte, and its JWK with x in 31 bytes: the same point, malformed (RFC
// 7518 §6.2.1.2 requires the full coordinate length).
func keyShortX(t testing.TB) (*ecdsa.PrivateKey, map[string]any) {
	t.Helper()
	for range 1 << 16 { // one key in 256
		k := asNewKey(t)
		if k.X.BitLen() > 248 {
			continue
		}
		j := publicJWK(&k.PublicKey)
		j["x"] = asB64(k.X.FillBytes(make([]byte, 31)))
		return k, j
	}
	t.Fatal("no P-256 key with a leading zero byte in x")
	return nil, nil
}

// keyUnusable are JWKs that parse but are no usable public key.
func keyUnusable(t *testing.T) []struct {
	name string
	jwk  map[string]any
} {
	offCurve := publicJWK(&asNewKey(t).PublicKey)
	y, _ := base64.RawURLEncoding.DecodeString(offCurve["y"].(string))
	y[31] ^= 1
	offCurve["y"] = asB64(y)
	rsaE1 := keyRSA(&dpRSA2048().PublicKey)
	rsaE1["e"] = "AQ"
	_, shortX := keyShortX(t)
	rsaN0 := keyRSA(&dpRSA2048().PublicKey)
	rsaN0["n"] = asB64(append([]byte{0}, dpRSA2048().N.Bytes()...))
	x25519 := make([]byte, 32)
	_, _ = rand.Read(x25519)
	return []struct {
		name string
		jwk  map[string]any
	}{
		{"EC x AA y AA", map[string]any{"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}},
		{"EC point off the curve", offCurve},
		{"EC x of 31 bytes", shortX},
		{"RSA n with a leading zero octet", rsaN0},
		{"EC point (0, 0)", map[string]any{"kty": "EC", "crv": "P-256", "x": asB64(make([]byte, 32)), "y": asB64(make([]byte, 32))}},
		{"Ed25519 identity point", keyOKP(t, "Ed25519", dpEd25519Identity)},
		{"Ed25519 point of order 8", keyOKP(t, "Ed25519", keyEdOrder8)},
		{"Ed25519 non-canonical identity", keyOKP(t, "Ed25519", keyEdNonCanonical1)},
		{"Ed25519 key of 31 bytes", keyOKP(t, "Ed25519", strings.Repeat("11", 31))},
		{"X25519 key", keyOKP(t, "X25519", hex.EncodeToString(x25519))},
		{"RSA 1024 bits", keyRSA(&dpRSA1024().PublicKey)},
		{"RSA exponent 1", rsaE1},
	}
}

// keyGoodEd25519 is the JWK of a fresh Ed25519 key.
func keyGoodEd25519(t testing.TB) map[string]any {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return keyOKP(t, "Ed25519", hex.EncodeToString(pub))
}

// keyWantNamed asserts a 400 with code whose description names the second
// key of the set (key 1) as unusable.
func keyWantNamed(t *testing.T, res *http.Response, code, prefix string) {
	t.Helper()
	e := wantError(t, res, http.StatusBadRequest, code)
	if !strings.HasPrefix(e.Description, prefix+"key 1: unacceptable public key: ") {
		t.Errorf("error_description = %q; want it to name key 1 as unacceptable", e.Description)
	}
	wantSafeDescription(t, e.Description)
}

// TestKeysClientRegistration: the keys of a client's jwks are checked at
// registration, whatever the client's method, and the refusal names the
// key.
func TestKeysClientRegistration(t *testing.T) {
	ts := newTestServer(t)
	good := asJWK(asNewKey(t), "good")
	for _, tc := range keyUnusable(t) {
		jwks := map[string]any{"keys": []any{good, tc.jwk}}
		t.Run("private_key_jwt, "+tc.name, func(t *testing.T) {
			res := ts.admin(t, http.MethodPost, "/admin/clients", map[string]any{
				"token_endpoint_auth_method": "private_key_jwt", "jwks": jwks,
				"grant_types": []string{oauth.GrantClientCredentials},
			})
			keyWantNamed(t, res, "invalid_client_metadata", "jwks: ")
		})
		t.Run("public client, "+tc.name, func(t *testing.T) {
			res := ts.admin(t, http.MethodPost, "/admin/clients", map[string]any{
				"token_endpoint_auth_method": "none", "jwks": jwks,
				"grant_types": []string{oauth.GrantPreAuthorizedCode},
			})
			keyWantNamed(t, res, "invalid_client_metadata", "jwks: ")
		})
	}
	t.Run("Ed25519, P-256 and RSA 2048 keys are accepted", func(t *testing.T) {
		ts.registerClient(t, map[string]any{
			"token_endpoint_auth_method": "private_key_jwt",
			"jwks":                       map[string]any{"keys": []any{keyGoodEd25519(t), good, keyRSA(&dpRSA2048().PublicKey)}},
			"grant_types":                []string{oauth.GrantClientCredentials},
		})
	})
}

// TestKeysWalletProviderAPI: a wallet provider's jwks is checked when it
// is added through the admin API.
func TestKeysWalletProviderAPI(t *testing.T) {
	ts := newTestServer(t)
	good := asJWK(asNewKey(t), "good")
	for _, tc := range keyUnusable(t) {
		t.Run(tc.name, func(t *testing.T) {
			res := ts.admin(t, http.MethodPost, "/admin/wallet-providers", map[string]any{
				"name": "weak", "jwks": map[string]any{"keys": []any{good, tc.jwk}},
			})
			keyWantNamed(t, res, "invalid_request", "jwks: ")
		})
	}
	if n := len(atProviderList(t, ts)); n != 0 {
		t.Fatalf("%d wallet providers stored; want none", n)
	}
}

// TestKeysJWKSURI: keys of a client's jwks_uri that are not usable are
// left out; the others still work, and a set without a usable key fails
// closed. The forged EdDSA assertion of the identity key is never
// accepted.
func TestKeysJWKSURI(t *testing.T) {
	ts := newTestServer(t)
	k1 := asNewKey(t)
	identity := keyOKP(t, "Ed25519", dpEd25519Identity)
	identity["kid"] = "weak"
	forged := func(id string) string {
		return rawJWS(t, nil, map[string]any{"alg": "EdDSA", "typ": "JWT", "kid": "weak"}, asClaims(ts, id), keyForgedSig(t))
	}

	mixed := newJWKSServer(t, identity, asJWK(k1, "k1"))
	c := ts.registerClient(t, map[string]any{
		"token_endpoint_auth_method": "private_key_jwt", "jwks_uri": mixed.URL + "/jwks",
		"grant_types": []string{oauth.GrantClientCredentials},
	})
	asWantRefused(t, ts.asToken(t, asForm(forged(c.ID)), nil), "bad client assertion signature")
	asWantClient(t, ts.asToken(t, asForm(asES(t, k1, "k1", asClaims(ts, c.ID))), nil), c.ID)

	only := newJWKSServer(t, identity)
	c = ts.registerClient(t, map[string]any{
		"token_endpoint_auth_method": "private_key_jwt", "jwks_uri": only.URL + "/jwks",
		"grant_types": []string{oauth.GrantClientCredentials},
	})
	asWantRefused(t, ts.asToken(t, asForm(forged(c.ID)), nil), "the client's keys could not be fetched")
}

// TestKeysAttestation: an attestation whose cnf.jwk is of small order is
// refused, so the PoP forged for it authenticates nobody; likewise an x5c
// leaf certificate for such a key, even when a trusted CA issued it.
func TestKeysAttestation(t *testing.T) {
	f := atSetup(t)
	ts := f.ts
	forgedPoP := func(id string) string {
		c := map[string]any{"iss": id, "aud": ts.URL, "jti": randomJTI(), "iat": ts.Clock.Now().Unix()}
		return rawJWS(t, nil, map[string]any{"typ": atPoPTyp, "alg": "EdDSA"}, c, keyForgedSig(t))
	}

	for _, x := range []string{dpEd25519Identity, keyEdNonCanonical1} {
		t.Run("cnf.jwk "+x[:8], func(t *testing.T) {
			in := f.instance(t, atWalletID())
			att := f.attest(t, in.ID, in.Key, func(_, c map[string]any) {
				c["cnf"] = map[string]any{"jwk": keyOKP(t, "Ed25519", x)}
			})
			e := wantError(t, in.redeem(t, atHeaders(att, forgedPoP(in.ID)), nil), http.StatusUnauthorized, "invalid_client")
			if !strings.HasPrefix(e.Description, "the client attestation's cnf.jwk is not an acceptable key: ") {
				t.Errorf("error_description = %q; want the cnf.jwk refused", e.Description)
			}
			wantSafeDescription(t, e.Description)
		})
	}

	t.Run("cnf.jwk with an x of 31 bytes", func(t *testing.T) {
		key, jwk := keyShortX(t)
		in := f.instance(t, atWalletID())
		in.Key = key // the PoP is signed by the cnf key: only its encoding is wrong
		in.Att = f.attest(t, in.ID, key, func(_, c map[string]any) { c["cnf"] = map[string]any{"jwk": jwk} })
		e := wantError(t, in.redeem(t, in.headers(t), nil), http.StatusUnauthorized, "invalid_client")
		if !strings.HasPrefix(e.Description, "the client attestation's cnf.jwk is not an acceptable key: ") {
			t.Errorf("error_description = %q; want the cnf.jwk refused", e.Description)
		}
		wantSafeDescription(t, e.Description)
	})

	t.Run("x5c leaf with the identity key", func(t *testing.T) {
		key, err := hex.DecodeString(dpEd25519Identity)
		if err != nil {
			t.Fatal(err)
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(atSerial.Add(1)), Subject: pkix.Name{CommonName: "weak leaf"},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, f.Inter.Cert, ed25519.PublicKey(key), f.Inter.Key)
		if err != nil {
			t.Fatal(err)
		}
		leaf, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		in := f.instance(t, atWalletID())
		h := map[string]any{"typ": atTyp, "alg": "EdDSA", "x5c": atX5C(leaf, f.Inter.Cert)}
		att := rawJWS(t, nil, h, f.attClaims(in.ID, in.Key), keyForgedSig(t))
		atWantError(t, in.redeem(t, atHeaders(att, in.pop(t, nil)), nil), http.StatusUnauthorized, "invalid_client", atUntrusted)
	})
}
