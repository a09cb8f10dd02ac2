// Command batch-import-worker is a placeholder until its issue lands.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "batch-import-worker: not implemented yet")
	os.Exit(1)
}
