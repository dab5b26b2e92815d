//go:build !purego

package spikessm

// callLayerNorm is never called on arm64: the NEON table uses the generic
// LayerNorm (asmImpl.layerNorm is 0).
func callLayerNorm(_ asmKernel, _ *lnArgs) { panic("spikessm: no LayerNorm assembly on arm64") }

// lnBlock is false on arm64: no block kernel.
func lnBlock(_ asmKernel) bool { return false }

// callLayerNormBlock is never called on arm64.
func callLayerNormBlock(_ asmKernel, _ *lnArgs) { panic("spikessm: no LayerNorm assembly on arm64") }
