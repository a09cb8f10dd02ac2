//go:build !unix

package hogvm

import "time"

func processCPU() time.Duration { return 0 }
