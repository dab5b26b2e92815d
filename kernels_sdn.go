package spikessm

import "math"

// SDNParams holds the weights of the SpikingSSMs surrogate dynamic network
// (format/OPS.md, SDNNeuron), the same small network for every channel:
// W1 is PyTorch conv1.weight (8,1,8) as [k][tap j], W2 is conv2 as
// [out][in], W3 is conv3 as [k]. Threshold is the spike threshold.
type SDNParams struct {
	W1        [8][8]float32 // [k][tap j]: tap j multiplies v[t−8+j]
	B1        [8]float32
	W2        [8][8]float32 // [out k][in k']
	B2        [8]float32
	W3        [8]float32
	B3        float32
	Threshold float32
}

// sdnGeneric is the definition of Kernels.SDN. Per step t and lane l, with
// v[i] the input of step i (from hist for i < 0) and relu(x) = +0 if the sign
// bit of x is set (−0, negatives, NaN with the sign bit) else x:
//
//	a1[k]  = 0;  a1[k] += W1[k][j]·v[t−8+j]   j = 0..7 ascending, then a1[k] += B1[k]
//	h1[k]  = relu(a1[k])
//	a2[k]  = 0;  a2[k] += W2x[k][k']·h1[k']   k' = 0..7 ascending, then a2[k] += B2[k]
//	h2[k]  = relu(a2[k])                      W2x = W2 with W2x[k][k] = W2[k][k] + 1 (float32)
//	mem    = 0;  mem += W3[k]·h2[k]           k = 0..7 ascending, then mem += B3
//	s      = 1 if (mem + v[t]) − Threshold ≥ 0 else 0
//
// Every product is rounded to float32 before its addition (no FMA). This is
// exactly the sequence of float32 operations of the runtime's SDNNeuron with
// the generic Gemm (biases folded in as a ones row, the h1 skip folded into the
// diagonal of w2), so the results are bit-identical to it.
func sdnGeneric(p *SDNParams, v, mem, s []float32, hist *[8 * Lanes]float32, T int) {
	if T <= 0 {
		return
	}
	v = v[:T*Lanes]
	if mem != nil {
		mem = mem[:T*Lanes]
	}
	if s != nil {
		s = s[:T*Lanes]
	}
	w2 := sdnFold(p)
	thr := p.Threshold
	var taps [8]float32
	for t := range T {
		for l := range Lanes {
			for j := range 8 {
				if i := t - 8 + j; i < 0 {
					taps[j] = hist[(8+i)*Lanes+l]
				} else {
					taps[j] = v[i*Lanes+l]
				}
			}
			m := sdnLane(p, &w2, &taps)
			if mem != nil {
				mem[t*Lanes+l] = m
			}
			if s != nil {
				if float32(m+v[t*Lanes+l])-thr >= 0 {
					s[t*Lanes+l] = 1
				} else {
					s[t*Lanes+l] = 0
				}
			}
		}
	}
	sdnHistory(hist, v, T)
}

// sdnFold returns W2 with the h1 skip folded into the diagonal, rounded to
// float32 as the runtime does.
func sdnFold(p *SDNParams) [8][8]float32 {
	w2 := p.W2
	for k := range 8 {
		w2[k][k] = w2[k][k] + 1
	}
	return w2
}

// sdnLane returns mem for one lane and step given the 8 taps v[t−8..t−1].
func sdnLane(p *SDNParams, w2 *[8][8]float32, taps *[8]float32) float32 {
	var h1, h2 [8]float32
	for k := range 8 {
		var a float32
		for j := range 8 {
			a += float32(p.W1[k][j] * taps[j])
		}
		h1[k] = sdnRelu(a + p.B1[k])
	}
	for k := range 8 {
		var a float32
		for i := range 8 {
			a += float32(w2[k][i] * h1[i])
		}
		h2[k] = sdnRelu(a + p.B2[k])
	}
	var m float32
	for k := range 8 {
		m += float32(p.W3[k] * h2[k])
	}
	return m + p.B3
}

// sdnRelu is +0 when the sign bit of x is set, else x (NaN without the sign
// bit passes through).
func sdnRelu(x float32) float32 {
	if math.Float32bits(x)>>31 != 0 {
		return 0
	}
	return x
}

// sdnHistory sets hist to the last 8 inputs after the T ≥ 1 steps of v.
func sdnHistory(hist *[8 * Lanes]float32, v []float32, T int) {
	if T >= 8 {
		copy(hist[:], v[(T-8)*Lanes:T*Lanes])
		return
	}
	copy(hist[:], hist[T*Lanes:])
	copy(hist[(8-T)*Lanes:], v[:T*Lanes])
}
