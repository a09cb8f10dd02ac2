//go:build !linux

package evaluation_test

import "time"

// threadCPU is unavailable here; CPU-time metrics read as zero.
func threadCPU() time.Duration { return 0 }
