//go:build !purego

package spikessm

// Assembly kernels (kernels_arm64.s); wrappers in kernels_asm.go.

//go:noescape
func scanNEON(a *scanArgs)

//go:noescape
func neuronNEON(a *neuronArgs)

//go:noescape
func spikeAccumNEON(a *spikeArgs)

//go:noescape
func gemmNEON(a *gemmArgs)

//go:noescape
func gluNEON(a *gluArgs)

// archKernels returns the NEON variant (Advanced SIMD is mandatory on arm64).
//
// Per kernel: Scan, Neuron, Gemm, SpikeAccum and GLU are NEON assembly (GLU
// leaves n%4 trailing elements to the generic Go). ScanSpikes expands lane
// masks to 0/1 floats (table lookup) and runs the NEON Scan. NeuronBlocks
// loops over the NEON Neuron. PMBCPass reuses the generic Go.
func archKernels() []*Kernels {
	return []*Kernels{asmKernels(VariantNEON, asmImpl{
		scan: scanNEON, neuron: neuronNEON, spike: spikeAccumNEON, gemm: gemmNEON,
		glu: gluNEON, width: 4, gemmWide: 16,
	})}
}

// clockHz is not measured on arm64 (benchmarks report no %peak there).
func clockHz() float64 { return 0 }
