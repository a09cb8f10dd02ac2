// Command feature-flags is a placeholder until its issue lands.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "feature-flags: not implemented yet")
	os.Exit(1)
}
