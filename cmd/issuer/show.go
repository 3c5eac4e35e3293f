package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"

	"issuer/issuer/credential/mdoc"
	"issuer/issuer/credential/sdjwt"
)

// maxShowInput bounds the credential show reads (sdjwt and mdoc bound
// what they decode more tightly).
const maxShowInput = 4 << 20

// errNotVerified is the error (exit status 1) of a credential whose
// signature, digests or issuer key do not check out; what failed is
// printed before.
var errNotVerified = errors.New("the credential does not verify")

// show decodes a credential (an argument, or stdin with "-"), prints what
// it says and whether its signature and digests verify with the key of
// its certificate chain, and, with --url, whether that key is one the
// issuer publishes. Element values are printed: this is the user's own
// credential on their own terminal.
func show(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fset := flag.NewFlagSet("issuer show", flag.ContinueOnError)
	fset.SetOutput(stderr)
	issuerURL := fset.String("url", "", "credential issuer URL: also check the signing key against its /.well-known/jwt-vc-issuer keys")
	fset.Usage = func() {
		fmt.Fprintln(stderr, "usage: issuer show [--url ISSUER_URL] CREDENTIAL|-")
		fset.PrintDefaults()
	}
	if err := parseFlags(fset, args); err != nil {
		return err
	}
	if fset.NArg() != 1 {
		fset.Usage()
		return usageError{"show needs one credential, or - to read it from stdin"}
	}
	if *issuerURL != "" {
		if err := checkURL("--url", *issuerURL); err != nil {
			return err
		}
	}
	cred, err := readCredential(fset.Arg(0), stdin)
	if err != nil {
		return err
	}
	var leaf crypto.PublicKey
	switch {
	case isSDJWT(cred):
		leaf, err = showSDJWT(cred, stdout)
	case isMdoc(cred):
		leaf, err = showMdoc(cred, stdout)
	default:
		return usageError{"not a credential: expected an SD-JWT VC (JWT~disclosures~) or an mdoc (base64url CBOR IssuerSigned)"}
	}
	if err != nil {
		return err
	}
	if *issuerURL == "" {
		return nil
	}
	return checkIssuerKey(ctx, *issuerURL, leaf, stdout)
}

// readCredential returns arg, or stdin's content for "-", trimmed.
func readCredential(arg string, stdin io.Reader) (string, error) {
	if arg != "-" {
		return strings.TrimSpace(arg), nil
	}
	b, err := io.ReadAll(io.LimitReader(stdin, maxShowInput+1))
	if err != nil {
		return "", err
	}
	if len(b) > maxShowInput {
		return "", usageError{fmt.Sprintf("the credential on stdin is longer than %d bytes", maxShowInput)}
	}
	return strings.TrimSpace(string(b)), nil
}

// isSDJWT reports whether s has the shape of an SD-JWT: a JWT (three
// non-empty dot-separated parts) followed by ~.
func isSDJWT(s string) bool {
	jwt, _, ok := strings.Cut(s, "~")
	parts := strings.Split(jwt, ".")
	return ok && len(parts) == 3 && parts[0] != "" && parts[1] != "" && parts[2] != ""
}

// isMdoc reports whether s is base64url of a CBOR map, as an IssuerSigned
// is.
func isMdoc(s string) bool {
	b, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil && len(b) > 0 && b[0]>>5 == 5 // CBOR major type 5: map
}

