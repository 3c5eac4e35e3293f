// Package interop runs independent implementations, the npm packages of
// e2e/node, on what the issuer produces: tests hand a script of e2e/node a
// document on standard input and read its verdict as JSON on standard
// output. Only tests import it.
package interop

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// SkipEnv names the environment variable that turns the interop tests'
// failure for want of Node.js or of e2e/node/node_modules into a skip.
const SkipEnv = "ISSUER_SKIP_INTEROP_TESTS"

// Timeout bounds one run of a script: a script that hangs (on a request
// the server never answers, say) fails its test instead of blocking the
// suite until go test's own timeout.
const Timeout = 2 * time.Minute

// Dir is the e2e/node directory.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "node")
}

// Run runs `node SCRIPT` in e2e/node with stdin as its standard input and
// decodes its standard output, a JSON document, into out. The script's
// failure (a non-zero exit, or a run longer than Timeout) fails the test
// with what it printed.
func Run(t testing.TB, script string, stdin []byte, out any) {
	t.Helper()
	ready(t)
	ctx, cancel := context.WithTimeout(t.Context(), Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", script)
	cmd.WaitDelay = 5 * time.Second
	cmd.Dir = Dir()
	cmd.Stdin = bytes.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (killed after %v)", err, Timeout)
		}
		t.Fatalf("node %s: %v\nstdout: %s\nstderr: %s", script, err, stdout.Bytes(), stderr.Bytes())
	}
	if err := json.Unmarshal(stdout.Bytes(), out); err != nil {
		t.Fatalf("node %s printed %q: %v (stderr: %s)", script, stdout.Bytes(), err, stderr.Bytes())
	}
}

// ready fails the test (or skips it, with SkipEnv set) when Node.js or the
// installed npm packages are missing, saying how to install them.
func ready(t testing.TB) {
	t.Helper()
	const hint = "install them with `(cd e2e/node && npm ci)` (Node.js 20 and npm), or set " + SkipEnv + "=1 to skip the interop tests"
	problem := ""
	if _, err := exec.LookPath("node"); err != nil {
		problem = "node is not on PATH"
	} else if _, err := os.Stat(filepath.Join(Dir(), "node_modules")); err != nil {
		problem = "e2e/node/node_modules is missing"
	}
	if problem == "" {
		return
	}
	if os.Getenv(SkipEnv) != "" {
		t.Skipf("%s (%s is set)", problem, SkipEnv)
	}
	t.Fatalf("the interop tests need Node.js and the npm packages of e2e/node: %s; %s", problem, hint)
}
