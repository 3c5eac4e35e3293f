// Package scripts holds the project's shell scripts; its test keeps the
// README's walkthrough and scripts/walkthrough.sh the same commands.
package scripts

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the README's walkthrough blocks from scripts/walkthrough.sh")

const (
	readme = "../README.md"
	script = "walkthrough.sh"
)

var (
	scriptBlock = regexp.MustCompile(`(?ms)^# >>> README (\S+)\n(.*?)^# <<< README\n`)
	readmeBlock = regexp.MustCompile("(?ms)^<!-- BEGIN walkthrough (\\S+) [^\n]*-->\n(.*?)^<!-- END walkthrough (\\S+) -->\n")
	stepLine    = regexp.MustCompile(`(?m)^step "(.*)"$`)
)

// scriptBlocks returns the README blocks of the script by name, in order,
// as the README shows them: each `step "…"` line a comment.
func scriptBlocks(t *testing.T) (names []string, blocks map[string]string) {
	t.Helper()
	b, err := os.ReadFile(script)
	if err != nil {
		t.Fatal(err)
	}
	blocks = map[string]string{}
	for _, m := range scriptBlock.FindAllStringSubmatch(string(b), -1) {
		if _, dup := blocks[m[1]]; dup {
			t.Fatalf("%s: block %q twice", script, m[1])
		}
		names = append(names, m[1])
		blocks[m[1]] = "```sh\n" + stepLine.ReplaceAllString(m[2], "# $1") + "```\n"
	}
	if len(names) == 0 {
		t.Fatalf("%s has no README blocks", script)
	}
	return names, blocks
}

func begin(name string) string {
	return fmt.Sprintf("<!-- BEGIN walkthrough %s (generated from scripts/walkthrough.sh: go test ./scripts -update) -->\n", name)
}

// TestREADMEWalkthrough checks that every block of the README's walkthrough
// is the block of the same name in scripts/walkthrough.sh, which CI runs
// against the server, and that none of either is missing (-update rewrites
// the README's blocks from the script).
func TestREADMEWalkthrough(t *testing.T) {
	names, want := scriptBlocks(t)
	b, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	seen := map[string]bool{}
	var errs []string
	doc = readmeBlock.ReplaceAllStringFunc(doc, func(block string) string {
		m := readmeBlock.FindStringSubmatch(block)
		name := m[1]
		switch {
		case m[3] != name:
			errs = append(errs, fmt.Sprintf("README: walkthrough block %q ends with the END marker of %q", name, m[3]))
			return block
		case want[name] == "":
			errs = append(errs, fmt.Sprintf("README: walkthrough block %q is not a block of %s", name, script))
			return block
		case seen[name]:
			errs = append(errs, fmt.Sprintf("README: walkthrough block %q twice", name))
		case m[2] != want[name] && !*update:
			errs = append(errs, fmt.Sprintf("README: walkthrough block %q differs from %s; run go test ./scripts -update", name, script))
		}
		seen[name] = true
		return begin(name) + want[name] + "<!-- END walkthrough " + name + " -->\n"
	})
	for _, name := range names {
		if !seen[name] {
			errs = append(errs, fmt.Sprintf("README: no walkthrough block %q (%s has one): add %q and its END marker where it belongs, then -update", name, script, begin(name)))
		}
	}
	if len(errs) > 0 {
		t.Fatal(strings.Join(errs, "\n"))
	}
	if *update {
		if err := os.WriteFile(readme, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestWalkthroughSyntax checks that the script parses (CI runs it).
func TestWalkthroughSyntax(t *testing.T) {
	if out, err := exec.Command("bash", "-n", script).CombinedOutput(); err != nil {
		t.Fatalf("bash -n %s: %v\n%s", script, err, out)
	}
}
