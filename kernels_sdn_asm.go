//go:build !purego && (amd64 || arm64)

package spikessm

import "unsafe"

//go:generate go run kernels_sdn_gen.go .

// sdnArgs is the argument block of the SDN assembly kernels. Field offsets
// are part of the assembly (kernels_sdn_amd64.s, kernels_sdn_arm64.s).
// Step i of a call reads the taps from rows i..i+7 of x and its own input
// from row i of v (rows of Lanes floats).
type sdnArgs struct {
	x      *float32      // 0
	mem, s *float32      // 8, 16 (nil: not written)
	p      *SDNParams    // 24: W1 0, B1 256, W2 288, B2 544, W3 576, B3 608, Threshold 612
	t      int           // 32: steps, ≥ 1
	w2     [8][8]float32 // 40: W2 with the skip folded into the diagonal (sdnFold)
	one    float32       // 296: 1.0 (AVX2 spike value)
	v      *float32      // 304: v of the first step (row t of v for the spike test)
}

var _ = [1]int{}[unsafe.Offsetof(sdnArgs{}.w2)-40]
var _ = [1]int{}[unsafe.Offsetof(sdnArgs{}.one)-296]
var _ = [1]int{}[unsafe.Offsetof(sdnArgs{}.v)-304]
var _ = [1]int{}[unsafe.Offsetof(SDNParams{}.W3)-576]
var _ = [1]int{}[unsafe.Offsetof(SDNParams{}.Threshold)-612]

// sdnChunkSteps bounds the steps per assembly call (about 26 ns per step
// and block for AVX-512, 45 ns for AVX2, more for NEON on small cores, so a
// call stays well under ~100 µs).
const sdnChunkSteps = 512

// runSDN is Kernels.SDN for this ISA. A single step (streaming) reads its
// taps from hist in place; otherwise the first min(T, 8) steps run on a stack
// window of hist followed by v, and later steps read v in place.
func (im *asmImpl) runSDN(p *SDNParams, v, mem, s []float32, hist *[8 * Lanes]float32, T int) {
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
	a := sdnArgs{p: p, w2: sdnFold(p), one: 1}
	at := func(t0 int) {
		a.v = &v[t0*Lanes]
		a.mem, a.s = nil, nil
		if mem != nil {
			a.mem = &mem[t0*Lanes]
		}
		if s != nil {
			a.s = &s[t0*Lanes]
		}
	}
	if T == 1 {
		a.x, a.t = &hist[0], 1
		at(0)
		callSDN(im.sdn, &a)
		sdnHistory(hist, v, 1)
		return
	}
	var win [16 * Lanes]float32
	n0 := min(T, 8)
	copy(win[:], hist[:])
	copy(win[8*Lanes:], v[:n0*Lanes])
	a.x, a.t = &win[0], n0
	at(0)
	callSDN(im.sdn, &a)
	for t0 := 8; t0 < T; t0 += sdnChunkSteps {
		a.x, a.t = &v[(t0-8)*Lanes], min(sdnChunkSteps, T-t0)
		at(t0)
		callSDN(im.sdn, &a)
	}
	sdnHistory(hist, v, T)
}
