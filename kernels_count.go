package spikessm

import "math"

// CountNonzero returns how many values of x are not zero (+0 and −0 count as
// zero; NaN counts as non-zero, as x != 0 in Go): the firing-rate count of a
// spike tensor. SSE2 on amd64, NEON on arm64, countNonzeroGo elsewhere.
func CountNonzero(x []float32) int {
	if len(x) == 0 {
		return 0
	}
	return countNonzeroImpl(&x[0], len(x))
}

// countNonzeroGo is the portable form of CountNonzero (and its definition),
// without branches.
func countNonzeroGo(x []float32) int {
	n := 0
	for _, v := range x {
		u := math.Float32bits(v) << 1 // drop the sign
		n += int((u | -u) >> 31)
	}
	return n
}
