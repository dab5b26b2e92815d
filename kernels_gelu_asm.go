//go:build !purego && (amd64 || arm64)

package spikessm

import "unsafe"

// geluArgs is the argument block of the GELU assembly kernels. Field offsets
// are part of the assembly (kernels_gelu_amd64.s).
type geluArgs struct {
	dst, src *float32 // 0, 8
	n        int      // 16: a multiple of the register width
	tab      *float32 // 24: &geluCoef[0][0]
}

var _ = [1]int{}[unsafe.Offsetof(geluArgs{}.tab)-24]

// geluChunk bounds the elements per assembly call.
const geluChunk = 1 << 16

// geluFunc returns Kernels.GELU for this ISA: whole registers in assembly,
// and the n%width tail too, through a zero-padded buffer on the stack (so
// every element takes the same path wherever it is). A function literal: one
// call, where a method value adds a wrapper call.
func (im *asmImpl) geluFunc() func(out, in []float32) {
	return func(out, in []float32) {
		n := len(in)
		out = out[:n]
		body := n &^ (im.width - 1) // width is a power of two
		for i0 := 0; i0 < body; i0 += geluChunk {
			callGELU(im.gelu, &geluArgs{dst: &out[i0], src: &in[i0], n: min(geluChunk, body-i0), tab: &geluCoef[0][0]})
		}
		if body < n {
			var buf [Lanes]float32
			copy(buf[:], in[body:])
			callGELU(im.gelu, &geluArgs{dst: &buf[0], src: &buf[0], n: im.width, tab: &geluCoef[0][0]})
			copy(out[body:], buf[:n-body])
		}
	}
}
