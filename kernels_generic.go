package spikessm

import (
	"fmt"
	"math"
	"math/bits"
)

// This file holds the pure-Go kernels. They are always compiled, on every
// architecture, and they are the definition of every kernel: the assembly
// variants are tested against them. Products are wrapped in explicit float32
// conversions wherever the result must not be fused into an FMA, so the
// generic kernels give the same bits on amd64 and arm64.

func genericKernels() *Kernels {
	return &Kernels{
		Name:        VariantGeneric,
		Scan:        scanGeneric,
		ScanStrided: scanStridedGeneric,
		ScanSpikes:  scanSpikesGeneric,
		Neuron:      neuronGeneric,
		NeuronBlocks: func(p []NeuronParams, x, s []float32, mask []uint16, st []NeuronState, T int) {
			neuronBlocksGeneric(neuronGeneric, p, x, s, mask, st, T)
		},
		Gemm: gemmGeneric,
		GemmBias: func(y, x, wt, bias []float32, R, K, M int) {
			fillRows(y, bias, R, M)
			gemmGeneric(y, x, wt, R, K, M)
		},
		SpikeAccum:    spikeAccumGeneric,
		SpikeGemmBias: spikeGemmGeneric,
		GLU:           gluGeneric,
		GLURows:       gluRowsGeneric,
		PMBCPass:      PMBCPassGeneric,
		SDN:           sdnGeneric,
		GELU:          geluGeneric,
		LayerNorm:     layerNormGeneric,
		Add:           addGeneric,
	}
}

// scanGeneric is the definition of Scan. Per step t and lane l, modes are
// visited in ascending n; with u = u[t][l]:
//
//	xr' = (ar·xr − ai·xi) + br·u          each product rounded to float32
//	xi' = (ar·xi + ai·xr) + bi·u
//	acc = acc + (cr·xr' − ci·xi')         acc starts at 0, n ascending
//	y   = 2·acc + d·u
//
// No operation is fused.
func scanGeneric(p *ScanParams, u, y, xRe, xIm []float32, T int) {
	scanStridedGeneric(p, u, y, Lanes, xRe, xIm, T)
}

// scanStridedGeneric is the definition of ScanStrided: scanGeneric with step t
// of u and y at t·stride.
func scanStridedGeneric(p *ScanParams, u, y []float32, stride int, xRe, xIm []float32, T int) {
	if T <= 0 {
		return
	}
	if stride < Lanes {
		panic(fmt.Sprintf("spikessm: scan stride %d < %d", stride, Lanes))
	}
	N := p.N
	nl := N * Lanes
	aRe, aIm, bRe, bIm, cRe, cIm := p.ARe[:nl], p.AIm[:nl], p.BRe[:nl], p.BIm[:nl], p.CRe[:nl], p.CIm[:nl]
	d := p.D[:Lanes]
	xRe, xIm = xRe[:nl], xIm[:nl]
	ext := (T-1)*stride + Lanes
	u, y = u[:ext], y[:ext]
	for t := range T {
		for l := range Lanes {
			uv := u[t*stride+l]
			var acc float32
			for i := l; i < nl; i += Lanes {
				ar, ai, xr, xi := aRe[i], aIm[i], xRe[i], xIm[i]
				nr := float32(float32(ar*xr)-float32(ai*xi)) + float32(bRe[i]*uv)
				ni := float32(float32(ar*xi)+float32(ai*xr)) + float32(bIm[i]*uv)
				xRe[i], xIm[i] = nr, ni
				acc += float32(cRe[i]*nr) - float32(cIm[i]*ni)
			}
			y[t*stride+l] = float32(2*acc) + float32(d[l]*uv)
		}
	}
}

// scanSpikesGeneric is Scan with u[t][l] = bit l of mask[t] (0 or 1), with
// exactly the operations of scanGeneric (b·1 = b, b·0 = 0).
func scanSpikesGeneric(p *ScanParams, mask []uint16, y, xRe, xIm []float32, T int) {
	if T <= 0 {
		return
	}
	N := p.N
	nl := N * Lanes
	aRe, aIm, bRe, bIm, cRe, cIm := p.ARe[:nl], p.AIm[:nl], p.BRe[:nl], p.BIm[:nl], p.CRe[:nl], p.CIm[:nl]
	d := p.D[:Lanes]
	xRe, xIm = xRe[:nl], xIm[:nl]
	mask, y = mask[:T], y[:T*Lanes]
	for t := range T {
		m := mask[t]
		for l := range Lanes {
			uv := float32(m >> uint(l) & 1)
			var acc float32
			for i := l; i < nl; i += Lanes {
				ar, ai, xr, xi := aRe[i], aIm[i], xRe[i], xIm[i]
				nr := float32(float32(ar*xr)-float32(ai*xi)) + float32(bRe[i]*uv)
				ni := float32(float32(ar*xi)+float32(ai*xr)) + float32(bIm[i]*uv)
				xRe[i], xIm[i] = nr, ni
				acc += float32(cRe[i]*nr) - float32(cIm[i]*ni)
			}
			y[t*Lanes+l] = float32(2*acc) + float32(d[l]*uv)
		}
	}
}

