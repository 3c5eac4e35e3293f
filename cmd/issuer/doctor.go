package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// errDoctorFailed is the error (exit status 1) of a doctor run with a
// failed check; the checks are printed before.
var errDoctorFailed = errors.New("the issuer failed a check")

// doctorTimeout bounds each request of a doctor run.
const doctorTimeout = 10 * time.Second

// maxDoctorBody bounds what doctor reads of a response.
const maxDoctorBody = 1 << 20

// doctor is one run of `issuer doctor`: the issuer under check, how to
// reach it, and the report.
type doctor struct {
	// base is the credential issuer identifier as given, without a
	// trailing slash.
	base       string
	client     *http.Client
	allowHTTP  bool
	haip       bool
	adminToken string
	r          *report
	// vci and as are the two metadata documents (nil when not served).
	vci, as map[string]any
}

// doctorCmd checks a running issuer against OpenID4VCI 1.0 and HAIP 1.0,
// one line per check, and fails when a check fails.
func doctorCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fset := flag.NewFlagSet("issuer doctor", flag.ContinueOnError)
	fset.SetOutput(stderr)
	admin := fset.String("admin-token", getenv("ISSUER_ADMIN_TOKEN"), "admin token of one of our issuers: also run a whole synthetic issuance (env ISSUER_ADMIN_TOKEN)")
	allowHTTP := fset.Bool("allow-http", false, "accept http URLs (local runs); without it every URL must be https")
	profile := fset.String("profile", "", "haip: also check what the HAIP profile asks beyond OpenID4VCI (client authentication, no password grant)")
	caFile := fset.String("cacert", "", "PEM file of CA certificates to trust (besides the system's) for https")
	fset.Usage = func() {
		fmt.Fprintln(stderr, "usage: issuer doctor [flags] CREDENTIAL_ISSUER_URL")
		fset.PrintDefaults()
	}
	if err := parseFlags(fset, args); err != nil {
		return err
	}
	if fset.NArg() != 1 {
		fset.Usage()
		return usageError{"doctor needs the credential issuer URL"}
	}
	if *profile != "" && *profile != "haip" {
		return usageError{fmt.Sprintf("--profile %q: only haip is known", *profile)}
	}
	base := strings.TrimSuffix(fset.Arg(0), "/")
	if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usageError{fmt.Sprintf("%q is not an http(s) URL", fset.Arg(0))}
	}
	client, err := doctorClient(*caFile)
	if err != nil {
		return err
	}
	d := &doctor{base: base, client: client, allowHTTP: *allowHTTP, haip: *profile == "haip", adminToken: *admin, r: &report{w: stdout}}
	d.run(ctx)
	return d.r.finish()
}

// doctorClient is the HTTP client of a run: a timeout per request, no
// redirects followed (an endpoint answers itself), and the CAs of caFile
// trusted besides the system's.
func doctorClient(caFile string) (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if caFile != "" {
		pool, err := systemPoolWith(caFile)
		if err != nil {
			return nil, fmt.Errorf("--cacert: %w", err)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{
		Transport:     tr,
		Timeout:       doctorTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}, nil
}

// run runs every check in order: the metadata, the endpoints, then the
// synthetic issuance.
func (d *doctor) run(ctx context.Context) {
	d.checkIssuerMetadata(ctx)
	d.checkASMetadata(ctx)
	d.checkProfile()
	d.checkNonceEndpoint(ctx)
	d.checkTokenErrors(ctx)
	d.checkIssuance(ctx)
}

// report prints the checks and counts them.
type report struct {
	w                    io.Writer
	passed, failed, skip int
}

// pass records a passed check.
func (r *report) pass(name, detail string) {
	r.passed++
	if detail != "" {
		detail = ": " + detail
	}
	fmt.Fprintf(r.w, "PASS  %s%s\n", name, detail)
}

// fail records a failed check with its reason and the section that asks
// otherwise.
func (r *report) fail(name, reason, section string) {
	r.failed++
	fmt.Fprintf(r.w, "FAIL  %s: %s (%s)\n", name, reason, section)
}

// skipped records a check that was not run, and why.
func (r *report) skipped(name, reason string) {
	r.skip++
	fmt.Fprintf(r.w, "SKIP  %s: %s\n", name, reason)
}

// check records a pass, or a failure when reason is not empty.
func (r *report) check(name, reason, section, detail string) bool {
	if reason != "" {
		r.fail(name, reason, section)
		return false
	}
	r.pass(name, detail)
	return true
}

// finish prints the summary; errDoctorFailed when a check failed.
func (r *report) finish() error {
	fmt.Fprintf(r.w, "\n%d passed, %d failed, %d skipped\n", r.passed, r.failed, r.skip)
	if r.failed > 0 {
		return errDoctorFailed
	}
	return nil
}

// response is what doctor keeps of an HTTP response.
type response struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body into v.
func (res *response) json(v any) error {
	if err := json.Unmarshal(res.body, v); err != nil {
		return fmt.Errorf("the body is not JSON: %v", err)
	}
	return nil
}

// noStore reports whether the response carries Cache-Control: no-store.
func (res *response) noStore() bool {
	for _, v := range res.header.Values("Cache-Control") {
		for _, d := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(d), "no-store") {
				return true
			}
		}
	}
	return false
}

// isJSON reports whether the response's media type is application/json.
func (res *response) isJSON() bool {
	ct, _, _ := strings.Cut(res.header.Get("Content-Type"), ";")
	return strings.EqualFold(strings.TrimSpace(ct), "application/json")
}

// do sends a request and reads its response.
func (d *doctor) do(ctx context.Context, method, u string, header http.Header, body []byte) (*response, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	res, err := d.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, maxDoctorBody))
	if err != nil {
		return nil, err
	}
	return &response{status: res.StatusCode, header: res.Header, body: b}, nil
}

// form sends a form-encoded POST.
func (d *doctor) form(ctx context.Context, u string, header http.Header, v url.Values) (*response, error) {
	if header == nil {
		header = http.Header{}
	}
	header.Set("Content-Type", "application/x-www-form-urlencoded")
	return d.do(ctx, http.MethodPost, u, header, []byte(v.Encode()))
}

// urlProblem is what is wrong with an endpoint URL ("" for nothing):
// absent, not absolute, or not https (unless --allow-http).
func (d *doctor) urlProblem(name string, v any) string {
	s, _ := v.(string)
	if s == "" {
		return name + " is missing"
	}
	u, err := url.Parse(s)
	switch {
	case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		return fmt.Sprintf("%s %q is not an absolute http(s) URL", name, s)
	case u.Scheme != "https" && !d.allowHTTP:
		return fmt.Sprintf("%s %q is not https (--allow-http accepts it for local runs)", name, s)
	}
	return ""
}

// wellKnown inserts /.well-known/NAME between the host and the path of
// id (RFC 8414 §3.1, OpenID4VCI 1.0 §12.2.2).
func wellKnown(id, name string) string {
	u, err := url.Parse(id)
	if err != nil {
		return id
	}
	u.Path = "/.well-known/" + name + strings.TrimSuffix(u.Path, "/")
	u.RawPath, u.RawQuery, u.Fragment = "", "", ""
	return u.String()
}

// systemPoolWith is the system's CA pool plus the certificates of the PEM
// file path.
func systemPoolWith(path string) (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if !pool.AppendCertsFromPEM(b) {
		return nil, errors.New(path + ": no PEM certificate in the file")
	}
	return pool, nil
}
