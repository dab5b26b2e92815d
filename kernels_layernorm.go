package spikessm

import "math"

// layerNormGeneric is the definition of Kernels.LayerNorm. Per row x of c
// floats (rows = len(in)/c), with the partial sums s, q of 16 lanes starting
// at +0 and element j going to lane j%16 (j ascending):
//
//	s[j%16] += x[j];            mean = lnReduce(s) / c
//	d = x[j] − mean; q[j%16] += d·d (product rounded);  v = lnReduce(q) / c
//	inv  = float32(1 / sqrt(float64(v) + eps))          (in float64)
//	o[j] = ((x[j] − mean)·inv)·gamma[j] + beta[j]        (each step rounded, no FMA)
//
// lnReduce adds lanes l and l+8, then l and l+4, then l and l+2, then 0 and 1.
// The order depends only on c, so every row gives the same bits wherever it
// is (and lanes past c contribute +0, which leaves a sum unchanged: the
// vector kernels pad with zeros).
func layerNormGeneric(out, in, gamma, beta []float32, c int, eps float64) {
	if c <= 0 {
		return
	}
	rows := len(in) / c
	gamma, beta, out = gamma[:c], beta[:c], out[:rows*c]
	// Rows go in groups of eight, one pass at a time over the group (all
	// means, then all scales, then the outputs), so that the rows' dependency
	// chains overlap; each row's operations are the same whatever the group.
	const grp = 8
	var mean, inv [grp]float32
	for r0 := 0; r0 < rows; r0 += grp {
		n := min(grp, rows-r0)
		for k := range n {
			mean[k] = lnSum(in[(r0+k)*c:(r0+k+1)*c]) / float32(c)
		}
		for k := range n {
			inv[k] = float32(1 / math.Sqrt(float64(lnSqSum(in[(r0+k)*c:(r0+k+1)*c], mean[k])/float32(c))+eps))
		}
		for k := range n {
			x := in[(r0+k)*c : (r0+k+1)*c : (r0+k+1)*c]
			o := out[(r0+k)*c : (r0+k+1)*c : (r0+k+1)*c]
			lnApply(o, x, gamma, beta, mean[k], inv[k])
		}
	}
}

// lnApply sets o[j] = ((x[j] − mean)·inv)·gamma[j] + beta[j], each step
// rounded (no FMA), four elements per iteration without bounds checks.
func lnApply(o, x, gamma, beta []float32, mean, inv float32) {
	c := len(x)
	o, gamma, beta = o[:c], gamma[:c], beta[:c]
	j := 0
	for ; j+4 <= c; j += 4 {
		oo, v, g, b := o[j:j+4:j+4], x[j:j+4:j+4], gamma[j:j+4:j+4], beta[j:j+4:j+4]
		oo[0] = float32(float32(float32(v[0]-mean)*inv)*g[0]) + b[0]
		oo[1] = float32(float32(float32(v[1]-mean)*inv)*g[1]) + b[1]
		oo[2] = float32(float32(float32(v[2]-mean)*inv)*g[2]) + b[2]
		oo[3] = float32(float32(float32(v[3]-mean)*inv)*g[3]) + b[3]
	}
	for ; j < c; j++ {
		o[j] = float32(float32(float32(x[j]-mean)*inv)*gamma[j]) + beta[j]
	}
}

// lnSum is lnReduce of the lane sums s[j%16] += x[j] (written out so that the
// sums stay in registers).
func lnSum(x []float32) float32 {
	var s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, s14, s15 float32
	c := len(x)
	j := 0
	for ; j+16 <= c; j += 16 {
		v := (*[16]float32)(x[j:])
		s0 += v[0]
		s1 += v[1]
		s2 += v[2]
		s3 += v[3]
		s4 += v[4]
		s5 += v[5]
		s6 += v[6]
		s7 += v[7]
		s8 += v[8]
		s9 += v[9]
		s10 += v[10]
		s11 += v[11]
		s12 += v[12]
		s13 += v[13]
		s14 += v[14]
		s15 += v[15]
	}
	if j < c {
		var t [16]float32 // trailing elements, zero-padded: +0 leaves a sum unchanged
		copy(t[:], x[j:])
		s0 += t[0]
		s1 += t[1]
		s2 += t[2]
		s3 += t[3]
		s4 += t[4]
		s5 += t[5]
		s6 += t[6]
		s7 += t[7]
		s8 += t[8]
		s9 += t[9]
		s10 += t[10]
		s11 += t[11]
		s12 += t[12]
		s13 += t[13]
		s14 += t[14]
		s15 += t[15]
	}
	return lnReduce(s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, s14, s15)
}

// lnSqSum is lnReduce of the lane sums q[j%16] += (x[j] − mean)², each square
// rounded to float32.
func lnSqSum(x []float32, mean float32) float32 {
	var s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, s14, s15 float32
	c := len(x)
	j := 0
	for ; j+16 <= c; j += 16 {
		v := (*[16]float32)(x[j:])
		d0 := v[0] - mean
		s0 += float32(d0 * d0)
		d1 := v[1] - mean
		s1 += float32(d1 * d1)
		d2 := v[2] - mean
		s2 += float32(d2 * d2)
		d3 := v[3] - mean
		s3 += float32(d3 * d3)
		d4 := v[4] - mean
		s4 += float32(d4 * d4)
		d5 := v[5] - mean
		s5 += float32(d5 * d5)
		d6 := v[6] - mean
		s6 += float32(d6 * d6)
		d7 := v[7] - mean
		s7 += float32(d7 * d7)
		d8 := v[8] - mean
		s8 += float32(d8 * d8)
		d9 := v[9] - mean
		s9 += float32(d9 * d9)
		d10 := v[10] - mean
		s10 += float32(d10 * d10)
		d11 := v[11] - mean
		s11 += float32(d11 * d11)
		d12 := v[12] - mean
		s12 += float32(d12 * d12)
		d13 := v[13] - mean
		s13 += float32(d13 * d13)
		d14 := v[14] - mean
		s14 += float32(d14 * d14)
		d15 := v[15] - mean
		s15 += float32(d15 * d15)
	}
	if j < c {
		var t [16]float32 // trailing elements, zero-padded: +0 leaves a sum unchanged
		for l, v := range x[j:] {
			d := v - mean
			t[l] = float32(d * d)
		}
		s0 += t[0]
		s1 += t[1]
		s2 += t[2]
		s3 += t[3]
		s4 += t[4]
		s5 += t[5]
		s6 += t[6]
		s7 += t[7]
		s8 += t[8]
		s9 += t[9]
		s10 += t[10]
		s11 += t[11]
		s12 += t[12]
		s13 += t[13]
		s14 += t[14]
		s15 += t[15]
	}
	return lnReduce(s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, s14, s15)
}

// lnReduce sums 16 lanes in the fixed tree of layerNormGeneric: lanes l and
// l+8, then l and l+4, then l and l+2, then 0 and 1.
func lnReduce(s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, s14, s15 float32) float32 {
	u0, u1, u2, u3 := s0+s8, s1+s9, s2+s10, s3+s11
	u4, u5, u6, u7 := s4+s12, s5+s13, s6+s14, s7+s15
	v0, v1, v2, v3 := u0+u4, u1+u5, u2+u6, u3+u7
	return (v0 + v2) + (v1 + v3)
}
