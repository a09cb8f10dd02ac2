package hogvm

import (
	"testing"
	"unsafe"
)

// The interpreter's speed depends on values staying small.
func TestValueSize(t *testing.T) {
	if s := unsafe.Sizeof(Value{}); s != 24 {
		t.Fatalf("Value is %d bytes, want 24", s)
	}
}
