package sdjwt

import (
	"crypto/ecdsa"
	"encoding/base64"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"issuer/e2e/interop"
)

// The interop tests check our credentials with @sd-jwt/sd-jwt-vc through
// e2e/node/verify-sdjwt.mjs: never with this package's own decoder.

// verifyRequest is the script's input.
type verifyRequest struct {
	Credential  string         `json:"credential"`
	TrustedCert []byte         `json:"trusted_cert"` // base64 DER
	IssuerJWK   map[string]any `json:"issuer_jwk,omitempty"`
	Now         int64          `json:"now"`
	Present     map[string]any `json:"present,omitempty"`
}

// verdict is the script's output.
type verdict struct {
	Valid                    bool           `json:"valid"`
	LibraryVerified          bool           `json:"library_verified"`
	X5CTrusted               bool           `json:"x5c_trusted"`
	TypOK                    bool           `json:"typ_ok"`
	AlgOK                    bool           `json:"alg_ok"`
	AllDisclosuresReferenced bool           `json:"all_disclosures_referenced"`
	DisclosureShapesOK       bool           `json:"disclosure_shapes_ok"`
	Disclosures              int            `json:"disclosures"`
	Unreferenced             int            `json:"unreferenced_disclosures"`
	Error                    string         `json:"error"`
	Header                   map[string]any `json:"header"`
	Claims                   map[string]any `json:"claims"`
	VCT                      string         `json:"vct"`
	CNF                      map[string]any `json:"cnf"`
	Presented                *struct {
		LibraryVerified bool           `json:"library_verified"`
		Disclosures     int            `json:"disclosures"`
		Claims          map[string]any `json:"claims"`
		Error           string         `json:"error"`
	} `json:"presented"`
}

// independent runs the independent verifier on req.
func independent(t *testing.T, req verifyRequest) verdict {
	t.Helper()
	in, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	var v verdict
	interop.Run(t, "verify-sdjwt.mjs", in, &v)
	return v
}

// request is the script's input for credential, trusting p's CA, at t0.
func request(credential string, p pki) verifyRequest {
	return verifyRequest{Credential: credential, TrustedCert: p.ca.Raw, Now: t0.Unix() + 60}
}

// holderJWK is the holder's key as the JWK RFC 7518 §6.2.1 defines,
// written here with the standard library only.
func holderJWK(k *ecdsa.PrivateKey) map[string]any {
	b, _ := k.PublicKey.Bytes() // 0x04 || X || Y
	return map[string]any{
		"kty": "EC", "crv": "P-256",
		"x": base64.RawURLEncoding.EncodeToString(b[1:33]),
		"y": base64.RawURLEncoding.EncodeToString(b[33:]),
	}
}

func TestIndependentVerification(t *testing.T) {
	p := newPKI(t, "Test")
	in, holder := newInput(t, p)
	in.Chain = append(in.Chain, p.ca) // leaf and CA: the script walks the chain
	in.MaxDecoys = 5
	cred := issue(t, in)

	v := independent(t, request(cred, p))
	if !v.Valid {
		t.Fatalf("@sd-jwt/sd-jwt-vc refused the credential: %+v", v)
	}
	if v.Disclosures != pidDisclosures {
		t.Errorf("disclosures = %d; want %d", v.Disclosures, pidDisclosures)
	}
	if v.VCT != "urn:eudi:pid:1" {
		t.Errorf("vct = %q; want urn:eudi:pid:1", v.VCT)
	}
	if got, want := asJSON(t, v.CNF), asJSON(t, map[string]any{"jwk": holderJWK(holder)}); !reflect.DeepEqual(got, want) {
		t.Errorf("cnf = %v; want %v", got, want)
	}
	if x5c, _ := v.Header["x5c"].([]any); len(x5c) != 2 || x5c[0] != base64.StdEncoding.EncodeToString(p.leaf.Raw) {
		t.Errorf("x5c = %v; want the leaf then the CA", v.Header["x5c"])
	}
	registered := map[string]any{
		"iss": "https://issuer.example", "iat": t0.Unix(), "exp": exp.Unix(),
		"vct": "urn:eudi:pid:1", "cnf": map[string]any{"jwk": holderJWK(holder)},
	}
	want := pidClaims()
	for k, v := range registered {
		want[k] = v
	}
	if got, want := asJSON(t, v.Claims), asJSON(t, want); !reflect.DeepEqual(got, want) {
		t.Errorf("disclosed claims =\n%v\nwant\n%v", got, want)
	}
}

func TestIndependentPresentationOfASubset(t *testing.T) {
	p := newPKI(t, "Test")
	in, _ := newInput(t, p)
	req := request(issue(t, in), p)
	req.Present = map[string]any{
		"given_name":    true,
		"address":       map[string]any{"street_address": true},
		"nationalities": map[string]any{"1": true},
	}
	v := independent(t, req)
	if !v.Valid || v.Presented == nil || !v.Presented.LibraryVerified {
		t.Fatalf("the presentation was refused: %+v", v)
	}
	got := v.Presented.Claims
	for _, name := range []string{"family_name", "birthdate", "height_m"} {
		if _, ok := got[name]; ok {
			t.Errorf("the presentation shows %s, which was not presented", name)
		}
	}
	if got["given_name"] != "Erika" {
		t.Errorf("given_name = %v; want Erika", got["given_name"])
	}
	wantAddress := map[string]any{"street_address": "Heidestraße 17", "postal_code": "51147", "country": "DE"}
	if !reflect.DeepEqual(got["address"], wantAddress) {
		t.Errorf("address = %v; want %v (locality withheld)", got["address"], wantAddress)
	}
	if !reflect.DeepEqual(got["nationalities"], []any{"FR"}) {
		t.Errorf("nationalities = %v; want [FR]", got["nationalities"])
	}
	if got["issuing_country"] != "DE" {
		t.Errorf("issuing_country = %v; the plain claims must stay", got["issuing_country"])
	}
	if v.Presented.Disclosures != 4 { // given_name, address, its street_address, nationalities[1]
		t.Errorf("presented disclosures = %d; want 4", v.Presented.Disclosures)
	}
}

