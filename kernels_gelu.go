package spikessm

import "math"

//go:generate go run kernels_gelu_gen.go

// geluCut is where the GELU polynomial ends: for |x| ≥ 6 the tail
// Φ(−|x|) < 1e-9 is taken as 0.
const geluCut = 6

// geluGeneric is the definition of Kernels.GELU, out[j] = 0.5·x·(1 + erf(x/√2))
// = x·Φ(x) for x = in[j], written as relu(x) − |x|·Φ(−|x|) with Φ(−t) a
// degree-5 polynomial on each of 12 intervals of width 1/2 (geluCoef, made by
// kernels_gelu_gen.go). In float32 operations, fma = fused multiply-add (one
// rounding):
//
//	v  = |min(x, 6)|,  tc = min(v, 6),  i = trunc(2·tc),  s = tc − i/2   (exact)
//	p  = c5[i];  p = fma(p, s, ck[i]) for k = 4 … 0                      (c = geluCoef)
//	r  = x if x ≥ 0 (±0 kept), else −0
//	out = fma(−v, p, r) = r − v·p
//
// Interval 12 (tc = 6) has zero coefficients, so x ≥ 6 gives x (+Inf too),
// x ≤ −6 gives −0, −Inf gives NaN (Inf·0, as PyTorch) and NaN gives NaN. The
// maximum error against float64 0.5·x·erfc(−x/√2) is 1.21e-7, absolute for
// |GELU| < 1 and relative above (TestGELUAccuracy bounds it by 2e-7). The
// assembly kernels compute exactly these operations (VRANGEPS, VREDUCEPS,
// VPERMPS of the coefficient rows, VFMADD), so every variant gives the same
// bits; the Go code emulates the float32 fma exactly (fma32).
func geluGeneric(out, in []float32) {
	out = out[:len(in)]
	c := &geluCoef
	negZero := float32(math.Copysign(0, -1))
	for j, x := range in {
		if x != x {
			out[j] = x
			continue
		}
		v := math.Float32frombits(math.Float32bits(min(x, geluCut)) &^ (1 << 31))
		tc := min(v, geluCut)
		i := int(tc * 2)
		s := tc - float32(i)*0.5
		r := x
		if !(x >= 0) {
			r = negZero
		}
		// Fast path: each fma in float64, flagged where the float32
		// rounding could be a double rounding (see fma32); then the element
		// is redone with fma32.
		p, b0 := fma32Fast(c[5][i], s, c[4][i])
		p, b1 := fma32Fast(p, s, c[3][i])
		p, b2 := fma32Fast(p, s, c[2][i])
		p, b3 := fma32Fast(p, s, c[1][i])
		p, b4 := fma32Fast(p, s, c[0][i])
		y, b5 := fma32Fast(-v, p, r)
		if b0 || b1 || b2 || b3 || b4 || b5 {
			p = fma32(c[5][i], s, c[4][i])
			p = fma32(p, s, c[3][i])
			p = fma32(p, s, c[2][i])
			p = fma32(p, s, c[1][i])
			p = fma32(p, s, c[0][i])
			y = fma32(-v, p, r)
		}
		out[j] = y
	}
}
