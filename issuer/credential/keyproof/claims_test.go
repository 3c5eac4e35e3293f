package keyproof

import (
	"context"
	"errors"
	"testing"
	"time"

	"issuer/nonce"
)

// verifyClaims verifies an ES256 proof with the fixture's header and
// claims changed by edit, for a token of clientID.
func (f *fixture) verifyClaims(t *testing.T, clientID string, edit func(map[string]any)) error {
	t.Helper()
	key := keys(t).p256
	c := f.claims()
	edit(c)
	_, err := f.v.Verify(context.Background(), sign(t, key, "ES256", header(t, key, "ES256"), c), Expect{Algs: []string{"ES256"}, ClientID: clientID})
	return err
}

func set(name string, v any) func(map[string]any) {
	return func(c map[string]any) { c[name] = v }
}

func del(name string) func(map[string]any) {
	return func(c map[string]any) { delete(c, name) }
}

func TestVerifyAud(t *testing.T) {
	f := newFixture(t)
	for _, c := range []struct {
		name string
		edit func(map[string]any)
		want error
	}{
		{"missing", del("aud"), errAud},
		{"the AS issuer", set("aud", "https://as.example.com"), errAud},
		{"trailing slash", set("aud", testAud+"/"), errAud},
		{"other case", set("aud", "https://ISSUER.example.com"), errAud},
		{"empty", set("aud", ""), errAud},
		{"array of the issuer", set("aud", []string{testAud}), errAudType},
		{"number", set("aud", 1), errAudType},
		{"null", set("aud", nil), errAudType},
	} {
		t.Run(c.name, func(t *testing.T) {
			wantProofErr(t, f.verifyClaims(t, "", c.edit), c.want)
		})
	}
}

func TestVerifyTimes(t *testing.T) {
	f := newFixture(t) // MaxAge 1m, FutureSkew 10s
	now := testNow.Unix()
	for _, c := range []struct {
		name string
		edit func(map[string]any)
		want error // nil: accepted
	}{
		{"iat now", set("iat", now), nil},
		{"iat MaxAge old", set("iat", now-60), nil},
		{"iat a second older", set("iat", now-61), errIatOld},
		{"iat a day old", set("iat", now-86400), errIatOld},
		{"iat FutureSkew ahead", set("iat", now+10), nil},
		{"iat a second further", set("iat", now+11), errIatFuture},
		{"iat with a fraction", set("iat", float64(now)+0.5), nil},
		{"iat huge", set("iat", 1e300), errIatFuture},
		{"iat negative", set("iat", -1), errIatOld},
		{"iat missing", del("iat"), errIatMissing},
		{"iat a string", set("iat", "1700000000"), errIatType},
		{"iat null", set("iat", nil), errIatType},
		{"exp ahead", set("exp", now+1), nil},
		{"exp now", set("exp", now), errExpPast},
		{"exp past", set("exp", now-1), errExpPast},
		{"exp a string", set("exp", "soon"), errExpType},
		{"nbf past", set("nbf", now-1), nil},
		{"nbf within skew", set("nbf", now+10), nil},
		{"nbf ahead", set("nbf", now+11), errNbfFuture},
		{"nbf a bool", set("nbf", true), errNbfType},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := f.verifyClaims(t, "", c.edit)
			if c.want == nil {
				if err != nil {
					t.Fatalf("Verify() = %v", err)
				}
				return
			}
			wantProofErr(t, err, c.want)
		})
	}
}

func TestVerifyIss(t *testing.T) {
	f := newFixture(t)
	for _, c := range []struct {
		name, client string
		edit         func(map[string]any)
		want         error // nil: accepted
	}{
		{"anonymous, no iss", "", del("iss"), nil},
		{"anonymous, with iss", "", set("iss", testClient), errIssAnonymous},
		{"anonymous, empty iss", "", set("iss", ""), errIssAnonymous},
		{"anonymous, null iss", "", set("iss", nil), errIssAnonymous},
		{"client, its iss", testClient, set("iss", testClient), nil},
		{"client, no iss", testClient, del("iss"), nil},
		{"client, another iss", testClient, set("iss", "another-client"), errIss},
		{"client, empty iss", testClient, set("iss", ""), errIss},
		{"client, iss a number", testClient, set("iss", 7), errIssType},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := f.verifyClaims(t, c.client, c.edit)
			if c.want == nil {
				if err != nil {
					t.Fatalf("Verify() = %v", err)
				}
				return
			}
			wantProofErr(t, err, c.want)
		})
	}
}

func TestVerifyNonce(t *testing.T) {
	f := newFixture(t)
	other, err := nonce.New([]byte("another secret of at least 32 bytes"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		edit func(map[string]any)
		code error
		want error
	}{
		{"missing", del("nonce"), ErrInvalidProof, errNonceMissing},
		{"empty", set("nonce", ""), ErrInvalidProof, errNonceMissing},
		{"a number", set("nonce", 12), ErrInvalidProof, errNonceType},
		{"null", set("nonce", nil), ErrInvalidProof, errNonceType},
		{"forged", set("nonce", "bm90IGEgbm9uY2U"), ErrInvalidNonce, errNonceUnknown},
		{"a DPoP nonce", set("nonce", f.nonces.Issue(nonce.DPoP, testNow, time.Minute)), ErrInvalidNonce, errNonceUnknown},
		{"an attestation challenge", set("nonce", f.nonces.Issue(nonce.AttestationChallenge, testNow, time.Minute)), ErrInvalidNonce, errNonceUnknown},
		{"another server's", set("nonce", other.Issue(nonce.CNonce, testNow, time.Minute)), ErrInvalidNonce, errNonceUnknown},
		{"expired", set("nonce", f.nonces.Issue(nonce.CNonce, testNow.Add(-time.Hour), time.Minute)), ErrInvalidNonce, errNonceExpired},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := f.verifyClaims(t, "", c.edit)
			wantErr(t, err, c.code, c.want)
			if c.code == ErrInvalidNonce && errors.Is(err, ErrInvalidProof) {
				t.Fatalf("Verify() = %v; wraps both codes", err)
			}
		})
	}
	t.Run("expired while the proof is fresh", func(t *testing.T) {
		f := newFixture(t)
		n := f.nonces.Issue(nonce.CNonce, testNow, 5*time.Second)
		f.clock.Advance(6 * time.Second)
		err := f.verifyClaims(t, "", func(c map[string]any) { c["nonce"] = n })
		wantErr(t, err, ErrInvalidNonce, errNonceExpired)
	})
	t.Run("a bad nonce on a bad signature is invalid_proof", func(t *testing.T) {
		k := keys(t)
		c := f.claims()
		c["nonce"] = "bm90IGEgbm9uY2U"
		_, err := f.verify(sign(t, k.p256b, "ES256", header(t, k.p256, "ES256"), c))
		wantProofErr(t, err, errSignature)
	})
}
