package web_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"issuer/dpop"
)

// Error codes of RFC 6749 §5.2 and RFC 9449 §5, §8.
const (
	dpInvalidRequest = "invalid_request"
	dpInvalidProof   = "invalid_dpop_proof"
	dpUseNonce       = "use_dpop_nonce"
	dpInvalidGrant   = "invalid_grant"
)

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

// Test keys that are slow to generate are made once.
var (
	dpRSA2048 = sync.OnceValue(func() *rsa.PrivateKey { return dpMustRSA(2048) })
	dpRSA1024 = sync.OnceValue(func() *rsa.PrivateKey { return dpMustRSA(1024) })
)

func dpMustRSA(bits int) *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		panic(err)
	}
	return k
}

// dpProof signs a valid ES256 proof for POST /token at the server clock.
func dpProof(t testing.TB, ts *testServer, w *wallet, nonce string) string {
	t.Helper()
	return dpSign(t, ts, w.Key, "ES256", dpop.Claims{Nonce: nonce})
}

// dpSign signs a proof with dpop.Sign for POST /token; Method, URL and
// IssuedAt default to POST, the token URL and the server clock.
func dpSign(t testing.TB, ts *testServer, key crypto.Signer, alg string, c dpop.Claims) string {
	t.Helper()
	if c.Method == "" {
		c.Method = http.MethodPost
	}
	if c.URL == "" {
		c.URL = ts.TokenURL()
	}
	if c.IssuedAt.IsZero() {
		c.IssuedAt = ts.Clock.Now()
	}
	p, err := dpop.Sign(key, alg, c)
	if err != nil {
		t.Fatalf("dpop.Sign(%s) = %v", alg, err)
	}
	return p
}

// dpMutate returns a valid ES256 proof of w (from baseProof at the server
// clock) after mutate changed its header and payload members.
func dpMutate(t testing.TB, ts *testServer, w *wallet, mutate func(h, p map[string]any)) string {
	t.Helper()
	h, p := w.baseProof(ts.TokenURL(), ts.Clock.Now())
	mutate(h, p)
	return rawJWS(t, w.Key, h, p, nil)
}

