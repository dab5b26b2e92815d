//go:build !purego && (amd64 || arm64)

package spikessm

import (
	"fmt"
	"math/bits"
	"unsafe"
)

// Argument blocks of the assembly kernels. Field offsets are part of the
// assembly (kernels_amd64.s, kernels_arm64.s): do not reorder.

type scanArgs struct {
	aRe, aIm, bRe, bIm, cRe, cIm, d *float32       // 0 … 48
	u                               unsafe.Pointer // 56: *float32, or *uint16 lane masks for scanSpikes
	y, xRe, xIm                     *float32       // 64, 72, 80
	n, t                            int            // 88, 96
	stride                          int            // 104: bytes between steps of y (and of u when it holds floats)
}

type neuronArgs struct {
	x, s *float32      // 0, 8 (s may be nil)
	mask *uint16       // 16 (may be nil)
	p    *NeuronParams // 24: Tau 0, Theta 64, Rho 128, Beta 192
	st   *NeuronState  // 32: M 0, S 64, R 128
	t    int           // 40
	mode int           // 48: reset*2 + strict
}

type neuron4Args struct {
	x, s    *float32      // 0, 8: block 0 (s may be nil)
	mask    *uint16       // 16: block 0 (may be nil)
	p       *NeuronParams // 24: 4 consecutive blocks (260 B each)
	st      *NeuronState  // 32: 4 consecutive blocks (192 B each)
	t       int           // 40
	mode    int           // 48: reset*2 + strict
	xstride int           // 56: bytes between blocks of x and s
	mstride int           // 64: bytes between blocks of mask
}

type spikeArgs struct {
	y, wt    *float32 // 0, 8
	mask     *uint64  // 16
	nwords   int      // 24
	lastMask uint64   // 32
	ldw      int      // 40: bytes between rows of wt
	ncols    int      // 48: multiple of the register width
}

type gemmArgs struct {
	y, x, wt      *float32 // 0, 8, 16
	k             int      // 24
	ldy, ldx, ldw int      // 32, 40, 48: row strides in bytes
	ncols         int      // 56: multiple of the register width
	rows          int      // 64: amd64: all rows (the assembly loops, advancing y, x and rows here); arm64: 4 or 1
	bias          *float32 // 72: amd64: accumulators start from bias (all rows) instead of y
}

type gluArgs struct {
	dst, a, b *float32 // 0, 8, 16
	n         int      // 24
}

// Offsets checked at compile time (the assembly hard-codes them).
var _ = [1]int{}[unsafe.Offsetof(scanArgs{}.t)-96]
var _ = [1]int{}[unsafe.Offsetof(scanArgs{}.stride)-104]
var _ = [1]int{}[unsafe.Offsetof(neuronArgs{}.mode)-48]
var _ = [1]int{}[unsafe.Offsetof(spikeArgs{}.ncols)-48]
var _ = [1]int{}[unsafe.Offsetof(gemmArgs{}.rows)-64]
var _ = [1]int{}[unsafe.Offsetof(gluArgs{}.n)-24]
var _ = [1]int{}[unsafe.Offsetof(neuron4Args{}.mstride)-64]
var _ = [1]int{}[unsafe.Sizeof(NeuronParams{})-260]
var _ = [1]int{}[unsafe.Sizeof(NeuronState{})-192]
var _ = [1]int{}[unsafe.Offsetof(NeuronParams{}.Beta)-192]
var _ = [1]int{}[unsafe.Offsetof(NeuronState{}.R)-128]

// Work limits per assembly call, so one call stays well under ~100 µs
// (assembly is not preemptible).
const (
	scanChunkWork   = 1 << 15 // N·T per call (×16 lanes)
	neuronChunk     = 4096    // steps per call
	spikeChunkWork  = 1 << 19 // active columns × M floats per call (2 MiB of weights)
	gemmChunkW      = 1 << 18 // weights (K × cols) read per call (1 MiB)
	scanSpikesChunk = 256     // steps expanded on the stack per call
	gluChunk        = 1 << 16 // elements per call
)

