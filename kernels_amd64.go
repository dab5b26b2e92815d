//go:build !purego

package spikessm

import "github.com/klauspost/cpuid/v2"

// Assembly kernels (kernels_amd64.s). Each takes a pointer to an argument
// block; the Go wrappers in kernels_asm.go validate lengths, chunk long loops
// and handle the column tails.

//go:noescape
func scanAVX512(a *scanArgs)

//go:noescape
func scanSpikesAVX512(a *scanArgs)

//go:noescape
func scanAVX2(a *scanArgs)

//go:noescape
func neuronAVX2(a *neuronArgs)

//go:noescape
func neuron4AVX512(a *neuron4Args)

//go:noescape
func neuron2AVX2(a *neuron4Args)

//go:noescape
func spikeAccumAVX512(a *spikeArgs)

//go:noescape
func spikeAccumAVX2(a *spikeArgs)

//go:noescape
func gemmAVX512(a *gemmArgs)

//go:noescape
func gemmAVX2(a *gemmArgs)

//go:noescape
func gluAVX512(a *gluArgs)

//go:noescape
func gluAVX2(a *gluArgs)

// hasAVX512 and hasAVX2 are the dispatch conditions, read from cpuid each
// time the table is built (tests disable features through cpuid.CPU).
func hasAVX512() bool {
	return cpuid.CPU.Supports(cpuid.AVX512F, cpuid.AVX512VL, cpuid.AVX512BW, cpuid.AVX512DQ, cpuid.FMA3, cpuid.AVX2)
}

func hasAVX2() bool { return cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3) }

// archKernels returns the assembly variants this CPU can run, best first.
//
// Per kernel: Scan, Neuron, Gemm, SpikeAccum and GLU are assembly in both
// variants (AVX2 GLU leaves n%8 trailing elements to the generic Go).
// NeuronBlocks interleaves four blocks per call in AVX-512 assembly and two
// in AVX2. The AVX-512 table's single-block Neuron is the AVX2 kernel: its two
// independent 8-lane chains hide the per-step latency better than one
// 16-lane chain (2.7 vs 2.2 G neuron-steps/s measured with a 16-lane
// AVX-512 kernel, which was dropped).
// ScanSpikes is assembly in AVX-512 (a zeroing masked move makes u from the
// lane mask); AVX2 expands each chunk of masks to 0/1 floats on the stack
// (table lookup) and runs the assembly Scan. PMBCPass reuses the generic Go.
func archKernels() []*Kernels {
	var ks []*Kernels
	if hasAVX512() {
		ks = append(ks, asmKernels(VariantAVX512, asmImpl{
			scan: scanAVX512, scanSpikes: scanSpikesAVX512, neuron: neuronAVX2, neuron4: neuron4AVX512, group: 4, spike: spikeAccumAVX512, gemm: gemmAVX512,
			glu: gluAVX512, gluTail: true, width: 16, gemmWide: 64,
		}))
	}
	if hasAVX2() {
		ks = append(ks, asmKernels(VariantAVX2, asmImpl{
			scan: scanAVX2, neuron: neuronAVX2, neuron4: neuron2AVX2, group: 2, spike: spikeAccumAVX2, gemm: gemmAVX2,
			glu: gluAVX2, width: 8, gemmWide: 16,
		}))
	}
	return ks
}

// addChain runs n iterations of 8 dependent one-cycle integer adds (8·n core
// cycles); benchmarks use it to estimate the clock for %peak figures.
//
//go:noescape
func addChain(n int) int

// clockHz estimates the core clock from addChain (0 if unavailable).
func clockHz() float64 {
	// Many short bursts, keeping the fastest: a burst that was not
	// interrupted by another process runs at the true clock.
	const n = 100_000
	best := 0.0
	for range 300 {
		t0 := nanotime()
		addChain(n)
		dt := nanotime() - t0
		if hz := float64(8*n) / (float64(dt) / 1e9); hz > best {
			best = hz
		}
	}
	return best
}