// dpJWS builds a compact JWS from a header and a payload (each marshalled
// with encoding/json unless it is already []byte) with sign computing the
// signature bytes over the signing input.
func dpJWS(t testing.TB, header, payload any, sign func(input []byte) []byte) string {
	t.Helper()
	enc := func(v any) string {
		b, ok := v.([]byte)
		if !ok {
			var err error
			if b, err = json.Marshal(v); err != nil {
				t.Fatal(err)
			}
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	input := enc(header) + "." + enc(payload)
	return input + "." + base64.RawURLEncoding.EncodeToString(sign([]byte(input)))
}

// dpECDSA returns the JOSE (raw r||s) ECDSA signature of input with hash h.
func dpECDSA(t testing.TB, key *ecdsa.PrivateKey, h crypto.Hash, input []byte) []byte {
	t.Helper()
	hh := h.New()
	hh.Write(input)
	r, s, err := ecdsa.Sign(rand.Reader, key, hh.Sum(nil))
	if err != nil {
		t.Fatal(err)
	}
	size := (key.Curve.Params().BitSize + 7) / 8
	out := make([]byte, 2*size)
	r.FillBytes(out[:size])
	s.FillBytes(out[size:])
	return out
}

// dpJWK is the public JWK of an EC (P-256, P-384, P-521), RSA or Ed25519
// key, written independently of the dpop package.
func dpJWK(t testing.TB, pub crypto.PublicKey) map[string]any {
	t.Helper()
	b64 := base64.RawURLEncoding.EncodeToString
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		point, err := k.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		size := (len(point) - 1) / 2
		return map[string]any{
			"kty": "EC", "crv": k.Curve.Params().Name,
			"x": b64(point[1 : 1+size]), "y": b64(point[1+size:]),
		}
	case *rsa.PublicKey:
		return map[string]any{"kty": "RSA", "n": b64(k.N.Bytes()), "e": b64(big.NewInt(int64(k.E)).Bytes())}
	case ed25519.PublicKey:
		return map[string]any{"kty": "OKP", "crv": "Ed25519", "x": b64(k)}
	}
	t.Fatalf("no JWK for %T", pub)
	return nil
}

// dpThumbprint is the RFC 7638 SHA-256 thumbprint of pub, computed here
// from the required members only, without the dpop package.
func dpThumbprint(t testing.TB, pub crypto.PublicKey) string {
	t.Helper()
	j := dpJWK(t, pub)
	var canonical string
	switch j["kty"] {
	case "EC":
		canonical = fmt.Sprintf(`{"crv":%q,"kty":"EC","x":%q,"y":%q}`, j["crv"], j["x"], j["y"])
	case "RSA":
		canonical = fmt.Sprintf(`{"e":%q,"kty":"RSA","n":%q}`, j["e"], j["n"])
	default:
		canonical = fmt.Sprintf(`{"crv":%q,"kty":"OKP","x":%q}`, j["crv"], j["x"])
	}
	sum := sha256.Sum256([]byte(canonical))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// dpStillRedeems asserts that code is unused: it redeems with a fresh valid
// proof (carrying nonce when server nonces are on).
func dpStillRedeems(t testing.TB, ts *testServer, code, nonce string) tokenBody {
	t.Helper()
	res := ts.redeem(t, code, dpProof(t, ts, newWallet(t), nonce), nil)
	body := readBody(t, res)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("redeeming the code again = %d %s; want 200 (the refused request must not consume it)", res.StatusCode, body)
	}
	var tb tokenBody
	if err := json.Unmarshal(body, &tb); err != nil {
		t.Fatal(err)
	}
	return tb
}

// dpWantDPoPToken asserts a 200 DPoP token response bound to jkt.
func dpWantDPoPToken(t testing.TB, res *http.Response, jkt string) tokenBody {
	t.Helper()
	tb := wantToken(t, res)
	if tb.TokenType != "DPoP" {
		t.Errorf("token_type = %q; want DPoP", tb.TokenType)
	}
	_, claims := jwtParts(t, tb.AccessToken)
	cnf, _ := claims["cnf"].(map[string]any)
	if got := cnf["jkt"]; got != jkt {
		t.Errorf("cnf.jkt = %v; want %s", got, jkt)
	}
	return tb
}

// dpNonceHeader asserts that res carries exactly one non-empty DPoP-Nonce
// header (RFC 9449 §8) and returns it.
func dpNonceHeader(t testing.TB, res *http.Response) string {
	t.Helper()
	vs := res.Header.Values("DPoP-Nonce")
	if len(vs) != 1 || vs[0] == "" {
		t.Fatalf("DPoP-Nonce headers = %q; want exactly one non-empty value", vs)
	}
	return vs[0]
}

// dpResult is the outcome of a request made off the test goroutine.
type dpResult struct {
	status int
	body   []byte
	err    error
}

// dpRedeemRaw redeems code with proof, with mod editing the request before
// it is sent. It never calls t.Fatal, so goroutines may use it.
func dpRedeemRaw(ts *testServer, code, proof string, mod func(*http.Request)) dpResult {
	form := url.Values{"grant_type": {preAuth}, "pre-authorized_code": {code}}
	req, err := http.NewRequest(http.MethodPost, ts.TokenURL(), strings.NewReader(form.Encode()))
	if err != nil {
		return dpResult{err: err}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if proof != "" {
		req.Header.Set("DPoP", proof)
	}
	if mod != nil {
		mod(req)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return dpResult{err: err}
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	return dpResult{status: res.StatusCode, body: body, err: err}
}

// errorCode returns the error member of a JSON error body ("" if none).
func (r dpResult) errorCode() string {
	var e oauthError
	_ = json.Unmarshal(r.body, &e)
	return e.Error
}

// dpES512Proof hand-builds an otherwise valid ES512 proof with a P-521 key
// (dpop.Sign does not make ES512).
func dpES512Proof(t testing.TB, ts *testServer) string {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	h := map[string]any{"typ": "dpop+jwt", "alg": "ES512", "jwk": dpJWK(t, &k.PublicKey)}
	p := map[string]any{"jti": randomJTI(), "htm": "POST", "htu": ts.TokenURL(), "iat": ts.Clock.Now().Unix()}
	return dpJWS(t, h, p, func(in []byte) []byte { return dpECDSA(t, k, crypto.SHA512, in) })
}

// dpEd25519Identity is the encoding of the identity point of edwards25519.
const dpEd25519Identity = "0100000000000000000000000000000000000000000000000000000000000000"

// wallet is a wallet with its own DPoP key.
type wallet struct {
	Key *ecdsa.PrivateKey
	JKT string
}

func newWallet(t testing.TB) *wallet {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	jkt, err := dpop.Thumbprint(k.Public())
	if err != nil {
		t.Fatal(err)
	}
	return &wallet{Key: k, JKT: jkt}
}

// Proof signs a valid ES256 proof for POST url, with the given nonce.
func (w *wallet) Proof(t testing.TB, url, nonce string) string {
	t.Helper()
	p, err := dpop.Sign(w.Key, "ES256", dpop.Claims{Method: http.MethodPost, URL: url, Nonce: nonce})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// jwtParts decodes the header and claims of a compact JWT without
// verifying it (tests verify signatures separately against /jwks).
func jwtParts(t testing.TB, tok string) (header, claims map[string]any) {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts; want 3", len(parts))
	}
	for i, dst := range []*map[string]any{&header, &claims} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, dst); err != nil {
			t.Fatal(err)
		}
	}
	return header, claims
}

// rawJWS signs arbitrary header and payload members with key, for proofs
// that break one rule at a time. alg selects the signature (ES256 raw r||s
// for *ecdsa.PrivateKey); sig, when non-nil, replaces the signature bytes.
func rawJWS(t testing.TB, key crypto.Signer, header, payload map[string]any, sig []byte) string {
	t.Helper()
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	p, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	input := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(p)
	if sig == nil {
		sig = es256(t, key.(*ecdsa.PrivateKey), []byte(input))
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// es256 returns the JOSE (raw r||s) ES256 signature of input.
func es256(t testing.TB, key *ecdsa.PrivateKey, input []byte) []byte {
	t.Helper()
	d := sha256.Sum256(input)
	r, s, err := ecdsa.Sign(rand.Reader, key, d[:])
	if err != nil {
		t.Fatal(err)
	}
	out := make([]byte, 64)
	r.FillBytes(out[:32])
	s.FillBytes(out[32:])
	return out
}

// publicJWK is the JWK of an EC P-256 public key as a map.
func publicJWK(k *ecdsa.PublicKey) map[string]any {
	var x, y [32]byte
	k.X.FillBytes(x[:])
	k.Y.FillBytes(y[:])
	return map[string]any{
		"kty": "EC", "crv": "P-256",
		"x": base64.RawURLEncoding.EncodeToString(x[:]),
		"y": base64.RawURLEncoding.EncodeToString(y[:]),
	}
}

// baseProof returns the header and payload of a valid proof for url, to be
// altered by a test.
func (w *wallet) baseProof(url string, now time.Time) (header, payload map[string]any) {
	return map[string]any{"typ": "dpop+jwt", "alg": "ES256", "jwk": publicJWK(&w.Key.PublicKey)},
		map[string]any{"jti": randomJTI(), "htm": "POST", "htu": url, "iat": now.Unix()}
}

func randomJTI() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
