package spikessm

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
// v[i] the input of step i (from hist for i < 0) and relu(x) = x if x > 0 or
// x is NaN, else +0:
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
// diagonal of w2), so the results are bit-identical to it, except that the
// runtime's relu (clear values with the sign bit) also zeroes NaNs with the
// sign bit set. Which NaN a sum of two NaNs returns, and the sign of the NaN
// of ∞·0 or ∞−∞, depend on the CPU and on the compiler's operand order, so
// that relu does not give the same result everywhere; a NaN reaching relu
// here always stays NaN, as in PyTorch (mem NaN, no spike).
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
	var h1, h2 [8][Lanes]float32
	var m [Lanes]float32
	for t := range T {
		// Rows of Lanes floats, lanes innermost: the per-lane order of
		// operations is that of the comment above.
		var taps [8]*[Lanes]float32
		for j := range 8 {
			if i := t - 8 + j; i < 0 {
				taps[j] = (*[Lanes]float32)(hist[(8+i)*Lanes:])
			} else {
				taps[j] = (*[Lanes]float32)(v[i*Lanes:])
			}
		}
		for k := range 8 {
			a := &h1[k]
			*a = [Lanes]float32{}
			for j := range 8 {
				w, x := p.W1[k][j], taps[j]
				for l := range Lanes {
					a[l] += float32(w * x[l])
				}
			}
			for l := range Lanes {
				a[l] = sdnRelu(a[l] + p.B1[k])
			}
		}
		for k := range 8 {
			a := &h2[k]
			*a = [Lanes]float32{}
			for i := range 8 {
				w, x := w2[k][i], &h1[i]
				for l := range Lanes {
					a[l] += float32(w * x[l])
				}
			}
			for l := range Lanes {
				a[l] = sdnRelu(a[l] + p.B2[k])
			}
		}
		m = [Lanes]float32{}
		for k := range 8 {
			w, x := p.W3[k], &h2[k]
			for l := range Lanes {
				m[l] += float32(w * x[l])
			}
		}
		vt := (*[Lanes]float32)(v[t*Lanes:])
		for l := range Lanes {
			m[l] += p.B3
		}
		if mem != nil {
			copy(mem[t*Lanes:], m[:])
		}
		if s != nil {
			st := (*[Lanes]float32)(s[t*Lanes:])
			for l := range Lanes {
				if float32(m[l]+vt[l])-thr >= 0 {
					st[l] = 1
				} else {
					st[l] = 0
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

// sdnRelu is x for x > 0 or NaN, else +0.
func sdnRelu(x float32) float32 {
	if x > 0 || x != x {
		return x
	}
	return 0
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