// neuronMembrane evaluates the SpikingNeuron membrane m[t] from the previous
// state, in exactly this float32 order with no FMA (the PyTorch reference in
// tools/torchref evaluates the same operations in the same order):
//
//	soft: m = ((τ·(m_prev − θ·s_prev)) + x) − ρ·r_prev
//	hard: m = (((τ·m_prev)·(1 − s_prev)) + x) − ρ·r_prev
//	none: m = ((τ·m_prev) + x) − ρ·r_prev
//
// and then s = [m ≥ θ] (or [m > θ] when strict), r = (β·r_prev) + s. The
// state kept for the next step is NeuronFlush(m) and NeuronFlush(r); the
// spike is decided on the unflushed m.
func neuronMembrane(reset ResetMode, tau, theta, rho, mp, sp, rp, x float32) float32 {
	switch reset {
	case ResetSoft:
		return float32(float32(tau*float32(mp-float32(theta*sp)))+x) - float32(rho*rp)
	case ResetHard:
		return float32(float32(float32(tau*mp)*float32(1-sp))+x) - float32(rho*rp)
	default:
		return float32(float32(tau*mp)+x) - float32(rho*rp)
	}
}

// neuronTinyBits are the exponent bits 6 and 7 of a float32 (bits 29 and 30).
// A value with neither set has a biased exponent below 64, so a magnitude
// below 2^-63: zeros, subnormals and the smallest normals, of either sign.
const neuronTinyBits = 0x60000000

// NeuronFlush is the flush of the SpikingNeuron state (format/OPS.md): it
// returns +0 when |v| < 2^-63 and v otherwise (NaN and ±Inf unchanged). The
// membrane and the refractory trace are flushed after every step, so a state
// value is either 0 or at least 2^-63 in magnitude and its products with
// τ, ρ, β ∈ {0} ∪ [2^-63, ∞) are never subnormal (subnormal operands and
// results cost a microcode assist per instruction on x86).
func NeuronFlush(v float32) float32 {
	if math.Float32bits(v)&neuronTinyBits == 0 {
		return 0
	}
	return v
}

// neuronGeneric is the definition of Neuron; see neuronMembrane for the
// order of operations and NeuronFlush for the flush of the new state.
func neuronGeneric(p *NeuronParams, x, s []float32, mask []uint16, st *NeuronState, T int) {
	if T <= 0 {
		return
	}
	x = x[:T*Lanes]
	if s != nil {
		s = s[:T*Lanes]
	}
	if mask != nil {
		mask = mask[:T]
	}
	reset := p.Reset
	for t := range T {
		var bitsOut uint16
		for l := range Lanes {
			m := neuronMembrane(reset, p.Tau[l], p.Theta[l], p.Rho[l], st.M[l], st.S[l], st.R[l], x[t*Lanes+l])
			var sv float32
			if (!p.Strict && m >= p.Theta[l]) || (p.Strict && m > p.Theta[l]) {
				sv = 1
				bitsOut |= 1 << uint(l)
			}
			st.R[l] = NeuronFlush(float32(p.Beta[l]*st.R[l]) + sv)
			st.M[l] = NeuronFlush(m)
			st.S[l] = sv
			if s != nil {
				s[t*Lanes+l] = sv
			}
		}
		if mask != nil {
			mask[t] = bitsOut
		}
	}
}

// neuronBlocksGeneric is the definition of NeuronBlocks: neuron per block.
func neuronBlocksGeneric(neuron func(*NeuronParams, []float32, []float32, []uint16, *NeuronState, int),
	p []NeuronParams, x, s []float32, mask []uint16, st []NeuronState, T int) {
	nb := len(p)
	if T <= 0 || nb == 0 {
		return
	}
	x = x[:nb*T*Lanes]
	if s != nil {
		s = s[:nb*T*Lanes]
	}
	if mask != nil {
		mask = mask[:nb*T]
	}
	st = st[:nb]
	for b := range nb {
		var sb []float32
		var mb []uint16
		if s != nil {
			sb = s[b*T*Lanes : (b+1)*T*Lanes]
		}
		if mask != nil {
			mb = mask[b*T : (b+1)*T]
		}
		neuron(&p[b], x[b*T*Lanes:(b+1)*T*Lanes], sb, mb, &st[b], T)
	}
}

// fillRows sets each of the R rows of y (width M) to bias, with log2(R) copies.
func fillRows(y, bias []float32, R, M int) {
	if R <= 0 || M <= 0 {
		return
	}
	y = y[:R*M]
	f := copy(y, bias[:M])
	for f < len(y) {
		f += copy(y[f:], y[:f])
	}
}

// gemmGeneric is the definition of Gemm: for each r and m, the sum runs over
// k ascending starting from y[r][m], each product rounded to float32 before
// it is added.
func gemmGeneric(y, x, wt []float32, R, K, M int) {
	if R <= 0 || M <= 0 {
		return
	}
	y, x = y[:R*M], x[:R*K]
	wt = wt[:K*M]
	for r := range R {
		yr := y[r*M : r*M+M]
		for k := range K {
			xv := x[r*K+k]
			w := wt[k*M : k*M+M]
			for m := range yr {
				yr[m] += float32(xv * w[m])
			}
		}
	}
}

// spikeAccumGeneric is the definition of SpikeAccum: y[m] += wt[j][m] for
// every set bit j < K, j ascending.
func spikeAccumGeneric(y, wt []float32, mask []uint64, K, M int) {
	if K <= 0 || M <= 0 {
		return
	}
	y = y[:M]
	wt = wt[:K*M]
	mask = mask[:(K+63)/64]
	for w, word := range mask {
		if w == len(mask)-1 && K%64 != 0 {
			word &= 1<<uint(K%64) - 1
		}
		for word != 0 {
			j := w*64 + bits.TrailingZeros64(word)
			word &= word - 1
			col := wt[j*M : j*M+M]
			for m := range y {
				y[m] += col[m]
			}
		}
	}
}

// gluGeneric is the definition of GLU: sigmoid(b) = 1/(1+exp(−b)) evaluated
// in float64 and rounded to float32, then multiplied by a in float32.
func gluGeneric(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		sg := float32(1 / (1 + math.Exp(-float64(b[i]))))
		dst[i] = float32(a[i] * sg)
	}
}
