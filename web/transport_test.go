package web_test

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"issuer/web"
)

// TestTransport covers adversarial A01–A07, A11, A12 (OA-02, OA-03,
// OA-05, OA-11): each case changes one thing of a valid anonymous
// pre-authorized code request, and afterwards the code still redeems.
func TestTransport(t *testing.T) {
	ts := newTestServer(t)
	form := func(code string) string { return preAuthForm(code).Encode() }
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("a:b"))
	cases := []struct {
		name        string
		method      string
		path        string // relative to ts.URL; "/token" when empty
		contentType string // "" sends no Content-Type
		body        func(code string) io.Reader
		header      http.Header
		status      int
		code        string
		allow       bool // a 405 that must carry Allow: POST
	}{
		{
			name: "A01 GET with the request in the query", method: http.MethodGet,
			path:   "/token?" + "grant_type=" + url.QueryEscape(preAuth) + "&pre-authorized_code=CODE",
			status: 405, code: "invalid_request", allow: true,
		},
		{
			name: "A02 PUT", method: http.MethodPut, contentType: "application/x-www-form-urlencoded",
			body: func(c string) io.Reader { return strings.NewReader(form(c)) }, status: 405, code: "invalid_request", allow: true,
		},
		{
			name: "A02 PATCH", method: http.MethodPatch, contentType: "application/x-www-form-urlencoded",
			body: func(c string) io.Reader { return strings.NewReader(form(c)) }, status: 405, code: "invalid_request", allow: true,
		},
		{
			name: "A02 DELETE", method: http.MethodDelete, status: 405, code: "invalid_request", allow: true,
		},
		{
			name: "A03 JSON body", contentType: "application/json",
			body: func(c string) io.Reader {
				b, _ := json.Marshal(map[string]string{"grant_type": preAuth, "pre-authorized_code": c})
				return bytes.NewReader(b)
			},
			status: 400, code: "invalid_request",
		},
		{
			name: "A04 no Content-Type", body: func(c string) io.Reader { return strings.NewReader(form(c)) },
			status: 400, code: "invalid_request",
		},
		{
			name: "A04 text/plain", contentType: "text/plain",
			body: func(c string) io.Reader { return strings.NewReader(form(c)) }, status: 400, code: "invalid_request",
		},
		{
			name: "A05 multipart/form-data", contentType: "MULTIPART",
			body: func(c string) io.Reader { return nil }, status: 400, code: "invalid_request",
		},
		{
			name: "charset=iso-8859-1", contentType: "application/x-www-form-urlencoded; charset=iso-8859-1",
			body: func(c string) io.Reader { return strings.NewReader(form(c)) }, status: 400, code: "invalid_request",
		},
		{
			name: "A06 2 MiB body", contentType: "application/x-www-form-urlencoded",
			body: func(c string) io.Reader {
				return strings.NewReader(form(c) + "&code=" + strings.Repeat("a", 2<<20))
			},
			status: 413, code: "invalid_request",
		},
		{
			name: "A06 one byte over the 64 KiB cap", contentType: "application/x-www-form-urlencoded",
			body: func(c string) io.Reader {
				s := form(c) + "&foo="
				return strings.NewReader(s + strings.Repeat("a", 64<<10+1-len(s)))
			},
			status: 413, code: "invalid_request",
		},
		{
			name: "A07 10000 junk parameters in 900 KiB", contentType: "application/x-www-form-urlencoded",
			body: func(c string) io.Reader {
				var b strings.Builder
				b.WriteString(form(c))
				pad := strings.Repeat("x", 900<<10/10000-8)
				for i := range 10000 {
					fmt.Fprintf(&b, "&a%d=%s", i, pad)
				}
				if b.Len() < 850<<10 || b.Len() > 950<<10 {
					panic(fmt.Sprintf("A07 body is %d bytes", b.Len()))
				}
				return strings.NewReader(b.String())
			},
			status: 413, code: "invalid_request",
		},
		{
			name: "A07 101 small parameters under the size cap", contentType: "application/x-www-form-urlencoded",
			body: func(c string) io.Reader {
				var b strings.Builder
				b.WriteString(form(c)) // 2 parameters
				for i := range 99 {
					fmt.Fprintf(&b, "&a%d=1", i)
				}
				return strings.NewReader(b.String())
			},
			status: 400, code: "invalid_request",
		},
		{
			name: "A11 invalid UTF-8 %FF in a value", contentType: "application/x-www-form-urlencoded",
			body:   func(c string) io.Reader { return strings.NewReader(form(c) + "&foo=%FF") },
			status: 400, code: "invalid_request",
		},
		{
			name: "A11 raw invalid UTF-8 byte in a value", contentType: "application/x-www-form-urlencoded",
			body:   func(c string) io.Reader { return strings.NewReader(form(c) + "&foo=a\xffb") },
			status: 400, code: "invalid_request",
		},
		{
			name: "A11 %00 in a value", contentType: "application/x-www-form-urlencoded",
			body:   func(c string) io.Reader { return strings.NewReader(form(c) + "&foo=a%00b") },
			status: 400, code: "invalid_request",
		},
		{
			name: "A11 %00 in the code", contentType: "application/x-www-form-urlencoded",
			body: func(c string) io.Reader {
				return strings.NewReader("grant_type=" + url.QueryEscape(preAuth) + "&pre-authorized_code=" + c + "%00")
			},
			status: 400, code: "invalid_request",
		},
		{
			name: "A11 malformed percent-encoding", contentType: "application/x-www-form-urlencoded",
			body:   func(c string) io.Reader { return strings.NewReader(form(c) + "&foo=%G1") },
			status: 400, code: "invalid_request",
		},
		{
			name: "A12 client credentials in the query", path: "/token?client_id=x&client_secret=y",
			contentType: "application/x-www-form-urlencoded",
			body:        func(c string) io.Reader { return strings.NewReader(form(c)) }, status: 400, code: "invalid_request",
		},
		{
			name: "A12 client_secret alone in the query", path: "/token?client_secret=y",
			contentType: "application/x-www-form-urlencoded",
			body:        func(c string) io.Reader { return strings.NewReader(form(c)) }, status: 400, code: "invalid_request",
		},
		{
			name: "A12 pre-authorized_code in the query", path: "/token?pre-authorized_code=CODE",
			contentType: "application/x-www-form-urlencoded",
			body:        func(c string) io.Reader { return strings.NewReader(form(c)) }, status: 400, code: "invalid_request",
		},
		{
			name: "two Authorization headers", contentType: "application/x-www-form-urlencoded",
			body:   func(c string) io.Reader { return strings.NewReader(form(c)) },
			header: http.Header{"Authorization": {basic, basic}},
			status: 400, code: "invalid_request",
		},
		{
			name: "Authorization with a Bearer scheme", contentType: "application/x-www-form-urlencoded",
			body:   func(c string) io.Reader { return strings.NewReader(form(c)) },
			header: http.Header{"Authorization": {"Bearer abc"}},
			status: 400, code: "invalid_request",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := ts.offer(t, nil)
			c := code(o)
			method := tc.method
			if method == "" {
				method = http.MethodPost
			}
			path := tc.path
			if path == "" {
				path = "/token"
			}
			path = strings.ReplaceAll(path, "CODE", url.QueryEscape(c))
			var body io.Reader
			if tc.body != nil {
				body = tc.body(c)
			}
			ct := tc.contentType
			if ct == "MULTIPART" {
				var buf bytes.Buffer
				mw := multipart.NewWriter(&buf)
				_ = mw.WriteField("grant_type", preAuth)
				_ = mw.WriteField("pre-authorized_code", c)
				_ = mw.Close()
				body, ct = &buf, mw.FormDataContentType()
			}
			hdr := http.Header{"Dpop": {ts.freshProof(t, newWallet(t))}}
			for k, v := range tc.header {
				hdr[k] = v
			}
			res := sendRaw(t, method, ts.URL+path, ct, body, hdr)
			allow := res.Header.Get("Allow")
			e := wantError(t, res, tc.status, tc.code)
			wantSafeDescription(t, e.Description, c)
			if tc.allow && !strings.Contains(allow, http.MethodPost) {
				t.Errorf("Allow = %q; want it to contain POST", allow)
			}
			ts.wantRedeemable(t, c, nil)
		})
	}
}

