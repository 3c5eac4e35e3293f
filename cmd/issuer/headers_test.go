package main

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// TestServeHeaderLimit: the server's own head limit lies above the web
// layer's, so a head of 100 KiB (above net/http's 64 KiB + 4 KiB slack of
// the former setting) gets the web layer's OAuth JSON 431 with no-store,
// not net/http's plain-text answer.
func TestServeHeaderLimit(t *testing.T) {
	c := startChild(t, filepath.Join(t.TempDir(), "issuer.db"), freeAddr(t))
	for _, path := range []string{"/token", "/par", "/nonce"} {
		req, err := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader("grant_type=x"))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Padding", strings.Repeat("a", 100<<10))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct{ Error string }
		err = json.NewDecoder(res.Body).Decode(&body)
		res.Body.Close()
		if res.StatusCode != http.StatusRequestHeaderFieldsTooLarge || err != nil || body.Error != "invalid_request" {
			t.Errorf("POST %s with a 100 KiB header = %d (%v, %q); want 431 invalid_request JSON", path, res.StatusCode, err, body.Error)
		}
		if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("POST %s: Cache-Control = %q; want no-store", path, cc)
		}
	}
}
