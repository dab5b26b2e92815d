package spikessm

import "math"

// Heaviside writes out[i] = 1 if in[i] ≥ threshold and 0 otherwise (NaN gives
// 0): the Heaviside op of OPS.md (binary S4D's spike). A comparison, so the
// SSE (amd64), NEON (arm64) and Go forms give the same bits. It panics if out
// is shorter than in.
func Heaviside(out, in []float32, threshold float32) {
	if len(out) < len(in) {
		panic("spikessm: Heaviside: out shorter than in")
	}
	if len(in) == 0 {
		return
	}
	heavisideImpl(&out[0], &in[0], len(in), threshold)
}

// heavisideGo is the portable form of Heaviside (and its definition). The
// select compiles to a conditional move: spike trains are unpredictable.
func heavisideGo(out, in []float32, threshold float32) {
	out = out[:len(in)]
	for j, v := range in {
		var bits uint32
		if v >= threshold {
			bits = 0x3f800000 // 1.0
		}
		out[j] = math.Float32frombits(bits)
	}
}
