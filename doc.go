// Package spikessm holds the hot kernels of the spikessm runtime: the
// diagonal complex S4D scan (dense and spike input), the SpikingNeuron
// update, the PMBC bound pass, dense and spike-sparse matrix products and
// GLU, each as a pure-Go definition (kernels_generic.go) plus assembly twins
// for AVX2, AVX-512 and NEON, selected once through cpuid (Variants, Select,
// Default). Activations use a tiled [blocks][T][Lanes] layout (Tile, Untile).
//
// This package owns only the arithmetic. It must not know about model files,
// graphs, ops or batching: those belong to format/ and runtime/. Kernels never
// allocate in their inner loops and never run a single assembly call for more
// than about 100 µs (long sequences are chunked in the Go wrappers).
package spikessm