// showSDJWT prints an SD-JWT VC and verifies it with its x5c leaf key,
// which it returns.
func showSDJWT(cred string, w io.Writer) (crypto.PublicKey, error) {
	c, err := sdjwt.Decode(cred)
	if err != nil {
		fmt.Fprintf(w, "SD-JWT VC that does not decode: %v\n", err)
		return nil, errNotVerified
	}
	p := printer{w: w}
	p.line("format: %s (SD-JWT VC)", c.Header["typ"])
	p.line("header: typ %v, alg %v", c.Header["typ"], c.Header["alg"])
	printChain(&p, "x5c", c.Chain)
	raw := rawPayload(cred)
	p.line("issuer-signed claims:")
	for _, name := range []string{"iss", "vct", "iat", "nbf", "exp", "cnf", "status"} {
		if v, ok := c.Claims[name]; ok {
			p.line("  %s: %s", name, claimText(name, v))
		}
	}
	for _, name := range sortedMembers(raw) {
		if !slices.Contains([]string{"iss", "vct", "iat", "nbf", "exp", "cnf", "status", "_sd", "_sd_alg"}, name) {
			p.line("  %s: %s", name, jsonText(withoutDigests(raw[name])))
		}
	}
	found := disclosed(raw, c.Disclosures)
	p.line("disclosed claims (%d):", len(found))
	for _, d := range found {
		p.line("  %s: %s", jsonText(d.path), jsonText(withoutDigests(d.value)))
	}
	p.line("digests: each of the %d disclosures is referenced once", len(c.Disclosures))
	if len(c.Chain) == 0 {
		p.line("signature: NOT VERIFIED: no x5c header")
		return nil, errNotVerified
	}
	if err := c.CheckSignature(nil); err != nil {
		p.line("signature: INVALID with the x5c leaf key: %v", err)
		return nil, errNotVerified
	}
	p.line("signature: valid with the x5c leaf key")
	return c.Chain[0].PublicKey, p.err
}

// showMdoc prints an mdoc verified with its x5chain leaf key, which it
// returns.
func showMdoc(cred string, w io.Writer) (crypto.PublicKey, error) {
	doc, err := mdoc.Verify(cred)
	if err != nil {
		fmt.Fprintf(w, "mdoc (mso_mdoc) that does not verify: %v\n", err)
		return nil, errNotVerified
	}
	p := printer{w: w}
	p.line("format: mso_mdoc (ISO/IEC 18013-5 IssuerSigned)")
	p.line("docType: %s", doc.DocType)
	v := doc.Validity
	p.line("validity: signed %s, valid from %s until %s (%s)", stamp(v.Signed), stamp(v.ValidFrom), stamp(v.ValidUntil), validNow(v.ValidFrom, v.ValidUntil))
	if jkt, err := thumbprint(doc.DeviceKey); err == nil {
		p.line("device key: P-256, thumbprint %s", jkt)
	}
	printChain(&p, "x5chain", doc.Chain)
	for _, ns := range sortedMembers(doc.NameSpaces) {
		p.line("namespace %s:", ns)
		for _, id := range sortedMembers(doc.NameSpaces[ns]) {
			p.line("  %s: %s", id, mdocText(doc.NameSpaces[ns][id]))
		}
	}
	p.line("digests: every element matches its MSO digest")
	p.line("signature: valid with the x5chain leaf key")
	return doc.Chain[0].PublicKey, p.err
}

// printer writes lines and keeps the first write error.
type printer struct {
	w   io.Writer
	err error
}

func (p *printer) line(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format+"\n", args...)
	}
}

// printChain prints the subject and issuer of a chain's leaf.
func printChain(p *printer, name string, chain []*x509.Certificate) {
	if len(chain) == 0 {
		p.line("%s: none", name)
		return
	}
	leaf := chain[0]
	p.line("%s: %d certificate(s); leaf subject %q, issued by %q, valid %s to %s",
		name, len(chain), leaf.Subject.String(), leaf.Issuer.String(), stamp(leaf.NotBefore), stamp(leaf.NotAfter))
}

// rawPayload is the JWT payload of an SD-JWT as sent, numbers as
// json.Number; sdjwt.Decode has read it already, so it decodes.
func rawPayload(cred string) map[string]any {
	jwt, _, _ := strings.Cut(cred, "~")
	parts := strings.Split(jwt, ".")
	b, _ := base64.RawURLEncoding.DecodeString(parts[1])
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	_ = dec.Decode(&m)
	return m
}

