// Package e2e holds the end-to-end tests: the service's real HTTP handler
// on httptest, driven through its pages by a real headless Chromium (with
// github.com/chromedp/chromedp) and through its API by Go code playing the
// wallet.
//
// The tests need Chromium: ISSUER_CHROME names the binary, or else the first
// of chromium, chromium-browser and google-chrome on PATH is used. Without
// one the tests fail, unless ISSUER_SKIP_BROWSER_TESTS=1, which makes them
// skip instead. On Debian: apt-get install -y chromium.
package e2e
