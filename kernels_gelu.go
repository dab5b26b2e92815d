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
	j := 0
	// Four elements at a time with fma32Fast: four independent chains of
	// float64 operations (one element's chain is latency-bound). An element
	// whose fast path is flagged (or NaN) is redone by geluOne.
	for ; j+4 <= len(in); j += 4 {
		x := (*[4]float32)(in[j:])
		o := (*[4]float32)(out[j:])
		v0, s0, r0, i0 := geluReduce(x[0])
		v1, s1, r1, i1 := geluReduce(x[1])
		v2, s2, r2, i2 := geluReduce(x[2])
		v3, s3, r3, i3 := geluReduce(x[3])
		c0, c1, c2, c3 := &geluCoefT[i0], &geluCoefT[i1], &geluCoefT[i2], &geluCoefT[i3]
		p0, b0 := fma32Fast(c0[5], s0, c0[4])
		p1, b1 := fma32Fast(c1[5], s1, c1[4])
		p2, b2 := fma32Fast(c2[5], s2, c2[4])
		p3, b3 := fma32Fast(c3[5], s3, c3[4])
		for k := 3; k >= 0; k-- {
			var f0, f1, f2, f3 bool
			p0, f0 = fma32Fast(p0, s0, c0[k])
			p1, f1 = fma32Fast(p1, s1, c1[k])
			p2, f2 = fma32Fast(p2, s2, c2[k])
			p3, f3 = fma32Fast(p3, s3, c3[k])
			b0, b1, b2, b3 = b0 || f0, b1 || f1, b2 || f2, b3 || f3
		}
		y0, f0 := fma32Fast(-v0, p0, r0)
		y1, f1 := fma32Fast(-v1, p1, r1)
		y2, f2 := fma32Fast(-v2, p2, r2)
		y3, f3 := fma32Fast(-v3, p3, r3)
		if b0 || b1 || b2 || b3 || f0 || f1 || f2 || f3 || x[0] != x[0] || x[1] != x[1] || x[2] != x[2] || x[3] != x[3] {
			y0, y1, y2, y3 = geluOne(x[0]), geluOne(x[1]), geluOne(x[2]), geluOne(x[3])
		}
		o[0], o[1], o[2], o[3] = y0, y1, y2, y3
	}
	for ; j < len(in); j++ {
		out[j] = geluOne(in[j])
	}
}

// geluCoefT is geluCoef transposed: the six coefficients of interval i.
var geluCoefT = func() (t [16][6]float32) {
	for k := range 6 {
		for i := range 16 {
			t[i][k] = geluCoef[k][i]
		}
	}
	return t
}()

// geluReduce returns v = |min(x, 6)|, s = tc − i/2, r and the interval i of
// geluGeneric for x (not NaN: i is then 0 for NaN, a valid index).
func geluReduce(x float32) (v, s, r float32, i int) {
	v = math.Float32frombits(math.Float32bits(min(x, geluCut)) &^ (1 << 31))
	tc := min(v, geluCut)
	if tc != tc {
		tc = 0
	}
	i = int(tc * 2)
	s = tc - float32(i)*0.5
	r = x
	if !(x >= 0) {
		r = float32(math.Copysign(0, -1))
	}
	return v, s, r, i
}

// geluOne is geluGeneric for one element, with the exact fma32.
func geluOne(x float32) float32 {
	if x != x {
		return x
	}
	v, s, r, i := geluReduce(x)
	c := &geluCoef
	p := fma32(c[5][i], s, c[4][i])
	p = fma32(p, s, c[3][i])
	p = fma32(p, s, c[2][i])
	p = fma32(p, s, c[1][i])
	p = fma32(p, s, c[0][i])
	return fma32(-v, p, r)
}
