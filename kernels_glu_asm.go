//go:build !purego && (amd64 || arm64)

package spikessm

// gluFunc returns Kernels.GLU for this ISA: whole registers in assembly, and
// the n%width tail too, through zero-padded buffers (gluRest), so every
// element takes the same path (same bits) wherever it sits in a call. A
// function literal, so that Kernels.GLU is one call (a method value adds a
// wrapper call, measurable on the runtime's 32-element rows).
func (im *asmImpl) gluFunc() func(dst, a, b []float32) {
	return func(dst, a, b []float32) {
		n := len(dst)
		a, b = a[:n], b[:n]
		body := n &^ (im.width - 1) // width is a power of two
		for i0 := 0; i0 < body; i0 += gluChunk {
			callGLUExp(im.glu, &gluArgs{dst: &dst[i0], a: &a[i0], b: &b[i0], n: min(gluChunk, body-i0)})
		}
		if body < n {
			im.gluRest(dst[body:], a[body:], b[body:])
		}
	}
}

// gluRest runs fewer than width elements through the assembly kernel on
// zero-padded stack buffers.
func (im *asmImpl) gluRest(dst, a, b []float32) {
	var ta, tb, td [Lanes]float32
	copy(ta[:], a)
	copy(tb[:], b)
	callGLUExp(im.glu, &gluArgs{dst: &td[0], a: &ta[0], b: &tb[0], n: im.width})
	copy(dst, td[:len(dst)])
}
