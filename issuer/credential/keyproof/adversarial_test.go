package keyproof

import (
	"context"
	"testing"
	"time"

	"issuer/nonce"
)

// TestAdversarial runs the key proof cases L03 to L09 of the adversarial
// catalogue (shared/spec/adversarial.md); the credential endpoint answers
// each with 400 and the error code checked here.
func TestAdversarial(t *testing.T) {
	k := keys(t)
	f := newFixture(t)
	es256 := func(h, c map[string]any) string { return sign(t, k.p256, "ES256", h, c) }
	for _, c := range []struct {
		id, name string
		proof    func() string
		expect   Expect
		code     error
		want     error
	}{
		{"L03", "no nonce although a nonce endpoint exists", func() string {
			c := f.claims()
			delete(c, "nonce")
			return es256(header(t, k.p256, "ES256"), c)
		}, Expect{Algs: []string{"ES256"}}, ErrInvalidProof, errNonceMissing},
		{"L04", "an unknown c_nonce", func() string {
			c := f.claims()
			c["nonce"] = "AQIAAAAAZVPxHAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
			return es256(header(t, k.p256, "ES256"), c)
		}, Expect{Algs: []string{"ES256"}}, ErrInvalidNonce, errNonceUnknown},
		{"L04", "an expired c_nonce", func() string {
			c := f.claims()
			c["nonce"] = f.nonces.Issue(nonce.CNonce, testNow.Add(-10*time.Minute), time.Minute)
			return es256(header(t, k.p256, "ES256"), c)
		}, Expect{Algs: []string{"ES256"}}, ErrInvalidNonce, errNonceExpired},
		{"L05", "typ JWT", func() string {
			h := header(t, k.p256, "ES256")
			h["typ"] = "JWT"
			return es256(h, f.claims())
		}, Expect{Algs: []string{"ES256"}}, ErrInvalidProof, errTyp},
		{"L06", "aud the AS issuer", func() string {
			c := f.claims()
			c["aud"] = "https://as.example.com"
			return es256(header(t, k.p256, "ES256"), c)
		}, Expect{Algs: []string{"ES256"}}, ErrInvalidProof, errAud},
		{"L07", "both jwk and kid", func() string {
			h := header(t, k.p256, "ES256")
			h["kid"] = "did:example:wallet#key-1"
			return es256(h, f.claims())
		}, Expect{Algs: []string{"ES256"}}, ErrInvalidProof, errKeyCount},
		{"L08", "iss with an anonymous pre-authorized token", func() string {
			c := f.claims()
			c["iss"] = testClient
			return es256(header(t, k.p256, "ES256"), c)
		}, Expect{Algs: []string{"ES256"}}, ErrInvalidProof, errIssAnonymous},
		{"L09", "alg not in proof_signing_alg_values_supported", func() string {
			return sign(t, k.p384, "ES384", header(t, k.p384, "ES384"), f.claims())
		}, Expect{Algs: []string{"ES256"}}, ErrInvalidProof, errAlg},
	} {
		t.Run(c.id+" "+c.name, func(t *testing.T) {
			_, err := f.v.Verify(context.Background(), c.proof(), c.expect)
			wantErr(t, err, c.code, c.want)
		})
	}
}
