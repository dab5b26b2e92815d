//go:build !purego && (amd64 || arm64)

package spikessm

import "unsafe"

// geluArgs is the argument block of the GELU assembly kernels. Field offsets
// are part of the assembly (kernels_gelu_amd64.s).
type geluArgs struct {
	dst, src *float32 // 0, 8
	n        int      // 16: a multiple of the register width
	tab      *float32 // 24: &geluTab[0][0]
}

var _ = [1]int{}[unsafe.Offsetof(geluArgs{}.tab)-24]

// geluChunk bounds the elements per assembly call.
const geluChunk = 1 << 16

// runGELU is Kernels.GELU for this ISA: whole registers in assembly, the
// n%width tail in Go (same bits).
func (im *asmImpl) runGELU(out, in []float32) {
	n := len(in)
	out = out[:n]
	body := n - n%im.width
	for i0 := 0; i0 < body; i0 += geluChunk {
		callGELU(im.gelu, &geluArgs{dst: &out[i0], src: &in[i0], n: min(geluChunk, body-i0), tab: &geluTab[0][0]})
	}
	if body < n {
		geluGeneric(out[body:], in[body:])
	}
}
