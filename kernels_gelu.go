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
		p := fma32(c[5][i], s, c[4][i])
		p = fma32(p, s, c[3][i])
		p = fma32(p, s, c[2][i])
		p = fma32(p, s, c[1][i])
		p = fma32(p, s, c[0][i])
		r := x
		if !(x >= 0) {
			r = negZero
		}
		out[j] = fma32(-v, p, r)
	}
}

// fma32 is the float32 fused multiply-add a·b + c with one rounding
// (round to nearest even), as VFMADD231PS computes it. The product is exact
// in float64; the sum is rounded to float64 with round-to-odd (rounded to
// nearest, then moved one ulp toward the exact value if inexact and even), and
// then to float32: with 53 ≥ 2·24 + 2 bits, that second rounding is the
// correct one.
func fma32(a, b, c float32) float32 {
	p := float64(a) * float64(b)
	s := p + float64(c)
	if s == 0 || s-s != 0 { // exact zero, ±Inf or NaN
		return float32(s)
	}
	bb := s - p
	e := (p - (s - bb)) + (float64(c) - bb) // s + e = p + c exactly
	if e != 0 && math.Float64bits(s)&1 == 0 {
		if (e > 0) == (s > 0) {
			s = math.Float64frombits(math.Float64bits(s) + 1)
		} else {
			s = math.Float64frombits(math.Float64bits(s) - 1)
		}
	}
	return float32(s)
}