// disclosure is a disclosed claim and its claim path (SD-JWT VC §2.2:
// names, and indexes in the array as the holder sees it).
type disclosure struct {
	path  []any
	value any
}

// disclosed finds the claim path of each disclosure by walking the
// payload as sent: an object's _sd digests name members, an array's
// {"...": digest} elements name elements; disclosures nest.
func disclosed(payload map[string]any, ds []sdjwt.Disclosure) []disclosure {
	byDigest := make(map[string]sdjwt.Disclosure, len(ds))
	for _, d := range ds {
		byDigest[d.Digest] = d
	}
	var out []disclosure
	var walk func(v any, path []any)
	walk = func(v any, path []any) {
		switch v := v.(type) {
		case map[string]any:
			digests, _ := v["_sd"].([]any)
			for _, s := range digests {
				if d, ok := byDigest[fmt.Sprint(s)]; ok && !d.IsElement {
					p := append(slices.Clip(path), d.Name)
					out = append(out, disclosure{p, d.Value})
					walk(d.Value, p)
				}
			}
			for _, name := range sortedMembers(v) {
				if name != "_sd" && name != "_sd_alg" {
					walk(v[name], append(slices.Clip(path), name))
				}
			}
		case []any:
			i := 0
			for _, e := range v {
				if digest, ok := elementDigest(e); ok {
					if d, ok := byDigest[digest]; ok && d.IsElement {
						p := append(slices.Clip(path), i)
						out = append(out, disclosure{p, d.Value})
						walk(d.Value, p)
						i++
					}
					continue // an undisclosed element is not in the holder's array
				}
				walk(e, append(slices.Clip(path), i))
				i++
			}
		}
	}
	walk(payload, nil)
	slices.SortStableFunc(out, func(a, b disclosure) int { return strings.Compare(jsonText(a.path), jsonText(b.path)) })
	return out
}

// elementDigest returns the digest of an array element {"...": digest}.
func elementDigest(e any) (string, bool) {
	m, ok := e.(map[string]any)
	if !ok || len(m) != 1 {
		return "", false
	}
	s, ok := m["..."].(string)
	return s, ok
}

// withoutDigests is v without _sd, _sd_alg and {"...": digest} elements:
// what an issuer-signed claim says that needs no disclosure.
func withoutDigests(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			if k != "_sd" && k != "_sd_alg" {
				out[k] = withoutDigests(e)
			}
		}
		return out
	case []any:
		out := make([]any, 0, len(v))
		for _, e := range v {
			if _, ok := elementDigest(e); !ok {
				out = append(out, withoutDigests(e))
			}
		}
		return out
	}
	return v
}

// claimText shows a registered claim: times with their date.
func claimText(name string, v any) string {
	if n, ok := v.(json.Number); ok && (name == "iat" || name == "nbf" || name == "exp") {
		if sec, err := n.Int64(); err == nil {
			t := time.Unix(sec, 0)
			if name == "exp" {
				return fmt.Sprintf("%s (%s, %s)", n, stamp(t), map[bool]string{true: "expired", false: "not expired"}[time.Now().After(t)])
			}
			return fmt.Sprintf("%s (%s)", n, stamp(t))
		}
	}
	return jsonText(v)
}

