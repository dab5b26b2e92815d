//go:build !purego && (amd64 || arm64)

package spikessm

import "unsafe"

// lnArgs is the argument block of the LayerNorm assembly kernels. Field
// offsets are part of the assembly (kernels_layernorm_amd64.s).
type lnArgs struct {
	out, in, g, b *float32 // 0, 8, 16, 24
	rows          int      // 32: ≥ 1
	c             int      // 40: row width, ≥ 1
	eps           float64  // 48
	cf            float32  // 56: float32(c)
	tail          uint32   // 60: mask of the c%16 trailing lanes (0: none)
}

var _ = [1]int{}[unsafe.Offsetof(lnArgs{}.tail)-60]

// lnBlockRows is the number of rows the LayerNorm block kernels normalise
// together (a power of two).
const lnBlockRows = 16

// lnChunk bounds the floats per assembly call.
const lnChunk = 1 << 16

// layerNormFunc returns Kernels.LayerNorm for this ISA (a function literal:
// one call, where a method value adds a wrapper call).
func (im *asmImpl) layerNormFunc() func(out, in, gamma, beta []float32, c int, eps float64) {
	return func(out, in, gamma, beta []float32, c int, eps float64) {
		if c <= 0 {
			return
		}
		rows := len(in) / c
		if rows == 0 {
			return
		}
		gamma, beta, out, in = gamma[:c], beta[:c], out[:rows*c], in[:rows*c]
		step := max(1, lnChunk/c)
		a := lnArgs{g: &gamma[0], b: &beta[0], c: c, eps: eps, cf: float32(c), tail: 1<<(c%16) - 1}
		r0 := 0
		if c%Lanes == 0 && rows >= lnBlockRows && lnBlock(im.layerNorm) {
			// Whole blocks of lnBlockRows rows together, the rest one at a time:
			// both compute each row's operations exactly, so the bits do not
			// depend on how rows are grouped.
			nb := rows &^ (lnBlockRows - 1)
			bstep := max(lnBlockRows, step&^(lnBlockRows-1))
			for ; r0 < nb; r0 += a.rows {
				a.out, a.in, a.rows = &out[r0*c], &in[r0*c], min(bstep, nb-r0)
				callLayerNormBlock(im.layerNorm, &a)
			}
		}
		for ; r0 < rows; r0 += step {
			a.out, a.in, a.rows = &out[r0*c], &in[r0*c], min(step, rows-r0)
			callLayerNorm(im.layerNorm, &a)
		}
	}
}
