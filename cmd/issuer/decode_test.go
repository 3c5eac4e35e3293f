package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
)

// signedJWT returns a JWT of claims signed with a fresh P-256 key, kid k1,
// and a server whose /jwks publishes that key when publish is true, else
// another key with the same kid.
func signedJWT(t *testing.T, claims string, publish bool) (string, *httptest.Server) {
	t.Helper()
	newKey := func() jwk.Key {
		priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		k, _ := jwk.FromRaw(priv)
		_ = k.Set(jwk.KeyIDKey, "k1")
		return k
	}
	priv := newKey()
	hdr := jws.NewHeaders()
	_ = hdr.Set("typ", "at+jwt")
	token, err := jws.Sign([]byte(claims), jws.WithKey(jwa.ES256, priv, jws.WithProtectedHeaders(hdr)))
	if err != nil {
		t.Fatal(err)
	}
	published := priv
	if !publish {
		published = newKey()
	}
	pub, _ := published.PublicKey()
	set := jwk.NewSet()
	_ = set.AddKey(pub)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/jwks" {
			http.NotFound(w, r)
			return
		}
		_ = json.NewEncoder(w).Encode(set)
	}))
	t.Cleanup(srv.Close)
	return string(token), srv
}

// TestDecodeCommand: the header and claims as one JSON object on stdout;
// with --url, the verdict of the server's keys on stderr.
func TestDecodeCommand(t *testing.T) {
	token, srv := signedJWT(t, `{"sub":"alice","cnf":{"jkt":"abc"}}`, true)
	var out, errOut strings.Builder
	if err := run(t.Context(), []string{"decode", "--url", srv.URL, token}, noEnv, &out, &errOut); err != nil {
		t.Fatalf("decode --url (the server's key) = %v; stderr %s", err, errOut.String())
	}
	var doc struct {
		Header  map[string]any `json:"header"`
		Payload map[string]any `json:"payload"`
	}
	if err := json.Unmarshal([]byte(out.String()), &doc); err != nil || doc.Header["typ"] != "at+jwt" || doc.Header["kid"] != "k1" || doc.Payload["sub"] != "alice" {
		t.Fatalf("decode printed %q (%v); want the header and claims", out.String(), err)
	}
	if !strings.Contains(errOut.String(), `signature: verified with key "k1" of `+srv.URL+"/jwks") {
		t.Errorf("decode --url stderr = %q; want the verdict naming the key and the JWKS", errOut.String())
	}

	token, other := signedJWT(t, `{"sub":"mallory"}`, false)
	errOut.Reset()
	if err := run(t.Context(), []string{"decode", "--url", other.URL, token}, noEnv, io.Discard, &errOut); !errors.Is(err, errSignature) || !strings.Contains(errOut.String(), "NOT verified") {
		t.Errorf("decode --url (another key, same kid) = %v, %q; want errSignature and NOT verified", err, errOut.String())
	}
	out.Reset()
	if err := run(t.Context(), []string{"decode", token}, noEnv, &out, io.Discard); err != nil || !strings.Contains(out.String(), `"mallory"`) {
		t.Errorf("decode without --url = %v, %q; want the claims, no verdict", err, out.String())
	}
}

// TestDecodeRefuses: what is not a JWT is a usage error.
func TestDecodeRefuses(t *testing.T) {
	for _, arg := range []string{"not-a-jwt", "a.b", "eyJhbGciOiJFUzI1NiJ9.e30.sig~WyJ~", "!!.e30.x"} {
		var ue usageError
		if err := run(t.Context(), []string{"decode", arg}, noEnv, io.Discard, io.Discard); !errors.As(err, &ue) {
			t.Errorf("decode %q = %v; want a usage error", arg, err)
		}
	}
}
