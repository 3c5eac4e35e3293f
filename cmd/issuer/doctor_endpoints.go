package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Spec sections the endpoint checks cite.
const (
	secNonceResponse = "OpenID4VCI 1.0 §7.2"
	secNonceRequest  = "OpenID4VCI 1.0 §7.1"
	secTokenError    = "RFC 6749 §5.2, §5.1"
)

// checkNonceEndpoint checks that the nonce endpoint answers POST with a
// c_nonce, JSON and no-store, and GET with 405.
func (d *doctor) checkNonceEndpoint(ctx context.Context) {
	u := str(d.vci["nonce_endpoint"])
	if u == "" {
		d.r.skipped("nonce endpoint POST", "no nonce_endpoint")
		d.r.skipped("nonce endpoint GET", "no nonce_endpoint")
		return
	}
	_, reason := d.cNonce(ctx, u)
	d.r.check("nonce endpoint POST", reason, secNonceResponse, "a c_nonce, no-store")
	res, err := d.do(ctx, http.MethodGet, u, nil, nil)
	switch {
	case err != nil:
		d.r.fail("nonce endpoint GET", err.Error(), secNonceRequest)
	default:
		d.r.check("nonce endpoint GET", ifThen(res.status != http.StatusMethodNotAllowed, fmt.Sprintf("GET answers %d, not 405: the request is a POST", res.status)), secNonceRequest, "405")
	}
}

// cNonce POSTs to the nonce endpoint and returns the c_nonce and the
// response, or the reason it is not a nonce response.
func (d *doctor) cNonce(ctx context.Context, u string) (*response, string) {
	res, err := d.do(ctx, http.MethodPost, u, nil, nil)
	if err != nil {
		return nil, err.Error()
	}
	var body struct {
		CNonce any `json:"c_nonce"`
	}
	var problems []string
	switch {
	case res.status != http.StatusOK:
		problems = append(problems, fmt.Sprintf("POST answers %d", res.status))
	case res.json(&body) != nil || str(body.CNonce) == "":
		problems = append(problems, "no c_nonce string in the body")
	}
	if !res.isJSON() {
		problems = append(problems, "not application/json")
	}
	if !res.noStore() {
		problems = append(problems, "no Cache-Control: no-store")
	}
	return res, strings.Join(problems, "; ")
}

// checkTokenErrors sends a token request of an unknown grant type: the
// answer is a 400 JSON error with no-store.
func (d *doctor) checkTokenErrors(ctx context.Context) {
	const name = "token endpoint errors"
	u := str(d.as["token_endpoint"])
	if u == "" {
		d.r.skipped(name, "no token_endpoint")
		return
	}
	res, err := d.form(ctx, u, nil, url.Values{"grant_type": {"urn:example:doctor:unknown-grant"}})
	if err != nil {
		d.r.fail(name, err.Error(), secTokenError)
		return
	}
	var body struct {
		Error any `json:"error"`
	}
	var problems []string
	if res.status != http.StatusBadRequest {
		problems = append(problems, fmt.Sprintf("an unknown grant type answers %d, not 400", res.status))
	}
	if res.json(&body) != nil || str(body.Error) == "" {
		problems = append(problems, "no error string in a JSON body")
	}
	if !res.noStore() {
		problems = append(problems, "no Cache-Control: no-store")
	}
	d.r.check(name, strings.Join(problems, "; "), secTokenError, fmt.Sprintf("%d %s, no-store", res.status, str(body.Error)))
}
