package hogvm
import ("testing";"time")
func TestFibSpeed(t *testing.T) {
	p := mustLoad(t, fibTokens(25)...)
	for i := 0; i < 3; i++ {
	c0 := processCPU(); w0 := time.Now()
	res, err := Exec(p, nil)
	t.Log(res.Ops, err, processCPU()-c0, time.Since(w0), float64(processCPU()-c0)/float64(res.Ops))
	}
	p = mustLoad(t, "_H", 1, 33, 0, 33, 1000000, 36, 0, 15, 40, 9, 33, 1, 36, 0, 6, 37, 0, 39, -16)
	c0 := processCPU()
	res, _ := Exec(p, nil)
	t.Log("loop", float64(processCPU()-c0)/float64(res.Ops))
}