// mdocText shows an element value: dates as dates, byte strings by size.
func mdocText(v any) string {
	switch v := v.(type) {
	case mdoc.FullDate:
		return v.String()
	case time.Time:
		return stamp(v)
	case []byte:
		return fmt.Sprintf("<%d bytes>", len(v))
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = mdocText(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		parts := make([]string, 0, len(v))
		for _, k := range sortedMembers(v) {
			parts = append(parts, k+": "+mdocText(v[k]))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case string:
		return jsonText(v)
	}
	return fmt.Sprint(v)
}

// jsonText is v as compact JSON.
func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// validNow says where now lies in [from, until).
func validNow(from, until time.Time) string {
	now := time.Now()
	switch {
	case now.Before(from):
		return "not valid yet"
	case !now.Before(until):
		return "expired"
	}
	return "valid now"
}

func sortedMembers[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// thumbprint is the RFC 7638 SHA-256 thumbprint of pub, base64url.
func thumbprint(pub crypto.PublicKey) (string, error) {
	k, err := jwk.FromRaw(pub)
	if err != nil {
		return "", err
	}
	sum, err := k.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(sum), nil
}

// checkIssuerKey checks that leaf is one of the keys the issuer at base
// publishes in its JWT VC issuer metadata (SD-JWT VC §5: jwks, or
// jwks_uri). An issuer without that document (404) is reported, not
// failed.
func checkIssuerKey(ctx context.Context, base string, leaf crypto.PublicKey, w io.Writer) error {
	metaURL, err := jwtVCIssuerURL(base)
	if err != nil {
		return usageError{"--url: " + err.Error()}
	}
	var meta struct {
		Issuer  string          `json:"issuer"`
		JWKS    json.RawMessage `json:"jwks"`
		JWKSURI string          `json:"jwks_uri"`
	}
	found, err := getJSON(ctx, metaURL, &meta)
	switch {
	case err != nil:
		return fmt.Errorf("issuer keys: %w", err)
	case !found:
		_, err := fmt.Fprintf(w, "issuer key: not checked: %s answers 404 (the issuer publishes no JWT VC issuer metadata)\n", metaURL)
		return err
	}
	if meta.JWKS == nil && meta.JWKSURI != "" {
		if found, err := getJSON(ctx, meta.JWKSURI, &meta.JWKS); err != nil || !found {
			return fmt.Errorf("issuer keys: jwks_uri %s: %v", meta.JWKSURI, orNotFound(err))
		}
	}
	set, err := jwk.Parse(meta.JWKS)
	if err != nil {
		return fmt.Errorf("issuer keys: %s has no valid jwks: %w", metaURL, err)
	}
	if meta.Issuer != strings.TrimSuffix(base, "/") {
		fmt.Fprintf(w, "note: the metadata's issuer %q is not %q\n", meta.Issuer, base)
	}
	want, err := thumbprint(leaf)
	if err != nil {
		return err
	}
	for i := 0; i < set.Len(); i++ {
		k, _ := set.Key(i)
		if sum, err := k.Thumbprint(crypto.SHA256); err == nil && base64.RawURLEncoding.EncodeToString(sum) == want {
			_, err := fmt.Fprintf(w, "issuer key: the signing key is published at %s (key %d, kid %q)\n", metaURL, i, k.KeyID())
			return err
		}
	}
	fmt.Fprintf(w, "issuer key: NOT among the %d keys published at %s\n", set.Len(), metaURL)
	return errNotVerified
}

func orNotFound(err error) error {
	if err == nil {
		return errors.New("404 not found")
	}
	return err
}

// jwtVCIssuerURL is the metadata URL of an issuer identifier (SD-JWT VC
// §5.1): /.well-known/jwt-vc-issuer inserted between the host and the
// path.
func jwtVCIssuerURL(base string) (string, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", errors.New("must be an http(s) URL")
	}
	u.Path = "/.well-known/jwt-vc-issuer" + strings.TrimSuffix(u.Path, "/")
	u.RawPath, u.RawQuery, u.Fragment = "", "", ""
	return u.String(), nil
}

// getJSON GETs u into v; found is false for a 404.
func getJSON(ctx context.Context, u string, v any) (found bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return false, err
	}
	req.Header.Set("Accept", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return false, err
	}
	defer res.Body.Close()
	switch {
	case res.StatusCode == http.StatusNotFound:
		return false, nil
	case res.StatusCode != http.StatusOK:
		return false, fmt.Errorf("GET %s: %s", u, res.Status)
	}
	if err := json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(v); err != nil {
		return false, fmt.Errorf("GET %s: not JSON: %w", u, err)
	}
	return true, nil
}
