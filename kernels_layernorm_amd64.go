//go:build !purego

package spikessm

//go:noescape
func layerNormAVX512(a *lnArgs)

//go:noescape
func layerNormAVX2(a *lnArgs)

//go:noescape
func layerNorm16AVX512(a *lnArgs)

//go:noescape
func layerNorm16p2AVX512(a *lnArgs)

// IDs of the LayerNorm kernels (after those of kernels_gelu_amd64.go).
const (
	kLayerNormAVX512 = kGELUAVX2 + 1 + iota
	kLayerNormAVX2
)

// callLayerNorm is the static dispatcher of the LayerNorm kernels (see
// callScan).
func callLayerNorm(k asmKernel, a *lnArgs) {
	switch k {
	case kLayerNormAVX512:
		layerNormAVX512(a)
	case kLayerNormAVX2:
		layerNormAVX2(a)
	default:
		panic("spikessm: bad LayerNorm kernel")
	}
}

// lnBlock reports whether LayerNorm kernel k has a block kernel (taking
// lnBlockRows rows at once; a.rows a multiple of it, c a multiple of 16).
func lnBlock(k asmKernel) bool { return k == kLayerNormAVX512 }

// callLayerNormBlock is the static dispatcher of the block kernels.
func callLayerNormBlock(k asmKernel, a *lnArgs) {
	if k != kLayerNormAVX512 {
		panic("spikessm: bad LayerNorm block kernel")
	}
	if a.c&(a.c-1) == 0 {
		layerNorm16p2AVX512(a) // c a power of two: multiply by 1/c
		return
	}
	layerNorm16AVX512(a)
}
