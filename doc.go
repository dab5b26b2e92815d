// Package spikessm holds the hot kernels of the spikessm runtime: the
// diagonal complex S4D scan (dense and spike input), the SpikingNeuron
// update, the PMBC bound pass, dense and spike-sparse matrix products and
// GLU. Each kernel has a pure-Go definition (kernels_generic.go, always
// compiled) and assembly twins, selected once through cpuid:
//
//	variant  ISA condition                    assembly kernels
//	avx512   AVX-512 F+VL+BW+DQ, AVX2, FMA3   Scan, ScanSpikes, Neuron (the AVX2 kernel),
//	                                          NeuronBlocks (4 blocks), Gemm, SpikeAccum, GLU
//	avx2     AVX2 + FMA3                      Scan, Neuron, NeuronBlocks (2 blocks), Gemm,
//	                                          SpikeAccum, GLU
//	neon     arm64 (always)                   Scan, Neuron, Gemm, SpikeAccum, GLU
//	generic  any (and the purego build tag)   none
//
// Where a variant has no assembly for a kernel it reuses another: ScanSpikes
// expands lane masks to 0/1 floats (table lookup) and runs the variant's
// Scan; NeuronBlocks loops over the variant's Neuron; PMBCPass is always the
// generic Go. Variants lists what this CPU runs,
// Select picks one, Default picks the best or the one named by
// SPIKESSM_KERNELS.
//
// Results across variants: Neuron (spikes, masks and state), SpikeAccum,
// SpikeGemmBias, GELU, LayerNorm, Add and the data-movement helpers (Tile,
// TileReverse, AddReversed, DivChannels, SumRows, Heaviside, CountNonzero)
// are bit-identical to generic; Scan/ScanSpikes, Gemm/GemmBias, GLU and SDN agree within
// ScanTolerance, GemmTolerance, GLUTolerance and SDNTolerance. PMBC gives
// exactly the spikes of the sequential Neuron. For a fixed variant every
// kernel gives the same bits for an element wherever it sits in a call, so
// streaming and sequence calls agree bit for bit.
//
// Activations use a tiled layout: one block of Lanes = 16 channels is a
// [T][Lanes] series (Tile, Untile); S4D parameters are packed per block
// (PackScan); spikes are bit-packed (PackSpikes) or one uint16 lane mask per
// step.
//
// This package owns only the arithmetic. It must not know about model files,
// graphs, ops or batching (format/ and runtime/ own those), must not allocate
// in inner loops, and must not run one assembly call for more than about
// 100 µs: the Go wrappers cut long sequences and wide matrices into chunks,
// because assembly is not preemptible.
package spikessm
