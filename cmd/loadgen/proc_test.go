package main

import (
	"runtime"
	"slices"
	"testing"
)

func TestParseLists(t *testing.T) {
	nodes, pids, err := parseLists("http://a", "", "")
	if err != nil || !slices.Equal(nodes, []string{"http://a"}) || pids != nil {
		t.Errorf("defaults = %v %v %v; want [http://a] [] nil", nodes, pids, err)
	}
	nodes, pids, err = parseLists("http://a", "http://a,http://b", "12,34")
	if err != nil || !slices.Equal(nodes, []string{"http://a", "http://b"}) || !slices.Equal(pids, []int{12, 34}) {
		t.Errorf("lists = %v %v %v; want [http://a http://b] [12 34] nil", nodes, pids, err)
	}
	if _, _, err := parseLists("http://a", "", "12,x"); err == nil {
		t.Error("a PID that is not a number: no error")
	}
	c := config{nodes: nodes}
	if got := []string{c.node(0), c.node(1), c.node(2)}; !slices.Equal(got, []string{"http://a", "http://b", "http://a"}) {
		t.Errorf("nodes in turn = %v", got)
	}
}

func TestBackendDB(t *testing.T) {
	for title, want := range map[string]string{
		"postgres: 15/main: postgres bench_1 127.0.0.1(5432) idle\x00": "bench_1", // Debian
		"postgres: issuer bench_2 [local] idle in transaction":         "bench_2",
		"postgres: 15/main: walwriter ":                                "",
		"postgres: checkpointer":                                       "",
		"/usr/lib/postgresql/15/bin/postgres -D /var/lib/postgresql":   "",
	} {
		if got := backendDB([]byte(title)); got != want {
			t.Errorf("backendDB(%q) = %q; want %q", title, got, want)
		}
	}
}

// TestMachineCPU: the machine's counters are read, and count at least the
// cores the test may run on.
func TestMachineCPU(t *testing.T) {
	busy, total := machineCPU()
	if busy <= 0 || total < busy {
		t.Errorf("machineCPU = %v busy of %v; want 0 < busy <= total", busy, total)
	}
	if n := machineCores(); n < runtime.NumCPU() {
		t.Errorf("machineCores = %d; want at least runtime.NumCPU's %d", n, runtime.NumCPU())
	}
}
