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

// SDNTolerance bounds how far an assembly variant's Kernels.SDN may be from
// the generic kernel (sdnGeneric, the definition). Per step and lane, with
// x0..x7 the taps, w2x the folded W2 (sdnFold) and the network on absolute
// values (no relu; 2⁻¹²² per sum covers subnormal underflow)
//
//	A1[i] = 2⁻¹²² + |B1[i]| + Σ_j |W1[i][j]·x_j|
//	A2[k] = 2⁻¹²² + |B2[k]| + Σ_i |w2x[k][i]|·A1[i]
//	A     = 2⁻¹²² + |B3| + Σ_k |W3[k]|·A2[k]
//
// whenever A and every A1[i], A2[k] are below 1e36:
//
//	|mem − mem_generic| ≤ SDNTolerance·A
//
// and s equals the generic spike wherever v and Threshold are finite and
// |mem_generic + v − Threshold| > SDNTolerance·(A + |v| + |Threshold|)
// (everywhere if v or Threshold is infinite). The assembly computes each sum
// as a chain of fused multiply-adds started from its bias; rounding-error
// analysis (at most 9 roundings per sum, relu 1-Lipschitz) gives at most
// 6·9·2⁻²⁴·A ≈ 3.2e-6·A between the two orders; measured worst case on the
// tests: 8.3e-8·A. A NaN tap or weight gives mem NaN and s = 0 in every
// variant. Beyond 1e36 an intermediate may overflow to ±Inf in one order and
// not in the other, and only the NaN rule holds. A fixed variant computes
// every step and lane with the same operations whatever its position in a
// call, so streaming calls reproduce one sequence call bit for bit.
const SDNTolerance = 4e-6

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
	for t := range T {
		var taps [8]*[Lanes]float32 // rows v[t−8..t−1]
		for j := range 8 {
			if i := t - 8 + j; i < 0 {
				taps[j] = (*[Lanes]float32)(hist[(8+i)*Lanes:])
			} else {
				taps[j] = (*[Lanes]float32)(v[i*Lanes:])
			}
		}
		vt := (*[Lanes]float32)(v[t*Lanes:])
		for l := range Lanes {
			m := sdnLane(p, &w2, taps[0][l], taps[1][l], taps[2][l], taps[3][l], taps[4][l], taps[5][l], taps[6][l], taps[7][l])
			if mem != nil {
				mem[t*Lanes+l] = m
			}
			if s != nil {
				if float32(m+vt[l])-thr >= 0 {
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

// sdnLane is one lane and step of sdnGeneric given the taps x0..x7 =
// v[t−8..t−1]; it returns mem. Written out so that the sums stay in registers
// (Go evaluates a + b + c as (a + b) + c; the 0 + … start is kept, Go does not
// fold x + 0).
func sdnLane(p *SDNParams, w2 *[8][8]float32, x0, x1, x2, x3, x4, x5, x6, x7 float32) float32 {
	w1 := &p.W1
	a0 := sdnRelu(0 + float32(w1[0][0]*x0) + float32(w1[0][1]*x1) + float32(w1[0][2]*x2) + float32(w1[0][3]*x3) + float32(w1[0][4]*x4) + float32(w1[0][5]*x5) + float32(w1[0][6]*x6) + float32(w1[0][7]*x7) + p.B1[0])
	a1 := sdnRelu(0 + float32(w1[1][0]*x0) + float32(w1[1][1]*x1) + float32(w1[1][2]*x2) + float32(w1[1][3]*x3) + float32(w1[1][4]*x4) + float32(w1[1][5]*x5) + float32(w1[1][6]*x6) + float32(w1[1][7]*x7) + p.B1[1])
	a2 := sdnRelu(0 + float32(w1[2][0]*x0) + float32(w1[2][1]*x1) + float32(w1[2][2]*x2) + float32(w1[2][3]*x3) + float32(w1[2][4]*x4) + float32(w1[2][5]*x5) + float32(w1[2][6]*x6) + float32(w1[2][7]*x7) + p.B1[2])
	a3 := sdnRelu(0 + float32(w1[3][0]*x0) + float32(w1[3][1]*x1) + float32(w1[3][2]*x2) + float32(w1[3][3]*x3) + float32(w1[3][4]*x4) + float32(w1[3][5]*x5) + float32(w1[3][6]*x6) + float32(w1[3][7]*x7) + p.B1[3])
	a4 := sdnRelu(0 + float32(w1[4][0]*x0) + float32(w1[4][1]*x1) + float32(w1[4][2]*x2) + float32(w1[4][3]*x3) + float32(w1[4][4]*x4) + float32(w1[4][5]*x5) + float32(w1[4][6]*x6) + float32(w1[4][7]*x7) + p.B1[4])
	a5 := sdnRelu(0 + float32(w1[5][0]*x0) + float32(w1[5][1]*x1) + float32(w1[5][2]*x2) + float32(w1[5][3]*x3) + float32(w1[5][4]*x4) + float32(w1[5][5]*x5) + float32(w1[5][6]*x6) + float32(w1[5][7]*x7) + p.B1[5])
	a6 := sdnRelu(0 + float32(w1[6][0]*x0) + float32(w1[6][1]*x1) + float32(w1[6][2]*x2) + float32(w1[6][3]*x3) + float32(w1[6][4]*x4) + float32(w1[6][5]*x5) + float32(w1[6][6]*x6) + float32(w1[6][7]*x7) + p.B1[6])
	a7 := sdnRelu(0 + float32(w1[7][0]*x0) + float32(w1[7][1]*x1) + float32(w1[7][2]*x2) + float32(w1[7][3]*x3) + float32(w1[7][4]*x4) + float32(w1[7][5]*x5) + float32(w1[7][6]*x6) + float32(w1[7][7]*x7) + p.B1[7])
	b0 := sdnRelu(0 + float32(w2[0][0]*a0) + float32(w2[0][1]*a1) + float32(w2[0][2]*a2) + float32(w2[0][3]*a3) + float32(w2[0][4]*a4) + float32(w2[0][5]*a5) + float32(w2[0][6]*a6) + float32(w2[0][7]*a7) + p.B2[0])
	b1 := sdnRelu(0 + float32(w2[1][0]*a0) + float32(w2[1][1]*a1) + float32(w2[1][2]*a2) + float32(w2[1][3]*a3) + float32(w2[1][4]*a4) + float32(w2[1][5]*a5) + float32(w2[1][6]*a6) + float32(w2[1][7]*a7) + p.B2[1])
	b2 := sdnRelu(0 + float32(w2[2][0]*a0) + float32(w2[2][1]*a1) + float32(w2[2][2]*a2) + float32(w2[2][3]*a3) + float32(w2[2][4]*a4) + float32(w2[2][5]*a5) + float32(w2[2][6]*a6) + float32(w2[2][7]*a7) + p.B2[2])
	b3 := sdnRelu(0 + float32(w2[3][0]*a0) + float32(w2[3][1]*a1) + float32(w2[3][2]*a2) + float32(w2[3][3]*a3) + float32(w2[3][4]*a4) + float32(w2[3][5]*a5) + float32(w2[3][6]*a6) + float32(w2[3][7]*a7) + p.B2[3])
	b4 := sdnRelu(0 + float32(w2[4][0]*a0) + float32(w2[4][1]*a1) + float32(w2[4][2]*a2) + float32(w2[4][3]*a3) + float32(w2[4][4]*a4) + float32(w2[4][5]*a5) + float32(w2[4][6]*a6) + float32(w2[4][7]*a7) + p.B2[4])
	b5 := sdnRelu(0 + float32(w2[5][0]*a0) + float32(w2[5][1]*a1) + float32(w2[5][2]*a2) + float32(w2[5][3]*a3) + float32(w2[5][4]*a4) + float32(w2[5][5]*a5) + float32(w2[5][6]*a6) + float32(w2[5][7]*a7) + p.B2[5])
	b6 := sdnRelu(0 + float32(w2[6][0]*a0) + float32(w2[6][1]*a1) + float32(w2[6][2]*a2) + float32(w2[6][3]*a3) + float32(w2[6][4]*a4) + float32(w2[6][5]*a5) + float32(w2[6][6]*a6) + float32(w2[6][7]*a7) + p.B2[6])
	b7 := sdnRelu(0 + float32(w2[7][0]*a0) + float32(w2[7][1]*a1) + float32(w2[7][2]*a2) + float32(w2[7][3]*a3) + float32(w2[7][4]*a4) + float32(w2[7][5]*a5) + float32(w2[7][6]*a6) + float32(w2[7][7]*a7) + p.B2[7])
	return 0 + float32(p.W3[0]*b0) + float32(p.W3[1]*b1) + float32(p.W3[2]*b2) + float32(p.W3[3]*b3) + float32(p.W3[4]*b4) + float32(p.W3[5]*b5) + float32(p.W3[6]*b6) + float32(p.W3[7]*b7) + p.B3
}

// sdnRelu is x for x > 0 or NaN, else +0.
func sdnRelu(x float32) float32 {
	if x != x { // rare: a predictable branch
		return x
	}
	b := math.Float32bits(x) // clear x if its sign bit is set: no data-dependent branch
	return math.Float32frombits(b &^ uint32(int32(b)>>31))
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
