//go:build !purego && (amd64 || arm64)

package spikessm

// runGLU is Kernels.GLU for this ISA: whole registers in assembly, and the
// n%width tail too, through zero-padded buffers on the stack, so every
// element takes the same path (same bits) wherever it sits in a call.
func (im *asmImpl) runGLU(dst, a, b []float32) {
	n := len(dst)
	a, b = a[:n], b[:n]
	body := n &^ (im.width - 1) // width is a power of two
	for i0 := 0; i0 < body; i0 += gluChunk {
		callGLUExp(im.glu, &gluArgs{dst: &dst[i0], a: &a[i0], b: &b[i0], n: min(gluChunk, body-i0)})
	}
	if body < n {
		var ta, tb, td [Lanes]float32
		copy(ta[:], a[body:])
		copy(tb[:], b[body:])
		callGLUExp(im.glu, &gluArgs{dst: &td[0], a: &ta[0], b: &tb[0], n: im.width})
		copy(dst[body:], td[:n-body])
	}
}
