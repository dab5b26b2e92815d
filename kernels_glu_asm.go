//go:build !purego && (amd64 || arm64)

package spikessm

import "unsafe"

// gluRowsArgs is the argument block of the GLURows assembly kernels. Field
// offsets are part of the assembly (kernels_glu_amd64.s).
type gluRowsArgs struct {
	dst, src *float32 // 0, 8
	h        int      // 16: floats per output row, a multiple of the register width
	rows     int      // 24: ≥ 1
}

var _ = [1]int{}[unsafe.Offsetof(gluRowsArgs{}.rows)-24]

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

// gluRowsFunc returns Kernels.GLURows for this ISA given its GLU: with a
// GLURows kernel and h a multiple of the register width, whole chunks of rows
// per assembly call (the same per-element code as GLU, so the same bits);
// otherwise GLU on each row.
func (im *asmImpl) gluRowsFunc(glu func(dst, a, b []float32)) func(dst, src []float32, h int) {
	return func(dst, src []float32, h int) {
		if h <= 0 {
			return
		}
		rows := len(dst) / h
		if rows == 0 {
			return
		}
		if h&(im.width-1) != 0 || !gluRowsKernel(im.glu) {
			gluRowsWith(glu, dst, src, h)
			return
		}
		dst, src = dst[:rows*h], src[:rows*2*h]
		step := max(1, gluChunk/h)
		for r0 := 0; r0 < rows; r0 += step {
			callGLURows(im.glu, &gluRowsArgs{dst: &dst[r0*h], src: &src[r0*2*h], h: h, rows: min(step, rows-r0)})
		}
	}
}