// asmImpl is one ISA's set of assembly kernels plus its register widths. The
// kernels are named by asmKernel IDs, not function values, and called through
// the static dispatchers call* of the per-architecture files: a call through a
// function value hides the //go:noescape of the assembly from escape analysis,
// which then moves every argument block to the heap (an allocation per kernel
// call, and so per Session.Step).
type asmImpl struct {
	scan asmKernel
	// scanUnit is scan for parameters with b = 1 + 0i everywhere (ScanParams.unitB);
	// 0: scan runs them.
	scanUnit asmKernel
	// scanSpikes reads u as uint16 lane masks (scanArgs.u points to them);
	// 0: masks are expanded to floats in Go and scan runs.
	scanSpikes asmKernel
	neuron     asmKernel
	neuron4    asmKernel // 0: NeuronBlocks loops over Neuron
	group      int       // blocks per neuron4 call (4 AVX-512, 2 AVX2)
	neuron2    asmKernel // two blocks per call for the pairs left after the groups (0: none)
	spike      asmKernel
	gemm       asmKernel
	glu        asmKernel // 0: generic GLU
	width      int       // floats per vector register (SpikeAccum/Gemm column granule)
	gemmWide   int       // columns of the wide Gemm tile
	gemmBias   bool      // the gemm assembly reads gemmArgs.bias
	gemmRows   bool      // the gemm assembly loops over all gemmArgs.rows itself
	sdn        asmKernel // 0: generic SDN
	gelu       asmKernel // 0: generic GELU (the n%width tail runs in assembly on a padded buffer)
	layerNorm  asmKernel // 0: generic LayerNorm
	add        asmKernel // 0: generic Add (else n%width is done in Go)
}

// asmKernel identifies one assembly routine of this architecture (0 = none).
type asmKernel uint8

// maskFloats[b] holds the 8 floats 0/1 of the bits of byte b, LSB first.
var maskFloats = func() (t [256][8]float32) {
	for b := range t {
		for i := range 8 {
			t[b][i] = float32(b >> i & 1)
		}
	}
	return t
}()

func ptr(s []float32) *float32 {
	if len(s) == 0 {
		return nil
	}
	return &s[0]
}

