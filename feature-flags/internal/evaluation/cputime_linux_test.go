package evaluation_test

import (
	"syscall"
	"time"
)

// threadCPU is the CPU time (user+system) used by the calling OS thread, so
// a benchmark pinned with runtime.LockOSThread can measure its own work on a
// machine shared with other load.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	const rusageThread = 1
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
