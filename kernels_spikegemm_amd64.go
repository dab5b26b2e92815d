//go:build !purego

package spikessm

import (
	"unsafe"

	"github.com/klauspost/cpuid/v2"
)

// spikeGemmArgs is the argument block of spikeGemmAVX512.
type spikeGemmArgs struct {
	y, x, wt, bias *float32 // 0, 8, 16, 24
	rows, k        int      // 32, 40: k a multiple of 16, at most 64
	ncols          int      // 48: a multiple of 16
	ldy, ldx, ldw  int      // 56, 64, 72: row strides in bytes
}

var _ = [1]int{}[unsafe.Offsetof(spikeGemmArgs{}.ldw)-72]

// spikeGemmAVX512 runs SpikeGemmBias on the first ncols columns for k ≤ 64:
// per row, the non-zero x become a bit mask (VCMPPS), whose set bits, lowest
// first (TZCNT, BLSR), add their weight rows to accumulators started from the
// bias (64 columns, then 16 at a time).
//
//go:noescape
func spikeGemmAVX512(a *spikeGemmArgs)

// spikeGemmFunc returns Kernels.SpikeGemmBias for the AVX-512 table: the
// assembly for the vector columns when K is a multiple of 16 up to 64 (and the
// CPU has BMI1), the generic twin otherwise and for the column tail; both add the same
// rows in the same order, so the result is the generic one bit for bit.
func spikeGemmFunc() func(y, x, wt, bias []float32, R, K, M int) {
	if !cpuid.CPU.Supports(cpuid.BMI1) {
		return spikeGemmGeneric
	}
	return func(y, x, wt, bias []float32, R, K, M int) {
		body := M &^ 15
		if R <= 0 || M <= 0 || K <= 0 || K%16 != 0 || K > 64 || body == 0 {
			spikeGemmGeneric(y, x, wt, bias, R, K, M)
			return
		}
		y, x, wt, bias = y[:R*M], x[:R*K], wt[:K*M], bias[:M]
		spikeGemmAVX512(&spikeGemmArgs{y: &y[0], x: &x[0], wt: &wt[0], bias: &bias[0], rows: R, k: K,
			ncols: body, ldy: M * 4, ldx: K * 4, ldw: M * 4})
		if body < M {
			for r := range R {
				yr := y[r*M+body : r*M+M]
				copy(yr, bias[body:])
				for k, v := range x[r*K : r*K+K] {
					if v != 0 {
						for m, w := range wt[k*M+body : k*M+M] {
							yr[m] += w
						}
					}
				}
			}
		}
	}
}
