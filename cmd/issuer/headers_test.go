package main

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"issuer/web"
)

// TestServeHeaderLimit: the server's own head limit lies above the web
// layer's, so a head of 100 KiB and one of 200 KiB (above net/http's
// 64 KiB + 4 KiB slack of an earlier setting) get the web layer's OAuth
// JSON 431 with no-store, not net/http's plain-text answer; a head above
// the server's limit (256 KiB, a quarter of net/http's default) is refused
// by net/http itself, before any handler.
func TestServeHeaderLimit(t *testing.T) {
	c := startChild(t, filepath.Join(t.TempDir(), "issuer.db"), freeAddr(t))
	post := func(t *testing.T, path string, padding int) *http.Response {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader("grant_type=x"))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Padding", strings.Repeat("a", padding))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { res.Body.Close() })
		return res
	}
	for _, size := range []int{100 << 10, 200 << 10} {
		for _, path := range []string{"/token", "/par", "/nonce"} {
			res := post(t, path, size)
			var body struct{ Error string }
			err := json.NewDecoder(res.Body).Decode(&body)
			if res.StatusCode != http.StatusRequestHeaderFieldsTooLarge || err != nil || body.Error != "invalid_request" {
				t.Errorf("POST %s with a %d KiB header = %d (%v, %q); want 431 invalid_request JSON", path, size>>10, res.StatusCode, err, body.Error)
			}
			if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("POST %s with a %d KiB header: Cache-Control = %q; want no-store", path, size>>10, cc)
			}
		}
	}
	res := post(t, "/token", 300<<10)
	if ct := res.Header.Get("Content-Type"); res.StatusCode != http.StatusRequestHeaderFieldsTooLarge || !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("POST /token with a 300 KiB header = %d %q; want net/http's plain-text 431 (server limit %d)", res.StatusCode, ct, web.ServerMaxHeaderBytes)
	}
}