// TestTransportAccepted checks the variations that must still succeed.
func TestTransportAccepted(t *testing.T) {
	ts := newTestServer(t)
	cases := []struct {
		name        string
		path        string
		contentType string
	}{
		{"A12 harmless query parameter, htu without query", "/token?x=1", "application/x-www-form-urlencoded"},
		{"charset=utf-8", "/token", "application/x-www-form-urlencoded; charset=utf-8"},
		{"charset=UTF-8 upper case", "/token", "application/x-www-form-urlencoded; charset=UTF-8"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := ts.offer(t, nil)
			hdr := http.Header{"Dpop": {ts.freshProof(t, newWallet(t))}} // htu = ts.URL+"/token"
			res := sendRaw(t, http.MethodPost, ts.URL+tc.path, tc.contentType, strings.NewReader(preAuthForm(code(o)).Encode()), hdr)
			if tb := wantToken(t, res); tb.TokenType != "DPoP" {
				t.Fatalf("token_type = %q; want DPoP", tb.TokenType)
			}
		})
	}
}

// TestUnknownPath: unknown endpoints answer 404 OAuth-style JSON.
func TestUnknownPath(t *testing.T) {
	ts := newTestServer(t)
	for _, tc := range []struct{ method, path string }{
		{http.MethodGet, "/nope"},
		{http.MethodPost, "/tokens"},
		{http.MethodPost, "/token/extra"},
		{http.MethodGet, "/.well-known/openid-configuration/extra"},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			res := sendRaw(t, tc.method, ts.URL+tc.path, "", nil, nil)
			wantError(t, res, http.StatusNotFound, "not_found")
		})
	}
}