// TestIndependentVerifierRefuses breaks good credentials on purpose: the
// independent verifier must refuse each one, on the check named.
func TestIndependentVerifierRefuses(t *testing.T) {
	p := newPKI(t, "Test")
	other := newPKI(t, "Other")
	in, _ := newInput(t, p)
	good := issue(t, in)
	otherIn, _ := newInput(t, other)
	foreign := issue(t, otherIn)
	jwt, disclosures := splitCompact(t, good)

	tests := []struct {
		name   string
		modify func(req *verifyRequest)
		failed func(v verdict) bool
	}{{
		name: "flipped signature byte",
		modify: func(r *verifyRequest) {
			r.Credential = flipSignature(t, jwt) + "~" + strings.Join(disclosures, "~") + "~"
		},
		failed: func(v verdict) bool { return !v.LibraryVerified },
	}, {
		name: "altered payload",
		modify: func(r *verifyRequest) {
			r.Credential = replacePayload(t, jwt, func(m map[string]any) { m["issuing_country"] = "FR" }) + "~"
		},
		failed: func(v verdict) bool { return !v.LibraryVerified },
	}, {
		name: "altered disclosure",
		modify: func(r *verifyRequest) {
			d := append([]string(nil), disclosures...)
			d[0] = alterDisclosure(t, d[0])
			r.Credential = jwt + "~" + strings.Join(d, "~") + "~"
		},
		failed: func(v verdict) bool { return !v.AllDisclosuresReferenced },
	}, {
		name: "a disclosure whose digest is not in the payload",
		modify: func(r *verifyRequest) {
			_, theirs := splitCompact(t, foreign)
			r.Credential = good + theirs[0] + "~"
		},
		failed: func(v verdict) bool { return !v.AllDisclosuresReferenced && v.Unreferenced == 1 },
	}, {
		name:   "wrong issuer key",
		modify: func(r *verifyRequest) { r.IssuerJWK = holderJWK(other.key) },
		failed: func(v verdict) bool { return !v.LibraryVerified },
	}, {
		name: "x5c of another issuer in the header",
		modify: func(r *verifyRequest) {
			r.Credential = replaceHeader(t, jwt, func(h map[string]any) {
				h["x5c"] = []string{base64.StdEncoding.EncodeToString(p.ca.Raw)}
			}) + "~"
		},
		failed: func(v verdict) bool { return !v.LibraryVerified },
	}, {
		name:   "a chain the verifier does not trust",
		modify: func(r *verifyRequest) { r.TrustedCert = other.ca.Raw },
		failed: func(v verdict) bool { return !v.X5CTrusted },
	}, {
		name:   "expired",
		modify: func(r *verifyRequest) { r.Now = exp.Unix() + 1 },
		failed: func(v verdict) bool { return !v.LibraryVerified },
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := request(good, p)
			tt.modify(&req)
			v := independent(t, req)
			t.Logf("refused: library_verified=%v x5c_trusted=%v all_disclosures_referenced=%v (%d unreferenced) error=%q",
				v.LibraryVerified, v.X5CTrusted, v.AllDisclosuresReferenced, v.Unreferenced, v.Error)
			if v.Valid || !tt.failed(v) {
				t.Errorf("the independent verifier accepted it, or refused it for another reason: %+v", v)
			}
		})
	}
}

// splitCompact splits an SD-JWT into its JWT and disclosures.
func splitCompact(t *testing.T, compact string) (string, []string) {
	t.Helper()
	parts := strings.Split(compact, "~")
	if len(parts) < 2 || parts[len(parts)-1] != "" {
		t.Fatalf("%q is not <JWT>~<disclosure>~…~", compact)
	}
	return parts[0], parts[1 : len(parts)-1]
}

// flipSignature flips one bit of the JWT's signature.
func flipSignature(t *testing.T, jwt string) string {
	t.Helper()
	i := strings.LastIndexByte(jwt, '.')
	sig, err := base64.RawURLEncoding.DecodeString(jwt[i+1:])
	if err != nil {
		t.Fatal(err)
	}
	sig[10] ^= 0x01
	return jwt[:i+1] + base64.RawURLEncoding.EncodeToString(sig)
}

// replaceSegment decodes segment n of the JWT, lets edit change it and
// encodes it again, keeping the old signature.
func replaceSegment(t *testing.T, jwt string, n int, edit func(map[string]any)) string {
	t.Helper()
	segs := strings.Split(jwt, ".")
	raw, err := base64.RawURLEncoding.DecodeString(segs[n])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	if raw, err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	segs[n] = base64.RawURLEncoding.EncodeToString(raw)
	return strings.Join(segs, ".")
}

func replaceHeader(t *testing.T, jwt string, edit func(map[string]any)) string {
	return replaceSegment(t, jwt, 0, edit)
}

func replacePayload(t *testing.T, jwt string, edit func(map[string]any)) string {
	return replaceSegment(t, jwt, 1, edit)
}

// alterDisclosure changes a disclosure's value, keeping it well formed.
func alterDisclosure(t *testing.T, d string) string {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(d)
	if err != nil {
		t.Fatal(err)
	}
	var arr []any
	if err := json.Unmarshal(raw, &arr); err != nil {
		t.Fatal(err)
	}
	arr[len(arr)-1] = "Mallory"
	if raw, err = json.Marshal(arr); err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(raw)
}
