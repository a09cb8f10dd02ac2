package hogvm

import (
	"strconv"
	"testing"
)

// TestDictIndex checks the string index through growth, overwrites, copies
// and non-string keys that look like string ones.
func TestDictIndex(t *testing.T) {
	d := NewDict(0)
	const n = 2000
	for i := 0; i < n; i++ {
		d.SetString("k"+strconv.Itoa(i), Int(i))
		d.Set(Int(i), Int(-i))
	}
	d.SetString("k7", String("seven"))
	c := deepCopy(NewDictValue(d)).AsDict()
	c.SetString("extra", True)
	for _, dict := range []*Dict{d, c} {
		if got, want := dict.Len(), 2*n+map[bool]int{true: 1}[dict == c]; got != want {
			t.Fatalf("len %d, want %d", got, want)
		}
		for i := 0; i < n; i++ {
			v, ok := dict.GetString("k" + strconv.Itoa(i))
			want := Int(i)
			if i == 7 {
				want = String("seven")
			}
			if !ok || !strictEquals(v, want) {
				t.Fatalf("k%d = %s, %v", i, Print(v), ok)
			}
			if v, ok := dict.Get(Int(i)); !ok || v.f() != float64(-i) {
				t.Fatalf("%d = %s, %v", i, Print(v), ok)
			}
		}
		if _, ok := dict.GetString("k" + strconv.Itoa(n)); ok {
			t.Fatal("found a key never set")
		}
	}
	if _, ok := d.GetString("extra"); ok {
		t.Fatal("copy shares its index with the original")
	}
}