func asmKernels(name Variant, impl asmImpl) *Kernels {
	im := &impl
	k := &Kernels{Name: name, GLU: gluGeneric, PMBCPass: PMBCPassGeneric}
	if im.glu != 0 {
		k.GLU = im.gluFunc()
	}
	k.GLURows = im.gluRowsFunc(k.GLU)
	k.SpikeGemmBias = spikeGemmGeneric // the AVX-512 table replaces it (archKernels)
	k.ScanStrided = im.runScan
	k.Scan = func(p *ScanParams, u, y, xRe, xIm []float32, T int) { im.runScan(p, u, y, Lanes, xRe, xIm, T) }
	k.Add = addGeneric
	if im.add != 0 {
		k.Add = im.runAdd
	}
	k.LayerNorm = layerNormGeneric
	if im.layerNorm != 0 {
		k.LayerNorm = im.layerNormFunc()
	}
	k.GELU = geluGeneric
	if im.gelu != 0 {
		k.GELU = im.geluFunc()
	}
	k.SDN = sdnGeneric
	if im.sdn != 0 {
		k.SDN = im.runSDN
	}
	k.ScanSpikes = func(p *ScanParams, mask []uint16, y, xRe, xIm []float32, T int) {
		if T <= 0 {
			return
		}
		mask, y = mask[:T], y[:T*Lanes]
		if im.scanSpikes != 0 {
			N := p.N
			nl := N * Lanes
			a := scanArgs{
				aRe: ptr(p.ARe[:nl]), aIm: ptr(p.AIm[:nl]), bRe: ptr(p.BRe[:nl]), bIm: ptr(p.BIm[:nl]),
				cRe: ptr(p.CRe[:nl]), cIm: ptr(p.CIm[:nl]), d: ptr(p.D[:Lanes]),
				xRe: ptr(xRe[:nl]), xIm: ptr(xIm[:nl]), n: N, stride: 4 * Lanes,
			}
			tc := max(1, scanChunkWork/max(N, 1))
			for t0 := 0; t0 < T; t0 += tc {
				n := min(tc, T-t0)
				a.u, a.y, a.t = unsafe.Pointer(&mask[t0]), &y[t0*Lanes], n
				callScan(im.scanSpikes, &a)
			}
			return
		}
		var buf [scanSpikesChunk * Lanes]float32
		for t0 := 0; t0 < T; t0 += scanSpikesChunk {
			n := min(scanSpikesChunk, T-t0)
			for t := range n {
				m := mask[t0+t]
				copy(buf[t*Lanes:t*Lanes+8], maskFloats[m&0xff][:])
				copy(buf[t*Lanes+8:t*Lanes+16], maskFloats[m>>8][:])
			}
			im.runScan(p, buf[:n*Lanes], y[t0*Lanes:], Lanes, xRe, xIm, n)
		}
	}
	k.Neuron = func(p *NeuronParams, x, s []float32, mask []uint16, st *NeuronState, T int) {
		if T <= 0 {
			return
		}
		if p.Reset > ResetNone {
			neuronGeneric(p, x, s, mask, st, T)
			return
		}
		x = x[:T*Lanes]
		if s != nil {
			s = s[:T*Lanes]
		}
		if mask != nil {
			mask = mask[:T]
		}
		mode := int(p.Reset) * 2
		if p.Strict {
			mode++
		}
		a := neuronArgs{p: p, st: st, mode: mode}
		for t0 := 0; t0 < T; t0 += neuronChunk {
			n := min(neuronChunk, T-t0)
			a.x, a.t = &x[t0*Lanes], n
			a.s, a.mask = nil, nil
			if s != nil {
				a.s = &s[t0*Lanes]
			}
			if mask != nil {
				a.mask = &mask[t0]
			}
			callNeuron(im.neuron, &a)
		}
	}
	k.NeuronBlocks = func(p []NeuronParams, x, s []float32, mask []uint16, st []NeuronState, T int) {
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
		b := 0
		// Interleaved groups: im.group blocks per call, then (AVX-512) pairs, then single
		// blocks. Every kernel computes each block exactly as Neuron does.
		for _, g := range [...]struct {
			kern asmKernel
			G    int
		}{{im.neuron4, im.group}, {im.neuron2, 2}} {
			if g.kern == 0 {
				continue
			}
			G := g.G
			for ; b+G <= nb; b += G {
				q := p[b : b+G]
				same := q[0].Reset <= ResetNone
				for i := 1; i < G; i++ {
					same = same && q[i].Reset == q[0].Reset && q[i].Strict == q[0].Strict
				}
				if !same {
					break
				}
				mode := int(q[0].Reset) * 2
				if q[0].Strict {
					mode++
				}
				a := neuron4Args{p: &q[0], st: &st[b], mode: mode, xstride: T * Lanes * 4, mstride: T * 2}
				for t0 := 0; t0 < T; t0 += neuronChunk / G {
					n := min(neuronChunk/G, T-t0)
					a.x, a.t = &x[(b*T+t0)*Lanes], n
					a.s, a.mask = nil, nil
					if s != nil {
						a.s = &s[(b*T+t0)*Lanes]
					}
					if mask != nil {
						a.mask = &mask[b*T+t0]
					}
					callNeuron4(g.kern, &a)
				}
			}
		}
		for ; b < nb; b++ {
			var sb []float32
			var mb []uint16
			if s != nil {
				sb = s[b*T*Lanes : (b+1)*T*Lanes]
			}
			if mask != nil {
				mb = mask[b*T : (b+1)*T]
			}
			k.Neuron(&p[b], x[b*T*Lanes:(b+1)*T*Lanes], sb, mb, &st[b], T)
		}
	}
	k.SpikeAccum = func(y, wt []float32, mask []uint64, K, M int) {
		if K <= 0 || M <= 0 {
			return
		}
		y, wt = y[:M], wt[:K*M]
		nw := (K + 63) / 64
		mask = mask[:nw]
		last := ^uint64(0)
		if K%64 != 0 {
			last = 1<<uint(K%64) - 1
		}
		active := 0
		for i, w := range mask {
			if i == nw-1 {
				w &= last
			}
			active += bits.OnesCount64(w)
		}
		if active == 0 {
			return
		}
		body := M - M%im.width
		step := max(128, spikeChunkWork/active) &^ 127
		a := spikeArgs{mask: &mask[0], nwords: nw, lastMask: last, ldw: M * 4}
		for c0 := 0; c0 < body; c0 += step {
			a.y, a.wt, a.ncols = &y[c0], &wt[c0], min(step, body-c0)
			callSpike(im.spike, &a)
		}
		if body < M {
			spikeAccumCols(y, wt, mask, last, M, body)
		}
	}
	k.Gemm = func(y, x, wt []float32, R, K, M int) { im.gemmRun(y, x, wt, nil, R, K, M) }
	k.GemmBias = func(y, x, wt, bias []float32, R, K, M int) {
		if R <= 0 || M <= 0 {
			return
		}
		bias = bias[:M]
		if !im.gemmBias || K <= 0 || M < im.width {
			fillRows(y, bias, R, M)
			im.gemmRun(y, x, wt, nil, R, K, M)
			return
		}
		// The assembly seeds the vector columns from bias; the scalar tail columns
		// start from y, so they are filled first.
		if body := M - M%im.width; body < M {
			y = y[:R*M]
			for r := range R {
				copy(y[r*M+body:(r+1)*M], bias[body:])
			}
		}
		im.gemmRun(y, x, wt, bias, R, K, M)
	}
	return k
}

