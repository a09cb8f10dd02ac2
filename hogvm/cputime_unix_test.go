//go:build unix

package hogvm

import (
	"syscall"
	"time"
)

// processCPU is the user+system CPU time of the process: benchmarks report it
// because wall time is unreliable on a shared, overloaded machine.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
