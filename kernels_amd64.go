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

// IDs of the assembly kernels above (see asmImpl).
const (
	kScanAVX512 asmKernel = iota + 1
	kScanSpikesAVX512
	kScanAVX2
	kNeuronAVX2
	kNeuron4AVX512
	kNeuron2AVX2
	kSpikeAccumAVX512
	kSpikeAccumAVX2
	kGemmAVX512
	kGemmAVX2
)

// The call* dispatchers are static calls of //go:noescape assembly, so the
// argument blocks stay on the caller's stack.

func callScan(k asmKernel, a *scanArgs) {
	switch k {
	case kScanAVX512:
		scanAVX512(a)
	case kScanSpikesAVX512:
		scanSpikesAVX512(a)
	case kScanAVX2:
		scanAVX2(a)
	case kScanUnitAVX512:
		scanUnitAVX512(a)
	case kScanUnitAVX2:
		scanUnitAVX2(a)
	default:
		panic("spikessm: bad scan kernel")
	}
}

func callNeuron(k asmKernel, a *neuronArgs) {
	if k != kNeuronAVX2 {
		panic("spikessm: bad neuron kernel")
	}
	neuronAVX2(a)
}

func callNeuron4(k asmKernel, a *neuron4Args) {
	switch k {
	case kNeuron4AVX512:
		neuron4AVX512(a)
	case kNeuron2AVX2:
		neuron2AVX2(a)
	default:
		panic("spikessm: bad neuron4 kernel")
	}
}

func callSpike(k asmKernel, a *spikeArgs) {
	switch k {
	case kSpikeAccumAVX512:
		spikeAccumAVX512(a)
	case kSpikeAccumAVX2:
		spikeAccumAVX2(a)
	default:
		panic("spikessm: bad spike-accumulation kernel")
	}
}

func callGemm(k asmKernel, a *gemmArgs) {
	switch k {
	case kGemmAVX512:
		gemmAVX512(a)
	case kGemmAVX2:
		gemmAVX2(a)
	default:
		panic("spikessm: bad gemm kernel")
	}
}

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
			scan: kScanAVX512, scanUnit: kScanUnitAVX512, scanSpikes: kScanSpikesAVX512, neuron: kNeuronAVX2, neuron4: kNeuron4AVX512, group: 4, neuron2: kNeuron2AVX2, spike: kSpikeAccumAVX512, gemm: kGemmAVX512,
			glu: kGLUExpAVX512, width: 16, gemmWide: 64, gemmBias: true, gemmRows: true, sdn: kSDNAVX512, gelu: kGELUAVX512, layerNorm: kLayerNormAVX512, add: kAddAVX512,
		}))
		ks[len(ks)-1].SpikeGemmBias = spikeGemmFunc()
	}
	if hasAVX2() {
		ks = append(ks, asmKernels(VariantAVX2, asmImpl{
			scan: kScanAVX2, scanUnit: kScanUnitAVX2, neuron: kNeuronAVX2, neuron4: kNeuron2AVX2, group: 2, spike: kSpikeAccumAVX2, gemm: kGemmAVX2,
			glu: kGLUExpAVX2, width: 8, gemmWide: 16, gemmBias: true, gemmRows: true, sdn: kSDNAVX2, gelu: kGELUAVX2, layerNorm: kLayerNormAVX2, add: kAddAVX2,
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
