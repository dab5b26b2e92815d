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

// IDs of the assembly kernels above (see asmImpl).
const (
	kScanNEON asmKernel = iota + 1
	kNeuronNEON
	kSpikeAccumNEON
	kGemmNEON
	kGLUNEON
)

// The call* dispatchers are static calls of //go:noescape assembly, so the
// argument blocks stay on the caller's stack. NEON has one kernel of each kind.

func callScan(_ asmKernel, a *scanArgs)       { scanNEON(a) }
func callNeuron(_ asmKernel, a *neuronArgs)   { neuronNEON(a) }
func callNeuron4(_ asmKernel, _ *neuron4Args) { panic("spikessm: no NEON neuron4 kernel") }
func callSpike(_ asmKernel, a *spikeArgs)     { spikeAccumNEON(a) }
func callGemm(_ asmKernel, a *gemmArgs)       { gemmNEON(a) }
func callGLU(_ asmKernel, a *gluArgs)         { gluNEON(a) }

// archKernels returns the NEON variant (Advanced SIMD is mandatory on arm64).
//
// Per kernel: Scan, Neuron, Gemm, SpikeAccum and GLU are NEON assembly (GLU
// leaves n%4 trailing elements to the generic Go). ScanSpikes expands lane
// masks to 0/1 floats (table lookup) and runs the NEON Scan. NeuronBlocks
// loops over the NEON Neuron. PMBCPass reuses the generic Go.
func archKernels() []*Kernels {
	return []*Kernels{asmKernels(VariantNEON, asmImpl{
		scan: kScanNEON, neuron: kNeuronNEON, spike: kSpikeAccumNEON, gemm: kGemmNEON,
		glu: kGLUNEON, width: 4, gemmWide: 16, sdn: kSDNNEON,
	})}
}

// clockHz is not measured on arm64 (benchmarks report no %peak there).
func clockHz() float64 { return 0 }