// TestRequestSmuggling covers A08: Transfer-Encoding: chunked together with
// a conflicting Content-Length is refused by the HTTP layer.
func TestRequestSmuggling(t *testing.T) {
	ts := newTestServer(t)
	o := ts.offer(t, nil)
	body := preAuthForm(code(o)).Encode()
	t.Run("A08 chunked with a conflicting Content-Length", func(t *testing.T) {
		conn, err := net.Dial("tcp", ts.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		req := "POST /token HTTP/1.1\r\n" +
			"Host: " + ts.Listener.Addr().String() + "\r\n" +
			"Content-Type: application/x-www-form-urlencoded\r\n" +
			"DPoP: " + ts.freshProof(t, newWallet(t)) + "\r\n" +
			"Content-Length: 5\r\n" +
			"Transfer-Encoding: chunked\r\n" +
			"Connection: close\r\n" +
			"\r\n" +
			fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(body), body)
		if _, err := io.WriteString(conn, req); err != nil {
			t.Fatal(err)
		}
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("reading the response: %v", err)
		}
		got := readBody(t, res)
		issued := bytes.Contains(got, []byte("access_token"))
		if res.StatusCode != http.StatusBadRequest || issued {
			if len(got) > 200 {
				got = append(got[:200:200], "..."...)
			}
			t.Fatalf("got %d (token issued: %t) %s; want 400 from the HTTP layer and no token", res.StatusCode, issued, got)
		}
	})
}

// TestHeaderLimit: a request head above web.MaxHeaderBytes (one large
// field, or many small ones) is refused with 431 invalid_request as OAuth
// JSON with no-store at every JSON endpoint, and as an error page on the
// browser pages; net/http's own plain-text 431 answers only heads above
// web.ServerMaxHeaderBytes. A head just under the limit is served, and a
// refused token request consumed nothing.
func TestHeaderLimit(t *testing.T) {
	ts := newTestServer(t)
	big := http.Header{"X-Padding": {strings.Repeat("a", web.MaxHeaderBytes)}}
	many := http.Header{}
	for i := range web.MaxHeaderBytes / 400 {
		many.Set(fmt.Sprintf("X-Padding-%d", i), strings.Repeat("b", 400))
	}
	form := "application/x-www-form-urlencoded"
	for name, hdr := range map[string]http.Header{"one large field": big, "many fields": many} {
		for _, ep := range []struct{ method, path string }{
			{http.MethodPost, "/token"}, {http.MethodPost, "/par"}, {http.MethodPost, "/nonce"},
			{http.MethodPost, "/revoke"}, {http.MethodPost, "/introspect"}, {http.MethodGet, "/userinfo"},
			{http.MethodGet, "/jwks"}, {http.MethodGet, "/nope"},
		} {
			t.Run(name+" "+ep.method+" "+ep.path, func(t *testing.T) {
				res := sendRaw(t, ep.method, ts.URL+ep.path, form, strings.NewReader("a=b"), hdr)
				wantError(t, res, http.StatusRequestHeaderFieldsTooLarge, "invalid_request")
			})
		}
		t.Run(name+" GET /authorize", func(t *testing.T) {
			res := sendRaw(t, http.MethodGet, ts.URL+"/authorize?client_id=wallet", "", nil, hdr)
			paWantPage(t, res, http.StatusRequestHeaderFieldsTooLarge, "invalid_request")
		})
	}
	t.Run("the code survives a refusal; a head under the limit is served", func(t *testing.T) {
		o := ts.offer(t, nil)
		hdr := http.Header{"Dpop": {ts.freshProof(t, newWallet(t))}, "X-Padding": {strings.Repeat("c", web.MaxHeaderBytes)}}
		res := sendRaw(t, http.MethodPost, ts.URL+"/token", form, strings.NewReader(preAuthForm(code(o)).Encode()), hdr)
		wantError(t, res, http.StatusRequestHeaderFieldsTooLarge, "invalid_request")
		hdr = http.Header{"Dpop": {ts.freshProof(t, newWallet(t))}, "X-Padding": {strings.Repeat("c", web.MaxHeaderBytes-4096)}}
		res = sendRaw(t, http.MethodPost, ts.URL+"/token", form, strings.NewReader(preAuthForm(code(o)).Encode()), hdr)
		wantToken(t, res)
	})
}