// gemmRun is Kernels.Gemm for this ISA; a non-nil bias (only when im.gemmBias)
// seeds the accumulators of the first K chunk instead of y.
func (im *asmImpl) gemmRun(y, x, wt, bias []float32, R, K, M int) {
	if R <= 0 || M <= 0 || K <= 0 {
		return
	}
	y, x, wt = y[:R*M], x[:R*K], wt[:K*M]
	body := M - M%im.width
	a := gemmArgs{ldy: M * 4, ldx: K * 4, ldw: M * 4}
	if body > 0 && im.gemmRows {
		// One call per K chunk; the assembly walks the rows itself.
		kc := max(1, gemmChunkW/body)
		for k0 := 0; k0 < K; k0 += kc {
			a.y, a.x, a.wt = &y[0], &x[k0], &wt[k0*M]
			a.k, a.ncols, a.rows = min(kc, K-k0), body, R
			a.bias = nil
			if k0 == 0 && bias != nil {
				a.bias = &bias[0]
			}
			callGemm(im.gemm, &a)
		}
	} else if body > 0 {
		for r := 0; r < R; {
			rows := 1
			if R-r >= 4 {
				rows = 4
			}
			kc := max(1, gemmChunkW/body)
			for k0 := 0; k0 < K; k0 += kc {
				a.y, a.x, a.wt = &y[r*M], &x[r*K+k0], &wt[k0*M]
				a.k, a.ncols, a.rows = min(kc, K-k0), body, rows
				a.bias = nil
				if k0 == 0 && bias != nil {
					a.bias = &bias[0]
				}
				callGemm(im.gemm, &a)
			}
			r += rows
		}
	}
	if body < M {
		gemmCols(y, x, wt, R, K, M, body)
	}
}

// runScan is Kernels.ScanStrided for this ISA.
func (im *asmImpl) runScan(p *ScanParams, u, y []float32, stride int, xRe, xIm []float32, T int) {
	if T <= 0 {
		return
	}
	if stride < Lanes {
		panic(fmt.Sprintf("spikessm: scan stride %d < %d", stride, Lanes))
	}
	N := p.N
	nl := N * Lanes
	a := scanArgs{
		aRe: ptr(p.ARe[:nl]), aIm: ptr(p.AIm[:nl]), bRe: ptr(p.BRe[:nl]), bIm: ptr(p.BIm[:nl]),
		cRe: ptr(p.CRe[:nl]), cIm: ptr(p.CIm[:nl]), d: ptr(p.D[:Lanes]),
		xRe: ptr(xRe[:nl]), xIm: ptr(xIm[:nl]), n: N, stride: 4 * stride,
	}
	ext := (T-1)*stride + Lanes
	u, y = u[:ext], y[:ext]
	kern := im.scan
	if p.unitB && im.scanUnit != 0 {
		kern = im.scanUnit
	}
	tc := max(1, scanChunkWork/max(N, 1))
	for t0 := 0; t0 < T; t0 += tc {
		n := min(tc, T-t0)
		a.u, a.y, a.t = unsafe.Pointer(&u[t0*stride]), &y[t0*stride], n
		callScan(kern, &a)
	}
}

// spikeAccumCols is spikeAccumGeneric restricted to columns m ≥ from (same
// order of additions).
func spikeAccumCols(y, wt []float32, mask []uint64, last uint64, M, from int) {
	for w, word := range mask {
		if w == len(mask)-1 {
			word &= last
		}
		for word != 0 {
			j := w*64 + bits.TrailingZeros64(word)
			word &= word - 1
			col := wt[j*M : j*M+M]
			for m := from; m < M; m++ {
				y[m] += col[m]
			}
		}
	}
}

// gemmCols is gemmGeneric restricted to columns m ≥ from.
func gemmCols(y, x, wt []float32, R, K, M, from int) {
	for r := range R {
		for k := range K {
			xv := x[r*K+k]
			w := wt[k*M : k*M+M]
			for m := from; m < M; m++ {
				y[r*M+m] += float32(xv * w[m])
			}
		}
	}
}
