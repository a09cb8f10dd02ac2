// Command kafka-deduplicator is a placeholder until its issue lands.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "kafka-deduplicator: not implemented yet")
	os.Exit(1)
}
