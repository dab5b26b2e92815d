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
	for r := range rows {
		x := in[r*c : (r+1)*c : (r+1)*c]
		o := out[r*c : (r+1)*c : (r+1)*c]
		var s, q [16]float32
		j := 0
		for ; j+16 <= c; j += 16 {
			v := (*[16]float32)(x[j:])
			for l := range 16 {
				s[l] += v[l]
			}
		}
		for l := 0; j < c; j, l = j+1, l+1 {
			s[l] += x[j]
		}
		mean := lnReduce(&s) / float32(c)
		j = 0
		for ; j+16 <= c; j += 16 {
			v := (*[16]float32)(x[j:])
			for l := range 16 {
				d := v[l] - mean
				q[l] += float32(d * d)
			}
		}
		for l := 0; j < c; j, l = j+1, l+1 {
			d := x[j] - mean
			q[l] += float32(d * d)
		}
		inv := float32(1 / math.Sqrt(float64(lnReduce(&q)/float32(c))+eps))
		for j, v := range x {
			o[j] = float32(float32(float32(v-mean)*inv)*gamma[j]) + beta[j]
		}
	}
}

// lnReduce sums 16 lanes in the fixed tree of layerNormGeneric.
func lnReduce(s *[16]float32) float32 {
	var u [8]float32
	for l := range 8 {
		u[l] = s[l] + s[l+8]
	}
	v0, v1, v2, v3 := u[0]+u[4], u[1]+u[5], u[2]+u[6], u[3]+u[7]
	return (v0 + v2) + (v1 + v3)
}
