//go:build !unix

package storagetest

import "time"

// cpuTime is not known here: the benchmarks report no CPU time.
func cpuTime() time.Duration { return 0 }
