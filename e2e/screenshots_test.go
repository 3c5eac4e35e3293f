package e2e

import (
	"bytes"
	"flag"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// The README shows the pages a user meets, as the browser tests see them:
// each test takes its pictures on every run (and checks they are pictures),
// and with -update-screenshots writes them over docs/screenshots.
var updateScreenshots = flag.Bool("update-screenshots", false, "rewrite docs/screenshots/*.png from the browser tests")

const screenshotDir = "../docs/screenshots"

// readmeScreenshots are the pictures the README shows, each taken by a
// browser test.
var readmeScreenshots = []string{"sign-in", "consent", "offer-qr", "offer-used"}

// Screenshots are taken at one size, so that they look alike.
const shotWidth, shotHeight = 720, 820

// screenshot pictures the browser's page as the README's name.png.
func screenshot(t *testing.T, b *browser, name string) {
	t.Helper()
	shot := run(t, b, "screenshot "+name, chromedp.FullScreenshot(100)) // quality 100: PNG
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil || img.Bounds().Dx() < 200 || img.Bounds().Dy() < 200 {
		t.Fatalf("screenshot %s: %v, %v; want a PNG of the page", name, err, img)
	}
	if *updateScreenshots {
		if err := os.WriteFile(filepath.Join(screenshotDir, name+".png"), shot, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestREADMEScreenshots: every picture the browser tests take is in
// docs/screenshots and shown by the README (go test ./e2e
// -update-screenshots rewrites them).
func TestREADMEScreenshots(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range readmeScreenshots {
		file := "docs/screenshots/" + name + ".png"
		if !strings.Contains(string(readme), "]("+file+")") {
			t.Errorf("the README does not show %s", file)
		}
		b, err := os.ReadFile(filepath.Join(screenshotDir, name+".png"))
		if err != nil {
			t.Errorf("%v: run go test ./e2e -update-screenshots", err)
			continue
		}
		if _, err := png.Decode(bytes.NewReader(b)); err != nil {
			t.Errorf("%s is not a PNG: %v", file, err)
		}
	}
}
