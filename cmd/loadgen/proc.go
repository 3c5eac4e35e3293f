package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// parseLists returns the nodes (urls, comma-separated, else [base]) and
// the PIDs (pids, comma-separated; may be empty).
func parseLists(base, urls, pids string) ([]string, []int, error) {
	nodes := []string{base}
	if urls != "" {
		nodes = strings.Split(urls, ",")
	}
	var out []int
	for p := range strings.SplitSeq(pids, ",") {
		if p == "" {
			continue
		}
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 {
			return nil, nil, fmt.Errorf("-server-pid: %q is not a PID", p)
		}
		out = append(out, n)
	}
	return nodes, out, nil
}

// node returns the base URL request i goes to: the nodes in turn, as a
// proxy balancing per request would.
func (c config) node(i int) string { return c.nodes[i%len(c.nodes)] }

// cpuSample is the CPU time used so far by the servers, by the
// database's backends, by the load generator itself, and by the whole
// machine (busy and in all, idle included).
type cpuSample struct{ server, db, self, busy, total time.Duration }

func measureCPU(c config) cpuSample {
	s := cpuSample{self: processCPU(os.Getpid())}
	s.busy, s.total = machineCPU()
	for _, pid := range c.pids {
		s.server += processCPU(pid)
	}
	if c.pgDB != "" {
		for _, pid := range backends(c.pgDB) {
			s.db += processCPU(pid)
		}
	}
	return s
}

// reportCPU prints the CPU per operation since cpu0: the servers' (summed
// over the nodes) and the database backends'.
func reportCPU(c config, cpu0 cpuSample, n int, per string) {
	cpu := measureCPU(c)
	perOp := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(n) }
	if len(c.pids) > 0 {
		fmt.Printf("server CPU:  %.0f µs per %s\n", perOp(cpu.server-cpu0.server), per)
	}
	if c.pgDB != "" {
		fmt.Printf("database CPU: %.0f µs per %s (the backends of database %s)\n", perOp(cpu.db-cpu0.db), per, c.pgDB)
	}
	fmt.Printf("load generator CPU: %.0f µs per %s\n", perOp(cpu.self-cpu0.self), per)
	if total := cpu.total - cpu0.total; total > 0 {
		busy := cpu.busy - cpu0.busy
		fmt.Printf("machine CPU: %.0f µs per %s, every process (%d cores, %.0f%% idle)\n",
			perOp(busy), per, machineCores(), 100*float64(total-busy)/float64(total))
	}
}

// machineCores counts the machine's cores in /proc/stat (Linux), whatever
// the load generator's own affinity (runtime.NumCPU counts only the cores
// it may run on).
func machineCores() int {
	b, _ := os.ReadFile("/proc/stat")
	n := 0
	for _, line := range strings.Split(string(b), "\n") {
		if len(line) > 3 && strings.HasPrefix(line, "cpu") && line[3] >= '0' && line[3] <= '9' {
			n++
		}
	}
	return n
}

// machineCPU returns the CPU time the machine's cores have spent busy
// (user, nice, system, irq, softirq) and in all (with idle and iowait;
// the time a hypervisor stole is neither) since boot (Linux).
func machineCPU() (busy, total time.Duration) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return 0, 0
	}
	var v [7]int64 // user nice system idle iowait irq softirq
	for i := range v {
		fmt.Sscan(f[i+1], &v[i])
	}
	busyTicks := v[0] + v[1] + v[2] + v[5] + v[6]
	tick := time.Second / 100 // USER_HZ
	return time.Duration(busyTicks) * tick, time.Duration(busyTicks+v[3]+v[4]) * tick
}

// backends returns the PIDs of the local PostgreSQL server's backends
// connected to database db, found by their process titles (Linux).
func backends(db string) []int {
	paths, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	var pids []int
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil || backendDB(b) != db {
			continue
		}
		if pid, err := strconv.Atoi(filepath.Base(filepath.Dir(p))); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

// backendDB returns the database of a PostgreSQL backend's process title
// ("postgres: [CLUSTER: ]USER DB HOST(PORT) STATE"; Debian names the
// cluster), or "" if title is not a backend's.
func backendDB(title []byte) string {
	if !bytes.HasPrefix(title, []byte("postgres: ")) {
		return ""
	}
	f := strings.Fields(string(bytes.TrimRight(title, "\x00")))[1:]
	if len(f) > 0 && strings.HasSuffix(f[0], ":") {
		f = f[1:] // the cluster's name
	}
	if len(f) < 3 { // background processes: "checkpointer", "walwriter", …
		return ""
	}
	return f[1]
}

// procStatus reads the fields of /proc/PID/status (Linux), e.g. VmHWM,
// the peak resident set size.
func procStatus(pid int) (map[string]string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			out[k] = strings.TrimSpace(v)
		}
	}
	if out["VmHWM"] == "" {
		return nil, errors.New("no VmHWM")
	}
	return out, nil
}

// processCPU is the user+system CPU time the process has used (Linux).
func processCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil || pid == 0 {
		return 0
	}
	// Fields after the command name, which is in parentheses.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	var utime, stime int64
	fmt.Sscan(f[11], &utime)
	fmt.Sscan(f[12], &stime)
	return time.Duration(utime+stime) * time.Second / 100 // USER_HZ
}
